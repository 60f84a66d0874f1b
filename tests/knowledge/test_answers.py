"""Answer files (knowledge/data/answers/<id>.yml): the shipped catalogue, and one failing example per rule."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from knowledge.catalogue import CATALOGUE
from knowledge.loader import load_directory, nlu_label_problems
from knowledge.schema import LANGUAGE_CODES
from nlu.training import answer_labels
from tests.conftest import KNOWLEDGE_DIR, PROJECT_ROOT

GOOD_ANSWER = """\
id: test-answer
intent: ask_housing
legal: true
short:
  en: Broken heating
  fr: Chauffage en panne
  ar: التدفئة معطلة
title:
  en: "My heating is broken: what can I do?"
  fr: "Mon chauffage est en panne : que faire ?"
  ar: التدفئة عندي معطلة، ماذا أفعل؟
answer:
  en: Tell your landlord in writing.
  fr: Prévenez votre propriétaire par écrit.
  ar: أخبر صاحب البيت كتابياً.
steps:
  en: [Write to the landlord.]
  fr: [Écrivez au propriétaire.]
  ar: [اكتب لصاحب البيت.]
services: [cpas-liege]
sources:
  - url: https://example.org/heating
    covers: [answer, steps]
last_reviewed: 2026-11-30
"""


@pytest.fixture
def kb_dir(tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def _problems(kb_dir: Path, content: str, name: str = "test-answer.yml") -> list[str]:
    (kb_dir / "answers" / name).write_text(textwrap.dedent(content), encoding="utf-8")
    result = load_directory(kb_dir, ("en", "fr", "ar"), shown_root=kb_dir)
    return [str(p) for p in result.problems]


def test_the_shipped_catalogue_is_complete_in_twelve_languages(knowledge):
    assert [a.id for a in knowledge.answers] == [answer for _intent, answer in CATALOGUE]
    for answer in knowledge.answers:
        assert answer.languages() == frozenset(LANGUAGE_CODES), answer.id
        assert answer.sources and knowledge.answer_services(answer), answer.id
        assert len(knowledge.answer_services(answer)) == len(answer.services), answer.id


def test_shipped_answers_and_nlu_labels_agree(knowledge):
    problems = nlu_label_problems(knowledge, answer_labels(PROJECT_ROOT / "nlu" / "data", PROJECT_ROOT),
                                  LANGUAGE_CODES, "nlu/data")
    assert not problems, "\n".join(map(str, problems))


def test_a_good_new_answer_loads_in_its_intent(kb_dir):
    assert _problems(kb_dir, GOOD_ANSWER) == []
    knowledge = load_directory(kb_dir, ("en", "fr", "ar")).knowledge
    assert knowledge.answers_for("ask_housing")[-1].id == "test-answer"  # added answers come after the catalogue's


@pytest.mark.parametrize("change, expected", [
    (("intent: ask_housing", "intent: greet"), "answers/test-answer.yml:2: error: intent 'greet' cannot have answers"),
    (("services: [cpas-liege]", "services: [cpas-liege, no-such-office]"),
     "answers/test-answer.yml:20: error: service 'no-such-office' does not exist"),
    (("services: [cpas-liege]", "services: []"), "answers/test-answer.yml:20: error: 'services' must list at least one"),
    (("covers: [answer, steps]", "covers: [answer]"), "answers/test-answer.yml:16: error: 'steps' states facts with no source"),
    (("covers: [answer, steps]", "covers: [answer, steps, phone]"), "error: 'covers' names unknown field 'phone'"),
    (("  en: Broken heating", "  en: My heating has been broken for three weeks now"),
     "answers/test-answer.yml:5: error: 'short.en' has 46 characters: at most 40"),
    (("  en: Tell your landlord in writing.", "  en: " + "Tell your landlord in writing. " * 20),
     "answers/test-answer.yml:13: error: 'answer.en' has 619 characters: at most 600"),
    (("legal: true", "legal: maybe"), "answers/test-answer.yml:3: error: 'legal' must be true or false"),
    (("legal: true", "legal: true\nurgent: true"), "answers/test-answer.yml:4: error: unknown field 'urgent'"),
    (("  ar: أخبر صاحب البيت كتابياً.\n", ""), "answers/test-answer.yml:12: warning: 'answer' has no 'ar' translation"),
])
def test_each_answer_rule_reports_file_and_line(kb_dir, change, expected):
    old, new = change
    assert old in GOOD_ANSWER
    problems = _problems(kb_dir, GOOD_ANSWER.replace(old, new))
    assert any(expected in p for p in problems), problems


def test_a_catalogue_answer_keeps_its_intent(kb_dir):
    content = GOOD_ANSWER.replace("id: test-answer", "id: eviction").replace("intent: ask_housing", "intent: ask_legal_aid")
    problems = _problems(kb_dir, content, "eviction.yml")
    assert "answers/eviction.yml:2: error: answer 'eviction' belongs to intent 'ask_housing' in the catalogue, not " \
           "'ask_legal_aid'" in problems


def test_every_catalogue_id_needs_a_file(kb_dir):
    (kb_dir / "answers" / "eviction.yml").unlink()
    result = load_directory(kb_dir, ("en", "fr", "ar"), shown_root=kb_dir)
    assert result.knowledge is None
    assert "answers/eviction.yml:1: error: catalogue answer 'eviction' (ask_housing) has no file: add " \
           "answers/eviction.yml" in [str(p) for p in result.problems]


def _nlu_file(tmp_path: Path, body: str) -> Path:
    data = tmp_path / "nlu"
    (data / "answers").mkdir(parents=True)
    (data / "answers" / "en.yml").write_text(textwrap.dedent(body), encoding="utf-8")
    return data


def test_nlu_labels_and_answer_files_must_match(kb_dir, tmp_path):
    knowledge = load_directory(kb_dir, ("en",)).knowledge
    data = _nlu_file(tmp_path, """\
        version: "3.1"
        nlu:
        - intent: ask_housing/eviction
          metadata:
            language: en
          examples: |
            - my landlord wants me out
            - eviction next week
        - intent: ask_housing/heating-broken
          metadata:
            language: en
          examples: |
            - no heating since monday
        """)
    problems = [str(p) for p in nlu_label_problems(knowledge, answer_labels(data, tmp_path), ("en", "fr"), "nlu")]
    assert "nlu/answers/en.yml:3: warning: 'ask_housing/eviction' has 2 examples in 'en': write at least 10" in problems
    assert "nlu/answers/fr.yml:1: error: answer 'eviction' has no training examples in 'fr': add a block " \
           "'- intent: ask_housing/eviction'" in problems
    assert "nlu/answers/en.yml:9: error: NLU label 'ask_housing/heating-broken' has no answer file: add " \
           "answers/heating-broken.yml with 'intent: ask_housing', or remove the examples" in problems
