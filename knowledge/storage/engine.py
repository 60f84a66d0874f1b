"""Open a database (SQLite by default, PostgreSQL by URL) with the newest schema (knowledge.storage.migrate)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import QueuePool

from knowledge.storage.errors import StorageError


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
    """The engine for `url`, its schema upgraded to the newest migration (knowledge.storage.migrate);
    StorageError when unusable."""
    from knowledge.storage.migrate import upgrade

    engine = create_db_engine(url)
    try:
        upgrade(engine)
    except Exception as error:  # sqlalchemy.exc.OperationalError, driver and Alembic errors
        engine.dispose()
        raise StorageError(f"cannot open the database {make_url(url).render_as_string(hide_password=True)}: {error}") from error
    return engine
