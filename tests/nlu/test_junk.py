"""Messages that cannot be questions are recognised before the NLU model."""

from __future__ import annotations

import pytest

from nlu.junk import junk_reason

LONG_LINK = "https://example.org/" + "a1b2/" * 400


@pytest.mark.parametrize("text, reason", [
    ("a" * 10_000, "too long"),
    ("word " * 500, "too long"),
    ("a" * 40, "one repeated character"),
    ("ha ha ha ha ha ha", "one repeated character"),
    (LONG_LINK[:1900], "only links"),
    ("www.example.org https://t.me/x", "only links"),
    ("0" * 2000, "no letters"),
    ("&#0;", "no letters"),
    ("12345", "no letters"),
    ("?!", "no letters"),
])
def test_junk_and_why(text, reason):
    assert junk_reason(text) == reason


@pytest.mark.parametrize("text", [
    "", "   ", "ok", "aaa", "CPAS", "112", "🙏", "😂😂😂", "annexe 26",
    "https://dofi.ibz.be is this the right site for my card?", "بدي محامي", "ክሰርሕ ይፍቀደለይ ድዩ",
])
def test_questions_and_short_messages_are_not_junk(text):
    assert junk_reason(text) is None
