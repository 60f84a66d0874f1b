"""Clean stops: whatever moment `guichet run` is stopped at (or killed), no process of it remains.

The bot runs in a session of its own, so every process it started (the NLU process, multiprocessing's resource
tracker) is found by its session id in /proc."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest

from bot.devtools.fake_bot_api import FakeBotAPI
from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def _session(sid: int) -> List[int]:
    """The live processes (not zombies) of session `sid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, pgrp, session, …
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


async def _until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("moment,signal_number", [
    ("importing", signal.SIGTERM),  # before any child exists
    ("loading the model", signal.SIGTERM),  # the NLU process is loading the model
    ("polling", signal.SIGTERM),  # started: python-telegram-bot's own clean stop
    ("loading the model", signal.SIGKILL),  # the bot dies without a chance to clean up: its child follows
])
async def test_a_stop_at_any_moment_of_start_up_leaves_no_process(nlu_model, tmp_path, moment, signal_number):
    api = FakeBotAPI()
    await api.start()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}", "GUICHET_DATA_DIR": str(tmp_path),
           "GUICHET_MODEL_DIR": str(nlu_model.parent)}
    log = tmp_path / "bot.log"
    try:
        with open(log, "wb") as stderr:
            bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=PROJECT_ROOT,
                                   stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
        try:
            if moment == "importing":
                await asyncio.sleep(0.3)
                assert _session(bot.pid) == [bot.pid], "the bot started a child earlier than expected"
            elif moment == "loading the model":
                await _until(lambda: len(_session(bot.pid)) > 1, 60, "the NLU process never started")
                await asyncio.sleep(0.5)
                assert api.polls == 0, "the model loaded faster than expected: not a stop during loading"
            else:
                await _until(lambda: api.polls > 0, 120, "the bot never polled")
            children = [pid for pid in _session(bot.pid) if pid != bot.pid]
            bot.send_signal(signal_number)
            bot.wait(30)
            await _until(lambda: not _session(bot.pid), 15,
                         f"processes left after {signal.Signals(signal_number).name} while {moment}: {_session(bot.pid)}")
            if moment != "importing":
                assert children, "there was no child to stop"
            if signal_number == signal.SIGTERM:
                assert bot.returncode in (0, 128 + signal.SIGTERM), log.read_text(errors="replace")[-2000:]
        finally:
            for pid in _session(bot.pid):
                os.kill(pid, signal.SIGKILL)
    finally:
        await api.stop()
