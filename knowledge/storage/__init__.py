"""Everything Guichet stores, in one database (SQLite by default, PostgreSQL by URL).

`tables` holds every table; each other module owns the queries of one concern and hands out frozen values,
never ORM rows: `knowledge` (the live knowledge), `people` (pseudonyms, the secret), `gaps` (counts of
unanswered messages), `handovers` (roster, open requests, relayed messages), `outbox` (every reply until sent, every
fetched update until handled). `Storage` opens them together.
"""

from __future__ import annotations

from typing import Optional

from knowledge.storage.engine import create_db_engine, open_engine
from knowledge.storage.errors import NotOnRoster, StorageError, TakeOutcome
from knowledge.storage.gaps import GapCounters
from knowledge.storage.handovers import Handovers
from knowledge.storage.instances import Instances
from knowledge.storage.knowledge import KnowledgeTables
from knowledge.storage.memory import MemoryTable
from knowledge.storage.outbox import Inbox, Outbox, Outgoing
from knowledge.storage.people import People, Person, load_secret
from knowledge.storage.tables import metadata

__all__ = ["Storage", "StorageError", "NotOnRoster", "TakeOutcome", "KnowledgeTables", "People", "Person", "GapCounters",
           "Handovers", "Instances", "MemoryTable", "Inbox", "Outbox", "Outgoing", "load_secret", "metadata", "create_db_engine", "open_engine"]


class Storage:
    """One database and the stores on it; `close` releases its connections.

    `instance`: this process's name when several share the database (GUICHET_INSTANCE): then `instances` and
    `memory` exist (else None) and the outbox marks its rows."""

    def __init__(self, url: str, secret: bytes, instance: Optional[str] = None):
        self.url = url
        self.engine = open_engine(url)
        self.knowledge = KnowledgeTables(self.engine)
        self.people = People(self.engine, secret)
        self.gaps = GapCounters(self.engine)
        self.handovers = Handovers(self.engine, self.people)
        self.outbox = Outbox(self.engine, instance)
        self.inbox = Inbox(self.engine)
        self.instances = Instances(self.engine, instance) if instance else None
        self.memory = MemoryTable(self.engine, self.people) if instance else None

    def close(self) -> None:
        self.engine.dispose()
