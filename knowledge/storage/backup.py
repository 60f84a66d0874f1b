"""Back up and restore the whole database: `guichet db backup FILE` and `guichet db restore --yes FILE`.

- SQLite: an online copy with SQLite's backup API (Python's `sqlite3.Connection.backup`), consistent even while
  the bot runs and writes (the copy is taken from one read snapshot; in WAL mode writers are not blocked). The
  backup is a plain SQLite file; a restore copies it back into the database file with the same API.
- PostgreSQL: `pg_dump --format=custom --no-owner`; a restore is `pg_restore --clean --if-exists --no-owner` run
  through `psql --single-transaction`, after dropping the tables the database has now, so the result is exactly
  the backup (a table added by a later migration would otherwise survive next to an older `alembic_version`),
  and a failure anywhere changes nothing. The password goes to the tools in PGPASSWORD, never on a command line.

A backup is written to FILE.partial (mode 0600: it holds people's pseudonyms and relayed messages), flushed to
disk, then renamed: a failed backup never leaves a truncated file under the final name. After a restore the
schema is upgraded (knowledge.storage.migrate), so a backup made by an older version comes up to date.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

from sqlalchemy.engine import URL, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
CLIENT_PACKAGE = "postgresql-client"  # Debian's package of pg_dump, pg_restore and psql
PARTIAL = ".partial"


class BackupError(Exception):
    """A backup or a restore that cannot be done; the message says why (never with a password)."""


@dataclass(frozen=True)
class Done:
    """What a backup or a restore did, as one line for the terminal."""

    summary: str


def shown(url: str) -> str:
    """The URL without its password."""
    return make_url(url).render_as_string(hide_password=True)


def size_text(size: int) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} bytes"


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _is_postgres(url: URL) -> bool:
    return url.get_backend_name() == "postgresql"


def _check_url(url: str) -> URL:
    parsed = make_url(url)
    if _is_sqlite(parsed):
        if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file:"):
            raise BackupError(f"{shown(url)} is not a database file")
    elif not _is_postgres(parsed):
        raise BackupError(f"backups are made of SQLite and PostgreSQL databases, not {parsed.get_backend_name()}")
    return parsed


# -- backup ------------------------------------------------------------------------------------------
def backup(url: str, target: Path) -> Done:
    """Back up the database at `url` into `target` (through `target`.partial, renamed when complete)."""
    parsed = _check_url(url)
    target = Path(target)
    if not target.parent.is_dir():
        raise BackupError(f"cannot write {target}: the folder {target.parent} does not exist")
    partial = target.with_name(target.name + PARTIAL)
    if _is_sqlite(parsed) and Path(parsed.database).resolve() == target.resolve():
        raise BackupError(f"{target} is the database itself: back it up to another file")
    _private_empty_file(partial)
    try:
        if _is_sqlite(parsed):
            _sqlite_backup(Path(parsed.database), partial)
        else:
            _pg_dump(parsed, partial)
        _fsync(partial)
        os.replace(partial, target)
        _fsync_folder(target.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Done(f"backed up {shown(url)} to {target} ({size_text(target.stat().st_size)})")


def _private_empty_file(path: Path) -> None:
    """A new empty file only its owner can read (what a failed earlier run left there is replaced)."""
    try:
        path.unlink(missing_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise BackupError(f"cannot write {path}: {error.strerror}") from None


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_folder(folder: Path) -> None:
    try:
        _fsync(folder)
    except OSError:  # not every file system syncs folders; the rename is done either way
        pass


def _sqlite_backup(database: Path, partial: Path) -> None:
    if not database.is_file():
        raise BackupError(f"there is no database at {database}")
    try:
        # mode=rw (no mode=ro): opening never creates a file, and the last connection to close removes the -wal
        # and -shm files (a read-only one leaves them behind, owned by whoever ran the backup)
        source = sqlite3.connect(database.resolve().as_uri() + "?mode=rw", uri=True, timeout=30)
    except sqlite3.Error as error:
        raise BackupError(f"cannot open {database}: {error}") from None
    try:
        copy = sqlite3.connect(partial)
        try:
            # pages=-1: every page in one step, from one read snapshot (a consistent copy; writers go on in WAL mode)
            source.backup(copy, pages=-1)
            # a single self-contained file (no -wal beside it), checked before it takes the final name
            copy.execute("PRAGMA journal_mode=DELETE").fetchall()
            check = copy.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the copy of {database} does not pass SQLite's check: {check}")
        finally:
            copy.close()
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {database}: {error}") from None
    finally:
        source.close()


# -- restore -----------------------------------------------------------------------------------------
def describe(url: str, source: Path) -> str:
    """What a restore of `source` into `url` would do (BackupError when `source` cannot be restored there)."""
    parsed = _check_url(url)
    kind = _kind_of(Path(source))
    wanted = "sqlite" if _is_sqlite(parsed) else "postgresql"
    if kind != wanted:
        made = {"sqlite": "a SQLite database", "postgresql": "a pg_dump archive"}[kind]
        raise BackupError(f"{source} is {made}: it cannot be restored into {shown(url)}")
    return (f"restoring {source} ({size_text(Path(source).stat().st_size)}) replaces everything in {shown(url)}: "
            "stop the bot first")


def _kind_of(source: Path) -> str:
    try:
        with open(source, "rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"cannot read {source}: {error.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{source} is not a backup made by 'guichet db backup' (neither SQLite nor pg_dump's custom format)")


def restore(url: str, source: Path) -> Done:
    """Replace the database at `url` by the backup `source`, then upgrade its schema to the newest."""
    from knowledge.storage.engine import create_db_engine
    from knowledge.storage.migrate import head, upgrade

    describe(url, source)
    parsed = make_url(url)
    if _is_sqlite(parsed):
        _sqlite_restore(Path(source), Path(parsed.database))
    else:
        _pg_restore(url, parsed, Path(source))
    engine = create_db_engine(url)
    try:
        before = upgrade(engine)
    except Exception as error:  # e.g. a backup made by a newer version than this one
        raise BackupError(f"restored {source}, but cannot upgrade its schema ({type(error).__name__}: {error})") from error
    finally:
        engine.dispose()
    schema = (f"schema at the newest revision ({head()})" if before == head()
              else f"schema upgraded from {before or 'no version'} to {head()}")
    return Done(f"restored {source} into {shown(url)}; {schema}")


def _sqlite_restore(source: Path, database: Path) -> None:
    try:
        backup_db = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"cannot open {source}: {error}") from None
    try:
        check = backup_db.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{source} does not pass SQLite's check: {check}")
        database.parent.mkdir(parents=True, exist_ok=True)
        live = sqlite3.connect(database, timeout=30)
        try:
            backup_db.backup(live, pages=-1)  # replaces every page of the database, in one write transaction
        finally:
            live.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"cannot restore {source} into {database}: {error}") from None
    finally:
        backup_db.close()


# -- PostgreSQL's tools --------------------------------------------------------------------------------
def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed: apt-get install {CLIENT_PACKAGE} (its major version must be "
                          "the server's, or newer)")
    return path


def _connection(url: URL) -> Tuple[List[str], Dict[str, str]]:
    """The options naming the database for pg_dump, pg_restore and psql, and their environment (the password)."""
    options = ["--no-password"]  # never wait for a password on a terminal (a timer has none)
    if url.host:
        options.append(f"--host={url.host}")
    if url.port:
        options.append(f"--port={url.port}")
    if url.username:
        options.append(f"--username={url.username}")
    # The URL's query (e.g. ?sslmode=require, ?host=/var/run/postgresql) holds libpq's own keywords: passed on
    # in a connection string, with the database name.
    words = [f"dbname={_libpq_quoted(url.database or '')}"]
    environment = {**os.environ, "PGOPTIONS": "-c client_min_messages=warning"}
    for key, value in url.query.items():
        value = value[-1] if isinstance(value, tuple) else value
        if key == "password":
            environment["PGPASSWORD"] = value
        else:
            words.append(f"{key}={_libpq_quoted(value)}")
    options.append(f"--dbname={' '.join(words)}")
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    return options, environment


def _libpq_quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _failure(what: str, stderr: bytes, url: URL) -> BackupError:
    text = stderr.decode("utf-8", "replace").strip()
    if url.password:
        text = text.replace(str(url.password), "[redacted]")
    return BackupError(f"{what} failed: {text or 'no message'}")


def _pg_dump(url: URL, partial: Path) -> None:
    options, environment = _connection(url)
    command = [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", *options]
    result = subprocess.run(command, env=environment, stdin=subprocess.DEVNULL, capture_output=True)
    if result.returncode != 0:
        raise _failure("pg_dump", result.stderr, url)


def _tables(url: str) -> List[str]:
    """DROP statements for the tables the database has now (quoted, in its default schema)."""
    from sqlalchemy import inspect

    from knowledge.storage.engine import create_db_engine

    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            quote = engine.dialect.identifier_preparer.quote
            schema = inspector.default_schema_name
            return [f"{quote(schema)}.{quote(name)}" for name in inspector.get_table_names()]
    except Exception as error:  # driver errors: the server is down, the password is wrong
        raise BackupError(f"cannot connect to {shown(url)}: {type(error).__name__}: {error}") from None
    finally:
        engine.dispose()


def _pg_restore(url_text: str, url: URL, source: Path) -> None:
    """pg_restore writes the archive as SQL; psql runs it in one transaction, after dropping today's tables.

    The SQL is passed on through this process, and psql's input is closed (so that it commits) only once
    pg_restore has read the whole archive without error; otherwise psql is stopped and nothing changes."""
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    tables = _tables(url_text)
    options, environment = _connection(url)
    drop = f"DROP TABLE IF EXISTS {', '.join(tables)} CASCADE" if tables else "SELECT 1"
    with tempfile.TemporaryFile() as reader_errors, tempfile.TemporaryFile() as writer_errors:
        reader = subprocess.Popen([pg_restore, "--clean", "--if-exists", "--no-owner", "--file=-", str(source)],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=reader_errors)
        writer = subprocess.Popen([psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction",
                                   f"--command={drop}", "--file=-", *options],
                                  env=environment, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=writer_errors)
        try:
            try:
                shutil.copyfileobj(reader.stdout, writer.stdin, 1 << 16)
            except BrokenPipeError:  # psql stopped at an error: its message says which
                pass
            reader.stdout.close()
            if reader.wait() != 0:
                writer.kill()  # before its input ends: the transaction is never committed
                writer.wait()
                reader_errors.seek(0)
                raise _failure("pg_restore", reader_errors.read(), url)
            try:
                writer.stdin.close()  # the end of the script: psql commits
            except BrokenPipeError:
                pass
            if writer.wait() != 0:
                writer_errors.seek(0)
                raise _failure("restoring with psql", writer_errors.read(), url)
        finally:
            for process in (reader, writer):
                if process.poll() is None:
                    process.kill()
                    process.wait()
            for stream in (reader.stdout, writer.stdin):
                try:
                    stream.close()
                except OSError:  # psql is gone: what was buffered for it is dropped
                    pass


def restore_refused(url: str, source: Path) -> str:
    """The message of a restore asked for without --yes (after checking that it could be done)."""
    return describe(url, source) + "; add --yes to do it"
