"""The conversation memory shared by instances (several `guichet run` on one database; see `tables.memory`).

Only what the assistant needs to carry from one message to the next when the next may reach another instance:
topic and answer ids, the language of the consent card last shown. Stored under the person's key hash, never
their Telegram id; deleted on /forget and after `MEMORY_HOURS` without a change.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from knowledge.storage.people import People
from knowledge.storage.tables import memory

MEMORY_HOURS = 24.0


class MemoryTable:
    def __init__(self, engine: Engine, people: People, hours: float = MEMORY_HOURS):
        self.engine = engine
        self.people = people
        self.hours = hours

    def get(self, key: str, field: str) -> Any:
        where = and_(memory.c.person_hash == self.people.key_hash(key), memory.c.field == field,
                     memory.c.updated_at >= datetime.utcnow() - timedelta(hours=self.hours))
        with self.engine.connect() as conn:
            row = conn.execute(select(memory.c.value).where(where)).first()
        return row.value if row is not None else None

    def put(self, key: str, field: str, value: Any) -> None:
        person_hash, now = self.people.key_hash(key), datetime.utcnow()
        where = and_(memory.c.person_hash == person_hash, memory.c.field == field)
        with self.engine.begin() as conn:
            if conn.execute(update(memory).where(where).values(value=value, updated_at=now)).rowcount:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(memory).values(person_hash=person_hash, field=field, value=value, updated_at=now))
        except IntegrityError:  # written at this very moment elsewhere: write over it
            with self.engine.begin() as conn:
                conn.execute(update(memory).where(where).values(value=value, updated_at=now))

    def pop(self, key: str, field: str) -> Any:
        value = self.get(key, field)
        with self.engine.begin() as conn:
            conn.execute(delete(memory).where(and_(memory.c.person_hash == self.people.key_hash(key), memory.c.field == field)))
        return value

    def forget(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(memory).where(memory.c.person_hash == self.people.key_hash(key)))

    def purge(self, now: Optional[datetime] = None) -> int:
        """Delete what nobody used for `hours`; returns how many rows."""
        cutoff = (now or datetime.utcnow()) - timedelta(hours=self.hours)
        with self.engine.begin() as conn:
            return conn.execute(delete(memory).where(memory.c.updated_at < cutoff)).rowcount
