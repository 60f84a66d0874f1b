"""Shared fixtures: the real NLU model (cached by hash), compiled catalogs, knowledge, SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

# Rasa 3.6 (pinned) uses declarative_base(); SQLAlchemy's one-off "uber" notice about it ignores warning filters
# and has this documented switch. Set before anything imports SQLAlchemy.
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.assistant import Assistant, KnowledgeHolder, Parts
from bot.i18n import Catalogs
from bot.settings import PROJECT_ROOT
from knowledge.loader import load_directory
from knowledge.storage import Storage, metadata

KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge" / "data"
POSTGRES_URL = os.environ.get("GUICHET_TEST_DATABASE_URL",
                              "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/guichet_test")


@pytest.fixture(scope="session")
def nlu_model() -> Path:
    """The real model for the current config and data: reused when `make setup` trained it, else trained once.

    GUICHET_TEST_MODEL=<model.tar.gz> uses that model instead: for trying a change of code that does not change
    what is trained (its hash differs from the data's); `make test` never sets it."""
    from bot.cli import CONFIG, NLU_DATA
    from nlu.training import train

    if os.environ.get("GUICHET_TEST_MODEL"):
        return Path(os.environ["GUICHET_TEST_MODEL"])

    path, _trained = train(CONFIG, NLU_DATA, PROJECT_ROOT / "models")
    return path


@pytest.fixture(scope="session")
def parser(nlu_model):
    from nlu.parser import NLUParser

    parser = NLUParser(nlu_model)
    yield parser
    parser.close()


@pytest.fixture(scope="session")
def nlu_worker(nlu_model):
    """The same model in a child process, as `guichet run` uses it (nlu/worker.py)."""
    from nlu.worker import NLUWorker

    worker = NLUWorker(nlu_model)
    yield worker
    worker.close()


@pytest.fixture(scope="session")
def locales_dir(tmp_path_factory) -> Path:
    """Every catalog compiled from its .po into a temporary folder (tests never depend on stale .mo files)."""
    target = tmp_path_factory.mktemp("locales")
    for po in (PROJECT_ROOT / "locales").glob("*/LC_MESSAGES/messages.po"):
        out = target / po.parent.parent.name / "LC_MESSAGES"
        out.mkdir(parents=True)
        with po.open("rb") as source, (out / "messages.mo").open("wb") as mo:
            write_mo(mo, read_po(source))
    return target


@pytest.fixture(scope="session")
def catalogs(locales_dir) -> Catalogs:
    return Catalogs(locales_dir)


@pytest.fixture(scope="session")
def knowledge():
    result = load_directory(KNOWLEDGE_DIR)
    assert not result.errors, "\n".join(map(str, result.errors))
    return result.knowledge


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'guichet.sqlite3'}"


@pytest.fixture
def postgres_url() -> str:
    """A clean PostgreSQL database (tests/postgres.sh, run by `make test`, starts the server)."""
    from sqlalchemy import create_engine

    engine = create_engine(POSTGRES_URL, future=True)
    try:
        metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    finally:
        engine.dispose()
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgres"])
def storage(request, tmp_path):
    """The same storage tests against both databases."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    store = Storage(url, secret=uuid.uuid4().bytes)
    yield store
    store.close()


@pytest.fixture
def sqlite_storage(sqlite_url):
    store = Storage(sqlite_url, secret=b"test-secret")
    yield store
    store.close()


def build_assistant(storage, knowledge, catalogs, *, gaps=None, places=None, **options) -> Assistant:
    """An assistant on `storage`'s people with `knowledge` (a KnowledgeBase), as `guichet chat` builds one."""
    return Assistant(Parts.build(storage.people, KnowledgeHolder(knowledge), catalogs, "en", places), gaps=gaps, **options)


@pytest.fixture
def assistant(sqlite_storage, knowledge, catalogs) -> Assistant:
    """The shipped knowledge, no interpreting desk; needs no NLU model (messages come parsed, see `say`)."""
    return build_assistant(sqlite_storage, knowledge, catalogs)


@pytest.fixture(scope="session")
def say(parser):
    """say(front, sender, text): the replies to a text message, parsed once by the real model as front ends do."""
    def say(front, sender, text):
        return front.message(sender, text, parser.parse(text) if text and text.strip() else None)

    return say
