"""Button data is untrusted: every action has one exact format; forged data gets the stale answer and a counter,
never an exception, a request, a consent or an accepted code of conduct. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from bot.assistant import KnowledgeHolder, Parts, Sender
from bot.assistant.buttons import Press, parse_button
from bot.handover import DeskOptions, InterpretingDesk

PERSON, AMINA = Sender("telegram:701", "en"), Sender("telegram:801", "en")
STALE = "This button is no longer valid. Here is the menu."

FORGED = [
    "more:ask_housing:²", "more:ask_housing:٣", "more:ask_housing:99999999999999999999", "more:ask_housing:1000",
    "more:ask_housing:-1", "more:ask_housing:", "take:²", "take:99999999999999999999", "take:0", "take:2147483648",
    "take:-1", "take:1 ", "human:yes:zz", "human:yes:" + "a" * 53, "human:yes:", "human:yes:AR", "human:lang:zz",
    "human:lang:", "human:", "conduct:reject", "conduct:", "conduct", "lang:ar\n", "lang:AR", "lang:zz",
    "topic:ask_housing:x", "topic:", "topic:ask_parking", "transfer:1:zz", "transfer:1:arabic", "transfer:x:ar", "forget:maybe", "", "x" * 65,
    "menu ", " menu", "take:1", "take:1:", "take:1:AbCd_-1", "take:1:AbCd_-123", "take:1:AbCd_-1²", "take:1:AbCd_+12",
    "transfer:1:AbCd_-12:zz", "transfer:1:AbCd_-12", "transfer:1:ar",
]


def test_every_button_guichet_makes_has_exactly_one_meaning():
    cases = {
        "menu": Press("menu"), "near": Press("near"), "lang": Press("languages"), "human": Press("human"),
        "forget": Press("forget"), "forget:yes": Press("forget_yes"), "forget:no": Press("forget_no"),
        "lang:ar": Press("language", code="ar"), "topic:ask_housing": Press("topic", intent="ask_housing"),
        "more:ask_legal_aid:3": Press("more", intent="ask_legal_aid", number=3),
        "human:pick": Press("human_pick"), "human:no": Press("human_no"), "human:cancel": Press("human_cancel"),
        "human:leave": Press("human_leave"), "human:lang:ti": Press("human_language", code="ti"),
        "human:yes:ar": Press("human_yes", code="ar"), "take:17:AbCd_-12": Press("take", number=17, token="AbCd_-12"),
        "transfer:17:AbCd_-12:fa": Press("transfer", code="fa", number=17, token="AbCd_-12"), "conduct:accept": Press("conduct_accept"),
    }
    for data, press in cases.items():
        assert parse_button(data) == press, data


@pytest.mark.parametrize("data", ["more:ask_housing:²", "take:²", "take:99999999999999999999", "human:yes:" + "a" * 53,
                                  "conduct:reject", "conduct:", "lang:ar\n", "take:2147483648", "more:ask_housing:1000",
                                  "human:yes:zz", "transfer:3:qq", "take:17", "take:17:AbCd_-1é"])
def test_malformed_or_out_of_range_data_is_no_button(data):
    assert parse_button(data) is None


@pytest.fixture
def desk(storage, knowledge, catalogs):
    """A desk on SQLite or PostgreSQL with one interpreter (who has not accepted the code yet)."""
    storage.handovers.add_interpreter(801, "Amina", ["ar"])
    parts = Parts.build(storage.people, KnowledgeHolder(knowledge), catalogs, "en")
    return InterpretingDesk(parts, storage.handovers, DeskOptions(), gaps=storage.gaps)


def test_forged_presses_from_a_person_and_an_interpreter_change_nothing_and_are_counted(desk, storage):
    for sender in (PERSON, AMINA):
        for data in FORGED:
            replies = desk.action(sender, data)
            assert [r.text for r in replies] == [STALE], (sender.key, data)
            assert any(b.action.startswith("topic:") for row in replies[0].buttons for b in row)
    assert storage.handovers.counts() == {"waiting": 0, "active": 0, "messages": 0, "notes": 0}
    assert not storage.handovers.interpreter(801).conduct_accepted
    counted = {kind: count for _day, _language, kind, _topic, count in storage.gaps.unanswered_counts(date.today())}
    assert counted == {"stale_button": 2 * len(FORGED)}


def test_consent_counts_only_on_the_card_that_asked_this_person(desk, storage):
    storage.handovers.add_interpreter(802, "Karim", ["fa"])
    desk.refresh()
    forged = desk.action(PERSON, "human:yes:ar")  # never shown the consent card: asked now, nothing opened
    assert forged[0].text.startswith("🔒 <b>Before I connect you</b>")
    assert storage.handovers.counts()["waiting"] == 0
    other = desk.action(Sender("telegram:702", "en"), "human:yes:ar")  # someone else's card is not this one's
    assert storage.handovers.counts()["waiting"] == 0 and other[0].text.startswith("🔒")
    desk.action(PERSON, "human:lang:ar")  # the consent card for Arabic, shown to this person…
    assert desk.action(PERSON, "human:yes:fa")[0].text.startswith("🔒")  # …does not consent to Persian
    assert storage.handovers.counts()["waiting"] == 0
    desk.action(PERSON, "human:lang:ar")
    queued = desk.action(PERSON, "human:yes:ar")  # the exact yes on the card it was shown
    assert storage.handovers.counts()["waiting"] == 1 and "112" in queued[0].text


def test_only_the_exact_accept_accepts_the_code_of_conduct(desk, storage):
    for data in ("conduct:reject", "conduct:", "conduct:accept ", "conduct:ACCEPT"):
        desk.action(AMINA, data)
        assert not storage.handovers.interpreter(801).conduct_accepted, data
    desk.action(AMINA, "conduct:accept")
    assert storage.handovers.interpreter(801).conduct_accepted
