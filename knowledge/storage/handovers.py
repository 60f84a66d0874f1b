"""Interpreter roster and handovers (who owns a conversation), with an outbox of relayed messages.

Everything that routes a relay lives here, in the database, so a restart loses neither ownership nor a message:
a relayed message is written before it is sent and deleted once Telegram accepted it. The person's Telegram key
is stored only while their request is open; staff see the pseudonym. Closing a request deletes its row and
every message of it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import List, Optional, Sequence, Tuple

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from knowledge.storage.errors import NotOnRoster, TakeOutcome
from knowledge.storage.people import People
from knowledge.storage.tables import handover_notes, handovers, interpreters, relay_messages

WAITING, ACTIVE = "waiting", "active"
TO_INTERPRETER, TO_PERSON = "to_interpreter", "to_person"



@dataclass(frozen=True)
class Interpreter:
    telegram_id: int
    name: str
    languages: Tuple[str, ...]
    paused: bool = False
    conduct_accepted: bool = False


@dataclass(frozen=True)
class Request:
    """An open handover, as the application sees it."""

    id: int
    person_key: str
    pseudonym: str
    person_language: str
    language: str
    topic: str
    briefing: Tuple[str, ...]
    note: str
    status: str
    interpreter_id: Optional[int]
    transferred_from: Optional[int]
    message_left: bool
    created_at: datetime
    token: str = ""


@dataclass(frozen=True)
class RelayMessage:
    id: int
    handover_id: int
    direction: str
    kind: str
    text: str = ""
    file_id: str = ""
    latitude: Optional[float] = None
    longitude: Optional[float] = None


TOKEN_BYTES = 6  # 8 URL-safe characters


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _now() -> datetime:
    return datetime.utcnow().replace(microsecond=0)


def _languages(raw: str) -> Tuple[str, ...]:
    return tuple(code for code in (part.strip().lower() for part in raw.split(",")) if code)


def _interpreter(row) -> Interpreter:
    return Interpreter(row.telegram_id, row.name, _languages(row.languages), bool(row.paused),
                       row.conduct_accepted_at is not None)


def _request(row) -> Request:
    return Request(row.id, row.person_key, row.pseudonym, row.person_language, row.language, row.topic,
                   tuple(row.briefing or ()), row.note or "", row.status, row.interpreter_id, row.transferred_from,
                   bool(row.message_left), row.created_at, row.token)


def _delete_request(conn, request_id: int) -> None:
    """The request and every message relayed in it, inside the caller's transaction."""
    conn.execute(delete(relay_messages).where(relay_messages.c.handover_id == request_id))
    conn.execute(delete(handovers).where(handovers.c.id == request_id))


class Handovers:
    """The roster, the open requests and the relay outbox, in the same database as the people."""

    def __init__(self, engine: Engine, people: People):
        self.engine = engine
        self.key_hash = people.key_hash

    # -- roster ------------------------------------------------------------------------------
    def add_interpreter(self, telegram_id: int, name: str, languages: Sequence[str]) -> Interpreter:
        """Add, or update the name and languages of, an interpreter (acceptance of the code is kept)."""
        codes = ",".join(dict.fromkeys(code.strip().lower() for code in languages if code.strip()))
        if not codes:
            raise ValueError("an interpreter needs at least one language")
        with self.engine.begin() as conn:
            changed = conn.execute(update(interpreters).where(interpreters.c.telegram_id == telegram_id)
                                   .values(name=name, languages=codes)).rowcount
            if not changed:
                conn.execute(insert(interpreters).values(telegram_id=telegram_id, name=name, languages=codes,
                                                         paused=False, added_on=date.today()))
        return self.interpreter(telegram_id)

    def interpreter(self, telegram_id: int) -> Optional[Interpreter]:
        with self.engine.connect() as conn:
            row = conn.execute(select(interpreters).where(interpreters.c.telegram_id == telegram_id)).first()
        return _interpreter(row) if row else None

    def roster(self) -> List[Interpreter]:
        with self.engine.connect() as conn:
            return [_interpreter(row) for row in conn.execute(select(interpreters).order_by(interpreters.c.name))]

    def remove_interpreter(self, telegram_id: int) -> List[Request]:
        """Remove from the roster; the requests they held go back to the queue and are returned."""
        with self.engine.begin() as conn:
            if not conn.execute(delete(interpreters).where(interpreters.c.telegram_id == telegram_id)).rowcount:
                raise NotOnRoster(telegram_id)
        return self.requeue_owned_by(telegram_id)

    def set_paused(self, telegram_id: int, paused: bool) -> None:
        with self.engine.begin() as conn:
            if not conn.execute(update(interpreters).where(interpreters.c.telegram_id == telegram_id)
                                .values(paused=paused)).rowcount:
                raise NotOnRoster(telegram_id)

    def accept_conduct(self, telegram_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(interpreters).where(interpreters.c.telegram_id == telegram_id)
                         .values(conduct_accepted_at=_now()))

    # -- requests ------------------------------------------------------------------------------
    def open_request(self, person_key: str, pseudonym: str, person_language: str, language: str, topic: str,
                     briefing: Sequence[str], deadline: Optional[datetime]) -> Tuple[Request, bool]:
        """The person's open request, created when there is none: (request, created)."""
        person_hash = self.key_hash(person_key)
        existing = self.request_of(person_key)
        if existing is not None:
            return existing, False
        with self.engine.connect() as conn:
            note = conn.execute(select(handover_notes.c.note).where(handover_notes.c.person_hash == person_hash)).scalar()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(handovers).values(
                    person_hash=person_hash, person_key=person_key, pseudonym=pseudonym,
                    person_language=person_language, language=language, topic=topic, briefing=list(briefing),
                    note=note or "", status=WAITING, message_left=False, created_at=_now(), deadline=deadline,
                    token=new_token()))
        except IntegrityError:  # a second press at the same moment created it first
            return self.request_of(person_key), False
        return self.request_of(person_key), True

    def request_of(self, person_key: str) -> Optional[Request]:
        with self.engine.connect() as conn:
            row = conn.execute(select(handovers).where(handovers.c.person_hash == self.key_hash(person_key))).first()
        return _request(row) if row else None

    def request(self, request_id: int) -> Optional[Request]:
        with self.engine.connect() as conn:
            row = conn.execute(select(handovers).where(handovers.c.id == request_id)).first()
        return _request(row) if row else None

    def owned_by(self, telegram_id: int) -> Optional[Request]:
        with self.engine.connect() as conn:
            row = conn.execute(select(handovers).where(and_(handovers.c.interpreter_id == telegram_id,
                                                            handovers.c.status == ACTIVE))).first()
        return _request(row) if row else None

    def open_keys(self) -> List[str]:
        """The person keys of every open request (to route their messages without a query each)."""
        with self.engine.connect() as conn:
            return [row.person_key for row in conn.execute(select(handovers.c.person_key))]

    def take(self, request_id: int, token: str, telegram_id: int) -> TakeOutcome:
        """Give the request `request_id` with `token` to the interpreter, atomically: TAKEN, or why not: GONE, BUSY.

        The token must match: a card of an earlier request whose id was reused is GONE, never someone else's.

        One UPDATE guarded by status='waiting' decides: when several interpreters press at the same moment,
        the database lets exactly one row change, and only that interpreter gets the conversation.
        """
        free = ~select(handovers.c.id).where(and_(handovers.c.interpreter_id == telegram_id,
                                                  handovers.c.status == ACTIVE)).exists()
        with self.engine.begin() as conn:  # a single statement: no read-then-write window, on SQLite or PostgreSQL
            changed = conn.execute(update(handovers).where(and_(handovers.c.id == request_id, handovers.c.token == token,
                                                                handovers.c.status == WAITING, free))
                                   .values(status=ACTIVE, interpreter_id=telegram_id, deadline=None)).rowcount
        if changed == 1:
            return TakeOutcome.TAKEN
        mine = self.owned_by(telegram_id)
        if mine is not None:
            return TakeOutcome.TAKEN if (mine.id, mine.token) == (request_id, token) else TakeOutcome.BUSY
        return TakeOutcome.GONE

    def release(self, request_id: int, telegram_id: int, language: str, note: str, deadline: Optional[datetime]) -> bool:
        """Transfer: back to the queue for `language`, not offered again to the interpreter who released it."""
        values = dict(status=WAITING, interpreter_id=None, transferred_from=telegram_id, language=language,
                      deadline=deadline)
        if note:
            values["note"] = note
        with self.engine.begin() as conn:
            return conn.execute(update(handovers).where(and_(handovers.c.id == request_id,
                                                             handovers.c.interpreter_id == telegram_id,
                                                             handovers.c.status == ACTIVE))
                                .values(**values)).rowcount == 1

    def requeue_owned_by(self, telegram_id: int) -> List[Request]:
        """Every request the interpreter held goes back to the queue (removed or paused interpreter)."""
        with self.engine.connect() as conn:
            ids = [row.id for row in conn.execute(select(handovers.c.id).where(handovers.c.interpreter_id == telegram_id))]
        if ids:
            with self.engine.begin() as conn:
                conn.execute(update(handovers).where(and_(handovers.c.id.in_(ids), handovers.c.interpreter_id == telegram_id))
                             .values(status=WAITING, interpreter_id=None, transferred_from=telegram_id))
        return [r for r in (self.request(i) for i in ids) if r is not None]

    def orphaned(self) -> List[Request]:
        """Active requests whose interpreter is no longer on the roster (removed by another process)."""
        on_roster = select(interpreters.c.telegram_id)
        with self.engine.connect() as conn:
            rows = conn.execute(select(handovers).where(and_(handovers.c.status == ACTIVE,
                                                             handovers.c.interpreter_id.not_in(on_roster))))
            return [_request(row) for row in rows]

    def set_deadline(self, request_id: int, deadline: Optional[datetime]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(handovers).where(handovers.c.id == request_id).values(deadline=deadline))

    def leave_message(self, request_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(handovers).where(handovers.c.id == request_id).values(message_left=True, deadline=None))

    def close(self, request_id: int, note: str = "") -> Optional[Request]:
        """Delete the request and every message of it; keep the interpreter's note for the person's next request."""
        request = self.request(request_id)
        if request is None:
            return None
        with self.engine.begin() as conn:
            _delete_request(conn, request_id)
            person_hash = self.key_hash(request.person_key)
            if note:
                conn.execute(delete(handover_notes).where(handover_notes.c.person_hash == person_hash))
                conn.execute(insert(handover_notes).values(person_hash=person_hash, note=note, written_at=_now()))
        return request

    def forget(self, person_key: str) -> bool:
        """Erase the person's open request, its messages and any note about them at once (/forget)."""
        person_hash = self.key_hash(person_key)
        request = self.request_of(person_key)
        with self.engine.begin() as conn:
            if request is not None:
                _delete_request(conn, request.id)
            notes = conn.execute(delete(handover_notes).where(handover_notes.c.person_hash == person_hash)).rowcount
        return request is not None or notes > 0

    def waiting(self, languages: Optional[Sequence[str]] = None) -> List[Request]:
        """Waiting requests, oldest first (optionally only in `languages`)."""
        query = select(handovers).where(handovers.c.status == WAITING).order_by(handovers.c.created_at, handovers.c.id)
        if languages is not None:
            query = query.where(handovers.c.language.in_(list(languages)))
        with self.engine.connect() as conn:
            return [_request(row) for row in conn.execute(query)]

    def queue_position(self, request: Request) -> int:
        with self.engine.connect() as conn:
            ahead = conn.execute(select(func.count()).select_from(handovers).where(and_(
                handovers.c.status == WAITING, handovers.c.language == request.language,
                or_(handovers.c.created_at < request.created_at,
                    and_(handovers.c.created_at == request.created_at, handovers.c.id < request.id))))).scalar_one()
        return ahead + 1

    def past_deadline(self, now: Optional[datetime] = None) -> List[Request]:
        """Waiting requests nobody took in time; their deadline is cleared so the person is told once."""
        now = now or _now()
        with self.engine.connect() as conn:
            rows = [_request(row) for row in conn.execute(select(handovers).where(and_(
                handovers.c.status == WAITING, handovers.c.deadline.is_not(None), handovers.c.deadline <= now)))]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(update(handovers).where(handovers.c.id.in_([r.id for r in rows])).values(deadline=None))
        return rows

    # -- the outbox of relayed messages ------------------------------------------------------
    def add_message(self, request_id: int, direction: str, kind: str, text: str = "", file_id: str = "",
                    latitude: Optional[float] = None, longitude: Optional[float] = None) -> RelayMessage:
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(relay_messages).values(
                handover_id=request_id, direction=direction, kind=kind, text=text, file_id=file_id,
                latitude=latitude, longitude=longitude, created_at=_now())).inserted_primary_key[0]
        return RelayMessage(new_id, request_id, direction, kind, text, file_id, latitude, longitude)

    def delivered(self, message_id: int) -> None:
        """Telegram accepted it: the content is not needed any more."""
        with self.engine.begin() as conn:
            conn.execute(delete(relay_messages).where(relay_messages.c.id == message_id))

    def undelivered(self, request_id: Optional[int] = None, direction: Optional[str] = None) -> List[RelayMessage]:
        query = select(relay_messages).order_by(relay_messages.c.id)
        if request_id is not None:
            query = query.where(relay_messages.c.handover_id == request_id)
        if direction is not None:
            query = query.where(relay_messages.c.direction == direction)
        with self.engine.connect() as conn:
            return [RelayMessage(r.id, r.handover_id, r.direction, r.kind, r.text, r.file_id, r.latitude, r.longitude)
                    for r in conn.execute(query)]

    # -- retention -------------------------------------------------------------------------------
    def purge(self, messages_older_than: datetime, notes_older_than: datetime) -> Tuple[List[Request], int]:
        """Delete relayed content past retention, and requests that waited longer than that (returned, to tell
        the person); notes past their own retention. Returns (expired requests, messages deleted)."""
        with self.engine.connect() as conn:
            expired = [_request(row) for row in conn.execute(select(handovers).where(and_(
                handovers.c.status == WAITING, handovers.c.created_at < messages_older_than)))]
        ids = [r.id for r in expired]
        with self.engine.begin() as conn:
            deleted = conn.execute(delete(relay_messages).where(or_(
                relay_messages.c.created_at < messages_older_than, relay_messages.c.handover_id.in_(ids)))).rowcount
            if ids:
                conn.execute(delete(handovers).where(handovers.c.id.in_(ids)))
            conn.execute(delete(handover_notes).where(handover_notes.c.written_at < notes_older_than))
        return expired, deleted

    def counts(self) -> dict:
        with self.engine.connect() as conn:
            return {
                "waiting": conn.execute(select(func.count()).select_from(handovers).where(handovers.c.status == WAITING)).scalar_one(),
                "active": conn.execute(select(func.count()).select_from(handovers).where(handovers.c.status == ACTIVE)).scalar_one(),
                "messages": conn.execute(select(func.count()).select_from(relay_messages)).scalar_one(),
                "notes": conn.execute(select(func.count()).select_from(handover_notes)).scalar_one(),
            }

