"""A real python-telegram-bot Application, long polling a fake Bot API server, for end-to-end tests."""

from __future__ import annotations

import dataclasses
from contextlib import asynccontextmanager
from typing import AsyncIterator

from bot.app import build_application
from bot.assistant import Assistant
from bot.fake_bot_api import FakeBotAPI
from bot.settings import Settings


@asynccontextmanager
async def running_bot(assistant: Assistant, **options) -> AsyncIterator[FakeBotAPI]:
    """Start the fake server and the bot (settings `options` override the defaults); stop both afterwards.

    `knowledge_updates` goes to `build_application`, everything else to `Settings`.
    """
    api = FakeBotAPI()
    base_url = await api.start()
    updates = options.pop("knowledge_updates", None)
    settings = dataclasses.replace(Settings.from_env({}), telegram_bot_token=api.token, telegram_api_base_url=base_url,
                                   **options)
    application = build_application(settings, assistant, knowledge_updates=updates)
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
        await application.shutdown()
        await application.post_shutdown(application)
        await api.stop()
