"""Conversations at the assistant level, with the real NLU model, real SQLite and the shipped knowledge."""

from __future__ import annotations

import html
import re
from datetime import date

from bot.assistant import Sender
from bot.i18n import FSI, PDI, RLM
from tests.conftest import build_assistant
from knowledge.schema import Source
from tests import fakes


def buttons(replies):
    return [b for r in replies for row in r.buttons for b in row]


def actions(replies):
    return [b.action for b in buttons(replies)]


def text(replies):
    return "\n".join(r.text for r in replies)


def test_start_is_welcome_privacy_language_picker_then_topics(assistant):
    replies = assistant.start(Sender("t:1", "en"))
    assert len(replies) == 2
    welcome, menu = replies
    assert "not legal advice" in welcome.text and "112" in welcome.text and "/forget" in welcome.text
    labels = [b.label for row in welcome.buttons for b in row]
    assert {"English", "Français", "العربية"} <= set(labels)
    assert any(a.startswith("topic:ask_housing") for a in actions([menu]))


def test_french_eviction_question_gets_the_french_answer_then_its_services(assistant, knowledge, say):
    replies = say(assistant, Sender("t:2", "en"), "bonjour mon propriétaire veut me mettre dehors, je cherche un logement")
    assert [r.language for r in replies] == ["fr", "fr"]  # too long for one message: the answer, then where to go
    eviction = knowledge.answer("eviction")
    assert replies[0].text.startswith(f"🏠 <b>{html.escape(eviction.title.pick('fr')[0])}</b>")
    assert "🏢" not in replies[0].text and replies[1].text.startswith("<b>Où aller\xa0:</b>")
    shown = re.findall(r"🏢 <b>([^<]+)</b>", replies[1].text)
    assert shown == [html.escape(s.name) for s in knowledge.answer_services(eviction)[:2]]
    assert actions(replies) == ["qs:ask_housing", "more:ask_housing:0", "human", "menu", "lang"]


def test_arabic_question_gets_arabic_answer_with_isolated_numbers(assistant, say):
    replies = say(assistant, Sender("t:3", "en"), "ما عندي شغل وبدي ساعد في البحث عن عمل")
    assert all(r.language == "ar" for r in replies)
    services = replies[-1].text
    assert services.startswith(RLM)
    assert f"{FSI}" in services and PDI in services
    # Latin-script names and phone numbers are wrapped in isolates inside Arabic lines
    assert any(f"{FSI}{n}{PDI}" in services for n in ("0800 93 947", "Le Forem"))


import pytest  # noqa: E402


@pytest.mark.parametrize("language, question", [
    ("fa", "صاحب خانه می‌خواهد مرا از خانه بیرون کند، کجا خانه پیدا کنم؟"),
    ("ps", "زه کور ته اړتیا لرم، چیرته کور پیدا کړم؟"),
])
def test_dari_and_pashto_answers_read_right_to_left_with_isolated_latin(assistant, language, question, say):
    reply = say(assistant, Sender(f"t:rtl-{language}", "en"), question)[-1]
    assert reply.language == language
    lines = [line for line in reply.text.split("\n") if line]
    assert all(line.startswith(RLM) for line in lines)
    assert FSI in reply.text and PDI in reply.text  # Latin names, addresses and phones isolated
    picker = assistant.command(Sender(f"t:rtl-{language}", "en"), "language")[0]
    assert {"دری", "پښتو", "ትግርኛ", "Українська", "Soomaali"} <= {b.label for row in picker.buttons for b in row}


def test_english_residence_question_is_marked_as_not_legal_advice(assistant, say):
    replies = say(assistant, Sender("t:4", "en"), "how do I renew my residence permit")
    assert "not legal advice" in replies[0].text
    assert "Source:" in replies[0].text and "checked" in replies[0].text


def test_emergency_gives_emergency_numbers_first(assistant, say):
    replies = say(assistant, Sender("t:5", "en"), "help my husband is hitting me right now")
    first = replies[0].text
    assert "112" in first
    assert first.index("112") < first.index("Source:")


def test_gibberish_is_not_answered_confidently(assistant, say):
    for message in ("who won the football match yesterday", "asdf qwerty zxcv", "give me a cake recipe"):
        replies = say(assistant, Sender("t:6", "en"), message)
        assert "not sure I understood" in replies[0].text, message
        assert any(a.startswith("topic:") for a in actions(replies))


def test_greet_thanks_goodbye_are_short(assistant, say):
    sender = Sender("t:7", "fr")
    assert "Bonjour" in say(assistant, sender, "salut")[0].text
    assert len(say(assistant, sender, "merci beaucoup")[0].text) < 200
    assert len(say(assistant, sender, "au revoir")) == 1


def test_language_choice_is_stored_and_wins_over_detection(assistant, say):
    sender = Sender("t:8", "en")
    chosen = assistant.action(sender, "lang:ar")
    assert chosen[0].language == "ar"
    replies = say(assistant, sender, "I need a lawyer")
    assert all(r.language == "ar" for r in replies)


def test_asking_for_a_language_by_name_switches_and_survives_a_restart(assistant, sqlite_storage, knowledge,
                                                                       catalogs, say):
    sender = Sender("t:30", "en")
    switched = say(assistant, sender, "can you speak arabic please")
    assert switched[0].language == "ar" and "العربية" in switched[0].text
    restarted = build_assistant(sqlite_storage, knowledge, catalogs)  # a new process
    assert say(restarted, sender, "I need a lawyer")[0].language == "ar"
    # asking for the language already spoken is a complaint about it: show the picker
    picker = say(restarted, sender, "ما بفهم عربي، غير اللغة")
    assert "lang:en" in actions(picker)


def test_platform_language_is_negotiated_when_nothing_else_is_known(assistant):
    assert assistant.start(Sender("t:9", "fr-BE"))[0].language == "fr"
    assert assistant.start(Sender("t:10", "pt-br"))[0].language == "en"


def test_guidance_and_services_too_long_for_one_message_come_as_two(sqlite_storage, catalogs):
    steps = tuple(f"Step {i}: " + "word " * 40 for i in range(12))
    services = [fakes.service(f"s{i}", name=f"Service {i}", description="help " * 150) for i in range(3)]
    bot = build_assistant(sqlite_storage, fakes.knowledge_base([fakes.topic(steps=steps)], services), catalogs)
    guidance, where = bot.action(Sender("t:21", "en"), "topic:ask_housing")
    assert "Step 11" in guidance.text and "🏢" not in guidance.text
    assert where.text.count("🏢") == 3 and "menu" in actions([where])


def test_more_services_pages_through_the_list(assistant):
    replies = assistant.action(Sender("t:11", "en"), "topic:ask_legal_aid")
    more = [a for a in actions(replies) if a.startswith("more:")]
    assert more == ["more:ask_legal_aid:3"]
    page_two = assistant.action(Sender("t:11", "en"), more[0])
    assert "More places" in page_two[0].text
    first_page = replies[-1].text.split("Where to go:", 1)[1]
    assert page_two[0].text.split("More places:", 1)[1] not in first_page


def test_stale_or_forged_buttons_get_the_menu(assistant):
    for data in ("topic:ask_parking", "more:ask_housing:x", "something-old", "", "lang:xx"):
        replies = assistant.action(Sender("t:12", "en"), data)
        assert "no longer valid" in replies[0].text, data
        assert any(a.startswith("topic:") for a in actions(replies))


def test_forget_asks_then_deletes(assistant, sqlite_storage):
    sender = Sender("t:13", "en")
    assistant.action(sender, "lang:fr")
    assert sqlite_storage.people.count() == 1
    question = assistant.command(sender, "forget")
    assert actions(question) == ["forget:yes", "forget:no"]
    done = assistant.action(sender, "forget:yes")
    assert "supprimé" in done[0].text
    assert sqlite_storage.people.count() == 0


def test_commands_help_topics_privacy_and_unknown(assistant):
    sender = Sender("t:14", "en")
    assert "/forget" in assistant.command(sender, "help")[0].text
    assert any(a.startswith("topic:") for a in actions(assistant.command(sender, "topics")))
    assert "never keep what you write" in assistant.command(sender, "privacy")[0].text
    unknown = assistant.command(sender, "fly<b>")
    assert "/fly&lt;b&gt;" in unknown[0].text


def test_empty_and_very_long_messages(assistant, say):
    sender = Sender("t:15", "en")
    assert "write your question" in say(assistant, sender, "   ")[0].text
    long = ("I need a lawyer because my landlord wants to evict me " * 200)[:10_000]
    replies = say(assistant, sender, long)
    assert replies and all(len(r.text) <= 4096 for r in replies)


def test_media_and_edits_get_a_polite_answer_in_the_person_language(assistant):
    sender = Sender("t:16", "ar")
    assert assistant.unsupported(sender, "media")[0].language == "ar"
    assert "edited" in assistant.unsupported(Sender("t:17", "en"), "edited")[0].text


def test_knowledge_text_is_escaped_and_missing_translations_fall_back_visibly(sqlite_storage, catalogs):
    source = (Source("https://example.org/a?b=1&c=2"),)
    topic = fakes.topic(title="Logement <script>", summary="Résumé & détails", steps=("Étape 1",), languages=("fr",),
                        sources=source)
    service = fakes.service("s", name="Maison <b>", description="Aide", languages=("fr",), sources=source,
                            phone=("04 000 00 00",))
    bot = build_assistant(sqlite_storage, fakes.knowledge_base([topic], [service]), catalogs)
    replies = bot.action(Sender("t:18", "en"), "topic:ask_housing")
    assert "Logement &lt;script&gt;" in replies[0].text
    assert "Maison &lt;b&gt;" in replies[0].text
    assert 'href="https://example.org/a?b=1&amp;c=2"' in replies[0].text
    assert "Not yet translated into your language: shown in French" in replies[0].text


def test_request_human_without_an_interpreter_desk_lists_interpreting_services(assistant, say):
    replies = say(assistant, Sender("t:19", "en"), "can I talk to a real person please")
    assert "No interpreter is registered" in replies[0].text
    assert "Where to go" in replies[1].text


def test_no_message_text_is_stored(assistant, sqlite_storage, say):
    from sqlalchemy import text as sql

    say(assistant, Sender("telegram:777001", "en"), "my secret story about my landlord")
    with sqlite_storage.engine.connect() as conn:
        dump = " ".join(str(row) for table in ("people", "kb_meta") for row in conn.execute(sql(f"SELECT * FROM {table}")))
    assert "secret story" not in dump and "777001" not in dump


def test_an_overlong_answer_is_cut_between_lines_and_stays_valid_html(sqlite_storage, catalogs):
    from bot.devtools.fake_bot_api import html_problem

    services = [fakes.service(f"s{i}", name=f"Service {i}", description="<b>x</b> " * 300, website="https://example.org/long")
                for i in range(3)]
    bot = build_assistant(sqlite_storage, fakes.knowledge_base([fakes.topic()], services), catalogs)
    reply = bot.action(Sender("t:20", "en"), "topic:ask_housing")[-1]
    assert len(reply.text) <= 4000 and reply.text.endswith("\n…")
    assert html_problem(reply.text) is None


def test_gaps_are_counted_without_any_text(sqlite_storage, knowledge, catalogs):
    from sqlalchemy import text as sql

    bot = build_assistant(sqlite_storage, knowledge, catalogs, gaps=sqlite_storage.gaps)
    sender = Sender("t:40", "en")
    bot.message(sender, "qsdkjh lol xwv", fakes.parsed("nlu_fallback", "en"))  # not understood
    bot.action(sender, "topic:ask_housing")
    bot.action(sender, "human")  # a person was still needed after the housing answer
    bot.action(sender, "human")  # again, without a new answer: not counted twice
    rows = sqlite_storage.gaps.unanswered_counts(since=date.today())
    kinds = {(kind, topic): count for _day, _language, kind, topic, count in rows}
    assert kinds[("human_after_answer", "ask_housing")] == 1
    assert sum(c for (kind, _t), c in kinds.items() if kind in ("not_understood", "out_of_scope")) == 1
    with sqlite_storage.engine.connect() as conn:
        assert "qsdkjh" not in " ".join(str(row) for row in conn.execute(sql("SELECT * FROM unanswered")))


def _located_assistant(sqlite_storage, catalogs, services):
    from knowledge.places import Gazetteer

    return build_assistant(sqlite_storage, fakes.knowledge_base([fakes.topic()], services), catalogs, places=Gazetteer.load())


def _service(id_, commune, area="local", **extra):
    return fakes.service(id_, area=area, commune=commune, address=f"Rue {id_}, {commune}" if commune else "", **extra)


def test_naming_a_commune_ranks_places_by_distance_and_keeps_remote_lines_marked(sqlite_storage, catalogs):
    services = [_service("hannut-office", "Hannut"), _service("national-line", "", area="national", phone=("0800 00 000",)),
                _service("liege-office", "Liège"), _service("seraing-office", "Seraing")]
    bot = _located_assistant(sqlite_storage, catalogs, services)
    sender = Sender("t:50", "en")
    before = re.findall(r"🏢 <b>([^<]+)</b>", bot.action(sender, "topic:ask_housing")[-1].text)
    assert before[0] == "Hannut-Office"  # no position yet: knowledge order
    near = bot.message(sender, "I live in serain", fakes.parsed("nlu_fallback", "en"))[-1].text  # a typo, no question: the last topic, nearest first
    assert near.startswith("📍 Seraing")
    assert re.findall(r"🏢 <b>([^<]+)</b>", near) == ["Seraing-Office", "Liege-Office", "Hannut-Office"]
    assert "(≈ 0 km)" in near and "(≈ 7 km)" in near
    more = bot.action(sender, "more:ask_housing:3")[0].text
    assert "National-Line" in more and "By phone or online" in more  # national lines stay listed, marked
    bot.action(sender, "forget:yes")  # forgetting also drops the place held in memory
    after = re.findall(r"🏢 <b>([^<]+)</b>", bot.action(sender, "topic:ask_housing")[-1].text)
    assert after[0] == "Hannut-Office"


def test_a_shared_location_gets_the_nearest_place_and_a_map_pin_when_the_file_has_one(sqlite_storage, catalogs):
    services = [_service("liege-office", "Liège"), _service("huy-office", "Huy", coordinates=(50.5185, 5.2390))]
    bot = _located_assistant(sqlite_storage, catalogs, services)
    sender = Sender("t:51", "en")
    menu = bot.location(sender, 50.52, 5.24)[0]
    assert menu.text.startswith("📍 Huy") and "topic:ask_housing" in actions([menu])  # no topic yet: the menu
    reply = bot.action(sender, "topic:ask_housing")[-1]
    assert re.findall(r"🏢 <b>([^<]+)</b>", reply.text)[0] == "Huy-Office"
    assert reply.venue is not None and (reply.venue.latitude, reply.venue.title) == (50.5185, "Huy-Office")
