"""End to end: the real python-telegram-bot Application over HTTP against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import html

import pytest

from bot.assistant import KnowledgeHolder, Parts
from bot.i18n import RLM
from knowledge.places import Gazetteer
from tests.bot.running import running_bot
from tests.conftest import build_assistant

pytestmark = pytest.mark.e2e


@pytest.fixture
async def telegram(parser, sqlite_storage, knowledge, catalogs):
    """A running bot (long polling) and the fake server it talks to."""
    assistant = build_assistant(sqlite_storage, knowledge, catalogs, places=Gazetteer.load())
    async with running_bot(assistant, parser) as api:
        yield api


async def test_start_pick_arabic_ask_in_arabic_press_a_button_send_a_sticker(telegram, knowledge):
    api, user = telegram, 501
    api.send_text(user, "/start", "en")
    welcome, menu = await api.replies(user, 2)
    assert "Welcome to Guichet" in welcome.text
    assert {"English", "Français", "العربية"} <= {b["text"] for b in welcome.buttons}
    assert any(b["callback_data"] == "topic:ask_housing" for b in menu.buttons)

    api.press(user, "lang:ar")
    chosen = (await api.replies(user, 4))[2]
    assert chosen.text.startswith(RLM) and "العربية" in chosen.text

    api.send_text(user, "صاحب البيت بدو يطردني من الشقة، وين بلاقي سكن؟", "en")
    answer = (await api.replies(user, 5))[4]
    assert answer.params["parse_mode"] == "HTML"
    assert html.escape(knowledge.answer("eviction").title.pick("ar")[0]) in answer.text  # the specific answer, in Arabic
    assert "🏢" in answer.text
    assert {"qs:ask_housing", "menu", "human", "lang"} <= {b["callback_data"] for b in answer.buttons}

    api.press(user, "topic:ask_health")
    health = (await api.replies(user, 6))[5]
    assert health.text.startswith(RLM) and "🏢" in health.text

    api.send_sticker(user)
    sticker_reply = (await api.replies(user, 7))[6]
    assert sticker_reply.text.startswith(RLM)  # answered in Arabic, the stored choice
    assert any(b["callback_data"].startswith("topic:") for b in sticker_reply.buttons)


async def test_arabic_family_reunification_answer_then_more_questions_then_another_answer(telegram, knowledge):
    api, user = telegram, 503
    api.send_text(user, "كيف أقدر أجيب زوجتي وأولادي من سوريا لعندي على بلجيكا؟", "ar")
    answer = (await api.replies(user, 1))[0]
    assert answer.text.startswith(RLM) and answer.params["parse_mode"] == "HTML"
    assert knowledge.answer("family-reunification").title.pick("ar")[0] in answer.text
    assert [b["callback_data"] for b in answer.buttons] == [
        "qs:ask_residence", "more:ask_residence:0", "human", "menu", "lang"]

    api.press(user, "qs:ask_residence")
    questions = (await api.replies(user, 2))[1]
    assert [b["callback_data"] for b in questions.buttons][:9] == [
        f"ans:{a.id}" for a in knowledge.answers_for("ask_residence")]
    assert questions.buttons[2]["text"] == "❓ " + knowledge.answer("renew-residence-card").short.pick("ar")[0]

    api.press(user, "ans:renew-residence-card")
    renew = (await api.replies(user, 3))[2]
    assert knowledge.answer("renew-residence-card").title.pick("ar")[0] in renew.text
    assert knowledge.answer("family-reunification").title.pick("ar")[0] not in renew.text


async def test_commands_are_registered_per_language(telegram):
    calls = await telegram.wait_for(lambda calls: len([c for c in calls if c.method == "setMyCommands"]) >= 4)
    registered = [c for c in calls if c.method == "setMyCommands"]
    by_language = {c.params.get("language_code"): c.params["commands"] for c in registered}
    assert {None, "en", "fr", "ar"} <= set(by_language)
    assert any(cmd["command"] == "forget" for cmd in by_language["fr"])
    assert by_language["fr"] != by_language["en"]


async def test_photo_voice_document_edit_unknown_command_and_old_button(telegram):
    api, user = telegram, 502
    api.send_photo(user)
    api.send_voice(user)
    api.send_document(user)
    api.edit_text(user, "changed my mind")
    api.send_text(user, "/teleport")
    api.press(user, "more:ask_housing:not-a-number")
    replies = await api.replies(user, 6)
    texts = [r.text for r in replies]
    assert sum("only read text" in t for t in texts) == 2  # the photo and the document
    voice = next(r for r in replies if "cannot listen to voice messages" in r.text)  # the voice note: topics, a person
    assert any(b["callback_data"] == "topic:ask_housing" for b in voice.buttons) and voice.buttons[-1]["callback_data"] == "human"
    assert any("edited a message" in t for t in texts)
    assert any("/teleport" in t for t in texts)
    assert any("no longer valid" in t for t in texts)


async def test_a_person_who_blocked_the_bot_does_not_stop_the_others(telegram):
    api = telegram
    api.blocked.add(601)
    api.send_text(601, "I need a lawyer")
    api.send_text(602, "I need a lawyer")
    await api.wait_for(lambda calls: any("🏢" in c.text for c in api.sent_to(602)))  # the services were sent
    await api.wait_for(lambda calls: api.sent_to(601))
    answered = len(api.sent_to(602))
    api.send_text(602, "thanks")  # after the refusal the others are still answered…
    assert "welcome" in (await api.replies(602, answered + 1))[answered].text
    # …and the blocked person cost one refused attempt (403): no retries, no apology loop
    assert len(api.sent_to(601)) == 1


async def test_long_and_empty_like_messages(telegram):
    api, user = telegram, 503
    api.send_text(user, "help " * 2000)
    api.send_text(user, "ㅤ")
    replies = await api.replies(user, 2)
    assert all(0 < len(r.text) <= 4096 for r in replies)


async def test_sharing_a_location_after_a_topic_lists_the_nearest_places(telegram):
    api, user = telegram, 504
    api.press(user, "topic:ask_social_aid")
    await api.wait_for(lambda calls: any("🏢" in c.text for c in api.sent_to(user)))  # the services came
    answered = len(api.sent_to(user))
    assert any(b["callback_data"] == "near" for c in api.sent_to(user) for b in c.buttons)
    api.press(user, "near")
    ask = (await api.replies(user, answered + 1))[answered]
    keyboard = ask.params["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_location"] is True and keyboard[0][0]["text"] == "📍 Send my location"
    answered += 1
    api.send_location(user, 50.5836, 5.5012)  # Seraing, as the location button sends it
    near = (await api.replies(user, answered + 1))[answered]
    assert near.text.startswith("📍 Seraing") and "🏢" in near.text and " km)" in near.text


async def test_a_service_with_coordinates_is_sent_as_a_venue_after_a_shared_location(parser, sqlite_storage, knowledge, catalogs):
    """The real data has no sourced coordinates yet; a file that gives them gets a map pin through Telegram."""
    import dataclasses

    cpas = next(s for s in knowledge.services_for("ask_social_aid", "en") if s.commune == "Liège")
    pinned = dataclasses.replace(cpas, coordinates=(50.6412, 5.5718))
    services = tuple(pinned if s.id == cpas.id else s for s in knowledge.services)
    assistant = build_assistant(sqlite_storage, dataclasses.replace(knowledge, services=services), catalogs,
                                places=Gazetteer.load())
    async with running_bot(assistant, parser) as api:
        user = 505
        api.press(user, "topic:ask_social_aid")
        await api.wait_for(lambda calls: any("🏢" in c.text for c in api.sent_to(user)))
        api.send_location(user, 50.6420, 5.5700)  # a few hundred metres away, in Liège
        venue = (await api.replies(user, 1, method="sendVenue"))[0]
        assert (float(venue.params["latitude"]), float(venue.params["longitude"])) == (50.6412, 5.5718)
        assert venue.params["title"] == cpas.name and venue.params["address"] == cpas.address


async def test_with_the_model_in_its_own_process_a_burst_is_parsed_on_the_event_loop(nlu_worker, sqlite_storage, knowledge,
                                                                                      catalogs, monkeypatch):
    """As `guichet run` does it (the desk in front): messages wait for the NLU process without holding a thread."""
    from bot.handover import DeskOptions, InterpretingDesk

    def no_thread_may_wait(text):
        raise AssertionError("a handler thread waited for the NLU process")

    monkeypatch.setattr(nlu_worker, "parse", no_thread_may_wait)
    parts = Parts.build(sqlite_storage.people, KnowledgeHolder(knowledge), catalogs, "en")
    desk = InterpretingDesk(parts, sqlite_storage.handovers, DeskOptions())
    questions = {"صاحب البيت بدو يطردني من الشقة، وين بلاقي سكن؟": "ar",
                 "mon propriétaire veut me mettre dehors, je cherche un logement": "fr",
                 "my landlord is evicting me, where can I find housing": "en"}
    async with running_bot(desk, nlu_worker) as api:
        people = {700 + i: text for i, text in enumerate(list(questions) * 10)}  # 30 people at once
        for person, text in people.items():
            api.send_text(person, text, "en")
        eviction = knowledge.answer("eviction").title
        expected = {"ar": html.escape(eviction.pick("ar")[0]), "fr": html.escape(eviction.pick("fr")[0]),
                    "en": "Which one is closest to your question?"}  # it asks two things: eviction and a flat
        for person, text in people.items():
            answer = (await api.replies(person, 1, timeout=30))[0]
            assert expected[questions[text]] in answer.text  # the eviction answer (or the choice) came…
            assert answer.text.startswith(RLM) == (questions[text] == "ar")  # …in the language it was asked in
