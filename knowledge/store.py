"""SQLAlchemy storage (SQLite by default, PostgreSQL by URL): knowledge tables and people.

ORM objects never leave this module: callers get frozen values from `knowledge.schema` or `Person`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import List, Optional, Tuple

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import QueuePool

from knowledge.schema import KnowledgeBase, service_from_plain, to_plain, topic_from_plain

metadata = MetaData()

kb_topics = Table(
    "kb_topics", metadata,
    Column("id", String(80), primary_key=True),
    Column("intent", String(60), nullable=False, unique=True),
    Column("payload", JSON, nullable=False),
    Column("last_reviewed", Date, nullable=False),
)
kb_services = Table(
    "kb_services", metadata,
    Column("id", String(80), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("area", String(20), nullable=False),
    Column("commune", String(100), nullable=False, default=""),
    Column("payload", JSON, nullable=False),
    Column("last_reviewed", Date, nullable=False),
)
kb_meta = Table(
    "kb_meta", metadata,
    Column("key", String(60), primary_key=True),
    Column("value", String(200), nullable=False),
)
# Counts only, never text: how often the bot could not help, per day, language and kind of gap.
# kind: 'not_understood' (nlu_fallback), 'out_of_scope', 'human_after_answer' (topic = the answer's intent).
unanswered = Table(
    "unanswered", metadata,
    Column("day", Date, primary_key=True),
    Column("language", String(8), primary_key=True),
    Column("kind", String(30), primary_key=True),
    Column("topic", String(60), primary_key=True, default=""),
    Column("count", Integer, nullable=False, default=0),
)
people = Table(
    "people", metadata,
    Column("pseudonym", String(16), primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("language", String(8)),
    Column("detected_language", String(8)),
    Column("created_on", Date, nullable=False),
    Column("last_seen_on", Date, nullable=False),
)


class StorageError(RuntimeError):
    """The database cannot be reached or used."""


@dataclass(frozen=True)
class Person:
    """What Guichet keeps about a person: a pseudonym and language choices, nothing else."""

    pseudonym: str
    language: Optional[str] = None
    detected_language: Optional[str] = None


def create_db_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL mode and a busy timeout so readers never block a writer."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # A pool of open connections: opening the file and setting pragmas per query costs more than the query.
        engine = create_engine(url, future=True, poolclass=QueuePool, pool_size=8, max_overflow=8,
                               connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=10)


class Storage:
    """The database: knowledge snapshot in, knowledge snapshot out, and the people table."""

    def __init__(self, url: str, secret: bytes):
        self.url = url
        self.engine = create_db_engine(url)
        self._secret = secret
        try:
            metadata.create_all(self.engine)
        except Exception as error:  # sqlalchemy.exc.OperationalError and driver errors
            raise StorageError(f"cannot open the database {make_url(url).render_as_string(hide_password=True)}: {error}") from error

    def close(self) -> None:
        self.engine.dispose()

    # -- knowledge -------------------------------------------------------------------------
    def replace_knowledge(self, knowledge: KnowledgeBase) -> None:
        """Swap the whole knowledge base in one transaction: readers see the old or the new, never a mix."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self.engine.begin() as conn:
            conn.execute(delete(kb_topics))
            conn.execute(delete(kb_services))
            if knowledge.topics:
                conn.execute(insert(kb_topics), [
                    {"id": t.id, "intent": t.intent, "payload": to_plain(t), "last_reviewed": t.last_reviewed}
                    for t in knowledge.topics
                ])
            if knowledge.services:
                conn.execute(insert(kb_services), [
                    {"id": s.id, "name": s.name, "area": s.area, "commune": s.commune,
                     "payload": to_plain(s), "last_reviewed": s.last_reviewed}
                    for s in knowledge.services
                ])
            conn.execute(delete(kb_meta).where(kb_meta.c.key.in_(["digest", "imported_at"])))
            conn.execute(insert(kb_meta), [{"key": "digest", "value": knowledge.digest},
                                           {"key": "imported_at", "value": now}])

    def load_knowledge(self) -> KnowledgeBase:
        with self.engine.connect() as conn:
            topics = tuple(topic_from_plain(row.payload) for row in conn.execute(select(kb_topics.c.payload).order_by(kb_topics.c.id)))
            services = tuple(service_from_plain(row.payload) for row in conn.execute(select(kb_services.c.payload).order_by(kb_services.c.id)))
            digest = conn.execute(select(kb_meta.c.value).where(kb_meta.c.key == "digest")).scalar() or ""
        return KnowledgeBase(topics, services, digest)

    def knowledge_digest(self) -> str:
        with self.engine.connect() as conn:
            return conn.execute(select(kb_meta.c.value).where(kb_meta.c.key == "digest")).scalar() or ""

    # -- people ----------------------------------------------------------------------------
    def key_hash(self, external_key: str) -> str:
        """The one-way code under which a person is stored (HMAC of their external key)."""
        return hmac.new(self._secret, external_key.encode(), hashlib.sha256).hexdigest()

    def person(self, external_key: str, *, detected: Optional[str] = None) -> Person:
        """The person behind `external_key` (e.g. 'telegram:123'), created on first contact.

        `detected`, the language their message was written in, is remembered in the same transaction.
        """
        key_hash = self.key_hash(external_key)
        today = date.today()
        for _ in range(5):
            try:
                with self.engine.begin() as conn:  # one transaction, first contact or not
                    row = conn.execute(select(people).where(people.c.key_hash == key_hash)).first()
                    if row is None:
                        pseudonym = "P-" + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))
                        conn.execute(insert(people).values(pseudonym=pseudonym, key_hash=key_hash, detected_language=detected,
                                                           created_on=today, last_seen_on=today))
                        return Person(pseudonym, None, detected)
                    changes = {}
                    if row.last_seen_on != today:
                        changes["last_seen_on"] = today
                    if detected and row.detected_language != detected:
                        changes["detected_language"] = detected
                    if changes:
                        conn.execute(update(people).where(people.c.key_hash == key_hash).values(changes))
                    return Person(row.pseudonym, row.language, changes.get("detected_language", row.detected_language))
            except IntegrityError:  # a concurrent first message created the person, or the pseudonym is taken
                continue
        raise StorageError("could not allocate a pseudonym")

    def set_language(self, external_key: str, language: Optional[str], *, detected: bool = False) -> None:
        column = "detected_language" if detected else "language"
        statement = update(people).where(people.c.key_hash == self.key_hash(external_key)).values({column: language})
        with self.engine.begin() as conn:
            if conn.execute(statement).rowcount:
                return
        self.person(external_key)  # first contact: create the person, then set the language
        with self.engine.begin() as conn:
            conn.execute(statement)

    def forget(self, external_key: str) -> bool:
        """Erase everything stored about the person; True when there was something."""
        with self.engine.begin() as conn:
            result = conn.execute(delete(people).where(people.c.key_hash == self.key_hash(external_key)))
        return result.rowcount > 0

    # -- gaps: counts, never text ---------------------------------------------------------------
    def count_unanswered(self, kind: str, language: str, topic: str = "", day: Optional[date] = None) -> None:
        """Add one to today's counter for (language, kind, topic)."""
        key = dict(day=day or date.today(), language=language or "", kind=kind, topic=topic or "")
        condition = and_(*(getattr(unanswered.c, column) == value for column, value in key.items()))
        for _ in range(3):
            try:
                with self.engine.begin() as conn:
                    if conn.execute(update(unanswered).where(condition).values(count=unanswered.c.count + 1)).rowcount:
                        return
                    conn.execute(insert(unanswered).values(count=1, **key))
                    return
            except IntegrityError:  # another message created the row first: increment it
                continue
        raise StorageError("could not count an unanswered message")

    def unanswered_counts(self, since: date) -> List[Tuple[date, str, str, str, int]]:
        """(day, language, kind, topic, count) from `since` on, newest day first."""
        query = (select(unanswered.c.day, unanswered.c.language, unanswered.c.kind, unanswered.c.topic, unanswered.c.count)
                 .where(unanswered.c.day >= since)
                 .order_by(unanswered.c.day.desc(), unanswered.c.language, unanswered.c.kind, unanswered.c.topic))
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query)]

    def count_people(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(people)).scalar_one()


def load_secret(data_dir: Path, environ_value: Optional[str]) -> bytes:
    """The key that turns Telegram ids into unlinkable hashes: from the environment, else a local file."""
    if environ_value:
        return environ_value.encode()
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()
