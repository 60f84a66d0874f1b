"""The interpreter roster, managed in one place for `guichet interpreters` and the admins' Telegram commands:
same validation, same messages (plain text; the Telegram layer escapes them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Sequence, Tuple

from bot.i18n import known_language_codes
from knowledge.storage import NotOnRoster
from knowledge.storage.handovers import Handovers, Interpreter

MAX_TELEGRAM_ID = 2 ** 63 - 1


class RosterError(ValueError):
    """A roster change that cannot be made; the message says why and how to fix it."""


@dataclass(frozen=True)
class RosterLine:
    telegram_id: int
    description: str  # "Amina — ar,fr · available · code accepted"


def parse_languages(raw: str) -> Tuple[str, ...]:
    """'ar, FR' -> ('ar', 'fr'); RosterError naming every code that is not a language code we know."""
    codes = tuple(dict.fromkeys(code.strip().lower() for code in raw.split(",") if code.strip()))
    bad = [code for code in codes if code not in known_language_codes()]  # names ('arabic') and unknown codes
    if bad:
        raise RosterError(f"not a language code: {', '.join(bad)} (use ISO codes such as ar, fa, ps, ti)")
    if not codes:
        raise RosterError("an interpreter needs at least one language (e.g. ar,fr)")
    return codes


def parse_telegram_id(raw: str) -> int:
    """A numeric Telegram user id, strictly (ASCII digits, in range)."""
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_TELEGRAM_ID:
        raise RosterError(f"not a numeric Telegram user id: {raw}")
    return int(raw)


class Roster:
    """Add, list, pause, resume, remove; `on_change` runs after each change (the running desk refreshes)."""

    def __init__(self, store: Handovers, on_change: Callable[[], None] = lambda: None):
        self.store = store
        self.on_change = on_change

    def add(self, telegram_id: int, name: str, languages: str) -> str:
        """Add, or update the name and languages of, an interpreter."""
        name = name.strip()
        if not name:
            raise RosterError("an interpreter needs a name (how staff know them)")
        interpreter = self.store.add_interpreter(telegram_id, name, parse_languages(languages))
        self.on_change()
        return f"{interpreter.name} ({', '.join(interpreter.languages)}) is on the roster (Telegram id {interpreter.telegram_id})."

    def remove(self, telegram_id: int) -> str:
        requeued = self._known(telegram_id, lambda: self.store.remove_interpreter(telegram_id))
        self.on_change()
        back = f"; {len(requeued)} conversation(s) back in the queue" if requeued else ""
        return f"{telegram_id} was removed from the roster{back}."

    def pause(self, telegram_id: int) -> str:
        self._known(telegram_id, lambda: self.store.set_paused(telegram_id, True))
        self.on_change()
        return f"{telegram_id} is paused: no new requests until resumed."

    def resume(self, telegram_id: int) -> str:
        self._known(telegram_id, lambda: self.store.set_paused(telegram_id, False))
        self.on_change()
        return f"{telegram_id} is available again."

    def lines(self) -> List[RosterLine]:
        return [RosterLine(i.telegram_id, describe(i)) for i in self.store.roster()]

    @staticmethod
    def _known(telegram_id: int, change: Callable[[], Sequence]):
        try:
            return change()
        except NotOnRoster:
            raise RosterError(f"{telegram_id} is not on the roster.") from None


EMPTY = "no interpreter on the roster yet"


def describe(interpreter: Interpreter) -> str:
    state = "paused" if interpreter.paused else "available"
    conduct = "code accepted" if interpreter.conduct_accepted else "code of conduct not accepted yet"
    return f"{interpreter.name} — {','.join(interpreter.languages)} · {state} · {conduct}"
