"""The schema is versioned (knowledge/storage/migrations): a database made before migrations is upgraded in
place and keeps everything; the models and the migrations agree. SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import date, datetime, timedelta

import pytest

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from knowledge.loader import load_directory
from knowledge.storage import Storage, metadata, open_engine
from knowledge.storage.migrate import BASELINE, _config, current, head, include_name
from tests.conftest import KNOWLEDGE_DIR

SECRET = b"migration-test-secret"


def test_the_models_and_the_migrations_agree(storage):
    """A database made by the migrations has exactly the tables, columns and indexes of knowledge.storage.tables."""
    with storage.engine.connect() as connection:
        assert current(connection) == head()
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_a_database_made_before_migrations_is_upgraded_and_keeps_everything(storage):
    knowledge = load_directory(KNOWLEDGE_DIR).knowledge
    people = Storage(storage.url, SECRET)  # the same secret the bot would use
    try:
        people.knowledge.replace_knowledge(knowledge)
        people.people.set_language("telegram:501", "ti")
        people.people.set_language("telegram:502", "fa", detected=True)
        people.handovers.add_interpreter(801, "Amina", ["ar", "fr"])
        request, _ = people.handovers.open_request("telegram:501", "P-MIGR01", "ti", "ti", "ask_housing",
                                                   ["ask_housing"], datetime.utcnow() + timedelta(minutes=15))
        first = people.handovers.add_message(request.id, "to_staff", "text", text="ሰላም")
        second = people.handovers.add_message(request.id, "to_staff", "text", text="ገዛ የብለይን")
        people.gaps.count_unanswered("not_understood", "ti", day=date(2026, 12, 1))
        people.gaps.count_unanswered("not_understood", "ti", day=date(2026, 12, 1))
        digest = people.knowledge.knowledge_digest()
        persons = [people.people.person(key) for key in ("telegram:501", "telegram:502")]
        assert persons[0].language == "ti" and persons[1].detected_language == "fa"
        queued = people.outbox.add([(501, 501, {"text": "queued"})])
        people.inbox.receive([(77, {"update_id": 77}, 501)])
        with people.engine.begin() as connection:  # the database as the commit before migrations left it
            command.downgrade(_config(connection), BASELINE)
            connection.execute(text("DROP TABLE alembic_version"))
    finally:
        people.close()

    upgraded = Storage(storage.url, SECRET)
    try:
        with upgraded.engine.connect() as connection:
            assert current(connection) == head()
            assert "alembic_version" in inspect(connection).get_table_names()
        assert upgraded.knowledge.knowledge_digest() == digest
        assert [upgraded.people.person(key) for key in ("telegram:501", "telegram:502")] == persons
        assert [(i.telegram_id, list(i.languages)) for i in upgraded.handovers.roster()] == [(801, ["ar", "fr"])]
        kept = upgraded.handovers.request_of("telegram:501")
        assert (kept.id, kept.pseudonym, kept.token) == (request.id, "P-MIGR01", request.token)
        assert [(m.id, m.text) for m in upgraded.handovers.undelivered(request.id)] == [(first.id, "ሰላም"), (second.id, "ገዛ የብለይን")]
        assert [row[1:] for row in upgraded.gaps.unanswered_counts(date(2026, 11, 30))] == [("ti", "not_understood", "", 2)]
        assert upgraded.outbox.pending() == queued  # a reply not yet sent, and an update not yet handled
        assert upgraded.inbox.unhandled() == [(77, {"update_id": 77})]
    finally:
        upgraded.close()


def _open_and_report(url: str) -> str:
    engine = open_engine(url)
    try:
        with engine.connect() as connection:
            return current(connection)
    finally:
        engine.dispose()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_several_processes_opening_a_new_database_at_once_all_get_the_newest_schema(request, database):
    """Two instances (or the bot and `guichet kb import`) starting together on an empty database: four processes
    race to create the schema; every one opens it."""
    url = request.getfixturevalue("sqlite_url" if database == "sqlite" else "postgres_url")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        revisions = pool.map(_open_and_report, [url] * 4)
    assert revisions == [head()] * 4


def test_threads_of_one_process_upgrade_one_at_a_time(sqlite_url):
    """Alembic keeps its context in a global: concurrent upgrades in one process must not mix their steps."""
    results, errors = [], []

    def open_it():
        try:
            results.append(_open_and_report(sqlite_url))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and results == [head()] * 4
