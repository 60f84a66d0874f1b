"""Specific answers at the assistant level, fast: parse results made by hand, knowledge from factories or the
shipped files. (The real model's choices: tests/nlu and test_answers_model.py.)"""

from __future__ import annotations

import html

import pytest

from bot.assistant import Sender
from bot.assistant.texts import MAX_TEXT_CHARS
from knowledge.schema import LANGUAGE_CODES
from tests import fakes
from tests.conftest import build_assistant

PERSON = Sender("t:501", "en")


def actions(replies):
    return [b.action for r in replies for row in r.buttons for b in row]


class Counted:
    def __init__(self):
        self.counts = []

    def count_unanswered(self, kind, language, topic=""):
        self.counts.append((kind, language, topic))


@pytest.fixture
def housing(sqlite_storage, catalogs):
    """Housing with three answers; eviction is handled by three services, of which two are shown."""
    services = [fakes.service("tenants-union", name="Tenants Union"), fakes.service("legal-desk", name="Legal Desk"),
                fakes.service("third-office", name="Third Office"), fakes.service("shelter", name="Shelter")]
    answers = [fakes.answer("find-housing", services=["shelter"]),
               fakes.answer("eviction", services=["tenants-union", "legal-desk", "third-office"], legal=True),
               fakes.answer("rental-deposit", services=["legal-desk"], partial=True)]
    gaps = Counted()
    bot = build_assistant(sqlite_storage, fakes.knowledge_base([fakes.topic("ask_housing")], services, answers),
                          catalogs, gaps=gaps)
    bot.gaps_seen = gaps
    return bot


def test_a_confident_answer_comes_first_with_its_two_services_and_next_moves(housing):
    replies = housing.message(PERSON, "…", fakes.parsed("ask_housing", answers=[("eviction", 0.7), ("find-housing", 0.3)]))
    assert len(replies) == 1
    lines = replies[0].text.split("\n")
    assert lines[:4] == ["🏠 <b>Question eviction?</b>", "", "Answer eviction.",
                         "<i>General information, not legal advice. Check your own situation with a lawyer or a "
                         "service below.</i>"]
    assert "🏢 <b>Tenants Union</b>" in lines and "🏢 <b>Legal Desk</b>" in lines
    assert "Third Office" not in replies[0].text  # the third is behind "More services"
    assert actions(replies) == ["qs:ask_housing", "more:ask_housing:0", "human", "menu", "lang"]
    assert replies[0].buttons[0][0].label == "❓ More questions: 🏠 Housing"
    assert housing.memory.answers(PERSON.key) == ("eviction",)
    assert housing.gaps_seen.counts == []


def test_not_legal_answers_carry_no_disclaimer_and_partial_ones_say_so(housing):
    replies = housing.action(PERSON, "ans:rental-deposit")
    assert "legal advice" not in replies[0].text
    assert "ℹ️ Few facts about this question are sourced yet: the services below know more, and you can talk to a " \
           "person." in replies[0].text.split("\n")


def test_unsure_between_answers_asks_which_is_closest_never_a_confident_wrong_answer(housing):
    parse = fakes.parsed("ask_housing", answers=[("eviction", 0.69), ("rental-deposit", 0.16), ("find-housing", 0.15)])
    replies = housing.message(PERSON, "…", parse)
    assert replies[0].text.split("\n") == ["Which one is closest to your question?", "❓ Question eviction?",
                                           "❓ Question rental-deposit?", "❓ Question find-housing?"]
    assert actions(replies) == ["ans:eviction", "ans:rental-deposit", "ans:find-housing", "none:ask_housing", "human"]
    assert "Answer eviction." not in replies[0].text
    assert housing.memory.answers(PERSON.key) == ()
    assert housing.gaps_seen.counts == []
    none_of_these = housing.action(PERSON, "none:ask_housing")
    assert "<b>Housing</b>" in none_of_these[0].text
    assert housing.gaps_seen.counts == [("no_answer", "en", "ask_housing")]


def test_intent_clear_but_no_answer_fits_gives_the_topic_card_with_its_questions_and_counts_a_gap(housing):
    parse = fakes.parsed("ask_housing", "fr", answers=[("eviction", 0.09), ("find-housing", 0.05), ("rental-deposit", 0.05)])
    replies = housing.message(PERSON, "…", parse)
    assert "Answer eviction." not in replies[0].text and "<b>Housing</b>" in replies[0].text
    assert actions(replies)[:3] == ["ans:find-housing", "ans:eviction", "ans:rental-deposit"]
    assert housing.gaps_seen.counts == [("no_answer", "fr", "ask_housing")]


def test_taps_alone_reach_an_answer_topic_then_question(housing):
    topic_card = housing.action(PERSON, "topic:ask_housing")
    assert [b.label for b in topic_card[0].buttons[0]] == ["❓ Short find-housing"]
    answer = housing.action(PERSON, "ans:eviction")
    assert "Answer eviction." in answer[0].text
    questions = housing.action(PERSON, "qs:ask_housing")
    assert questions[0].text == "<b>Questions about 🏠 Housing:</b>"
    assert actions(questions) == ["ans:find-housing", "ans:eviction", "ans:rental-deposit", "menu", "human"]


@pytest.mark.parametrize("data", ["ans:no-such-answer", "ans:Eviction", "ans:eviction ", "ans:", "ans:evic tion",
                                  "ans:" + "a" * 61, "qs:ask_parking", "qs:", "ans:eviction:2", "ans:ｅviction",
                                  "none:ask_parking", "none:"])
def test_forged_answer_and_question_buttons_get_the_stale_answer(housing, data):
    replies = housing.action(PERSON, data)
    assert "no longer valid" in replies[0].text
    assert housing.gaps_seen.counts == [("stale_button", "en", "")]


def test_a_topic_without_answers_is_answered_as_before(sqlite_storage, catalogs):
    bot = build_assistant(sqlite_storage, fakes.knowledge_base([fakes.topic("emergency", title="Emergency")]), catalogs)
    replies = bot.message(PERSON, "…", fakes.parsed("emergency", answers=[]))
    assert "<b>Emergency</b>" in replies[0].text
    assert not [a for a in actions(replies) if a.startswith(("ans:", "qs:"))]


# -- the shipped catalogue ------------------------------------------------------------------------------
def test_every_shipped_answer_is_reachable_by_taps_and_fits_in_a_message(assistant, knowledge):
    menu = assistant.command(PERSON, "topics")
    reached = set()
    for topic in [a for a in actions(menu) if a.startswith("topic:")]:
        card = assistant.action(PERSON, topic)
        for question in [a for a in actions(card) if a.startswith("ans:")]:
            for language in LANGUAGE_CODES:
                replies = assistant.action(Sender(f"t:{language}", language), question)
                assert all(len(r.text) <= MAX_TEXT_CHARS for r in replies), (question, language)
            reached.add(question.removeprefix("ans:"))
    assert reached == {a.id for a in knowledge.answers}


def test_an_answer_names_its_services_in_order(assistant, knowledge):
    for answer in knowledge.answers:
        text = "\n".join(r.text for r in assistant.action(PERSON, f"ans:{answer.id}")).split("<b>Where to go:</b>")[1]
        names = [s.name for s in knowledge.answer_services(answer)[:2]]
        positions = [text.find(html.escape(name)) for name in names]
        assert -1 not in positions and positions == sorted(positions), answer.id
        assert text.count("🏢") == min(2, len(answer.services)), answer.id


def test_the_answer_headings_are_in_the_person_language(sqlite_storage, catalogs):
    from knowledge.schema import Localized

    answer = fakes.answer("eviction", services=["legal-desk"], languages=("fr",), bring=Localized({"fr": ("Le bail",)}),
                          costs=Localized({"fr": "Gratuit."}))
    bot = build_assistant(sqlite_storage, fakes.knowledge_base([fakes.topic(languages=("fr",))],
                                                               [fakes.service("legal-desk", languages=("fr",))],
                                                               [answer]), catalogs)
    lines = bot.action(Sender("t:fr", "fr"), "ans:eviction")[0].text.split("\n")
    assert ["<b>Premières étapes\xa0:</b>", "• Step", "", "<b>À apporter :</b>", "• Le bail", "",
            "💶 <b>Coûts :</b> Gratuit."] == lines[4:11]
