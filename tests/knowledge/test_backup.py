"""`guichet db backup` and `guichet db restore` (knowledge/storage/backup.py), through the command's main function,
on SQLite and PostgreSQL: the data come back exactly, an older backup is upgraded, a failure leaves nothing
half-written, nothing happens without --yes, and the password never reaches a command line."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.cli import main
from knowledge.storage import Storage, create_db_engine
from knowledge.storage.migrate import BASELINE, _config, current, head
from knowledge.storage.people import People

SECRET = b"backup-test-secret"


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path, monkeypatch) -> str:
    """A fresh database of each kind, named by DATABASE_URL as `guichet` reads it."""
    database = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("GUICHET_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("GUICHET_INSTANCE", raising=False)
    yield database
    if request.param == "postgres":  # what a test added beside the schema (the fixture drops only the schema's tables)
        engine = create_db_engine(database)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS added_later")
        engine.dispose()


@pytest.fixture
def guichet(capsys):
    """guichet(*args) -> (exit code, stdout, stderr): `bot.cli.main` in this process, its logging undone after."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level

    def run(*args: str):
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def fill(url: str) -> dict:
    """People with a language, an interpreter, an open handover with relayed messages, an outbox row, gap
    counts, through the real storage classes; returns what to look for after a restore."""
    store = Storage(url, SECRET)
    try:
        store.people.set_language("telegram:501", "ti")
        store.people.set_language("telegram:502", "fa", detected=True)
        store.handovers.add_interpreter(801, "Amina", ["ar", "fr"])
        store.handovers.accept_conduct(801)
        request, _ = store.handovers.open_request("telegram:501", store.people.person("telegram:501").pseudonym, "ti",
                                                  "ti", "ask_housing", ["ask_housing", "ask_doctor"],
                                                  datetime.utcnow().replace(microsecond=0) + timedelta(minutes=15))
        store.handovers.add_message(request.id, "to_staff", "text", text="ሰላም")
        store.handovers.add_message(request.id, "to_staff", "location", latitude=50.63, longitude=5.57)
        outgoing = store.outbox.add([(501, 501, {"text": "Un interprète va vous répondre."})])
        store.gaps.count_unanswered("not_understood", "ti")
        return {"pseudonym": store.people.person("telegram:501").pseudonym, "request": request,
                "outbox": [o.payload for o in store.outbox.pending()], "outbox_id": outgoing[0].id}
    finally:
        store.close()


def change_everything(url: str) -> None:
    """What happens after the backup: changes, deletions, a new person."""
    store = Storage(url, SECRET)
    try:
        store.people.set_language("telegram:501", "en")
        store.people.forget("telegram:502")
        store.people.set_language("telegram:503", "ar")
        store.handovers.remove_interpreter(801)
        request = store.handovers.request_of("telegram:501")
        for message in store.handovers.undelivered(request.id):
            store.handovers.delivered(message.id)
        store.handovers.close(request.id, "note")
        store.outbox.sent([o.id for o in store.outbox.pending()])
        store.gaps.count_unanswered("out_of_scope", "en")
    finally:
        store.close()


def snapshot(url: str) -> dict:
    """Every row of every table (alembic_version too), in a stable order."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            tables = {}
            for name in sorted(inspect(connection).get_table_names()):
                rows = connection.execute(text(f'SELECT * FROM "{name}"')).fetchall()
                tables[name] = sorted((tuple(row) for row in rows), key=repr)
            return tables
    finally:
        engine.dispose()


def test_a_restore_brings_back_exactly_what_was_backed_up(url, tmp_path, guichet):
    filled = fill(url)
    before = snapshot(url)
    assert before["people"] and before["interpreters"] and before["handovers"] and before["relay_messages"]
    assert before["outbox"] and before["unanswered"]
    target = tmp_path / "guichet.backup"

    code, out, err = guichet("db", "backup", str(target))
    assert code == 0, err
    assert out.startswith(f"backed up {make_url(url).render_as_string(hide_password=True)} to {target} (")
    assert len(out.splitlines()) == 1 and out.rstrip().endswith("B)")  # "(… kB)": the size
    assert target.is_file() and not (tmp_path / "guichet.backup.partial").exists()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # people's data: for its owner only

    change_everything(url)
    changed = snapshot(url)
    assert changed != before

    code, out, err = guichet("db", "restore", "--yes", str(target))
    assert code == 0, err
    assert out.startswith(f"restored {target} into ") and f"schema at the newest revision ({head()})" in out
    assert snapshot(url) == before

    store = Storage(url, SECRET)
    try:
        assert store.people.person("telegram:501").language == "ti"
        assert store.people.person("telegram:501").pseudonym == filled["pseudonym"]
        assert store.people.person("telegram:502").detected_language == "fa"
        assert store.handovers.interpreter(801).languages == ("ar", "fr")
        assert store.handovers.interpreter(801).conduct_accepted
        request = store.handovers.request_of("telegram:501")
        assert request == filled["request"]
        assert [(m.kind, m.text, m.latitude) for m in store.handovers.undelivered(request.id)] == \
            [("text", "ሰላም", None), ("location", "", 50.63)]
        assert [o.payload for o in store.outbox.pending()] == filled["outbox"]
        # the id counters came back too: a new row does not take an id a restored row has
        assert store.outbox.add([(9, None, {"text": "x"})])[0].id > filled["outbox_id"]
    finally:
        store.close()


def test_restore_without_yes_refuses_and_changes_nothing(url, tmp_path, guichet):
    fill(url)
    target = tmp_path / "guichet.backup"
    assert guichet("db", "backup", str(target))[0] == 0
    change_everything(url)
    changed = snapshot(url)

    code, out, err = guichet("db", "restore", str(target))

    assert code == 1 and out == ""
    assert "replaces everything in" in err and "add --yes to do it" in err
    assert snapshot(url) == changed


def test_a_backup_made_by_an_older_version_is_upgraded_when_restored(url, tmp_path, guichet):
    """A database at the first revision, backed up; the live one then upgraded (with a table of its own that the
    backup does not have): the restore gives the backup's data at the newest schema, and nothing else."""
    from alembic import command

    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(_config(connection), BASELINE)
            key_hash = People(engine, SECRET).key_hash("telegram:7")
            connection.execute(text("INSERT INTO people (pseudonym, key_hash, language, created_on, last_seen_on) "
                                    "VALUES ('P-OLDVER', :key, 'ar', '2024-01-02', '2024-01-03')"), {"key": key_hash})
            connection.execute(text("INSERT INTO interpreters (telegram_id, name, languages, paused, added_on) "
                                    "VALUES (77, 'Samir', 'ar,fr', false, '2024-01-02')"))
        with engine.connect() as connection:
            assert current(connection) == BASELINE
    finally:
        engine.dispose()
    target = tmp_path / "old.backup"
    assert guichet("db", "backup", str(target))[0] == 0

    store = Storage(url, SECRET)  # the live database, upgraded by a newer version, then changed
    store.people.set_language("telegram:7", "fr")
    store.close()
    engine = create_db_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE added_later (x INTEGER)"))
    engine.dispose()

    code, out, err = guichet("db", "restore", "--yes", str(target))

    assert code == 0, err
    assert f"schema upgraded from {BASELINE} to {head()}" in out
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            assert current(connection) == head()
            assert "added_later" not in inspect(connection).get_table_names()
    finally:
        engine.dispose()
    store = Storage(url, SECRET)
    try:
        assert store.people.person("telegram:7").language == "ar"
        assert store.people.person("telegram:7").pseudonym == "P-OLDVER"
        assert store.handovers.interpreter(77).name == "Samir"
    finally:
        store.close()


def test_a_failed_backup_leaves_the_previous_file_and_nothing_half_written(url, tmp_path, guichet, monkeypatch):
    target = tmp_path / "guichet.backup"
    target.write_bytes(b"yesterday's backup")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":  # a file that is not a database
        Path(parsed.database).write_bytes(b"not a database" * 1000)
    else:  # a database that does not exist
        monkeypatch.setenv("DATABASE_URL", parsed.set(database="guichet_no_such_database").render_as_string(False))

    code, out, err = guichet("db", "backup", str(target))

    assert code == 1 and out == ""
    assert err.startswith("guichet: backup failed: ")
    assert target.read_bytes() == b"yesterday's backup"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("guichet.backup")) == ["guichet.backup"]


def test_restore_reports_an_unreadable_or_foreign_file(url, tmp_path, guichet):
    fill(url)
    before = snapshot(url)
    missing = guichet("db", "restore", "--yes", str(tmp_path / "missing.dump"))
    assert missing[0] == 1 and f"guichet: restore failed: cannot read {tmp_path / 'missing.dump'}: No such file" in missing[2]
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    foreign = guichet("db", "restore", "--yes", str(notes))
    assert foreign[0] == 1 and "is not a backup made by 'guichet db backup'" in foreign[2]
    # a backup of the other kind of database
    other = tmp_path / "other.backup"
    if make_url(url).get_backend_name() == "sqlite":
        other.write_bytes(b"PGDMP" + bytes(100))
        expected = "is a pg_dump archive: it cannot be restored into sqlite:"
    else:
        sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
        expected = "is a SQLite database: it cannot be restored into postgresql"
    assert expected in guichet("db", "restore", "--yes", str(other))[2]
    assert snapshot(url) == before


def test_a_truncated_postgresql_backup_changes_nothing(postgres_url, tmp_path, guichet, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("GUICHET_DATA_DIR", str(tmp_path / "data"))
    fill(postgres_url)
    target = tmp_path / "guichet.dump"
    assert guichet("db", "backup", str(target))[0] == 0
    change_everything(postgres_url)
    changed = snapshot(postgres_url)
    truncated = tmp_path / "truncated.dump"
    truncated.write_bytes(_cut_between_tables(target.read_bytes(), tmp_path / "scratch.dump"))

    code, _out, err = guichet("db", "restore", "--yes", str(truncated))

    assert code == 1 and "guichet: restore failed: pg_restore failed: " in err
    assert snapshot(postgres_url) == changed


def _cut_between_tables(archive: bytes, scratch: Path) -> bytes:
    """The archive cut where the outbox's data begins: the worst truncation. pg_restore writes the schema and the
    data of the tables before it, then the outbox's COPY header, and fails; psql, reaching the end of that script,
    would end the COPY with no rows and commit a database missing data and every primary key."""
    ends = [at + 5 for at in range(len(archive) - 6) if archive[at:at + 6] == bytes(5) + b"\x01"]  # 0, next block
    for end in ends:
        scratch.write_bytes(archive[:end])
        script = subprocess.run([_which("pg_restore"), "--file=-", str(scratch)], capture_output=True)
        last = script.stdout.rstrip().splitlines()[-1] if script.stdout.strip() else b""
        if script.returncode != 0 and last.startswith(b"COPY public.outbox ") and last.endswith(b"FROM stdin;"):
            assert b"CREATE TABLE public.outbox" in script.stdout and b"COPY public.handovers" in script.stdout
            return archive[:end]
    pytest.fail("the archive has no place where the outbox's data begins")


def test_sqlite_backup_while_another_connection_writes(sqlite_url, tmp_path, guichet, monkeypatch):
    """The bot in the middle of a write transaction: the backup neither waits for it nor copies half of it."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("GUICHET_DATA_DIR", str(tmp_path / "data"))
    fill(sqlite_url)
    before = snapshot(sqlite_url)
    writer = sqlite3.connect(make_url(sqlite_url).database, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE people SET language = 'xx'")
    writer.execute("DELETE FROM interpreters")
    writer.execute("INSERT INTO unanswered (day, language, kind, topic, count) VALUES ('2030-01-01', 'ti', 'x', '', 5)")
    target = tmp_path / "during.sqlite3"
    try:
        started = time.monotonic()
        code, out, err = guichet("db", "backup", str(target))
        elapsed = time.monotonic() - started
        # meanwhile the writer can still commit: the backup did not block it
        committing = threading.Thread(target=writer.execute, args=("COMMIT",))
        committing.start()
        committing.join(10)
        assert not committing.is_alive()
    finally:
        writer.close()
    assert code == 0, err
    assert elapsed < 10  # it did not wait for the writer (SQLite's busy timeout is 30 s)
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file, no -wal beside it
        assert {row[0] for row in copy.execute("SELECT language FROM people")} == {"ti", None}
        assert copy.execute("SELECT count(*) FROM interpreters").fetchone()[0] == 1
    finally:
        copy.close()
    assert snapshot(sqlite_url) != before  # the write was committed after the backup...
    assert guichet("db", "restore", "--yes", str(target))[0] == 0
    assert snapshot(sqlite_url) == before  # ...and the backup holds the state before it, whole


def test_pg_dump_gets_the_password_from_the_environment_only(postgres_url, tmp_path, guichet, monkeypatch):
    """Wrappers around pg_dump, pg_restore and psql record their arguments and PGPASSWORD, then run the real tool.
    (The test server trusts local connections, so any password is accepted.)"""
    password = "S3cret-never-on-a-command-line"
    url = make_url(postgres_url).set(password=password).render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("GUICHET_DATA_DIR", str(tmp_path / "data"))
    fill(url)
    stubs = tmp_path / "bin"
    stubs.mkdir()
    log = tmp_path / "calls.log"
    for tool in ("pg_dump", "pg_restore", "psql"):
        real = _which(tool)
        (stubs / tool).write_text(f'#!/bin/sh\necho "{tool} $* PGPASSWORD=$PGPASSWORD" >> "{log}"\nexec "{real}" "$@"\n')
        (stubs / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{stubs}{os.pathsep}{os.environ['PATH']}")
    target = tmp_path / "guichet.dump"

    backed_up = guichet("db", "backup", str(target))
    restored = guichet("db", "restore", "--yes", str(target))

    assert backed_up[0] == 0 and restored[0] == 0, backed_up[2] + restored[2]
    calls = log.read_text().splitlines()
    # pg_restore and psql run as a pipeline: either may start (and log) first
    assert sorted(call.split()[0] for call in calls) == ["pg_dump", "pg_restore", "psql"]
    for call in calls:
        arguments, _, environment = call.rpartition(" PGPASSWORD=")
        assert password not in arguments
        if not call.startswith("pg_restore"):  # pg_restore only turns the archive into SQL for psql
            assert environment == password
    assert password not in "".join(backed_up[1:] + restored[1:])  # nor in what the command printed
    assert "***" in backed_up[1]


def test_without_postgresql_client_the_command_says_what_to_install(postgres_url, tmp_path, guichet, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("GUICHET_DATA_DIR", str(tmp_path / "data"))
    fill(postgres_url)
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump, pg_restore nor psql there

    code, _out, err = guichet("db", "backup", str(tmp_path / "x.dump"))
    assert code == 1 and "pg_dump is not installed: apt-get install postgresql-client" in err
    (tmp_path / "x.dump").write_bytes(b"PGDMP" + bytes(100))
    code, _out, err = guichet("db", "restore", "--yes", str(tmp_path / "x.dump"))
    assert code == 1 and "pg_restore is not installed: apt-get install postgresql-client" in err


def test_pg_dump_matches_the_server():
    """pg_dump refuses a server newer than itself: the test server and the client are one major version."""
    from tests.conftest import POSTGRES_URL

    client = subprocess.run([_which("pg_dump"), "--version"], capture_output=True, text=True, check=True).stdout
    engine = create_db_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            server = connection.execute(text("SHOW server_version")).scalar_one()
    finally:
        engine.dispose()
    assert client.split()[2].split(".")[0] == server.split(".")[0], (client, server)


def _which(tool: str) -> str:
    import shutil

    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (Debian package postgresql-client)")
    return path


def test_a_database_owner_who_is_not_a_superuser_can_back_up_and_restore(postgres_url, tmp_path, guichet, monkeypatch):
    """The production set-up (deploy/DEPLOYING.md): `createuser guichet` (no superuser) owns its database."""
    admin = create_db_engine(postgres_url).execution_options(isolation_level="AUTOCOMMIT")
    name = "guichet_backup_owner"

    def drop():
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")

    try:
        drop()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB PASSWORD 'owner-password'")
            connection.exec_driver_sql(f"CREATE DATABASE {name} OWNER {name}")
    except DBAPIError as error:
        admin.dispose()
        pytest.skip(f"the test database's user may not create a role and a database: {error.orig}")
    url = make_url(postgres_url).set(username=name, password="owner-password", database=name).render_as_string(False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("GUICHET_DATA_DIR", str(tmp_path / "data"))
    try:
        fill(url)
        before = snapshot(url)
        target = tmp_path / "owner.dump"
        assert guichet("db", "backup", str(target))[0] == 0
        change_everything(url)
        code, _out, err = guichet("db", "restore", "--yes", str(target))
        assert code == 0, err
        assert snapshot(url) == before
    finally:
        drop()
        admin.dispose()
