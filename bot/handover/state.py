"""What the desk knows: the store, and caches of the roster and of who has an open request (so that an ordinary
message costs no query), refreshed every tick because another process (`guichet interpreters`) may change them."""

from __future__ import annotations

import threading
from typing import Dict, List, Optional, Set

from bot.assistant import Parts, Sender
from bot.assistant.values import telegram_id, telegram_key
from knowledge.storage.handovers import Handovers, Interpreter, Request


class DeskState:
    """`shared`: other instances open and close requests too (GUICHET_INSTANCE), so who has an open request is
    asked of the database at each message instead of this process's cache."""

    def __init__(self, store: Handovers, parts: Parts, shared: bool = False):
        self.store = store
        self.parts = parts
        self.shared = shared
        self._lock = threading.Lock()
        self._generation = 0
        self._open: Set[str] = set()
        self.roster: Dict[int, Interpreter] = {}
        self.refresh()

    def refresh(self) -> None:
        """Reload the open requests and the roster from the database."""
        with self._lock:
            generation = self._generation
        keys, roster = set(self.store.open_keys()), {i.telegram_id: i for i in self.store.roster()}
        with self._lock:
            if generation == self._generation:  # nothing changed here meanwhile; else the next tick retries
                self._open, self.roster = keys, roster

    def roster_changed(self) -> None:
        """After a roster change made in this process: apply it at once."""
        roster = {i.telegram_id: i for i in self.store.roster()}
        with self._lock:
            self.roster = roster
            self._generation += 1

    def opened(self, key: str) -> None:
        with self._lock:
            self._open.add(key)
            self._generation += 1

    def closed(self, key: str) -> None:
        with self._lock:
            self._open.discard(key)
            self._generation += 1

    def has_open(self, key: str) -> bool:
        if self.shared:
            return self.store.request_of(key) is not None
        return key in self._open

    def interpreter(self, key: str) -> Optional[Interpreter]:
        """The interpreter behind the chat `key`, when they are on the roster."""
        ident = telegram_id(key)
        return self.roster.get(ident) if ident is not None else None

    def request(self, key: str) -> Optional[Request]:
        """The open request of the person behind `key`, if any."""
        if self.shared:
            return self.store.request_of(key)
        if key not in self._open:
            return None
        request = self.store.request_of(key)
        if request is None:
            self.closed(key)
        return request

    def roster_languages(self) -> List[str]:
        return sorted({code for i in self.roster.values() for code in i.languages})

    def staff_language(self, interpreter: Interpreter) -> str:
        return self.parts.language_for(Sender(telegram_key(interpreter.telegram_id)))
