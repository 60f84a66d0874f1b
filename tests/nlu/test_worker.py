"""The NLU model in a child process: same answers as in process, batches from the event loop, restarts."""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time

import pytest

from nlu.parser import ModelNotFound
from nlu.worker import NLUWorker, NLUWorkerError

TEXTS = [
    "my landlord wants to throw me out, where can I sleep tonight",
    "je n'ai pas été payé depuis deux mois par mon patron",
    "أريد أن أعادل شهادتي الجامعية في بلجيكا",
    "Мне нужен переводчик на приём к врачу",
    "hello",
    "",
    "/start",
    "x" * 10_000,
]


@pytest.fixture
def worker(nlu_worker):
    return nlu_worker


def _same(a, b):
    assert (a.text, a.intent, a.language) == (b.text, b.intent, b.language)
    assert a.confidence == pytest.approx(b.confidence, abs=1e-6)


def _process_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return False


def test_the_worker_parses_in_another_process_exactly_like_the_parser(worker, parser):
    assert worker.pid != os.getpid()
    expected = parser.parse_many(TEXTS)
    for text, wanted in zip(TEXTS, expected):
        _same(worker.parse(text), wanted)
    batch = worker.parse_many(TEXTS)
    assert len(batch) == len(expected)
    for got, wanted in zip(batch, expected):
        _same(got, wanted)
    assert expected[2].language == "ar" and expected[0].intent == "ask_housing"


async def test_parses_from_the_event_loop_share_batches_and_keep_their_order(worker, parser):
    texts = TEXTS * 10  # 80 concurrent messages: more than two batches of 32
    expected = parser.parse_many(texts)
    got = await asyncio.gather(*(worker.parse_async(text) for text in texts))
    for a, b in zip(got, expected):
        _same(a, b)
    assert worker._in_flight == 0 and not worker._waiting


async def test_a_killed_nlu_process_is_replaced_and_no_message_is_lost(worker, parser):
    expected = parser.parse_many(TEXTS)
    first = worker.pid
    os.kill(first, signal.SIGKILL)
    got = await asyncio.gather(*(worker.parse_async(text) for text in TEXTS))
    for a, b in zip(got, expected):
        _same(a, b)
    assert worker.pid != first and _process_gone(first)

    second = worker.pid
    os.kill(second, signal.SIGKILL)
    _same(worker.parse(TEXTS[1]), expected[1])  # the thread path restarts it too
    assert worker.pid not in (first, second)


def test_close_stops_the_process_and_removes_the_unpacked_model(nlu_model):
    worker = NLUWorker(nlu_model)
    pid, workdir = worker.pid, worker._workdir
    assert worker.parse("hello").intent == "greet"
    assert any(workdir.iterdir())  # the model is unpacked there
    worker.close()
    assert _process_gone(pid) and not workdir.exists()


def test_a_missing_or_broken_model_is_a_clear_error(tmp_path, monkeypatch):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where the worker unpacks the model: watched below
    with pytest.raises(ModelNotFound, match="guichet train"):
        NLUWorker(tmp_path / "nothing.tar.gz")
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a model")
    with pytest.raises(NLUWorkerError, match="could not load .*broken.tar.gz"):
        NLUWorker(broken)
    assert not list(temp.glob("guichet-nlu-worker-*"))  # the failed start removed its folder
