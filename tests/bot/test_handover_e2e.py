"""Interpreter handover end to end: the real python-telegram-bot stack against the fake Bot API, three simulated
people (a person writing Arabic, two Arabic-speaking interpreters), the real NLU model and real SQLite."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone

import pytest

from bot.assistant import KnowledgeHolder, Parts
from bot.devtools.fake_bot_api import FakeBotAPI
from bot.handover import DeskOptions, Hours, InterpretingDesk
from bot.i18n import rtl_lines
from knowledge.storage.handovers import TO_PERSON
from tests.bot.running import running_bot

pytestmark = pytest.mark.e2e

PERSON, AMINA, KARIM = 701, 801, 802


@pytest.fixture
def desk_parts(parser, sqlite_storage, knowledge, catalogs):
    """A desk on real storage, with two interpreters on the roster (they still have to accept the code)."""
    def make(**options) -> InterpretingDesk:
        parts = Parts.build(sqlite_storage.people, KnowledgeHolder(knowledge), catalogs, "en")
        return InterpretingDesk(parts, store, DeskOptions(**options), gaps=sqlite_storage.gaps)

    store = sqlite_storage.handovers
    store.add_interpreter(AMINA, "Amina", ["ar", "fr"])
    store.add_interpreter(KARIM, "Karim", ["ar"])
    return make, store, parser


def running_desk(desk_parts, desk: InterpretingDesk, **options):
    """The bot with `desk` in front of its assistant, ticking every 0.2 s (see `running_bot` for `options`)."""
    return running_bot(desk, desk_parts[2], desk_tick_seconds=0.2, **options)


def texts(api, chat):
    return [c.text for c in api.sent_to(chat)]


async def next_message(api, chat, seen: int, timeout: float = 10.0):
    """The message number `seen` (0-based) sent to `chat`, once it has come."""
    return (await api.replies(chat, seen + 1, timeout))[seen]


async def eventually(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the condition did not become true in time"
        await asyncio.sleep(0.05)


async def take_button(api, interpreter: int) -> str:
    """The callback data of the latest "Take" button the interpreter got, once it has come."""
    def buttons():
        return [b["callback_data"] for c in api.sent_to(interpreter) for b in c.buttons if b["callback_data"].startswith("take:")]

    await api.wait_for(lambda calls: bool(buttons()))
    return buttons()[-1]


async def accept_code(api, interpreter: int) -> None:
    api.send_text(interpreter, "/start", "fr")
    card = await next_message(api, interpreter, len(api.sent_to(interpreter)))
    assert [b["callback_data"] for b in card.buttons] == ["conduct:accept"]  # the code of conduct, to accept
    seen = len(api.sent_to(interpreter))
    api.press(interpreter, "conduct:accept", "fr")
    await next_message(api, interpreter, seen + 1)  # thanks, then the queue (empty here)


async def ask_for_an_arabic_interpreter(api, seen: int) -> int:
    """The person asks for a human in Arabic, confirms the language, consents; returns messages seen so far."""
    api.send_text(PERSON, "أريد أن أتكلم مع شخص حقيقي من فضلك", "ar")
    offer = await next_message(api, PERSON, seen)
    assert {"human:lang:ar", "human:pick", "human:no"} <= {b["callback_data"] for b in offer.buttons}
    api.press(PERSON, "human:lang:ar", "ar")
    consent = await next_message(api, PERSON, seen + 1)
    assert "P-" in consent.text and "/bot" in consent.text  # shown the pseudonym staff will see
    assert {"human:yes:ar", "human:no"} <= {b["callback_data"] for b in consent.buttons}
    api.press(PERSON, "human:yes:ar", "ar")
    queued = await next_message(api, PERSON, seen + 2)
    assert "112" in queued.text and re.search(r"\b1\b", queued.text)  # position 1, emergency number
    return seen + 3


async def amina_takes_the_request(api) -> int:
    """The person asks for an Arabic interpreter and Amina takes it; returns messages the person has had so far,
    the last one saying an interpreter joined."""
    seen = await ask_for_an_arabic_interpreter(api, 0)
    api.press(AMINA, await take_button(api, AMINA), "fr")
    await next_message(api, PERSON, seen)  # "an interpreter has joined"
    return seen + 1


async def test_request_race_relay_transfer_handback(desk_parts, catalogs):
    make, store, _parser = desk_parts
    desk = make()
    async with running_desk(desk_parts, desk) as api:
        await accept_code(api, AMINA)
        await accept_code(api, KARIM)
        a_seen, k_seen = len(api.sent_to(AMINA)), len(api.sent_to(KARIM))

        # the person asks the bot first, then for a human
        api.send_text(PERSON, "عندي مشكلة في السكن، صاحب البيت يريد طردي", "ar")
        await api.wait_for(lambda calls: any("🏢" in t for t in texts(api, PERSON)))
        seen = await ask_for_an_arabic_interpreter(api, len(api.sent_to(PERSON)))

        # both interpreters get a briefing card with a Take button, and never who the person is on Telegram
        card_a, card_k = await next_message(api, AMINA, a_seen), await next_message(api, KARIM, k_seen)
        for card in (card_a, card_k):
            assert "P-" in card.text and "Person701" not in card.text and str(PERSON) not in card.text
            assert "🏠" in card.text  # the topic the bot already answered (housing)
        take = card_a.buttons[0]["callback_data"]
        assert take == card_k.buttons[0]["callback_data"] and take.startswith("take:")
        pseudonym = re.search(r"P-[A-Z0-9]{6}", card_a.text).group(0)

        # both press Take at the same moment: exactly one gets the conversation, the other sees it is taken
        api.press(AMINA, take, "fr")
        api.press(KARIM, take, "fr")
        await api.wait_for(lambda calls: len(api.sent_to(AMINA)) > a_seen + 1 and len(api.sent_to(KARIM)) > k_seen + 1)
        await asyncio.sleep(0.3)
        after_a, after_k = texts(api, AMINA)[a_seen + 1:], texts(api, KARIM)[k_seen + 1:]
        won = [name for name, got in (("amina", after_a), ("karim", after_k)) if any(pseudonym in t and "/handback" in t for t in got)]
        assert len(won) == 1, (after_a, after_k)
        winner, other = (AMINA, KARIM) if won == ["amina"] else (KARIM, AMINA)
        # the other gets both: the notice that it was taken, and "too late" for their own press
        _ = catalogs.gettext(desk.state.staff_language(store.interpreter(other)))
        too_late = _("Too late: another interpreter took this request.")
        taken_notice = _("Request {pseudonym} was taken by another interpreter.").format(pseudonym=pseudonym)
        after_card = (k_seen if other == KARIM else a_seen) + 1
        await api.wait_for(lambda calls: {too_late, taken_notice} <= set(texts(api, other)[after_card:]))
        joined = await next_message(api, PERSON, seen)
        assert "/bot" in joined.text
        seen += 1

        # relay: the person's text and photo go to the winner, tagged with the pseudonym; the bot stays silent
        w_seen = len(api.sent_to(winner))
        api.send_text(PERSON, "عندي رسالة من المحكمة ولا أفهمها", "ar")
        api.send_photo(PERSON, "ar", file_id="LETTER-PHOTO", caption="الرسالة")
        relayed = await next_message(api, winner, w_seen)
        assert relayed.text.startswith(f"👤 <b>{pseudonym}</b>") and "المحكمة" in relayed.text
        photos = await api.replies(winner, 1, method="sendPhoto")
        assert photos[0].params["photo"] == "LETTER-PHOTO" and pseudonym in photos[0].params["caption"]
        await asyncio.sleep(0.5)
        assert len(api.sent_to(PERSON)) == seen  # no bot answer while an interpreter owns the conversation

        # the interpreter answers: the person gets it, tagged as the interpreter (no name, no account)
        api.send_text(winner, "مرحبا، أرسل لي صورة الصفحة الثانية أيضاً", "ar")
        answer = await next_message(api, PERSON, seen)
        seen += 1
        assert "الصفحة الثانية" in answer.text and "Amina" not in answer.text and "Karim" not in answer.text
        await eventually(lambda: store.undelivered() == [])  # delivered messages are deleted at once

        # transfer to another Arabic interpreter: the person is told, the other interpreter gets the card
        o_seen = len(api.sent_to(other))
        api.send_text(winner, "/transfer ar He also needs a lawyer", "fr")
        told = await next_message(api, PERSON, seen)
        seen += 1
        assert "🔁" in told.text
        card = await next_message(api, other, o_seen)
        assert pseudonym in card.text and "He also needs a lawyer" in card.text
        api.press(other, card.buttons[0]["callback_data"], "fr")
        await next_message(api, PERSON, seen)  # "an interpreter has joined"
        seen += 1
        api.send_text(PERSON, "شكرا", "ar")
        assert "شكرا" in (await next_message(api, other, o_seen + 2)).text

        # hand back: the person is told, and the bot answers again
        api.send_text(other, "/handback", "fr")
        back = await next_message(api, PERSON, seen)
        seen += 1
        assert "/human" in back.text
        api.send_text(PERSON, "أحتاج محامي مجاني", "ar")
        again = await next_message(api, PERSON, seen)
        assert "⚖️" in again.text  # the legal aid answer, from the bot again
        await api.wait_for(lambda calls: any("🏢" in t for t in texts(api, PERSON)[seen:]))
        assert store.counts()["active"] == 0 and store.counts()["messages"] == 0


async def test_restart_in_the_middle_of_a_relay_loses_nothing(desk_parts):
    make, store, _parser = desk_parts
    desk = make()
    api = FakeBotAPI()
    await api.start()
    async with running_desk(desk_parts, desk, api=api):
        await accept_code(api, AMINA)
        await amina_takes_the_request(api)
    # the bot is down; the person writes twice meanwhile, and one answer was stored but never delivered
    a_seen = len(api.sent_to(AMINA))
    request = store.request_of(f"telegram:{PERSON}")
    store.add_message(request.id, TO_PERSON, "text", "جواب لم يصل قبل التوقف")
    desk = make()  # a new process: nothing in memory
    async with running_desk(desk_parts, desk, api=api):
        api.send_text(PERSON, "هل أنت هنا؟", "ar")
        api.send_text(PERSON, "أرسلت الرسالة", "ar")
        first, second = (await api.replies(AMINA, a_seen + 2))[a_seen:a_seen + 2]
        assert "هل أنت هنا" in first.text and "أرسلت الرسالة" in second.text  # in order, to the same interpreter
        await api.wait_for(lambda calls: any("جواب لم يصل" in t for t in texts(api, PERSON)))
        assert store.request_of(f"telegram:{PERSON}").interpreter_id == AMINA
        await eventually(lambda: store.undelivered() == [])
    await api.stop()


async def test_nobody_available_out_of_hours_then_a_left_message_is_delivered(desk_parts):
    make, store, _parser = desk_parts
    closed = Hours.parse("mon-sun 00:00-00:00")  # never open
    desk = make(hours=closed)
    async with running_desk(desk_parts, desk) as api:
        await accept_code(api, AMINA)
        api.send_text(PERSON, "/human", "ar")
        await next_message(api, PERSON, 0)
        api.press(PERSON, "human:lang:ar", "ar")
        await next_message(api, PERSON, 1)
        api.press(PERSON, "human:yes:ar", "ar")
        nobody = await next_message(api, PERSON, 2)
        assert {"human:leave", "human:cancel"} <= {b["callback_data"] for b in nobody.buttons} and "112" in nobody.text
        services = await next_message(api, PERSON, 3)
        assert "🏢" in services.text  # the interpreting services of the knowledge base, with their phone
        api.press(PERSON, "human:leave", "ar")
        await next_message(api, PERSON, 4)
        api.send_text(PERSON, "أحتاج مترجم يوم الاثنين في المستشفى", "ar")
        kept = await next_message(api, PERSON, 5)
        assert "✉️" in kept.text
        # the next available interpreter opens the queue and takes it: the left message comes to them
        seen = len(api.sent_to(AMINA))
        api.send_text(AMINA, "/queue", "fr")
        card = await next_message(api, AMINA, seen)
        api.press(AMINA, card.buttons[0]["callback_data"], "fr")
        await api.wait_for(lambda calls: any("المستشفى" in t for t in texts(api, AMINA)))


async def test_unanswered_request_times_out_and_a_blocked_person_does_not_wedge_anything(desk_parts):
    make, store, _parser = desk_parts
    desk = make(timeout_minutes=0.01)  # 0.6 s
    async with running_desk(desk_parts, desk) as api:
        await accept_code(api, AMINA)
        seen = await ask_for_an_arabic_interpreter(api, 0)
        timed_out = await next_message(api, PERSON, seen, timeout=10)
        assert "human:leave" in {b["callback_data"] for b in timed_out.buttons}
        take = await take_button(api, AMINA)
        api.press(AMINA, take, "fr")
        await api.wait_for(lambda calls: any("/handback" in t for t in texts(api, AMINA)))  # "you now handle…"
        await api.wait_for(lambda calls: any("/bot" in t for t in texts(api, PERSON)[seen + 1:]))  # "…has joined"
        api.blocked.add(PERSON)  # the person blocks the bot
        seen = len(api.sent_to(AMINA))
        api.send_text(AMINA, "Bonjour ?", "fr")
        told = await next_message(api, AMINA, seen + 0)
        assert "P-" in told.text and store.counts() == {"waiting": 0, "active": 0, "messages": 0, "notes": 0}


async def test_person_ends_with_bot_and_forget_erases_the_relay(desk_parts):
    make, store, _parser = desk_parts
    desk = make()
    async with running_desk(desk_parts, desk) as api:
        await accept_code(api, AMINA)
        seen = await amina_takes_the_request(api)
        api.send_text(PERSON, "/bot", "ar")
        ended = await next_message(api, PERSON, seen)
        assert any(b["callback_data"].startswith("topic:") for b in ended.buttons)
        await api.wait_for(lambda calls: any("P-" in t and "bot" in t.lower() for t in texts(api, AMINA)[-1:]))
        assert store.counts()["active"] == 0
        # a second request, then /forget: the request and everything relayed is erased at once
        seen = await ask_for_an_arabic_interpreter(api, seen + 1)
        api.send_text(PERSON, "رسالة", "ar")
        await api.wait_for(lambda calls: store.counts()["messages"] == 1)
        api.press(PERSON, "forget:yes", "ar")
        await api.wait_for(lambda calls: store.counts() == {"waiting": 0, "active": 0, "messages": 0, "notes": 0})


async def test_only_roster_members_get_staff_powers(desk_parts):
    make, store, _parser = desk_parts
    desk = make()
    async with running_desk(desk_parts, desk) as api:
        await accept_code(api, AMINA)
        seen = await ask_for_an_arabic_interpreter(api, 0)
        take = await take_button(api, AMINA)
        stranger = 999
        api.press(stranger, take, "en")  # a forged Take from someone not on the roster
        await next_message(api, stranger, 0)
        api.send_text(stranger, "/handback", "en")
        await next_message(api, stranger, 1)
        assert store.counts()["waiting"] == 1 and store.counts()["active"] == 0
        assert all("P-" not in t for t in texts(api, stranger))
        assert len(api.sent_to(PERSON)) == seen
        # an interpreter who has not accepted the code of conduct cannot take either
        store.add_interpreter(803, "New", ["ar"])
        desk.refresh()
        api.press(803, take, "fr")
        conduct = await next_message(api, 803, 0)
        assert any(b["callback_data"] == "conduct:accept" for b in conduct.buttons)
        assert store.counts()["active"] == 0


def test_hours_parse_and_open_at():
    hours = Hours.parse("mon-fri 09:00-17:00, sat 10:00-12:00", "Europe/Brussels")
    assert hours.open_at(datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc))  # Monday, 11:00 in Brussels
    assert not hours.open_at(datetime(2026, 11, 23, 16, 30, tzinfo=timezone.utc))  # Monday, 17:30 in Brussels
    assert not hours.open_at(datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc))  # Sunday
    assert Hours.parse("").open_at()
    with pytest.raises(ValueError):
        Hours.parse("weekdays 9-5")


async def test_admins_manage_the_roster_in_telegram_and_others_cannot(desk_parts):
    make, store, _parser = desk_parts
    desk = make()
    admin, stranger = 42, 43
    async with running_desk(desk_parts, desk, admin_ids=frozenset({admin})) as api:
        api.send_text(stranger, "/interpreter_add 805 ti Yonas", "en")
        refused = await next_message(api, stranger, 0)
        assert "/interpreter_add" in refused.text and "don't know" in refused.text  # as any unknown command
        api.send_text(admin, "/interpreter_add 805 ti,am Yonas <b>T.</b>", "en")
        added = await next_message(api, admin, 0)
        assert added.text.startswith("✅ Yonas &lt;b&gt;T.&lt;/b&gt; (ti, am)")
        api.send_text(admin, "/interpreter_pause 805", "en")
        await next_message(api, admin, 1)
        api.send_text(admin, "/interpreters", "en")
        listed = await next_message(api, admin, 2)
        assert "<code>805</code>" in listed.text and "paused" in listed.text and "not accepted yet" in listed.text
        api.send_text(admin, "/interpreter_remove 805", "en")
        await next_message(api, admin, 3)
        assert 805 not in {i.telegram_id for i in store.roster()}
        api.send_text(805, "/start", "en")  # no longer staff: the ordinary welcome
        assert "Welcome to Guichet" in (await next_message(api, 805, 0)).text


async def test_interpreter_sends_a_document_and_closes_with_a_note_for_the_next_one(desk_parts):
    make, store, _parser = desk_parts
    desk = make()
    async with running_desk(desk_parts, desk) as api:
        await accept_code(api, AMINA)
        seen = await amina_takes_the_request(api)
        api.push_document(AMINA, file_id="FORM-PDF", caption="املأ هذه الاستمارة")
        sent = (await api.replies(PERSON, 1, method="sendDocument"))[0]
        assert sent.params["document"] == "FORM-PDF" and "الاستمارة" in sent.params["caption"]
        assert "Amina" not in sent.params["caption"]
        api.send_text(AMINA, "/close Rendez-vous CPAS lundi 9h, apporter le bail", "fr")
        closed = await next_message(api, PERSON, seen)
        assert any(b["callback_data"].startswith("topic:") for b in closed.buttons)  # the bot's menu again
        await eventually(lambda: store.counts() == {"waiting": 0, "active": 0, "messages": 0, "notes": 1})
        # the person's next request carries the note to whoever takes it
        a_seen = len(api.sent_to(AMINA))
        await ask_for_an_arabic_interpreter(api, seen + 1)
        card = await next_message(api, AMINA, a_seen)
        assert "Rendez-vous CPAS lundi 9h" in card.text


async def test_an_interpreter_removed_by_another_process_gives_the_conversation_back_to_the_queue(desk_parts, catalogs):
    make, store, _parser = desk_parts
    desk = make()
    async with running_desk(desk_parts, desk) as api:
        await accept_code(api, AMINA)
        await accept_code(api, KARIM)
        seen = await amina_takes_the_request(api)
        k_seen = len(api.sent_to(KARIM))
        from knowledge.storage.tables import interpreters

        with store.engine.begin() as conn:  # as 'guichet interpreters remove' would, from another process
            conn.execute(interpreters.delete().where(interpreters.c.telegram_id == AMINA))
        back = await next_message(api, PERSON, seen)
        assert back.text == rtl_lines(catalogs.gettext("ar")("Your interpreter is no longer available. Your request is back "
                                                             "in the queue."), "ar")
        card = await api.wait_for(lambda calls: any(b["callback_data"].startswith("take:")
                                                    for c in api.sent_to(KARIM)[k_seen:] for b in c.buttons))
        assert card and store.counts()["waiting"] == 1


def test_the_interpreting_answer_offers_a_guichet_interpreter_only_when_the_desk_runs(desk_parts, assistant):
    make, _store, _parser = desk_parts
    desk = make()
    from bot.assistant import Sender

    offered = desk.action(Sender("telegram:990", "en"), "topic:ask_interpreting")
    assert "/human" in offered[0].text and any(b.action == "human" for row in offered[-1].buttons for b in row)
    plain = assistant.action(Sender("telegram:991", "en"), "topic:ask_interpreting")  # no desk: no such promise
    assert "/human" not in plain[0].text


async def test_a_roster_change_the_cli_refuses_is_refused_in_telegram_with_the_same_message(desk_parts, tmp_path):
    """One roster service: `/interpreter_add 805 arabic Yonas` gets the CLI's own refusal, and nothing is added."""
    import html
    import subprocess
    import sys

    from bot.settings import PROJECT_ROOT

    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "GUICHET_DATA_DIR": str(tmp_path)}
    cli = subprocess.run([sys.executable, "-m", "bot.cli", "interpreters", "add", "--telegram-id", "805", "--name", "Yonas",
                          "--languages", "arabic"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    refusal = "not a language code: arabic (use ISO codes such as ar, fa, ps, ti)"
    assert (cli.returncode, cli.stderr) == (1, f"guichet: {refusal}\n")
    make, store, _parser = desk_parts
    admin = 42
    async with running_desk(desk_parts, make(), admin_ids=frozenset({admin})) as api:
        api.send_text(admin, "/interpreter_add 805 arabic Yonas", "en")
        refused = await next_message(api, admin, 0)
        assert refused.text == "❌ " + html.escape(refusal)
        assert 805 not in {i.telegram_id for i in store.roster()}
        api.send_text(admin, "/interpreter_add 805 ar Yonas", "en")  # the same command with a code is accepted
        assert (await next_message(api, admin, 1)).text == "✅ Yonas (ar) is on the roster (Telegram id 805)."
