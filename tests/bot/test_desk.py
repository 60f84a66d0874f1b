"""The interpreting desk's handover state machine at core level: a fake parse, real SQLite, no Telegram, no model."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from typing import List, Tuple

import pytest

from bot.assistant import KnowledgeHolder, Parts, Reply, Sender
from bot.handover import DeskOptions, Hours, InterpretingDesk
from knowledge.storage.handovers import TO_INTERPRETER, TO_PERSON, Request
from knowledge.storage.tables import interpreters
from tests.fakes import parsed

PERSON = Sender("telegram:701", "ar")
AMINA = Sender("telegram:801", "en")
KARIM = Sender("telegram:802", "en")
STRANGER = Sender("telegram:999", "en")
EMPTY = {"waiting": 0, "active": 0, "messages": 0, "notes": 0}


# -- helpers ------------------------------------------------------------------------------------------
def texts(replies: List[Reply]) -> List[str]:
    return [r.text for r in replies]


def replies_to(replies: List[Reply], key: str) -> List[Reply]:
    return [r for r in replies if r.to == key]


def actions(reply: Reply) -> List[str]:
    return [b.action for row in reply.buttons for b in row]


def cards(replies: List[Reply]) -> List[Reply]:
    """The briefing cards among `replies` (they carry a Take button)."""
    return [r for r in replies if any(a.startswith("take:") for a in actions(r))]


def in_arabic(desk: InterpretingDesk, message: str, **values) -> str:
    """A text of the code as the Arabic-speaking person receives it (catalog and right-to-left marks)."""
    texts_ = desk.state.parts.texts
    return texts_.reply(texts_.gettext("ar")(message).format(**values), "ar").text


def ask_for_arabic(desk: InterpretingDesk) -> Tuple[Request, List[Reply]]:
    """The person asks for a human, confirms Arabic, consents: their open request and the replies to consenting."""
    desk.message(PERSON, "أريد التحدث مع شخص", parsed("request_human", "ar"))
    desk.action(PERSON, "human:lang:ar")
    queued = desk.action(PERSON, "human:yes:ar")
    return desk.store.request_of(PERSON.key), queued


def taken_by_amina(desk: InterpretingDesk) -> Request:
    request, _queued = ask_for_arabic(desk)
    desk.action(AMINA, f"take:{request.id}:{request.token}")
    return desk.store.request_of(PERSON.key)


def card_text(request: Request, note: str = "") -> str:
    lines = [f"🔔 <b>New request</b>: {request.pseudonym}, in Arabic"]
    if note:
        lines.append(f"Note from the previous interpreter: {note}")
    lines.append(f"Waiting since {request.created_at:%H:%M} (UTC).")
    return "\n".join(lines)


# -- fixtures -----------------------------------------------------------------------------------------
@pytest.fixture
def store(sqlite_storage):
    store = sqlite_storage.handovers
    store.add_interpreter(801, "Amina", ["ar", "fr"])
    store.add_interpreter(802, "Karim", ["ar"])
    return store


@pytest.fixture
def make_desk(sqlite_storage, knowledge, catalogs, store):
    """make_desk(accepting=..., **options): a desk on the shared storage; the interpreters listed accept the code."""
    def make(accepting=(AMINA, KARIM), **options) -> InterpretingDesk:
        parts = Parts.build(sqlite_storage.people, KnowledgeHolder(knowledge), catalogs, "en")
        desk = InterpretingDesk(parts, store, DeskOptions(**options), gaps=sqlite_storage.gaps)
        desk.refresh()
        for interpreter in accepting:
            desk.action(interpreter, "conduct:accept")
        return desk

    return make


@pytest.fixture
def desk(make_desk) -> InterpretingDesk:
    return make_desk()


# -- tests --------------------------------------------------------------------------------------------
def test_request_language_consent_queue_briefs_every_available_interpreter(desk, store):
    offer = desk.message(PERSON, "أريد التحدث مع شخص", parsed("request_human", "ar"))
    assert len(offer) == 1 and offer[0].to is None
    assert actions(offer[0]) == ["human:lang:ar", "human:pick", "human:no"]

    consent = desk.action(PERSON, "human:lang:ar")
    pseudonym = desk.state.parts.pseudonym(PERSON.key)
    assert re.fullmatch(r"P-[A-Z0-9]{6}", pseudonym)
    assert len(consent) == 1 and pseudonym in consent[0].text
    assert actions(consent[0]) == ["human:yes:ar", "human:no"]
    assert store.counts() == EMPTY  # nothing is opened before consent

    queued = desk.action(PERSON, "human:yes:ar")
    request = store.request_of(PERSON.key)
    assert request.pseudonym == pseudonym and request.status == "waiting" and request.language == "ar"
    assert queued[0].to is None and queued[0].text.split("\n")[0] == in_arabic(
        desk, "✅ Your request is sent. You are number {position} in the queue for {language}.",
        position=1, language="العربية")
    briefings = cards(queued)
    assert [c.to for c in briefings] == ["telegram:801", "telegram:802"]
    for card in briefings:
        assert card.text == card_text(request)
        assert actions(card) == [f"take:{request.id}:{request.token}"]
        assert "701" not in card.text and "telegram" not in card.text
    assert len(queued) == 3


def test_two_interpreters_race_for_one_request_and_exactly_one_gets_it(desk, store):
    request, _queued = ask_for_arabic(desk)
    amina = desk.action(AMINA, f"take:{request.id}:{request.token}")
    karim = desk.action(KARIM, f"take:{request.id}:{request.token}")

    assert store.request_of(PERSON.key).interpreter_id == 801
    assert store.request_of(PERSON.key).status == "active"
    assert texts(karim) == ["Too late: another interpreter took this request."] and karim[0].to is None
    assert amina[0].to is None and amina[0].text.startswith(f"✅ You now handle {request.pseudonym}.")
    joined = replies_to(amina, PERSON.key)
    assert texts(joined) == [in_arabic(desk, "🧑 An interpreter has joined. From now on they read and answer your "
                                             "messages here. Write /bot to end.")]
    assert texts(replies_to(amina, KARIM.key)) == [f"Request {request.pseudonym} was taken by another interpreter."]


def test_relay_goes_both_ways_and_the_bot_keeps_quiet(desk, store):
    request = taken_by_amina(desk)

    relayed = desk.message(PERSON, "عندي رسالة من المحكمة", parsed("ask_legal_aid", "ar"))
    assert len(relayed) == 1  # only the relay: the bot does not answer the legal question itself
    to_amina = relayed[0]
    assert to_amina.to == "telegram:801"
    assert to_amina.text == f"👤 <b>{request.pseudonym}</b>: عندي رسالة من المحكمة"
    stored = store.undelivered()
    assert [(m.id, m.direction, m.text) for m in stored] == [(to_amina.relay_id, TO_INTERPRETER, "عندي رسالة من المحكمة")]
    desk.delivered(to_amina.relay_id)
    assert store.undelivered() == []

    answer = desk.message(AMINA, "Send me the second page", None)
    assert len(answer) == 1 and answer[0].to == PERSON.key and answer[0].relay_id is not None
    interpreter = desk.state.parts.texts.gettext("ar")("Interpreter")
    assert answer[0].text == desk.state.parts.texts.reply(f"🧑 <b>{interpreter}</b>: Send me the second page", "ar").text
    assert "Amina" not in answer[0].text
    assert [(m.direction, m.text) for m in store.undelivered()] == [(TO_PERSON, "Send me the second page")]


def test_transfer_offers_the_request_with_its_note_to_another_interpreter_only(desk, store):
    request = taken_by_amina(desk)

    replies = desk.command(AMINA, "transfer", "ar a note")
    assert replies[0].to is None
    assert replies[0].text == f"Released: {request.pseudonym} is back in the queue for Arabic."
    assert len(replies_to(replies, PERSON.key)) == 1
    briefings = cards(replies)
    assert [c.to for c in briefings] == ["telegram:802"]
    assert briefings[0].text == card_text(request, note="a note")
    assert store.request_of(PERSON.key).status == "waiting"
    assert texts(desk.command(AMINA, "queue")) == ["Nobody is waiting in your languages."]

    desk.action(KARIM, f"take:{request.id}:{request.token}")
    assert store.request_of(PERSON.key).interpreter_id == 802


def test_handback_gives_the_person_the_bot_again(desk, store):
    taken_by_amina(desk)

    replies = desk.command(AMINA, "handback")
    assert texts([r for r in replies if r.to is None]) == ["Handed back to the bot."]
    to_person = replies_to(replies, PERSON.key)
    assert len(to_person) == 1 and actions(to_person[0])
    assert all(a.startswith("topic:") for a in actions(to_person[0]))
    assert store.counts() == EMPTY

    answer = desk.message(PERSON, "أين أسكن", parsed("ask_housing", "ar"))
    assert answer and all(r.to is None for r in answer)  # the bot answers again, nothing relayed
    assert store.counts() == EMPTY


def test_close_with_a_note_keeps_it_for_the_next_request(desk, store):
    taken_by_amina(desk)

    replies = desk.command(AMINA, "close", "Appointment Monday 9:00")
    assert texts([r for r in replies if r.to is None]) == ["Conversation closed. Your note is kept for the next interpreter."]
    to_person = replies_to(replies, PERSON.key)
    assert len(to_person) == 1 and actions(to_person[0])
    assert all(a.startswith("topic:") for a in actions(to_person[0]))
    assert store.counts() == {"waiting": 0, "active": 0, "messages": 0, "notes": 1}

    request, queued = ask_for_arabic(desk)
    assert request.note == "Appointment Monday 9:00"
    assert [c.text for c in cards(queued)] == [card_text(request, note="Appointment Monday 9:00")] * 2


def test_nobody_takes_the_request_in_time_and_the_person_is_told_once(make_desk, store):
    desk = make_desk(timeout_minutes=0.001)
    ask_for_arabic(desk)

    later = datetime.utcnow() + timedelta(minutes=1)
    told = desk.tick(now=later)
    assert told and all(r.to == PERSON.key for r in told)
    assert told[0].text.split("\n")[0] == in_arabic(
        desk, "Nobody could take your request in the last {minutes} minutes.", minutes="0.001")
    assert actions(told[0]) == ["human:leave", "human:cancel"]
    assert desk.tick(now=later + timedelta(minutes=1)) == []
    assert store.counts()["waiting"] == 1


def test_out_of_hours_the_person_leaves_a_message_for_the_queue(make_desk, store):
    desk = make_desk(hours=Hours.parse("mon-sun 00:00-00:00"))
    request, queued = ask_for_arabic(desk)

    assert cards(queued) == [] and all(r.to == PERSON.key for r in queued)
    assert queued[0].text.split("\n")[0] == in_arabic(
        desk, "Nobody who speaks {language} is available right now.", language="العربية")
    assert actions(queued[0]) == ["human:leave", "human:cancel"]

    desk.action(PERSON, "human:leave")
    kept = desk.message(PERSON, "أحتاج مترجم يوم الاثنين", parsed("nlu_fallback", "ar"))
    assert texts(kept) == [in_arabic(desk, "✉️ Kept for the interpreter.")] and kept[0].to is None
    assert store.request_of(PERSON.key).message_left is True

    listed = desk.command(AMINA, "queue")
    assert [(c.text, c.to, actions(c)) for c in listed] == [(card_text(request), None, [f"take:{request.id}:{request.token}"])]
    taken = desk.action(AMINA, f"take:{request.id}:{request.token}")
    assert f"👤 <b>{request.pseudonym}</b>: أحتاج مترجم يوم الاثنين" in texts(replies_to(taken, AMINA.key))


def test_a_restart_keeps_ownership_and_resends_undelivered_messages(make_desk, store):
    request = taken_by_amina(make_desk())
    stored = store.add_message(request.id, TO_PERSON, "text", "An answer cut by the stop")

    desk = make_desk(accepting=())  # a new process: new parts, nothing in memory
    resent = desk.pending()
    assert [(r.to, r.relay_id) for r in resent] == [(PERSON.key, stored.id)]
    assert resent[0].text.endswith("</b>: An answer cut by the stop")

    relayed = desk.message(PERSON, "هل أنت هنا؟", parsed("nlu_fallback", "ar"))
    assert [r.to for r in relayed] == ["telegram:801"]
    assert store.request_of(PERSON.key).interpreter_id == 801


def test_a_person_who_blocked_the_bot_closes_the_request_and_the_interpreter_is_told(desk, store):
    request = taken_by_amina(desk)

    told = desk.unreachable(PERSON.key)
    assert [(r.to, r.text) for r in told] == [(
        "telegram:801",
        f"{request.pseudonym} can no longer be reached (they may have blocked the bot). The conversation is closed.")]
    assert store.counts() == EMPTY
    assert texts(desk.message(AMINA, "Hello?", None)) == [
        "You have no conversation open. /queue shows the requests waiting in your languages."]


def test_an_interpreter_who_blocked_the_bot_gives_the_request_to_another(desk, store):
    taken_by_amina(desk)

    replies = desk.unreachable(AMINA.key)
    assert texts(replies_to(replies, PERSON.key)) == [
        in_arabic(desk, "Your interpreter is no longer available. Your request is back in the queue.")]
    assert [c.to for c in cards(replies)] == ["telegram:802"]
    assert store.request_of(PERSON.key).status == "waiting"
    assert store.request_of(PERSON.key).interpreter_id is None


def test_an_interpreter_removed_elsewhere_is_requeued_at_the_next_tick(desk, store):
    request = taken_by_amina(desk)
    with store.engine.begin() as conn:  # as 'guichet interpreters remove' does, from another process
        conn.execute(interpreters.delete().where(interpreters.c.telegram_id == 801))

    replies = desk.tick()
    assert texts(replies_to(replies, PERSON.key)) == [
        in_arabic(desk, "Your interpreter is no longer available. Your request is back in the queue.")]
    assert [(c.to, c.text) for c in cards(replies)] == [("telegram:802", card_text(request))]
    assert store.counts()["waiting"] == 1 and store.counts()["active"] == 0
    assert desk.tick() == []
    # Amina is no longer staff: her /handback is an unknown command, and nothing changes
    assert texts(desk.command(AMINA, "handback")) == ["I don't know the command /handback. Send /help to see what I can do."]


def test_only_interpreters_who_accepted_the_code_get_staff_powers(desk, store):
    request, _queued = ask_for_arabic(desk)

    pressed = desk.action(STRANGER, f"take:{request.id}:{request.token}")
    assert texts(pressed) == ["This button is no longer valid. Here is the menu."]
    handback = desk.command(STRANGER, "handback")
    assert texts(handback) == ["I don't know the command /handback. Send /help to see what I can do."]
    assert all(r.to is None and "P-" not in r.text for r in pressed + handback)
    assert store.counts() == {"waiting": 1, "active": 0, "messages": 0, "notes": 0}

    store.add_interpreter(803, "New", ["ar"])
    desk.refresh()
    conduct = desk.action(Sender("telegram:803", "en"), f"take:{request.id}:{request.token}")
    assert len(conduct) == 1 and conduct[0].text.startswith("📜 <b>Code of conduct for Guichet interpreters</b>")
    assert actions(conduct[0]) == ["conduct:accept"]
    assert store.request_of(PERSON.key).status == "waiting"


def test_forget_during_a_handover_erases_everything_and_tells_the_interpreter(desk, store):
    taken_by_amina(desk)
    desk.command(AMINA, "close", "a note about them")
    request = taken_by_amina(desk)
    desk.message(PERSON, "رسالة", parsed("nlu_fallback", "ar"))
    assert store.counts() == {"waiting": 0, "active": 1, "messages": 1, "notes": 1}

    replies = desk.action(PERSON, "forget:yes")
    assert store.counts() == EMPTY
    assert texts(replies_to(replies, AMINA.key)) == [f"{request.pseudonym} went back to the bot. The conversation is closed."]
    assert store.request_of(PERSON.key) is None


def test_the_briefing_names_the_specific_answers_already_given(desk, store, knowledge):
    desk.action(PERSON, "ans:eviction")
    desk.action(PERSON, "ans:rental-deposit")
    request, queued = ask_for_arabic(desk)
    card = cards(queued)[0]
    shorts = [knowledge.answer(a).short.pick("en")[0] for a in ("eviction", "rental-deposit")]
    housing = html.escape(desk.state.parts.cards.topic_name("ask_housing", "en"))
    assert card.text.split("\n")[1:3] == [f"Topic: {housing}", f"The bot already answered: {housing}"]
    assert card.text.split("\n")[3] == "Answers already given: " + html.escape("; ".join(shorts))
    assert request.briefing == ("ask_housing", "eviction", "rental-deposit")
