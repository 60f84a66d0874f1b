"""New knowledge reaches the running bot without a restart: /reload for admins, and following `guichet kb import`."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from bot.assistant import Assistant, KnowledgeHolder, Parts
from bot.knowledge_updates import KnowledgeUpdates
from knowledge.updates import import_directory
from tests.bot.running import running_bot
from tests.conftest import KNOWLEDGE_DIR

pytestmark = pytest.mark.e2e

ADMIN, PERSON = 900, 901
HOUSING = "topics/housing.yml"


@pytest.fixture
def knowledge_dir(tmp_path):
    directory = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, directory)
    return directory


@pytest.fixture
async def bot(parser, sqlite_storage, catalogs, knowledge_dir):
    """A running bot whose knowledge comes from the database, followed every 0.1 s."""
    assert import_directory(sqlite_storage.knowledge, knowledge_dir, catalogs.languages).imported
    holder = KnowledgeHolder(sqlite_storage.knowledge.load_knowledge())
    updates = KnowledgeUpdates(sqlite_storage.knowledge, holder, knowledge_dir, catalogs.languages)
    assistant = Assistant(Parts.build(sqlite_storage.people, holder, catalogs, "en"))
    async with running_bot(assistant, parser, admin_ids=frozenset({ADMIN}), knowledge_poll_seconds=0.1,
                           knowledge_updates=updates) as api:
        yield api


def rename_housing(directory, title: str) -> None:
    path = directory / HOUSING
    path.write_text(path.read_text(encoding="utf-8").replace("en: Housing and shelter", f"en: {title}"), encoding="utf-8")


async def housing_title(api, chat: int, already: int) -> str:
    api.press(chat, "topic:ask_housing")
    return (await api.replies(chat, already + 1))[already].text.split("\n")[0]


async def test_admin_reload_swaps_valid_files_and_keeps_the_live_knowledge_on_errors(bot, knowledge_dir):
    api = bot
    assert "Housing and shelter" in await housing_title(api, PERSON, 0)

    broken = knowledge_dir / "services" / "cpas-liege.yml"
    broken.write_text(broken.read_text(encoding="utf-8").replace('phone: ["04 220 58 11"]', "phone: [call-me]"),
                      encoding="utf-8")
    rename_housing(knowledge_dir, "Housing RELOADED")
    api.send_text(ADMIN, "/reload")
    refused = (await api.replies(ADMIN, 1))[0].text
    assert refused.startswith("❌") and "services/cpas-liege.yml:" in refused and "is not a phone number" in refused
    assert "Housing and shelter" in await housing_title(api, PERSON, 1)  # live knowledge untouched

    broken.write_text((KNOWLEDGE_DIR / "services" / "cpas-liege.yml").read_text(encoding="utf-8"), encoding="utf-8")
    api.send_text(ADMIN, "/reload")
    services = len(list((knowledge_dir / "services").glob("*.yml")))
    assert (await api.replies(ADMIN, 2))[1].text.startswith(f"✅ imported 14 topics, {services} services and 60 answers")
    assert "Housing RELOADED" in await housing_title(api, PERSON, 2)


async def test_reload_is_an_unknown_command_for_everyone_else(bot, knowledge_dir):
    api = bot
    rename_housing(knowledge_dir, "Housing NOT RELOADED")
    api.send_text(PERSON, "/reload")
    assert "don't know the command /reload" in (await api.replies(PERSON, 1))[0].text
    assert "Housing and shelter" in await housing_title(api, PERSON, 1)


async def test_the_bot_follows_an_import_done_from_the_shell(bot, knowledge_dir, sqlite_storage, catalogs):
    api = bot
    rename_housing(knowledge_dir, "Housing FROM THE SHELL")
    assert import_directory(sqlite_storage.knowledge, knowledge_dir, catalogs.languages).imported  # = guichet kb import
    await asyncio.sleep(0.5)  # a few rounds of the 0.1 s watch
    assert "Housing FROM THE SHELL" in await housing_title(api, PERSON, 0)


async def test_sighup_makes_the_real_bot_process_take_an_import_at_once(tmp_path, knowledge_dir, nlu_model):
    """`guichet run` as a process, its poll turned off: after `guichet kb import`, only SIGHUP can make it reload."""
    import signal
    import subprocess
    import sys

    from bot.devtools.bench import bot_process
    from bot.settings import PROJECT_ROOT

    async with bot_process(DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}", GUICHET_DATA_DIR=str(tmp_path),
                           GUICHET_MODEL_DIR=str(nlu_model.parent), GUICHET_KNOWLEDGE_DIR=str(knowledge_dir),
                           GUICHET_KNOWLEDGE_POLL_SECONDS="0") as bot:
        api = bot.api
        assert "Housing and shelter" in await housing_title(api, PERSON, 0)
        rename_housing(knowledge_dir, "Housing AFTER SIGHUP")
        imported = subprocess.run([sys.executable, "-m", "bot.cli", "kb", "import"], env=bot.env, cwd=PROJECT_ROOT,
                                  capture_output=True, text=True)
        assert imported.returncode == 0, imported.stderr
        await asyncio.sleep(0.5)
        assert "Housing and shelter" in await housing_title(api, PERSON, 1)  # no poll: still the old knowledge
        bot.process.send_signal(signal.SIGHUP)
        await asyncio.sleep(0.5)
        assert "Housing AFTER SIGHUP" in await housing_title(api, PERSON, 2)
