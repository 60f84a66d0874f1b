"""`guichet bench`: the real bot process (real model, real SQLite) driven over HTTP by a local fake Bot API.

Measures, as medians of several runs: answered messages per second under a burst, p50/p95 latency from a
person's message to the bot's first reply at a steady rate, peak RSS of the bot process, cold start
(process start -> first getUpdates) and the time to validate and import 1,000 generated services.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Dict, List, Optional

from bot.devtools.fake_bot_api import FakeBotAPI
from bot.settings import PROJECT_ROOT, Settings

FIRST_USER = 10_000_000


def _questions() -> List[str]:
    """Realistic questions in en, fr and ar: the held-out test messages (never the training data)."""
    from nlu.training import read_examples

    return [e.text for e in read_examples(sorted((PROJECT_ROOT / "nlu" / "tests").glob("*.yml")))]


def _process_tree(pid: int) -> List[int]:
    """`pid` and its descendants (the NLU process, multiprocessing's resource tracker)."""
    tree = [pid]
    try:
        children = [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]
    except FileNotFoundError:  # it exited meanwhile
        return tree
    for child in children:
        tree += _process_tree(child)
    return tree


def _peak_rss_mb(pid: int) -> float:
    """The sum of every process's own peak RSS in the tree of `pid` (an upper bound of their joint peak)."""
    total = 0
    for member in _process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except FileNotFoundError:  # it exited meanwhile
            continue
        total += sum(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return total / 1024


async def _first_replies(api: FakeBotAPI, sent: Dict[int, float], timeout: float) -> Dict[int, float]:
    """Wait until every chat in `sent` got a reply; return chat -> seconds from its message to the first reply."""
    deadline = time.monotonic() + timeout
    latencies: Dict[int, float] = {}
    seen = 0
    while len(latencies) < len(sent) and time.monotonic() < deadline:
        for call in api.calls[seen:]:
            if call.method == "sendMessage" and call.chat_id in sent and call.chat_id not in latencies:
                latencies[call.chat_id] = call.at - sent[call.chat_id]
        seen = len(api.calls)
        await asyncio.sleep(0.01)
    return latencies


@dataclass
class BotProcess:
    """A real `guichet run` process talking to `api`; `env` is its environment, `started` its start time."""

    api: FakeBotAPI
    process: subprocess.Popen
    env: Dict[str, str]
    started: float


@asynccontextmanager
async def bot_process(*options: str, log: Optional[Path] = None, **environment: str) -> AsyncIterator[BotProcess]:
    """Start a fake Bot API and `guichet [options] run` against it (with `environment` added), wait for its first
    poll; stop both afterwards. With `log`, the bot's whole log (stderr) is written to that file."""
    api = FakeBotAPI()
    await api.start()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url, **environment}
    started = time.monotonic()
    with open(log or os.devnull, "wb") as stderr:  # a file, never an unread pipe: a chatty bot would block on it
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", *options, "run"], env=env, cwd=PROJECT_ROOT,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            while api.first_poll_at is None:
                if process.poll() is not None:
                    tail = log.read_text(errors="replace")[-2000:] if log else "(run with log= to see why)"
                    raise RuntimeError(f"the bot exited with {process.returncode}: {tail}")
                await asyncio.sleep(0.01)
            yield BotProcess(api, process, env, started)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
            await api.stop()


async def _one_run(settings: Settings, workdir: Path, messages: int, rate: float, questions: List[str]) -> Dict[str, float]:
    async with bot_process(DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}", GUICHET_DATA_DIR=str(workdir),
                           GUICHET_MODEL_DIR=str(settings.model_dir)) as bot:
        api = bot.api
        cold_start = api.first_poll_at - bot.started
        users = itertools.count(FIRST_USER)
        text = itertools.cycle(questions)
        # warm-up, then a burst: every message at once, one person each
        warm = {next(users): time.monotonic() for _ in range(20)}
        for chat in warm:
            api.send_text(chat, next(text), "en")
        await _first_replies(api, warm, 60)
        burst: Dict[int, float] = {}
        for _ in range(messages):
            chat = next(users)
            api.send_text(chat, next(text), "en")
            burst[chat] = time.monotonic()
        begin = min(burst.values())
        answered = await _first_replies(api, burst, 600)
        end = max(burst[c] + l for c, l in answered.items())
        throughput = len(answered) / (end - begin)
        # steady rate: one message every 1/rate seconds for about 20 seconds
        steady: Dict[int, float] = {}
        count = int(rate * 20)
        for _ in range(count):
            target = time.monotonic()
            chat = next(users)
            api.send_text(chat, next(text), "en")
            steady[chat] = time.monotonic()
            await asyncio.sleep(max(0.0, 1 / rate - (time.monotonic() - target)))
        latencies = sorted((await _first_replies(api, steady, 120)).values())
        rss = _peak_rss_mb(bot.process.pid)
        return {
            "throughput": throughput, "answered": len(answered) / messages,
            "p50": statistics.median(latencies) * 1000, "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
            "rss": rss, "cold_start": cold_start,
        }


def generate_services(directory: Path, count: int) -> None:
    """`count` synthetic (clearly fake) services next to the real topics, for the import benchmark."""
    shutil.copytree(PROJECT_ROOT / "knowledge" / "data" / "topics", directory / "topics")
    services = directory / "services"
    services.mkdir()
    from knowledge.schema import TOPIC_INTENTS

    for i in range(count):
        intent = TOPIC_INTENTS[i % len(TOPIC_INTENTS)]
        (services / f"bench-{i:04d}.yml").write_text(
            f"id: bench-{i:04d}\nname: Bench service {i}\ntopics: [{intent}]\narea: local\n"
            f"description:\n  en: Synthetic service {i} for the benchmark.\n  fr: Service fictif {i}.\n  ar: خدمة تجريبية {i}.\n"
            f"address: Rue du Test {i}, 4000 Liège\nphone: [\"04 000 {i % 100:02d} {i % 97:02d}\"]\n"
            f"website: https://example.org/{i}\nsources:\n  - url: https://example.org/{i}\n"
            f"    covers: [description, address, phone, website]\nlast_reviewed: 2026-01-01\n", encoding="utf-8")


def _import_seconds(workdir: Path, count: int) -> float:
    from knowledge.schema import LANGUAGE_CODES
    from knowledge.storage import Storage
    from knowledge.updates import import_directory

    data = workdir / f"kb-{count}"
    if not data.exists():
        generate_services(data, count)
    storage = Storage(f"sqlite:///{workdir / f'import-{time.monotonic_ns()}.sqlite3'}", b"bench")
    try:
        start = time.perf_counter()
        outcome = import_directory(storage.knowledge, data, LANGUAGE_CODES)
        elapsed = time.perf_counter() - start
        if not outcome.imported:
            raise RuntimeError("the generated knowledge did not import: " + outcome.summary)
        return elapsed
    finally:
        storage.close()


def run_bench(settings: Settings, *, messages: int = 3000, rate: float = 30.0, runs: int = 3) -> str:
    """Run everything `runs` times; return a Markdown table of medians (and every run's value).

    Every message comes from its own simulated person, so each reply is attributed exactly.
    """
    questions = _questions()
    results: List[Dict[str, float]] = []
    imports: List[float] = []
    with tempfile.TemporaryDirectory(prefix="guichet-bench-") as tmp:
        workdir = Path(tmp)
        for run in range(runs):
            (workdir / "bench.sqlite3").unlink(missing_ok=True)
            results.append(asyncio.run(_one_run(settings, workdir, messages, rate, questions)))
            imports.append(_import_seconds(workdir, 1000))
            print(f"run {run + 1}/{runs}: {results[-1]} import={imports[-1]:.2f}s", file=sys.stderr)
    rows = [
        ("answered messages/s (burst of %d)" % messages, "throughput", "%.0f", "≥ 150"),
        ("share of burst answered", "answered", "%.3f", "1.000"),
        ("p50 latency at %.0f msg/s (ms)" % rate, "p50", "%.1f", ""),
        ("p95 latency at %.0f msg/s (ms)" % rate, "p95", "%.1f", "≤ 100"),
        ("peak RSS, bot + NLU process (MB)", "rss", "%.0f", "≤ 1200"),
        ("cold start: process start → first poll (s)", "cold_start", "%.1f", "≤ 20"),
    ]
    lines = ["| measure | median | runs | target |", "|---|---|---|---|"]
    for label, key, fmt, target in rows:
        values = [r[key] for r in results]
        lines.append(f"| {label} | {fmt % statistics.median(values)} | {', '.join(fmt % v for v in values)} | {target} |")
    lines.append(f"| validate + import 1,000 services (s) | {statistics.median(imports):.2f} | "
                 f"{', '.join('%.2f' % v for v in imports)} | ≤ 5 |")
    return "\n".join(lines)
