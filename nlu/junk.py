"""Messages that cannot be questions, recognised before the NLU model sees them.

Ten thousand "a", a lone link, two thousand zeros or "&#0;" used to get a topic card, in whatever language the
model guessed, and that guess was saved as the person's language. Such a message now gets the "not sure"
answer in the person's current language, costs no parse, and says nothing about the person's language.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

# Longer than any question (the longest training example has under 300 characters; a long story fits in 2,000).
TOO_LONG = 2000
# Numbers alone that are a message: 112, Europe's emergency number, is an emergency for the NLU.
MEANINGFUL_NUMBERS = frozenset({"112"})
_LINK = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+", re.IGNORECASE)


def _is_letter_or_symbol(char: str) -> bool:
    """Letters of any script, and pictographs (an emoji alone, "🙏" or "👍", is a message)."""
    category = unicodedata.category(char)
    return category.startswith("L") or category == "So"


def junk_reason(text: Optional[str]) -> Optional[str]:
    """Why `text` is not a question ("too long", "no letters", "one repeated character", "only links"), or None.

    Empty text is not junk: it has its own answer.
    """
    stripped = (text or "").strip()
    if not stripped:
        return None
    if len(stripped) > TOO_LONG:
        return "too long"
    if not any(_is_letter_or_symbol(c) for c in stripped):
        return None if "".join(stripped.split()) in MEANINGFUL_NUMBERS else "no letters"
    compact = "".join(stripped.split()).casefold()
    if len(compact) >= 8 and len(set(compact)) <= 2:
        return "one repeated character"
    if not _LINK.sub("", stripped).strip():
        return "only links"
    return None
