"""An answer as it is read aloud (the 🔊 button): the words of the message, not its markup.

Tags are dropped (a link keeps its label), entities decoded, emoji, bullets and direction marks skipped; a phone
number is read digit by digit, group by group ("04 220 01 01" → "0 4, 2 2 0, 0 1, 0 1"); a web address or an
e-mail address is named ("the website written in the message"), never spelled; the line of sources and the date
they were checked is left to the written message; each line ends with a pause.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Callable

_LINK = re.compile(r"<a\s[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()]+[^\s<>().,;:!?»\"']", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOMAIN = re.compile(r"(?<![\w@/.])(?:[a-z0-9-]+\.)+(?:be|com|org|net|eu|fr|nl|info|gov|int|de|lu|uk|io)(?:/[^\s<>]*)?(?![\w@])",
                     re.IGNORECASE)  # a link's label is often its bare domain: "liege.be"
_SOURCE_LINE = re.compile(r"^\s*<i>.*<a\s", re.IGNORECASE)  # the sources and the date checked: for reading, not hearing
# a phone number: an optional +, then at least 6 digits in groups separated by single spaces, dots, slashes or dashes
_PHONE = re.compile(r"(?<![\w:])(\+?\d{1,4}(?:[ ./-]\d{1,4}){1,6})(?![\w:])")
_BULLETS = "•▪▫◦‣⁃·–—-*"


def _digits(match: re.Match) -> str:
    number = match.group(1)
    if sum(c.isdigit() for c in number) < 6 or re.fullmatch(r"\d{4}-\d{2}-\d{2}", number):
        return number  # an amount, an hour, a date: read as written
    groups = [g for g in re.split(r"[ ./-]", number) if g]
    return ", ".join(" ".join(group) for group in groups)


def _spoken_char(char: str) -> bool:
    category = unicodedata.category(char)
    if category in ("So", "Sk", "Cs", "Co", "Cn") or category == "Cf":  # emoji, symbols, direction marks, joiners
        return False
    return not ("\ufe00" <= char <= "\ufe0f")  # variation selectors


def speakable(text_html: str, gettext: Callable[[str], str]) -> str:
    """What a voice should say for this HTML message (`gettext`: the person's language)."""
    _ = gettext
    text = "\n".join(line for line in text_html.splitlines() if not _SOURCE_LINE.match(line))
    text = _LINK.sub(lambda m: m.group(1), text)
    text = html.unescape(_TAG.sub("", text))
    text = _EMAIL.sub(" " + _("the e-mail address written in the message") + " ", text)
    text = _URL.sub(" " + _("the website written in the message") + " ", text)
    text = _DOMAIN.sub(" " + _("the website written in the message") + " ", text)
    text = _PHONE.sub(_digits, text)
    lines = []
    for line in text.splitlines():
        line = "".join(c for c in line if _spoken_char(c)).replace(" · ", ", ").replace("·", " ")
        line = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s+", " ", line.strip().lstrip(_BULLETS).strip()))
        if line:
            lines.append(line if line[-1] in ".!?:;…。؟" else line + ".")
    return "\n".join(lines)
