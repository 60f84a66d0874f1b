"""The database schema, versioned with Alembic (knowledge/storage/migrations/versions/).

`upgrade(engine)` brings any database to the newest schema in place and is run whenever the bot or a command
opens the database (`guichet db upgrade` does only that). A database made before the schema was versioned
(tables made by `create_all`, no `alembic_version`) is recognised, given the one column added before
migrations existed, marked as the first revision ("baseline", the schema of that time), then upgraded.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Optional

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)
# Alembic reports every plugin and step at INFO; one line of ours says what changed (see `upgrade`).
logging.getLogger("alembic").setLevel(logging.WARNING)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK = threading.Lock()  # Alembic's `context` is one global per process: one upgrade at a time in a process
BASELINE = "0001"
WAIT_FOR_OTHER_SECONDS = 30.0  # how long an upgrade that failed waits for another process's to finish


def include_name(name: str, type_: str, _parent_names: dict) -> bool:
    """What autogenerate compares: everything but SQLite's own bookkeeping table."""
    return not (type_ == "table" and name == "sqlite_sequence")


def _config(connection: Optional[Connection] = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision of the migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def current(connection: Connection) -> Optional[str]:
    """The revision the database is at (None: not versioned)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> Optional[str]:
    """Upgrade the database of `engine` to the newest revision; return the revision it was at before."""
    with _LOCK:
        return _upgrade(engine)


def _upgrade(engine: Engine) -> Optional[str]:
    from alembic import command

    try:
        with engine.begin() as connection:
            before = current(connection)
            if before == head():
                return before
            existing = inspect(connection).has_table("people")
            if before is None and existing:  # made by create_all, before migrations
                _add_request_tokens(connection)
                command.stamp(_config(connection), BASELINE)
            command.upgrade(_config(connection), "head")
        if existing:  # a new, empty database is not news
            logger.info("database schema upgraded from %s to %s", before or "no version", head())
        return before
    except Exception:
        # Another process (a second instance, `guichet kb import` during a start) is upgrading it at the same
        # moment: wait for it to finish. (SQLite's driver commits each CREATE TABLE at once, so the other
        # process can see a half-made schema for a moment.)
        deadline = time.monotonic() + WAIT_FOR_OTHER_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.2)
            try:
                with engine.connect() as connection:
                    if current(connection) == head():
                        return head()
            except Exception:  # noqa: BLE001 - still being made; the first error is the one to report
                pass
        raise


def _add_request_tokens(connection: Connection) -> None:
    """A database made before handover requests had tokens: add the column and give each open request one (the
    only column added before the schema was versioned)."""
    if "token" in {column["name"] for column in inspect(connection).get_columns("handovers")}:
        return
    connection.execute(text("ALTER TABLE handovers ADD COLUMN token VARCHAR(16) NOT NULL DEFAULT ''"))
    for (request_id,) in connection.execute(text("SELECT id FROM handovers")).fetchall():
        connection.execute(text("UPDATE handovers SET token = :token WHERE id = :id"),
                           {"token": secrets.token_urlsafe(6), "id": request_id})
