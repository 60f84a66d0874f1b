"""Several `guichet run` processes on one database (GUICHET_INSTANCE): who is alive, who works for which chat,
and handing work over when one stops or crashes. The coordination itself is in `bot/instances.py`.

Every statement that decides something is a single guarded INSERT/UPDATE/DELETE, so two instances deciding at
the same moment get one answer from the database (PostgreSQL re-checks the guard of a row another transaction
changed; SQLite has one writer at a time).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from sqlalchemy import and_, delete, exists, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from knowledge.storage.outbox import Outgoing
from knowledge.storage.tables import inbox, instances, leases, outbox

ALIVE_SECONDS = 15.0  # an instance that has not written `seen_at` for this long is taken for stopped
DESK = "desk"  # the lease of the interpreting desk's rounds


def chat_key(chat_id: int) -> str:
    return f"chat:{chat_id}"


def _now() -> datetime:
    return datetime.utcnow()


class Instances:
    """The database side of one instance named `name`."""

    def __init__(self, engine: Engine, name: str, alive_seconds: float = ALIVE_SECONDS):
        self.engine = engine
        self.name = name
        self.alive_seconds = alive_seconds

    def _alive(self):
        """The names of the instances alive now (a subquery)."""
        cutoff = _now() - timedelta(seconds=self.alive_seconds)
        return select(instances.c.name).where(instances.c.seen_at >= cutoff)

    def _available(self):
        """A lease row this instance may take: its own, or one of an instance that is gone."""
        return or_(leases.c.instance == self.name, leases.c.instance.not_in(self._alive()))

    # -- this instance ---------------------------------------------------------------------------
    def beat(self) -> None:
        """Say this instance is alive (every few seconds)."""
        with self.engine.begin() as conn:
            if conn.execute(update(instances).where(instances.c.name == self.name).values(seen_at=_now())).rowcount:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(instances).values(name=self.name, seen_at=_now()))
        except IntegrityError:  # written at this very moment by a process with the same name: it is alive too
            pass

    def start(self) -> None:
        """At start: alive; what an earlier run under this name held is given up (it stopped or crashed)."""
        with self.engine.begin() as conn:
            conn.execute(delete(leases).where(leases.c.instance == self.name))
        self.beat()

    def leave(self) -> int:
        """At a clean stop: every lease given up, the replies not sent left for another instance; returns how many."""
        with self.engine.begin() as conn:
            left = conn.execute(update(outbox).where(outbox.c.instance == self.name).values(instance=None)).rowcount
            conn.execute(delete(leases).where(leases.c.instance == self.name))
            conn.execute(delete(instances).where(instances.c.name == self.name))
        return left

    def alive(self) -> Set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(self._alive()).scalars())

    # -- leases ------------------------------------------------------------------------------------
    def acquire(self, key: str) -> bool:
        """Work for `key` now: True when the lease is (or becomes) this instance's; False while another live
        instance holds it."""
        with self.engine.begin() as conn:
            if conn.execute(update(leases).where(and_(leases.c.key == key, self._available()))
                            .values(instance=self.name)).rowcount:
                return True
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(leases).values(key=key, instance=self.name))
            return True
        except IntegrityError:  # held by a live instance (or taken by one at this very moment)
            return False

    def release(self, key: str, chat_id: Optional[int] = None, known: Iterable[int] = ()) -> List[Tuple[int, Dict[str, Any]]]:
        """Give up `key` unless `chat_id` has updates nobody handled (other than the `known` ones, which this
        instance is about to handle): then keep it and return them, in order (another instance stored them while
        this one worked for the chat, and left them to it)."""
        known = list(known)
        waiting = and_(inbox.c.handled.is_(False), inbox.c.chat_id == chat_id)
        if known:
            waiting = and_(waiting, inbox.c.update_id.not_in(known))
        with self.engine.begin() as conn:
            guard = and_(leases.c.key == key, leases.c.instance == self.name)
            if chat_id is None:
                conn.execute(delete(leases).where(guard))
                return []
            if conn.execute(delete(leases).where(and_(guard, ~exists().where(waiting)))).rowcount:
                return []
            if not conn.execute(select(leases.c.key).where(guard)).first():
                return []  # not ours any more (taken over while this instance was thought gone)
            return [(r.update_id, r.payload) for r in conn.execute(select(inbox).where(waiting).order_by(inbox.c.update_id))]

    # -- taking over ---------------------------------------------------------------------------------
    def orphaned_chats(self, older_than_seconds: float = 1.0) -> List[int]:
        """Chats with updates nobody handles: not handled, received a while ago, no live instance works for them."""
        cutoff = _now() - timedelta(seconds=older_than_seconds)
        with self.engine.connect() as conn:
            chats = list(conn.execute(select(inbox.c.chat_id).where(and_(
                inbox.c.handled.is_(False), inbox.c.chat_id.is_not(None), inbox.c.received_at <= cutoff)).distinct()).scalars())
            if not chats:
                return []
            held = set(conn.execute(select(leases.c.key).where(and_(
                leases.c.key.in_([chat_key(c) for c in chats]), leases.c.instance.in_(self._alive())))).scalars())
        return sorted(c for c in chats if chat_key(c) not in held)

    def claim_outbox(self) -> List[Outgoing]:
        """The replies this instance is to send: its own, and those an instance that stopped or crashed left."""
        alive = self._alive()
        orphan = or_(outbox.c.instance.is_(None), outbox.c.instance.not_in(alive))
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(orphan).values(instance=self.name))
            return [Outgoing(r.id, r.chat_id, r.origin, r.payload)
                    for r in conn.execute(select(outbox).where(outbox.c.instance == self.name).order_by(outbox.c.id))]
