"""Open a database (SQLite by default, PostgreSQL by URL) and create every table Guichet keeps."""

from __future__ import annotations

from pathlib import Path

import secrets

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool

from knowledge.storage.errors import StorageError
from knowledge.storage.tables import metadata


def create_db_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL mode and a busy timeout so readers never block a writer.

    `hide_parameters`: a database error never carries the values of its statement (a relayed message's text, a
    person's key), so logging it cannot leak them."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # A pool of open connections: opening the file and setting pragmas per query costs more than the query.
        engine = create_engine(url, future=True, poolclass=QueuePool, pool_size=8, max_overflow=8, hide_parameters=True,
                               connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True)


def open_engine(url: str) -> Engine:
    """The engine for `url` with every table of `knowledge.storage.tables` created; StorageError when unusable."""
    engine = create_db_engine(url)
    try:
        metadata.create_all(engine)
        _add_request_tokens(engine)
    except Exception as error:  # sqlalchemy.exc.OperationalError and driver errors
        engine.dispose()
        raise StorageError(f"cannot open the database {make_url(url).render_as_string(hide_password=True)}: {error}") from error
    return engine


def _add_request_tokens(engine: Engine) -> None:
    """A database made before handover requests had tokens: add the column and give each open request one.

    `create_all` makes missing tables, never missing columns; this is the one column added since the first
    release (versioned migrations are the next step)."""
    if "token" in {column["name"] for column in inspect(engine).get_columns("handovers")}:
        return
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE handovers ADD COLUMN token VARCHAR(16) NOT NULL DEFAULT ''"))
        for (request_id,) in conn.execute(text("SELECT id FROM handovers")).fetchall():
            conn.execute(text("UPDATE handovers SET token = :token WHERE id = :id"),
                         {"token": secrets.token_urlsafe(6), "id": request_id})
