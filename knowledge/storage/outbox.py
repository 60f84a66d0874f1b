"""The outbox of every reply and the inbox of fetched updates (see the tables' comments in `tables`).

Together they make a reply survive a crash: an update is written to the inbox before Telegram is told it was
received; handling it writes its replies to the outbox and marks it handled in one transaction; a reply is
deleted from the outbox once Telegram accepted it. After a crash the bot sends what is left in the outbox and
handles what is left unhandled in the inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Engine

from knowledge.storage.tables import inbox, outbox


def _now() -> datetime:
    return datetime.utcnow().replace(microsecond=0)


@dataclass(frozen=True)
class Outgoing:
    """One stored reply: its outbox id, the chat it goes to, the chat whose update caused it, the reply itself."""

    id: int
    chat_id: int
    origin: Optional[int]
    payload: Dict[str, Any]


class Outbox:
    """`instance`: this process's name when several share the database (its rows are marked with it; see
    `knowledge.storage.instances`); None: the only process, every row is its own."""

    def __init__(self, engine: Engine, instance: Optional[str] = None):
        self.engine = engine
        self.instance = instance

    def add(self, items: Sequence[Tuple[int, Optional[int], Dict[str, Any]]], handled: Optional[int] = None) -> List[Outgoing]:
        """Store (chat, origin, payload) items in order; with `handled`, mark that update handled in the same
        transaction (so a crash can neither lose these replies nor handle the update twice)."""
        stored = []
        with self.engine.begin() as conn:
            for chat_id, origin, payload in items:
                new_id = conn.execute(insert(outbox).values(chat_id=chat_id, origin=origin, payload=payload,
                                                            created_at=_now(), instance=self.instance)).inserted_primary_key[0]
                stored.append(Outgoing(new_id, chat_id, origin, payload))
            if handled is not None:
                _mark_handled(conn, [handled])
        return stored

    def sent(self, outgoing_ids: Sequence[int]) -> None:
        """Telegram accepted them: cross them out (one transaction for all)."""
        with self.engine.begin() as conn:
            conn.execute(delete(outbox).where(outbox.c.id.in_(list(outgoing_ids))))

    def queued_relays(self) -> Set[int]:
        """The relayed messages that have a row here (queued by any instance)."""
        with self.engine.connect() as conn:
            payloads = conn.execute(select(outbox.c.payload)).scalars()
            return {p["relay_id"] for p in payloads if isinstance(p, dict) and p.get("relay_id") is not None}

    def pending(self) -> List[Outgoing]:
        """Everything not yet accepted by Telegram, oldest first."""
        with self.engine.connect() as conn:
            return [Outgoing(r.id, r.chat_id, r.origin, r.payload)
                    for r in conn.execute(select(outbox).order_by(outbox.c.id))]


def _mark_handled(conn, update_ids: Iterable[int]) -> None:
    conn.execute(update(inbox).where(inbox.c.update_id.in_(list(update_ids))).values(handled=True, payload=None))


class Inbox:
    def __init__(self, engine: Engine):
        self.engine = engine

    def receive(self, updates: Sequence[Tuple[int, Dict[str, Any], Optional[int]]],
                confirmed_below: Optional[int] = None) -> Set[int]:
        """Store the fetched `updates` (id, payload, chat id) not seen before; return the ids that are new.

        `confirmed_below`: the offset of this getUpdates call; Telegram will never send an update below it again,
        so the rows of handled updates below it are deleted."""
        ids = [update_id for update_id, _payload, _chat in updates]
        with self.engine.begin() as conn:
            if confirmed_below:
                conn.execute(delete(inbox).where(and_(inbox.c.handled.is_(True), inbox.c.update_id < confirmed_below)))
            known = {row.update_id for row in conn.execute(select(inbox.c.update_id).where(inbox.c.update_id.in_(ids)))} \
                if ids else set()
            new = [(update_id, payload, chat) for update_id, payload, chat in updates if update_id not in known]
            for update_id, payload, chat in new:
                conn.execute(insert(inbox).values(update_id=update_id, payload=payload, handled=False, received_at=_now(),
                                                  chat_id=chat))
        return {update_id for update_id, _payload, _chat in new}

    def stored_count(self, first: int, last: int) -> int:
        """How many of the updates `first`..`last` (ids) are stored."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(inbox).where(
                and_(inbox.c.update_id >= first, inbox.c.update_id <= last))).scalar_one()

    def purge_handled(self, older_than: datetime) -> int:
        """Delete the rows (ids only) of updates handled and received before `older_than`: in webhook mode nothing
        confirms an offset, and Telegram stops resending an update long before a day."""
        with self.engine.begin() as conn:
            return conn.execute(delete(inbox).where(and_(inbox.c.handled.is_(True), inbox.c.received_at < older_than))).rowcount

    def ping(self) -> None:
        """Raises when the database does not answer (the health check)."""
        with self.engine.connect() as conn:
            conn.execute(select(1)).scalar_one()

    def handled(self, update_ids: Iterable[int]) -> None:
        with self.engine.begin() as conn:
            _mark_handled(conn, update_ids)

    def unhandled(self, chat_id: Optional[int] = None) -> List[Tuple[int, Dict[str, Any]]]:
        """Updates received but not handled (the bot stopped in between, or another instance received them), in
        the order Telegram sent them; with `chat_id`, that chat's only."""
        query = select(inbox).where(inbox.c.handled.is_(False)).order_by(inbox.c.update_id)
        if chat_id is not None:
            query = query.where(inbox.c.chat_id == chat_id)
        with self.engine.connect() as conn:
            return [(r.update_id, r.payload) for r in conn.execute(query)]
