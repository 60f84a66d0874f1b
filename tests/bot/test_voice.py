"""Answers read aloud (issue 16): the speakable text, the 🔊 button's data, the voice notes espeak-ng and opusenc
make (every language with a voice), the cache, and end to end through python-telegram-bot."""

from __future__ import annotations

import logging

import pytest

from bot.assistant.buttons import parse_button
from bot.assistant.speech import speakable
from bot.voice import VOICES, Voices, ogg_opus_seconds
from tests.bot.running import running_bot
from tests.conftest import build_assistant

WEBSITE, EMAIL = "the website written in the message", "the e-mail address written in the message"


@pytest.mark.parametrize("html, spoken", [
    ("Call 04 220 01 01.", "Call 0 4, 2 2 0, 0 1, 0 1."),
    ("📞 +32 4 223 08 66", "+ 3 2, 4, 2 2 3, 0 8, 6 6."),
    ("Tel. 0800/12.345", "Tel. 0 8 0 0, 1 2, 3 4 5."),
    ("See https://www.cire.be/aide?x=1.", f"See {WEBSITE}."),
    ('<a href="https://droitsquotidiens.be">Droits quotidiens</a>', "Droits quotidiens."),
    ('<a href="https://x.be">https://x.be</a>', f"{WEBSITE}."),
    ("Write to info@cripel.be or www.cripel.be", f"Write to {EMAIL} or {WEBSITE}."),
    ("<b>Where to go:</b>\n• CRIPEL", "Where to go:\nCRIPEL."),
    ("🏠 <b>Housing</b> &amp; rent", "Housing & rent."),
    ("\u200fمرحبا 🙂", "مرحبا."),
    ("Open 09:00–12:00, 5 €, since 2024-01-01", "Open 09:00–12:00, 5 €, since 2024-01-01."),
    ("Mon · Tue", "Mon, Tue."),
    ('🌐 <a href="https://www.liege.be">liege.be</a>', f"{WEBSITE}."),
    ('Text.\n<i>Source: <a href="https://a.be/x">a.be</a> · checked Dec 3, 2026</i>\n<i>General information.</i>',
     "Text.\nGeneral information."),
    ("e.g. annexe 15. Dr. Smith", "e.g. annexe 15. Dr. Smith."),
])
def test_what_is_read_aloud(html, spoken):
    assert speakable(html, lambda s: s) == spoken


@pytest.mark.parametrize("data, read", [
    ("say:ans:renew-residence-card", ("answer", "renew-residence-card")), ("say:topic:ask_housing", ("topic", "ask_housing")),
    ("say:more:ask_housing:3", ("more", "ask_housing")),
    ("say:menu", None), ("say:say:topic:ask_housing", None), ("say:lang:fr", None), ("say:", None), ("say:topic:AB", None),
    ("say:more:ask_housing:1000", None), ("say:take:1:abcdefgh", None),
])
def test_the_listen_button_data_is_parsed_strictly(data, read):
    press = parse_button(data)
    if read is None:
        assert press is None
    else:
        assert press.kind == "say" and (press.read.kind, press.read.answer or press.read.intent) == read


@pytest.fixture(scope="module")
def voices(tmp_path_factory):
    return Voices(tmp_path_factory.mktemp("voice-cache"))


SAMPLES = {
    "en": ("Hello.", "Hello. The social service can help you with housing, work and papers. Call 0 4, 2 2 0."),
    "fr": ("Bonjour.", "Bonjour. Le service social peut vous aider pour le logement, le travail et les papiers."),
    "nl": ("Hallo.", "Hallo. De sociale dienst kan u helpen met huisvesting, werk en papieren."),
    "ar": ("مرحبا.", "مرحبا. يمكن للخدمة الاجتماعية أن تساعدك في السكن والعمل والأوراق."),
    "fa": ("سلام.", "سلام. خدمات اجتماعی می‌تواند در مسکن، کار و مدارک به شما کمک کند."),
    "uk": ("Привіт.", "Привіт. Соціальна служба може допомогти вам із житлом, роботою та документами."),
    "ru": ("Привет.", "Привет. Социальная служба может помочь вам с жильём, работой и документами."),
    "tr": ("Merhaba.", "Merhaba. Sosyal hizmet size konut, iş ve belgeler konusunda yardımcı olabilir."),
    "es": ("Hola.", "Hola. El servicio social puede ayudarle con la vivienda, el trabajo y los papeles."),
}


def test_the_languages_with_a_voice(voices):
    assert voices.languages == frozenset(SAMPLES) == frozenset(VOICES)
    assert not {"ps", "ti", "so"} & voices.languages  # never read with another language's voice


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_each_voice_makes_ogg_opus_whose_length_grows_with_the_text(voices, language):
    short, long = (voices.audio(text, language).read_bytes() for text in SAMPLES[language])
    assert short.startswith(b"OggS") and b"OpusHead" in short[:100]
    assert 0.2 < ogg_opus_seconds(short) < ogg_opus_seconds(long) / 2


def test_the_cache_keeps_audio_and_the_file_id_and_evicts_the_oldest(tmp_path):
    voices = Voices(tmp_path, cap_bytes=40_000)
    first = voices.audio("Bonjour, ceci est un essai.", "fr")
    assert voices.audio("Bonjour, ceci est un essai.", "fr") == first and voices.made == 1  # second time: the cache
    assert voices.file_id("Bonjour, ceci est un essai.", "fr") is None
    voices.remember("Bonjour, ceci est un essai.", "fr", "FILE-1")
    assert voices.file_id("Bonjour, ceci est un essai.", "fr") == "FILE-1"
    for n in range(6):  # more than the cap: the least recently used go first
        voices.audio(f"Phrase numéro {n}, un peu plus longue pour remplir le cache de sons.", "fr")
    assert not first.exists() and voices.file_id("Bonjour, ceci est un essai.", "fr") is None
    assert sum(p.stat().st_size for p in tmp_path.glob("*.ogg")) <= 40_000


def test_without_espeak_ng_no_language_has_a_voice(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.voice"):
        missing = Voices(tmp_path, espeak="espeak-ng-not-installed")
    assert missing.languages == frozenset()
    assert [r.getMessage() for r in caplog.records] == [
        "espeak-ng not found: answers are not read aloud (no 🔊 button); apt-get install espeak-ng opus-tools"]


@pytest.mark.e2e
async def test_listen_under_an_arabic_answer_sends_a_voice_note(parser, sqlite_storage, knowledge, catalogs, tmp_path):
    voices = Voices(tmp_path / "cache")
    assistant = build_assistant(sqlite_storage, knowledge, catalogs)
    assistant.texts.voiced = voices.languages
    async with running_bot(assistant, parser, voices=voices) as api:
        api.send_text(501, "صاحب البيت بدو يطردني من الشقة، وين بلاقي سكن؟", "ar")
        answer = (await api.replies(501, 1, 20))[0]
        listen = answer.buttons[0]
        assert listen["text"] == "🔊 استمع" and listen["callback_data"].startswith("say:")
        api.press(501, listen["callback_data"], "ar")
        api.send_text(501, "أحتاج محامي مجاني", "ar")  # asked right after: its answer does not wait for the audio
        sent = (await api.replies(501, 1, 20, method="sendVoice"))[0]
        lawyer = next(c for c in api.sent_to(501)[1:] if "⚖️" in c.text)
        assert lawyer.at < sent.at
        audio = sent.params["voice"]["bytes"]
        assert ogg_opus_seconds(audio) > 5 and int(sent.params["duration"]) == round(ogg_opus_seconds(audio))
        assert voices.made == 1
        api.press(501, listen["callback_data"], "ar")  # again: Telegram's file id, nothing made or uploaded
        again = (await api.replies(501, 2, 20, method="sendVoice"))[1]
        assert again.params["voice"].startswith("UPLOADED-voice-") and voices.made == 1

        # the same topic card: with the button in Arabic, without it in Pashto (espeak-ng has no Pashto voice)
        seen = len(api.sent_to(501))
        api.press(501, "topic:ask_housing", "ar")
        arabic = (await api.replies(501, seen + 1, 20))[seen]
        assert arabic.buttons[0]["callback_data"] == "say:topic:ask_housing"
        api.press(502, "lang:ps", "ps")
        await api.replies(502, 2, 20)
        api.press(502, "topic:ask_housing", "ps")
        pashto = (await api.replies(502, 3, 20))[2]
        assert pashto.buttons and not any(b["callback_data"].startswith("say:") for b in pashto.buttons)
        api.press(502, "say:topic:ask_housing", "ps")  # forged, or from before a change of language
        stale = "This button is no longer valid. Here is the menu."
        assert (await api.replies(502, 4, 20))[3].text.endswith(catalogs.gettext("ps")(stale))
        seen = len(api.sent_to(501))
        api.press(501, "say:ans:no-such-answer", "ar")
        assert (await api.replies(501, seen + 1, 20))[seen].text.endswith(catalogs.gettext("ar")(stale))
        assert len(api.sent_to(501, "sendVoice")) == 2 and len(api.sent_to(502, "sendVoice")) == 0
