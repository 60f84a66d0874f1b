"""Two `guichet run` processes in webhook mode on one PostgreSQL database, behind a local balancer that alternates
between them (bot/devtools/balancer.py); the fake Bot API POSTs every update to the balancer, several at once, as
Telegram does. One person's messages reach both instances in turn. Issue 15."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.cli import import_knowledge
from bot.devtools.balancer import Balancer
from bot.devtools.fake_bot_api import FakeBotAPI
from knowledge.storage import Storage
from tests.bot.test_webhook import free_port
from tests.conftest import KNOWLEDGE_DIR

pytestmark = pytest.mark.e2e

SECRET = "two-instances-webhook-secret"
KEY_SECRET = "two-instances-key-secret"
PERSON, AMINA, KARIM = 7101, 8101, 8102
GUICHET = str(Path(sys.executable).parent / "guichet")


def texts(api, chat):
    return [c.text for c in api.sent_to(chat)]


async def healthy(base: str, timeout: float = 240.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            assert asyncio.get_running_loop().time() < deadline, f"{base} never became healthy"
            await asyncio.sleep(0.5)


def start_instance(name: str, port: int, api: FakeBotAPI, balancer_url: str, database_url: str, model: Path,
                   data_dir: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
           "DATABASE_URL": database_url, "GUICHET_INSTANCE": name, "GUICHET_WEBHOOK_URL": f"{balancer_url}/telegram",
           "GUICHET_WEBHOOK_PORT": str(port), "GUICHET_WEBHOOK_SECRET": SECRET, "GUICHET_SECRET": KEY_SECRET,
           "GUICHET_NLU_PROCESS": "0", "GUICHET_MODEL_DIR": str(model.parent), "GUICHET_DATA_DIR": str(data_dir),
           "GUICHET_KNOWLEDGE_POLL_SECONDS": "0"}
    with log.open("w") as output:  # the child keeps its own copy of the file
        return subprocess.Popen([GUICHET, "-v", "run"], env=env, cwd=data_dir, stdout=output, stderr=subprocess.STDOUT)


async def stop_instance(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    for _ in range(300):
        if process.poll() is not None:
            return process.returncode
        await asyncio.sleep(0.1)
    process.kill()
    raise AssertionError("the instance did not stop within 30 s")


async def exchange(api, send) -> list:
    """What the person got back for one message or press (all of it: the bot may answer with several)."""
    seen = len(api.sent_to(PERSON))
    send()
    await api.replies(PERSON, seen + 1, 30)
    await asyncio.sleep(1.0)
    return texts(api, PERSON)[seen:]


async def numbered(api, chat: int, first: int, count: int) -> list:
    """Send `count` numbered messages from the person at once; return their texts."""
    sent = [f"رسالة رقم {n} من الشخص" for n in range(first, first + count)]
    for text in sent:
        api.send_text(chat, text, "ar")
    return sent


async def test_two_instances_share_one_database(nlu_model, postgres_url, tmp_path, knowledge):
    storage = Storage(postgres_url, KEY_SECRET.encode())
    try:
        import_knowledge(storage, KNOWLEDGE_DIR)
        for telegram_id, name in ((AMINA, "Amina"), (KARIM, "Karim")):
            storage.handovers.add_interpreter(telegram_id, name, ["ar"])
            storage.handovers.accept_conduct(telegram_id)
    finally:
        storage.close()

    api = FakeBotAPI()
    await api.start()
    ports = [free_port(), free_port()]
    balancer = Balancer([f"http://127.0.0.1:{port}" for port in ports])
    balancer_url = await balancer.start()
    processes = {}
    try:
        for name, port in zip("ab", ports):
            processes[name] = start_instance(name, port, api, balancer_url, postgres_url, nlu_model, tmp_path,
                                             tmp_path / f"{name}.log")
        for port in ports:
            await healthy(f"http://127.0.0.1:{port}")

        # the language chosen on one instance holds on the other
        english = await exchange(api, lambda: api.send_text(PERSON, "/help", "ar"))
        await exchange(api, lambda: api.press(PERSON, "lang:fr", "ar"))
        french = [await exchange(api, lambda: api.send_text(PERSON, "/help", "ar")) for _ in range(2)]
        assert french[0] == french[1] != english
        await exchange(api, lambda: api.press(PERSON, "lang:ar", "ar"))

        # the answer history, used for the interpreter's briefing, is shared: the bot's housing answer on one
        # instance, the request for a person on the other
        seen = len(api.sent_to(PERSON))
        api.send_text(PERSON, "عندي مشكلة في السكن، صاحب البيت يريد طردي", "ar")
        await api.wait_for(lambda calls: any("🏢" in t for t in texts(api, PERSON)[seen:]), 30)
        seen = len(api.sent_to(PERSON))
        api.send_text(PERSON, "أريد أن أتكلم مع شخص حقيقي من فضلك", "ar")
        offer = (await api.replies(PERSON, seen + 1, 30))[seen]
        assert "human:lang:ar" in {b["callback_data"] for b in offer.buttons}
        api.press(PERSON, "human:lang:ar", "ar")
        consent = (await api.replies(PERSON, seen + 2, 30))[seen + 1]
        assert "human:yes:ar" in {b["callback_data"] for b in consent.buttons}
        api.press(PERSON, "human:yes:ar", "ar")  # the consent shown by one instance is accepted by the other
        cards = [(await api.replies(chat, 1, 30))[-1] for chat in (AMINA, KARIM)]
        for card in cards:
            assert "🏠" in card.text  # the topic the bot answered, whichever instance answered it
        take = cards[0].buttons[0]["callback_data"]
        assert take.startswith("take:") and take == cards[1].buttons[0]["callback_data"]
        pseudonym = re.search(r"P-[A-Z0-9]{6}", cards[0].text).group(0)

        # both interpreters press Take at the same moment, on different instances: exactly one owner
        api.press(AMINA, take, "ar")
        api.press(KARIM, take, "ar")
        # the winner: the card, then "you now handle"; the other: the card, "too late", "taken by another"
        await api.wait_for(lambda calls: len(api.sent_to(AMINA)) + len(api.sent_to(KARIM)) >= 5, 30)
        await asyncio.sleep(1.0)
        won = [chat for chat in (AMINA, KARIM) if any(pseudonym in t and "/handback" in t for t in texts(api, chat)[1:])]
        assert len(won) == 1, (texts(api, AMINA), texts(api, KARIM))
        winner = won[0]

        # the relay order holds although the messages are handled by both instances, several at once
        w_seen = len(api.sent_to(winner))
        sent = await numbered(api, PERSON, 1, 8)
        relayed = await api.replies(winner, w_seen + 8, 60)
        order = [next(n for n, text in enumerate(sent) if text in call.text) for call in relayed[w_seen:w_seen + 8]]
        assert order == list(range(8))
        assert all(balancer.sent[f"http://127.0.0.1:{port}"] > 5 for port in ports)  # both did share the work

        # instance a stops in the middle of a burst: instance b finishes the work; nothing lost, nothing twice,
        # the order kept (what reaches a while it stops is stored and left to b)
        w_seen = len(api.sent_to(winner))
        sent = await numbered(api, PERSON, 101, 10)
        await asyncio.sleep(0.3)
        assert await stop_instance(processes.pop("a")) == 0
        relayed = await api.replies(winner, w_seen + 10, 90)
        got = [call.text for call in relayed[w_seen:]]
        assert [next(n for n, text in enumerate(sent) if text in call) for call in got] == list(range(10)), got
        await asyncio.sleep(2.0)
        assert len(api.sent_to(winner)) == w_seen + 10  # and no duplicate came later

        # the interpreter's answer goes back to the person through the instance left
        p_seen = len(api.sent_to(PERSON))
        api.send_text(winner, "مرحبا، أنا هنا", "ar")
        answer = (await api.replies(PERSON, p_seen + 1, 30))[p_seen]
        assert "أنا هنا" in answer.text
    finally:
        for process in processes.values():
            await stop_instance(process)
        await balancer.stop()
        await api.stop()
        for name in "ab":
            log = (tmp_path / f"{name}.log").read_text() if (tmp_path / f"{name}.log").exists() else ""
            print(f"--- instance {name} ---\n" + "\n".join(l for l in log.splitlines() if "update" in l or "lease" in l))
