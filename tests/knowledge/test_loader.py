"""The knowledge files: shipped data is valid and sourced; each validation rule catches its mistake."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from knowledge.loader import load_directory
from knowledge.schema import TOPIC_INTENTS
from tests.conftest import KNOWLEDGE_DIR

GOOD_SERVICE = """\
id: test-service
name: Test service
topics: [ask_housing]
area: local
description:
  en: Helps with housing.
  fr: Aide pour le logement.
  ar: يساعد في السكن.
address: Rue de Test 1, 4000 Liège
phone: ["04 123 45 67"]
sources:
  - url: https://example.org/page
    covers: [description, address, phone]
last_reviewed: 2026-01-10
"""


def test_shipped_knowledge_is_valid_and_complete(knowledge):
    assert {t.intent for t in knowledge.topics} == set(TOPIC_INTENTS)
    assert len(knowledge.services) >= 25
    for service in knowledge.services:
        assert service.sources, service.id
        assert all(s.url.startswith(("http://", "https://")) for s in service.sources)
    for intent in TOPIC_INTENTS:
        assert len(knowledge.services_for(intent, "en")) >= 1, intent


def test_shipped_knowledge_has_en_fr_ar_everywhere():
    result = load_directory(KNOWLEDGE_DIR, ("en", "fr", "ar"))
    assert not result.problems, "\n".join(map(str, result.problems))


def test_services_keep_their_own_names(knowledge):
    names = {s.id: s.name for s in knowledge.services}
    assert names["cpas-liege"] == "CPAS de Liège"
    assert len(set(names.values())) == len(names)


def test_emergency_topic_gives_112_first(knowledge):
    steps, _ = knowledge.topic_for("emergency").steps.pick("en")
    assert "112" in steps[0]


@pytest.fixture
def kb_dir(tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def _problems(kb_dir: Path, name: str, content: str, kind: str = "services") -> list[str]:
    (kb_dir / kind / name).write_text(textwrap.dedent(content), encoding="utf-8")
    result = load_directory(kb_dir, ("en", "fr", "ar"), shown_root=kb_dir)
    return [str(p) for p in result.problems]


def test_a_good_new_service_loads(kb_dir):
    assert _problems(kb_dir, "test-service.yml", GOOD_SERVICE) == []


@pytest.mark.parametrize("change, expected", [
    (("name: Test service", "name: [broken"), "services/test-service.yml:3: error: YAML syntax"),
    (("area: local", "area: local\nopening: always"), "services/test-service.yml:5: error: unknown field 'opening'"),
    (("name: Test service\n", ""), "services/test-service.yml:1: error: 'name' is required"),
    (('phone: ["04 123 45 67"]', 'phone: ["call me maybe"]'), "services/test-service.yml:10: error: phone 'call me maybe' is not a phone number"),
    (("address: Rue de Test 1, 4000 Liège", "address: Rue de Test 1\nwebsite: www.example.org"), "error: website 'www.example.org' must start with http"),
    (("address: Rue de Test 1, 4000 Liège", "address: Rue de Test 1\nemail: someone(at)example"), "error: email 'someone(at)example' is not an e-mail address"),
    (("topics: [ask_housing]", "topics: [ask_parking]"), "services/test-service.yml:3: error: topic 'ask_parking' does not exist"),
    (("covers: [description, address, phone]", "covers: [description, address]"), "services/test-service.yml:10: error: 'phone' is a fact with no source"),
    (("last_reviewed: 2026-01-10", "last_reviewed: last week"), "services/test-service.yml:14: error: 'last_reviewed' must be a date"),
    (("area: local", "area: galaxy"), "services/test-service.yml:4: error: area 'galaxy' must be one of"),
    (("  ar: يساعد في السكن.\n", ""), "services/test-service.yml:5: warning: 'description' has no 'ar' translation"),
    (("address: Rue de Test 1, 4000 Liège", "address: Rue de Test 1\ncoordinates: {lat: 123, lon: 5}"), "error: 'coordinates' must be {lat: 50.63, lon: 5.57}"),
    (("  - url: https://example.org/page", "  - url: example dot org"), "services/test-service.yml:12: error: source url 'example dot org' is not a web address"),
])
def test_each_rule_reports_file_and_line(kb_dir, change, expected):
    old, new = change
    assert old in GOOD_SERVICE
    problems = _problems(kb_dir, "test-service.yml", GOOD_SERVICE.replace(old, new))
    assert any(expected in p for p in problems), problems


def test_an_entry_not_reviewed_for_too_long_gets_a_warning(kb_dir):
    (kb_dir / "services" / "test-service.yml").write_text(textwrap.dedent(GOOD_SERVICE), encoding="utf-8")
    old = load_directory(kb_dir, ("en", "fr", "ar"), shown_root=kb_dir, max_age_days=30)
    assert "services/test-service.yml:14: warning: 'last_reviewed' 2026-01-10 is more than 30 days old" in \
        "\n".join(map(str, old.warnings))
    assert not old.errors
    recent = load_directory(kb_dir, ("en", "fr", "ar"), shown_root=kb_dir, max_age_days=100_000)
    assert not [p for p in recent.warnings if "days old" in p.message]


def test_files_outside_topics_and_services_are_refused(kb_dir):
    content = (kb_dir / "services" / "cpas-liege.yml").read_text(encoding="utf-8")
    (kb_dir / "services" / "copy").mkdir()
    (kb_dir / "services" / "copy" / "cpas-liege.yml").write_text(content, encoding="utf-8")
    result = load_directory(kb_dir, shown_root=kb_dir)
    assert [str(p) for p in result.errors] == [
        "services/copy/cpas-liege.yml:1: error: knowledge files go in a 'topics/', 'services/' or 'answers/' folder"]


def test_two_topics_for_one_intent(kb_dir):
    content = (kb_dir / "topics" / "housing.yml").read_text(encoding="utf-8")
    problems = _problems(kb_dir, "housing-bis.yml", content.replace("id: housing", "id: housing-bis"), kind="topics")
    # files are read in name order: the second one read is the one reported
    assert problems == ["topics/housing.yml:2: error: intent 'ask_housing' already has topic 'housing-bis'"]


def test_id_must_match_file_name(kb_dir):
    problems = _problems(kb_dir, "other-name.yml", GOOD_SERVICE)
    assert any("services/other-name.yml:1: error: id 'test-service' must equal the file name 'other-name'" in p for p in problems)


def test_missing_topic_for_an_intent_is_an_error(kb_dir):
    (kb_dir / "topics" / "housing.yml").unlink()
    result = load_directory(kb_dir, shown_root=kb_dir)
    assert any("intent 'ask_housing' has no topic guidance" in str(p) for p in result.errors)
    assert result.knowledge is None


def test_topic_rules(kb_dir):
    content = (kb_dir / "topics" / "housing.yml").read_text(encoding="utf-8")
    broken = content.replace("intent: ask_housing", "intent: ask_parking")
    problems = _problems(kb_dir, "housing.yml", broken, kind="topics")
    assert any("topics/housing.yml:" in p and "intent 'ask_parking' has no topic guidance" in p for p in problems)


def test_every_error_is_collected_not_just_the_first(kb_dir):
    broken = GOOD_SERVICE.replace("area: local", "area: galaxy").replace('["04 123 45 67"]', '["nope"]')
    problems = _problems(kb_dir, "test-service.yml", broken)
    assert sum("test-service.yml" in p and "error" in p for p in problems) >= 2
