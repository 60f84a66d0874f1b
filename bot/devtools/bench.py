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
async def bot_process(*options: str, log: Optional[Path] = None, api: Optional[FakeBotAPI] = None,
                      **environment: str) -> AsyncIterator[BotProcess]:
    """Start a fake Bot API (or use `api`, already started, and leave it running) and `guichet [options] run`
    against it (with `environment` added), wait for its first poll; stop both afterwards. With `log`, the bot's
    whole log (stderr) is appended to that file."""
    own_api = api is None
    if own_api:
        api = FakeBotAPI()
        await api.start()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url, **environment}
    started = time.monotonic()
    polls = api.polls
    with open(log or os.devnull, "ab") as stderr:  # a file, never an unread pipe: a chatty bot would block on it
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", *options, "run"], env=env, cwd=PROJECT_ROOT,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            while api.polls == polls:
                if process.poll() is not None:
                    tail = log.read_text(errors="replace")[-2000:] if log else "(run with log= to see why)"
                    raise RuntimeError(f"the bot exited with {process.returncode}: {tail}")
                await asyncio.sleep(0.01)
            yield BotProcess(api, process, env, started)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
            if own_api:
                await api.stop()


async def _one_run(settings: Settings, workdir: Path, messages: int, rate: float, questions: List[str]) -> Dict[str, float]:
    # GUICHET_SEND_RATE=0: this measures how fast the bot answers; Telegram's pace is `--flood`'s subject
    async with bot_process(DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}", GUICHET_DATA_DIR=str(workdir),
                           GUICHET_MODEL_DIR=str(settings.model_dir), GUICHET_SEND_RATE="0") as bot:
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


# -- `guichet bench --parse`: CPU per message of the NLU alone ---------------------------------------------------
def _cpu_ms_per_message(parse_many, texts: List[str], batch: int) -> float:
    started = time.process_time()  # every thread of this process (Rasa's runner parses in Dask's threads)
    for start in range(0, len(texts), batch):
        parse_many(texts[start:start + batch])
    return 1000 * (time.process_time() - started) / len(texts)


def run_parse_bench(model: Path, *, runs: int = 3) -> str:
    """CPU milliseconds per message of `NLUParser.parse_many` on the held-out test messages, one at a time and in
    batches of 32: nlu.fast against Rasa's graph runner on the same model, alternated in one process."""
    from nlu.parser import NLUParser

    texts = _questions()
    parsers = {"nlu.fast": NLUParser(model), "Rasa graph runner": NLUParser(model, fast=False)}
    try:
        for parser in parsers.values():  # warm caches (the tokenizer's folded words, scikit-learn's imports)
            parser.parse_many(texts[:64])
        measured: Dict[tuple, List[float]] = {}
        for run in range(runs):
            for batch in (1, 32):
                for name, parser in parsers.items():
                    measured.setdefault((name, batch), []).append(_cpu_ms_per_message(parser.parse_many, texts, batch))
            print(f"run {run + 1}/{runs}: " + ", ".join(f"{k[0]} b{k[1]}={v[-1]:.2f}" for k, v in measured.items()),
                  file=sys.stderr)
    finally:
        for parser in parsers.values():
            parser.close()
    lines = [f"CPU ms per message, {len(texts)} held-out messages, median of {runs} alternated runs",
             "| batch size | nlu.fast | Rasa graph runner | ratio | target |", "|---|---|---|---|---|"]
    for batch, target in ((1, "≤ 2.0"), (32, "")):
        fast = statistics.median(measured[("nlu.fast", batch)])
        slow = statistics.median(measured[("Rasa graph runner", batch)])
        lines.append(f"| {batch} | {fast:.2f} | {slow:.2f} | {fast / slow:.2f} | {target} |")
    return "\n".join(lines)


# -- `guichet bench --flood`: a burst under Telegram's limits --------------------------------------------------
FLOOD_RATE = 30.0  # Telegram's overall limit, messages per second: the ideal pace


def flood_plan(people: int, repeaters: int, per_repeater: int, first: int = FIRST_USER) -> Dict[int, List[tuple]]:
    """`people` each asking one question, and `repeaters` asking `per_repeater` in a row: chat -> [(language, text)].
    Held-out test questions (never the training data), in every language."""
    from nlu.training import read_examples

    examples = read_examples(sorted((PROJECT_ROOT / "nlu" / "tests").glob("*.yml")))
    questions = itertools.cycle([(e.language, e.text) for e in examples if e.intent.startswith("ask_")][::7])
    plan = {first + n: [next(questions)] for n in range(people)}
    for n in range(repeaters):
        plan[first + people + n] = [next(questions) for _ in range(per_repeater)]
    return plan


def expected_replies(plan: Dict[int, List[tuple]], parser, storage, knowledge, catalogs) -> Dict[int, List[List[str]]]:
    """What each person should receive for each question (texts of sendMessage calls), from an assistant asked
    directly on `storage` (a database of its own)."""
    from bot.assistant import Assistant, KnowledgeHolder, Parts, Sender
    from bot.assistant.values import telegram_key
    from bot.assistant.values import CAPTIONED

    assistant = Assistant(Parts.build(storage.people, KnowledgeHolder(knowledge), catalogs, "en"), gaps=storage.gaps)
    expected = {}
    for chat, questions in plan.items():
        expected[chat] = [[r.text for r in assistant.message(Sender(telegram_key(chat), language), text, parser.parse(text))
                           if r.media is None or r.media.kind not in CAPTIONED] for language, text in questions]
    return expected


def score_flood(api: FakeBotAPI, expected: Dict[int, List[List[str]]]) -> Dict[str, float]:
    """Questions answered completely, duplicates (messages beyond the expected ones), and when the last expected
    message arrived."""
    from collections import Counter

    answered = duplicates = 0
    last = 0.0
    for chat, per_question in expected.items():
        calls = api.sent_to(chat)
        received = Counter(call.text for call in calls)
        wanted = Counter(text for texts in per_question for text in texts)
        duplicates += sum((received - wanted).values())
        for texts in per_question:
            if not Counter(texts) - received:
                answered += 1
        last = max([last] + [call.at for call in calls if call.text in wanted])
    return {"answered": answered, "questions": sum(len(q) for q in expected.values()), "duplicates": duplicates,
            "last_at": last}


async def _flood_run(settings: Settings, workdir: Path, plan, expected, seed: int) -> Dict[str, float]:
    from bot.devtools.fake_bot_api import Faults

    api = FakeBotAPI(faults=Faults.telegram(seed=seed, error_share=0.03))
    await api.start()
    try:
        async with bot_process(api=api, DATABASE_URL=f"sqlite:///{workdir / f'flood-{seed}.sqlite3'}",
                               GUICHET_DATA_DIR=str(workdir), GUICHET_MODEL_DIR=str(settings.model_dir)):
            sent_before = len(api.calls)
            begin = time.monotonic()
            for chat, questions in plan.items():
                for language, text in questions:
                    api.send_text(chat, text, language)
            total = sum(len(q) for q in expected.values())
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and score_flood(api, expected)["answered"] < total:
                await asyncio.sleep(0.1)
            await asyncio.sleep(2.0)  # late duplicates
            score = score_flood(api, expected)
            messages = len([c for c in api.calls[sent_before:] if c.method.startswith("send")])
        return {**score, "last": score["last_at"] - begin, "ideal": messages / FLOOD_RATE, "messages": messages,
                "429": api.refused["429"], "502": api.refused["502"]}
    finally:
        await api.stop()


def run_flood_bench(settings: Settings, model: Path, *, people: int = 150, repeaters: int = 10, per_repeater: int = 3,
                    runs: int = 3) -> str:
    """The burst of issue 13 under Telegram's limits (`Faults.telegram`: 30/s overall, 1/s per chat after 3, 3% of
    502s), `runs` times with different seeds; a Markdown table of every run and the medians."""
    from bot.i18n import Catalogs
    from knowledge.loader import load_directory
    from knowledge.storage import Storage
    from nlu.parser import NLUParser, existing_model

    plan = flood_plan(people, repeaters, per_repeater)
    with tempfile.TemporaryDirectory(prefix="guichet-flood-") as tmp:
        workdir = Path(tmp)
        parser = NLUParser(existing_model(model))
        storage = Storage(f"sqlite:///{workdir / 'expected.sqlite3'}", b"bench")
        try:
            expected = expected_replies(plan, parser, storage, load_directory(settings.knowledge_dir).knowledge, Catalogs())
        finally:
            storage.close()
            parser.close()
        results = []
        for run in range(runs):
            results.append(asyncio.run(_flood_run(settings, workdir, plan, expected, seed=run + 1)))
            print(f"flood run {run + 1}/{runs}: {results[-1]}", file=sys.stderr)
    lines = ["| run | questions answered | duplicates | messages sent | 429s | 502s | last answer (s) | ideal at 30/s (s) "
             "| target: 1.3 × ideal + 3 (s) |", "|---|---|---|---|---|---|---|---|---|"]
    for n, r in enumerate(results, 1):
        lines.append(f"| {n} | {r['answered']}/{r['questions']} | {r['duplicates']} | {r['messages']} | {r['429']} | "
                     f"{r['502']} | {r['last']:.1f} | {r['ideal']:.1f} | {1.3 * r['ideal'] + 3:.1f} |")
    med = {key: statistics.median(r[key] for r in results) for key in ("answered", "duplicates", "last", "ideal")}
    lines.append(f"| median | {med['answered']:.0f}/{results[0]['questions']} | {med['duplicates']:.0f} | | | | "
                 f"{med['last']:.1f} | {med['ideal']:.1f} | {1.3 * med['ideal'] + 3:.1f} |")
    return "\n".join(lines)


# -- `guichet bench --voice`: answers read aloud ----------------------------------------------------------------
def run_voice_bench(settings: Settings, *, runs: int = 3, per_language: int = 6) -> str:
    """Per language with a voice: seconds to the voice note of a whole answer card (espeak-ng + opusenc) when not
    cached and when cached, and CPU seconds (the two programs') per minute of audio. Telegram's upload excluded."""
    import resource
    import tempfile

    from bot.assistant import KnowledgeHolder
    from bot.assistant.cards import Cards
    from bot.assistant.speech import speakable
    from bot.assistant.texts import Texts
    from bot.i18n import Catalogs
    from bot.voice import Voices, ogg_opus_seconds
    from knowledge.loader import load_directory

    knowledge = KnowledgeHolder(load_directory(settings.knowledge_dir).knowledge)
    catalogs = Catalogs()
    texts = Texts(catalogs, knowledge, "en")
    cards = Cards(texts, knowledge, None)
    answers = [a.id for a in knowledge.current.answers][:per_language]
    rows = ["| language | answers | audio per answer (s, median) | not cached (s, median) | cached (ms, median) | "
            "CPU s per audio minute |", "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="guichet-voice-bench-") as folder:
        for language in sorted(Voices(Path(folder) / "probe").languages):
            spoken = [speakable("\n".join(r.text for r in cards.answer_card(a, language)), catalogs.gettext(language))
                      for a in answers]
            cold, warm, audio, cpu = [], [], [], 0.0
            for run in range(runs):
                voices = Voices(Path(folder) / f"{language}-{run}")  # an empty cache each run
                for text in spoken:
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    started = time.perf_counter()
                    path = voices.audio(text, language)
                    cold.append(time.perf_counter() - started)
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                    cpu += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                    audio.append(ogg_opus_seconds(path.read_bytes()))
                    started = time.perf_counter()
                    voices.audio(text, language)
                    warm.append(time.perf_counter() - started)
            rows.append(f"| {language} | {len(spoken)} | {statistics.median(audio):.1f} | {statistics.median(cold):.2f} | "
                        f"{statistics.median(warm) * 1000:.2f} | {cpu / (sum(audio) / 60):.2f} |")
            print(rows[-1], file=sys.stderr)
    return "\n".join([f"Voice notes of whole answer cards, {runs} runs, empty cache each run"] + rows)
