"""Webhook mode in one process: the real python-telegram-bot stack and our aiohttp server (bot/webhook.py) against
the fake Bot API, which POSTs updates to it as Telegram does; health and metrics."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from contextlib import asynccontextmanager

import aiohttp
import pytest

from bot.app import build_application
from bot.devtools.fake_bot_api import FakeBotAPI
from bot.settings import Settings
from bot.webhook import SECRET_HEADER, serve

pytestmark = pytest.mark.e2e

SECRET = "webhook-secret-for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def webhook_bot(assistant, parser, storage):
    api = FakeBotAPI()
    await api.start()
    port = free_port()
    settings = dataclasses.replace(Settings.from_env({}), telegram_bot_token=api.token, telegram_api_base_url=api.base_url,
                                   webhook_url=f"http://127.0.0.1:{port}/telegram", webhook_port=port, webhook_secret=SECRET)
    application = build_application(settings, assistant, parser, outbox=storage.outbox, inbox=storage.inbox)
    stop = asyncio.Event()
    task = asyncio.get_running_loop().create_task(serve(application, settings, stop))
    try:
        await api.wait_for(lambda calls: api.webhook is not None, 20)
        yield api, f"http://127.0.0.1:{port}", application
    finally:
        stop.set()
        await task
        await api.stop()


async def test_updates_come_by_webhook_and_are_stored_before_telegram_is_answered(assistant, parser, sqlite_storage):
    async with webhook_bot(assistant, parser, sqlite_storage) as (api, base, _application):
        assert api.webhook == {"url": f"{base}/telegram", "secret": SECRET}
        api.send_text(501, "Where can I learn French?", "en")
        await api.replies(501, 1, 20)  # answered: the update came by webhook
        assert api.webhook_answers[200] == 1
        async with aiohttp.ClientSession() as session:
            update = {"update_id": 9001, "message": {"message_id": 1, "date": 0, "chat": {"id": 502, "type": "private"},
                                                     "from": {"id": 502, "is_bot": False, "first_name": "X"}, "text": "hi"}}
            # without the secret (anyone who guessed the URL): refused, nothing stored, nothing answered
            async with session.post(f"{base}/telegram", json=update) as response:
                assert response.status == 403
            async with session.post(f"{base}/telegram", json=update, headers={SECRET_HEADER: "wrong"}) as response:
                assert response.status == 403
            # not an update
            async with session.post(f"{base}/telegram", data=b"{not json", headers={SECRET_HEADER: SECRET}) as response:
                assert response.status == 400
            async with session.post(f"{base}/telegram", json=[1, 2], headers={SECRET_HEADER: SECRET}) as response:
                assert response.status == 400
        await asyncio.sleep(0.5)
        assert api.sent_to(502) == []
        assert sqlite_storage.inbox.unhandled() == []


async def test_health_and_metrics(assistant, parser, sqlite_storage, monkeypatch):
    async with webhook_bot(assistant, parser, sqlite_storage) as (api, base, application):
        api.send_text(601, "I need a lawyer", "en")
        api.send_text(602, "Bonjour, je cherche un logement", "fr")
        await api.replies(601, 1, 20)
        await api.replies(602, 1, 20)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/healthz") as response:
                assert response.status == 200
                assert await response.json() == {"status": "ok", "database": True, "nlu": True, "accepting": True}
            async with session.get(f"{base}/metrics") as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("text/plain")
                body = await response.text()
            values = {line.split()[0]: float(line.split()[1]) for line in body.splitlines() if line and not line.startswith("#")}
            assert values["guichet_updates_total"] == 2
            assert values["guichet_replies_sent_total"] == len([c for c in api.calls if c.method.startswith("send")])
            assert values["guichet_nlu_seconds_count"] == 2
            assert values['guichet_telegram_retries_total{reason="flood_control_429"}'] == 0
            assert values["guichet_outbox_queued"] == 0
            for private in ("601", "602", "lawyer", "logement", api.token):  # counts only: no id, no text
                assert private not in body

            # the database does not answer: the load balancer is told
            def down():
                raise OSError("connection refused")

            monkeypatch.setattr(sqlite_storage.inbox, "ping", down)
            async with session.get(f"{base}/healthz") as response:
                assert response.status == 503
                assert (await response.json())["database"] is False
