"""The storage layer's named errors and outcomes."""

from __future__ import annotations

from enum import Enum


class StorageError(RuntimeError):
    """The database cannot be reached or used."""


class NotOnRoster(KeyError):
    """No interpreter with this Telegram id is on the roster."""

    def __init__(self, telegram_id: int):
        super().__init__(telegram_id)
        self.telegram_id = telegram_id


class TakeOutcome(str, Enum):
    """What pressing ✋ Take did: the request is now yours, someone else had it first, or you hold another one."""

    TAKEN = "taken"
    GONE = "gone"
    BUSY = "busy"
