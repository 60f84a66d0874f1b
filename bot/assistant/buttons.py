"""Button data is input: a modified app can send any callback_data. One strict parser for every action.

Each action has one exact format (ASCII only, bounded numbers, language codes CLDR knows); anything else is
None, and gets the stale-button answer, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from bot.i18n import known_language_codes

MAX_ROW_ID = 2 ** 31 - 1  # request ids are INTEGER columns: a larger number cannot name one
MAX_OFFSET = 999

_CODE, _INTENT, _OFFSET, _ID = r"(?P<code>[a-z]{2,3})", r"(?P<intent>[a-z_]{1,40})", r"(?P<number>0|[1-9][0-9]{0,2})", \
    r"(?P<number>[1-9][0-9]{0,9})"
_TOKEN = r"(?P<token>[A-Za-z0-9_-]{8})"  # a handover request's own random token (knowledge/storage/handovers.py)
FORMATS = {
    "menu": "menu", "near": "near", "languages": "lang", "human": "human",
    "forget": "forget", "forget_yes": "forget:yes", "forget_no": "forget:no",
    "language": r"lang:(?P<code>[a-z]{2})",
    "topic": "topic:" + _INTENT,
    "questions": "qs:" + _INTENT,
    "no_fit": "none:" + _INTENT,
    "answer": r"ans:(?P<answer>[a-z0-9]{1,30}(?:-[a-z0-9]{1,30}){0,6})",
    "more": f"more:{_INTENT}:{_OFFSET}",
    "human_pick": "human:pick", "human_no": "human:no", "human_cancel": "human:cancel", "human_leave": "human:leave",
    "human_language": "human:lang:" + _CODE,
    "human_yes": "human:yes:" + _CODE,
    "take": f"take:{_ID}:{_TOKEN}",
    "transfer": f"transfer:{_ID}:{_TOKEN}:{_CODE}",
    "conduct_accept": "conduct:accept",
}
_PATTERNS = {kind: re.compile(pattern, re.ASCII) for kind, pattern in FORMATS.items()}


@dataclass(frozen=True)
class Press:
    """A button press that has the exact shape of one of Guichet's buttons (its values still need checking
    against what exists: a topic, a language, a request)."""

    kind: str
    code: str = ""
    intent: str = ""
    number: Optional[int] = None
    answer: str = ""
    token: str = ""
    read: Optional["Press"] = None  # kind 'say': the press whose message is read aloud (an answer, topic, services)

SAYABLE = ("answer", "topic", "more")  # the messages a 🔊 button can read


def parse_button(data: Optional[str]) -> Optional[Press]:
    """The press `data` stands for, or None when it is not exactly one of Guichet's buttons."""
    if not data or len(data) > 64:  # Telegram's own limit for callback data
        return None
    if data.startswith("say:"):
        read = parse_button(data[4:])
        return Press("say", read=read) if read is not None and read.kind in SAYABLE else None
    for kind, pattern in _PATTERNS.items():
        match = pattern.fullmatch(data)
        if match:
            values = match.groupdict()
            if values.get("code") and values["code"] not in known_language_codes():
                return None
            number = int(values["number"]) if values.get("number") else None
            if number is not None and number > (MAX_OFFSET if kind == "more" else MAX_ROW_ID):
                return None
            return Press(kind, values.get("code") or "", values.get("intent") or "", number, values.get("answer") or "",
                         values.get("token") or "")
    return None
