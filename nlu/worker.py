"""The NLU model in a process of its own, so that parsing runs on another core than the bot.

The bot's process spends its core on Telegram's HTTP traffic and the database; Python runs one thread at
a time, so a model in the same process takes its share of that one core. `NLUWorker` has NLUParser's
interface (`parse`, `parse_many`, `close`) and batches concurrent parses the same way; the batch is parsed
by a child process that loaded the model once.

`parse_async` is for the event loop: a message waits for its parse without holding a thread, so the
bot's few threads stay free for the database while up to two batches are in the child's pipe.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
import os
import shutil
import signal
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import List, Optional, Sequence, Set, Tuple

from nlu.parser import BatchingParser, NLUParser, ParseResult, existing_model

logger = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 300.0
PARENT_CHECK_SECONDS = 0.5  # how soon a child whose parent died ends itself

_parser: Optional[NLUParser] = None  # the model, in the child process only


class NLUWorkerError(RuntimeError):
    """The NLU process could not start or keeps dying."""


def _exit_with(parent: int, every: float = PARENT_CHECK_SECONDS) -> None:
    """In the child: end this process as soon as `parent` is gone (killed, or stopped before it could close us).

    A thread that asks for the parent's pid works whatever the parent died of, even while the model is still
    loading; Linux's PR_SET_PDEATHSIG would fire when the *thread* that started the child ends, not the process."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(0)


def _load(model_path: str, workdir: str, parent: int) -> None:
    """Runs first in the child: follow the parent, then load the model once."""
    # Ctrl+C and a terminal hang-up are the bot's to handle; the bot stops this process when it stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), name="follow-parent", daemon=True).start()
    global _parser
    _parser = NLUParser(Path(model_path), Path(workdir))


def _parse_batch(texts: List[str]) -> List[ParseResult]:
    assert _parser is not None, "the NLU process has no model"
    return _parser.parse_many(texts)


class NLUWorker(BatchingParser):
    """A Rasa NLU model loaded in a child process. Thread-safe; concurrent parses share batches.

    The constructor returns once the model is loaded. A child that dies is started again, once per batch.
    """

    IN_FLIGHT = 2  # batches sent to the child at once: it starts the next as soon as one is done

    def __init__(self, model_path: Path):
        super().__init__()
        self.model_path = existing_model(model_path)
        self._workdir = Path(tempfile.mkdtemp(prefix="guichet-nlu-worker-"))
        self._executor: Optional[ProcessPoolExecutor] = None
        self._restart_lock = threading.Lock()
        self._waiting: List[Tuple[str, "asyncio.Future[ParseResult]"]] = []  # parse_async, event loop only
        self._in_flight = 0
        self._batches: Set["asyncio.Task[None]"] = set()
        try:
            self.pid = self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> int:
        executor = ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("spawn"), initializer=_load,
            initargs=(str(self.model_path), str(self._workdir), os.getpid()),
        )
        self._executor = executor
        try:
            return executor.submit(os.getpid).result(timeout=START_TIMEOUT_SECONDS)
        except BrokenProcessPool:
            raise NLUWorkerError(f"the NLU process could not load {self.model_path} (its error is printed above)") from None

    def _restart(self, broken: Optional[ProcessPoolExecutor]) -> None:
        """Replace `broken` by a new child, unless another thread did already."""
        with self._restart_lock:
            if self._executor is broken:
                logger.error("the NLU process (pid %s) died; starting a new one", self.pid)
                if broken is not None:
                    broken.shutdown(wait=False)
                self.pid = self._start()

    def _run_batch(self, texts: Sequence[str]) -> List[ParseResult]:
        executor = self._executor
        try:
            return executor.submit(_parse_batch, list(texts)).result()
        except BrokenProcessPool:
            self._restart(executor)
            return self._executor.submit(_parse_batch, list(texts)).result()

    async def parse_async(self, text: str) -> ParseResult:
        """Parse `text` from the event loop; concurrent calls share batches."""
        future: "asyncio.Future[ParseResult]" = asyncio.get_running_loop().create_future()
        self._waiting.append((text, future))
        self._send_batches()
        return await future

    def _send_batches(self) -> None:
        while self._waiting and self._in_flight < self.IN_FLIGHT:
            batch, self._waiting = self._waiting[: self.MAX_BATCH], self._waiting[self.MAX_BATCH:]
            self._in_flight += 1
            task = asyncio.get_running_loop().create_task(self._parse_async_batch(batch))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    async def _parse_async_batch(self, batch: List[Tuple[str, "asyncio.Future[ParseResult]"]]) -> None:
        texts = [text for text, _future in batch]
        try:
            executor = self._executor
            try:
                results = await asyncio.wrap_future(executor.submit(_parse_batch, texts))
            except BrokenProcessPool:
                await asyncio.to_thread(self._restart, executor)  # loading a model must not stall the loop
                results = await asyncio.wrap_future(self._executor.submit(_parse_batch, texts))
        except asyncio.CancelledError:  # the bot is stopping: nobody waits any more
            for _text, future in batch + self._waiting:
                future.cancel()
            self._waiting, self._in_flight = [], self._in_flight - 1
            raise
        except Exception as error:  # every waiting message learns about it
            for _text, future in batch:
                if not future.done():
                    future.set_exception(error)
        else:
            for (_text, future), result in zip(batch, results):
                if not future.done():  # its handler may have been cancelled
                    future.set_result(result)
        self._in_flight -= 1
        self._send_batches()

    def close(self) -> None:
        """Stop the child at once, even while it is still loading the model (a stop during start-up)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            processes = list((getattr(executor, "_processes", None) or {}).values())
            executor.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            for process in processes:
                process.join(5)
                if process.is_alive():
                    process.kill()
                    process.join(5)
        shutil.rmtree(self._workdir, ignore_errors=True)
