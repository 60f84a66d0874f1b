"""Junk gets the "not sure" answer in the person's language, which it does not change (real model)."""

from __future__ import annotations

import pytest

from bot.assistant import Sender

JUNK = {
    "ten thousand a": "a" * 10_000,
    "a long link": "https://example.org/" + "x7/" * 600,
    "2,000 zeros": "0" * 2000,
    "an HTML entity": "&#0;",
}
NOT_SURE = "I'm not sure I understood. Could you say it in other words, or choose a topic?"


@pytest.mark.parametrize("text", JUNK.values(), ids=JUNK.keys())
def test_junk_gets_not_sure_in_the_persons_language(assistant, say, text):
    sender = Sender(f"t:junk-{len(text)}", "en")
    assert say(assistant, sender, "je cherche un cours de français")[0].language == "fr"
    replies = say(assistant, sender, text)
    assert [r.language for r in replies] == ["fr"]
    assert assistant.texts.gettext("fr")(NOT_SURE) in replies[0].text
    assert assistant.parts.language_for(sender) == "fr"


def test_a_person_without_a_language_keeps_none_after_junk(assistant, say):
    sender = Sender("t:junk-first", None)
    replies = say(assistant, sender, "a" * 10_000)
    default = assistant.texts.default_language
    assert replies[0].language == default and assistant.texts.gettext(default)(NOT_SURE) in replies[0].text
    assert assistant.parts.people.person(sender.key).detected_language is None
