"""A real python-telegram-bot Application, long polling a fake Bot API server, for end-to-end tests."""

from __future__ import annotations

import dataclasses
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from bot.app import build_application
from bot.assistant import FrontDesk, Parser
from bot.devtools.fake_bot_api import FakeBotAPI
from bot.settings import Settings
from knowledge.storage import Storage


@asynccontextmanager
async def running_bot(front: FrontDesk, parser: Parser, **options) -> AsyncIterator[FakeBotAPI]:
    """Start the fake server and the bot on `front` (settings `options` override the defaults); stop both afterwards.

    `knowledge_updates`, `desk_tick_seconds` and `drain_seconds` go to `build_application`; `storage` holds
    the outbox and inbox (default: a new SQLite file); everything else goes to `Settings`.
    With `api`, the bot talks to that (already started) server and leaves it running: a restart in a test.
    """
    api = options.pop("api", None)
    own_api = api is None
    if own_api:
        api = FakeBotAPI()
        await api.start()
    storage = options.pop("storage", None)
    own_storage = storage is None
    if own_storage:
        folder = tempfile.mkdtemp(prefix="guichet-outbox-")
        storage = Storage(f"sqlite:///{Path(folder) / 'outbox.sqlite3'}", b"test")
    app_options = {name: options.pop(name) for name in ("knowledge_updates", "desk_tick_seconds", "drain_seconds", "voices")
                   if name in options}
    settings = dataclasses.replace(Settings.from_env({}), telegram_bot_token=api.token, telegram_api_base_url=api.base_url,
                                   **options)
    application = build_application(settings, front, parser, outbox=storage.outbox, inbox=storage.inbox, **app_options)
    await application.initialize()
    await application.post_init(application)
    await application.updater.start_polling(poll_interval=0.0, timeout=1,
                                            allowed_updates=["message", "edited_message", "callback_query"])
    await application.start()
    try:
        yield api
    finally:
        await application.updater.stop()
        await application.stop()
        await application.post_stop(application)
        await application.shutdown()
        await application.post_shutdown(application)
        if own_storage:
            storage.close()
        if own_api:
            await api.stop()
