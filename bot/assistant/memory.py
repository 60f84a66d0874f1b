"""What the assistant remembers of a conversation: in memory only (never written anywhere, gone at restart) when
one process runs Guichet; when several share a database (GUICHET_INSTANCE), what the next message may need on
another instance (topic and answer ids, the consent card's language) is in the database
(`knowledge.storage.memory`), while where a person said they are stays in this process's memory only."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, Optional, Tuple, TypeVar

T = TypeVar("T")
HISTORY = 5  # topics remembered for an interpreter's briefing


class Recent(Generic[T]):
    """A bounded, thread-safe map: person -> a recent value; the oldest entries go first."""

    def __init__(self, size: int = 10_000):
        self._items: "OrderedDict[str, T]" = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def put(self, key: str, value: T) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            if len(self._items) > self._size:
                self._items.popitem(last=False)

    def get(self, key: str) -> Optional[T]:
        with self._lock:
            return self._items.get(key)

    def pop(self, key: str) -> Optional[T]:
        with self._lock:
            return self._items.pop(key, None)


class Stored:
    """A `Recent` kept in the database (one field of `knowledge.storage.memory.MemoryTable`); lists come back as
    tuples, as they were put."""

    def __init__(self, table, field: str):
        self._table, self._field = table, field

    @staticmethod
    def _value(value):
        return tuple(value) if isinstance(value, list) else value

    def put(self, key: str, value) -> None:
        self._table.put(key, self._field, list(value) if isinstance(value, tuple) else value)

    def get(self, key: str):
        return self._value(self._table.get(key, self._field))

    def pop(self, key: str):
        return self._value(self._table.pop(key, self._field))


class ConversationMemory:
    """Per person: the topic answered last (for 'asked for a person after an answer'), the topics answered
    lately (an interpreter's briefing) and where they said they are (to rank services by distance)."""

    def __init__(self, size: int = 10_000, table=None):
        """`table`: a `MemoryTable` to share all but positions with other instances; None: all in this process."""
        def recent(field: str):
            return Stored(table, field) if table is not None else Recent(size)

        self._last_topic = recent("last_topic")
        self._history = recent("topics")
        self._answers = recent("answers")  # the catalogue answers given lately
        self._positions: Recent[Tuple[float, float]] = Recent(size)
        self._consent = recent("consent")  # the language of the consent card last shown to the person

    def answered(self, key: str, intent: str, answer: Optional[str] = None) -> None:
        """A topic (and maybe one of its specific answers) was answered to this person."""
        self._last_topic.put(key, intent)
        earlier = tuple(t for t in self.topics(key) if t != intent)
        self._history.put(key, (earlier + (intent,))[-HISTORY:])
        if answer is not None:
            earlier = tuple(a for a in self.answers(key) if a != answer)
            self._answers.put(key, (earlier + (answer,))[-HISTORY:])

    def answers(self, key: str) -> Tuple[str, ...]:
        """The specific answers given to this person lately, oldest first (an interpreter's briefing)."""
        return self._answers.get(key) or ()

    def last_topic(self, key: str) -> Optional[str]:
        return self._last_topic.get(key)

    def take_last_topic(self, key: str) -> Optional[str]:
        """The topic answered last, forgotten now (so a second request for a person is not counted twice)."""
        return self._last_topic.pop(key)

    def topics(self, key: str) -> Tuple[str, ...]:
        """The topics answered to this person lately, oldest first."""
        return self._history.get(key) or ()

    def place(self, key: str, position: Tuple[float, float]) -> None:
        self._positions.put(key, position)

    def position(self, key: str) -> Optional[Tuple[float, float]]:
        return self._positions.get(key)

    def consent_shown(self, key: str, language: str) -> None:
        """The consent card for an interpreter of `language` was sent to this person."""
        self._consent.put(key, language)

    def take_consent(self, key: str, language: str) -> bool:
        """True (once) when the consent card for `language` is the one this person was shown."""
        if self._consent.get(key) != language:
            return False
        self._consent.pop(key)
        return True

    def forget(self, key: str) -> None:
        for recent in (self._positions, self._last_topic, self._history, self._answers, self._consent):
            recent.pop(key)
