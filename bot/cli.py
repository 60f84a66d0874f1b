"""The `guichet` command: the composition root (settings -> storage -> NLU -> assistant -> front end)."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

from bot.logs import setup_logging
from bot.settings import PROJECT_ROOT, Settings, SettingsError

logger = logging.getLogger("guichet")

CONFIG = PROJECT_ROOT / "config.yml"
NLU_DATA = PROJECT_ROOT / "nlu" / "data"
EVAL_EXTERNAL = PROJECT_ROOT.parent / "shared" / "eval-external"  # test sets only: never train on them
NLU_TESTS = PROJECT_ROOT / "nlu" / "tests"


class CLIError(Exception):
    """A problem the person running the command can fix; printed without a traceback."""


def _model_path(settings: Settings) -> Path:
    from nlu.training import latest_model, model_path_for

    exact = model_path_for(settings.model_dir, CONFIG, NLU_DATA)
    if exact.exists():
        return exact
    latest = latest_model(settings.model_dir)
    if latest is None:
        raise CLIError(f"no NLU model in {settings.model_dir}: run 'guichet train' (or 'make setup')")
    logger.warning("the NLU model is older than config.yml or nlu/data; using %s (run 'guichet train')", latest.name)
    return latest


def _storage(settings: Settings):
    from knowledge.storage import Storage, StorageError, load_secret

    try:
        return Storage(settings.database_url, load_secret(settings.data_dir, settings.secret), settings.instance)
    except StorageError as error:
        raise CLIError(str(error)) from None


def _ui_languages() -> List[str]:
    from bot.i18n import Catalogs

    return list(Catalogs().languages)


def import_knowledge(storage, directory: Path, *, if_changed: bool = False) -> str:
    """`knowledge.updates.import_directory` for the command line: a one-line summary, or CLIError listing the errors."""
    from knowledge.updates import import_directory

    outcome = import_directory(storage.knowledge, directory, _ui_languages(), if_changed=if_changed)
    if outcome.problems:
        raise CLIError("\n".join(str(p) for p in outcome.problems) + "\n" + outcome.summary)
    return outcome.summary


def desk_options(settings: Settings):
    from bot.handover import DeskOptions, Hours

    try:
        hours = Hours.parse(settings.interpreter_hours, settings.timezone)
    except (ValueError, KeyError) as error:  # zoneinfo raises a KeyError subclass for unknown zones
        raise CLIError(f"GUICHET_INTERPRETER_HOURS / GUICHET_TIMEZONE: {error}") from None
    return DeskOptions(settings.handover_timeout_minutes, hours, settings.relay_retention_hours,
                       settings.note_retention_days)


@contextmanager
def open_front(settings: Settings, *, nlu_process: bool = False, desk: bool = False) -> Iterator:
    """(front desk, parser, knowledge updates, storage), with everything they need, opened in order and closed in
    reverse.

    The front desk is the assistant, or with `desk` the interpreting desk in front of it. With `nlu_process`,
    the NLU model runs in a child process (see nlu/worker.py).
    """
    from bot.assistant import Assistant, KnowledgeHolder, Parts
    from bot.assistant.memory import ConversationMemory
    from bot.handover import InterpretingDesk
    from bot.i18n import Catalogs
    from bot.knowledge_updates import KnowledgeUpdates
    from knowledge.places import Gazetteer
    from nlu.parser import NLUParser
    from nlu.worker import NLUWorker

    options = desk_options(settings) if desk else None
    storage = _storage(settings)
    parser = None
    try:
        knowledge = storage.knowledge.load_knowledge()
        if not knowledge.topics:
            logger.warning("the database holds no knowledge yet: importing %s", settings.knowledge_dir)
            logger.info(import_knowledge(storage, settings.knowledge_dir))
            knowledge = storage.knowledge.load_knowledge()
        parser = (NLUWorker if nlu_process else NLUParser)(_model_path(settings))
        holder, catalogs = KnowledgeHolder(knowledge), Catalogs()
        memory = ConversationMemory(table=storage.memory) if storage.memory is not None else None
        parts = Parts.build(storage.people, holder, catalogs, settings.default_language, Gazetteer.load(), memory)
        front = (InterpretingDesk(parts, storage.handovers, options, gaps=storage.gaps, shared=storage.instances is not None)
                 if desk else Assistant(parts, gaps=storage.gaps))
        yield front, parser, KnowledgeUpdates(storage.knowledge, holder, settings.knowledge_dir, catalogs.languages), storage
    finally:
        if parser is not None:
            parser.close()
        storage.close()


# -- commands ------------------------------------------------------------------------------
def _exit_on_signal(number, _frame) -> None:
    raise SystemExit(128 + number)


def cmd_run(args, settings: Settings) -> int:
    """Run the Telegram bot (long polling; webhook when GUICHET_WEBHOOK_URL is set).

    Example: TELEGRAM_BOT_TOKEN=123:abc guichet run
    """
    if not settings.telegram_bot_token:
        raise CLIError("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather, or try 'guichet chat'")
    # SIGTERM while starting (loading the model takes seconds): unwind, so that the NLU process is stopped and the
    # database closed on the way out. Once running, python-telegram-bot handles SIGTERM itself (a clean stop).
    signal.signal(signal.SIGTERM, _exit_on_signal)
    from bot.app import build_application, run_application

    from bot.voice import Voices

    with open_front(settings, nlu_process=settings.nlu_process, desk=True) as (desk, parser, updates, storage):
        voices = Voices(settings.data_dir / "voice-cache")  # asks espeak-ng for its voices: after the NLU process starts
        desk.assistant.texts.voiced = voices.languages  # the 🔊 button, in the languages espeak-ng speaks
        run_application(build_application(settings, desk, parser, outbox=storage.outbox, inbox=storage.inbox,
                                          knowledge_updates=updates, instances=storage.instances,
                                          memory=storage.memory, voices=voices), settings)
    return 0


def cmd_chat(args, settings: Settings) -> int:
    """Talk to the assistant in the terminal: one message per line on stdin, replies on stdout.

    Example: echo "je cherche un logement" | guichet chat
    """
    from bot.terminal import chat

    with open_front(settings) as (assistant, parser, _updates, _storage):
        chat(assistant, parser, sys.stdin, sys.stdout, language=args.language)
    return 0


def cmd_train(args, settings: Settings) -> int:
    """Train the NLU model from config.yml and nlu/data/ (skipped when an identical model exists).

    Example: guichet train --force
    """
    from nlu.training import train

    path, trained = train(CONFIG, NLU_DATA, settings.model_dir, force=args.force)
    print(f"{'trained' if trained else 'up to date'}: {path}")
    return 0


def cmd_nlu_parse(args, settings: Settings) -> int:
    """Read one message per line on stdin, write one JSON object per line (text, intent, confidence, language,
    entities, intent_ranking, answer, answer_confidence).

    Example: printf 'hello\\nمرحبا\\n' | guichet nlu parse
    """
    from nlu.parser import NLUParser

    parser = NLUParser(Path(args.model) if args.model else _model_path(settings))
    try:
        for line in sys.stdin:
            text = line.rstrip("\n")
            print(json.dumps(parser.parse(text).as_json(), ensure_ascii=False), flush=True)
    finally:
        parser.close()
    return 0


def cmd_nlu_test(args, settings: Settings) -> int:
    """Evaluate the NLU model on the held-out test set: accuracy and macro-F1 per language and per intent, and
    answer accuracy per language with the answer confusions (test files in <tests>/answers/).

    Writes intent_report.json, intent_errors.json, language_report.json and answer_confusions.json to --out.
    The final answer set, kept unseen until a configuration is chosen: guichet nlu test --tests nlu/tests/final
    With --config, trains that pipeline on nlu/data first (cached in models/compare/) to compare pipelines.
    Example: guichet nlu test --out reports/nlu
    Example: guichet nlu test --config nlu/configs/diet.yml --out reports/nlu-diet
    Example: guichet nlu test --external (public benchmarks in ../shared/eval-external, with lingua's figures)
    """
    import time

    from nlu.parser import NLUParser
    from nlu.training import evaluate, read_examples, train

    if args.external:
        return _nlu_test_external(args, settings)
    test_files = sorted(Path(args.tests).glob("*.yml")) + sorted((Path(args.tests) / "answers").glob("*.yml"))
    if not test_files:
        raise CLIError(f"no test files in {args.tests}")
    if args.config:
        if args.model:
            raise CLIError("give --model or --config, not both")
        start = time.perf_counter()
        model, trained = train(Path(args.config), NLU_DATA, settings.model_dir / "compare")
        print(f"{args.config}: " + (f"trained in {time.perf_counter() - start:.0f} s" if trained else "model already trained")
              + f" ({model.name})")
    else:
        model = Path(args.model) if args.model else _model_path(settings)
    parser = NLUParser(model)
    try:
        evaluation = evaluate(parser, read_examples(test_files), Path(args.out))
    finally:
        parser.close()
    print(evaluation.table())
    print(f"\nreports written to {args.out}")
    return 0


def _nlu_test_external(args, settings: Settings) -> int:
    """`guichet nlu test --external DIR`: language identification and out-of-domain rejection on public text."""
    from nlu.external import evaluate_external, lingua_detector, read_external, table
    from nlu.parser import NLUParser

    files = read_external(Path(args.external))
    if not files:
        raise CLIError(f"no <dataset>/<lang>.jsonl files in {args.external}")
    try:
        lingua = lingua_detector(sorted({line.language for lines in files.values() for line in lines}))
    except ImportError:
        print("lingua-language-detector is not installed: its column stays empty")
        lingua = None
    parser = NLUParser(Path(args.model) if args.model else _model_path(settings))
    try:
        print(table(evaluate_external(parser.parse_many, files, lingua)))
    finally:
        parser.close()
    return 0


def cmd_kb_validate(args, settings: Settings) -> int:
    """Check the knowledge files; print one line per problem as path:line: message.

    Exit 0 when valid, 1 when there are errors (or warnings with --strict). Entries not reviewed for
    --max-age days get a warning. Example: guichet kb validate --strict --max-age 180 knowledge/data
    """
    from knowledge.loader import LoadResult, load_directory, nlu_label_problems
    from nlu.training import answer_labels

    directory = Path(args.directory or settings.knowledge_dir)
    result = load_directory(directory, _ui_languages(), max_age_days=args.max_age)
    nlu_dir = Path(args.nlu_data)
    if result.knowledge is not None and (directory / "answers").is_dir() and nlu_dir.is_dir():
        # answers and NLU labels agree: every answer is trained in every language, every label has an answer
        extra = nlu_label_problems(result.knowledge, answer_labels(nlu_dir), _ui_languages(), _shown(nlu_dir))
        result = LoadResult(result.knowledge, result.problems + tuple(extra))
    for problem in result.problems:
        print(problem)
    failing = result.errors or (args.strict and result.warnings)
    if not failing:
        kb = result.knowledge
        print(f"valid: {len(kb.topics)} topics, {len(kb.services)} services, {len(kb.answers)} answers, "
              f"{len(result.warnings)} warnings", file=sys.stderr)
    return 1 if failing else 0


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def cmd_kb_import(args, settings: Settings) -> int:
    """Validate the knowledge files, then replace the live knowledge in one transaction.

    A file with errors changes nothing. Example: guichet kb import knowledge/data
    """
    storage = _storage(settings)
    try:
        print(import_knowledge(storage, Path(args.directory or settings.knowledge_dir), if_changed=args.if_changed))
    finally:
        storage.close()
    return 0


def cmd_kb_report(args, settings: Settings) -> int:
    """What needs an administrator: stale entries, missing translations per language, services with no contact
    details, topics with fewer than 2 services. A table in the terminal, or Markdown/CSV for the meeting.

    Example: guichet kb report --format markdown --output report.md
    """
    from knowledge import report
    from knowledge.loader import load_directory

    result = load_directory(Path(args.directory or settings.knowledge_dir), _ui_languages())
    if result.errors:
        raise CLIError("\n".join(map(str, result.errors)) + "\nfix these errors first ('guichet kb validate')")
    items = report.findings(result.knowledge, _ui_languages(), max_age_days=args.max_age)
    text = {"table": report.as_table, "markdown": report.as_markdown, "csv": report.as_csv}[args.format](items)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"{len(items)} findings written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_kb_gaps(args, settings: Settings) -> int:
    """What to write next: how often, per day and language, the bot did not understand, was asked something out
    of scope, understood the topic but had no specific answer for the question (per topic), or was asked for a
    person right after an answer (per topic). Counts only: no message text is kept.

    Example: guichet kb gaps --days 30
    """
    from datetime import date, timedelta

    storage = _storage(settings)
    try:
        rows = storage.gaps.unanswered_counts(date.today() - timedelta(days=args.days))
    finally:
        storage.close()
    if not rows:
        print(f"no unanswered messages counted in the last {args.days} days")
        return 0
    print(f"{'day':<10}  {'lang':<4}  {'kind':<18}  {'topic':<24}  count")
    for day, language, kind, topic, count in rows:
        print(f"{day.isoformat():<10}  {language:<4}  {kind:<18}  {topic or '-':<24}  {count}")
    totals: dict = {}
    for _day, language, kind, topic, count in rows:
        totals[(kind, topic or language)] = totals.get((kind, topic or language), 0) + count
    print("\nwrite next (most frequent first):")
    for (kind, what), count in sorted(totals.items(), key=lambda item: -item[1])[:10]:
        hint = {"human_after_answer": f"the '{what}' answer did not settle it", "not_understood": f"questions in '{what}' not understood",
                "out_of_scope": f"'{what}' questions outside the topics",
                "no_answer": f"'{what}' questions that no specific answer fits"}.get(kind, kind)
        print(f"  {count:>5}  {hint}")
    return 0


def cmd_kb_schema(args, settings: Settings) -> int:
    """Write the JSON Schemas of topic and service files (for editors) to knowledge/schemas/.

    Example: guichet kb schema
    """
    from knowledge.json_schema import write

    for path in write():
        print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    return 0


def cmd_db_upgrade(args, settings: Settings) -> int:
    """Upgrade the database (DATABASE_URL, default the SQLite file) to the newest schema, in place.

    The bot and every command do it when they open the database; this does only that, for an upgrade
    done by hand. Example: guichet db upgrade
    """
    from knowledge.storage import create_db_engine
    from knowledge.storage.migrate import head, upgrade

    engine = create_db_engine(settings.database_url)
    try:
        before = upgrade(engine)
    except Exception as error:  # driver, SQLAlchemy and Alembic errors alike
        raise CLIError(f"cannot upgrade the database: {error}") from error
    finally:
        engine.dispose()
    if before == head():
        print(f"the database is at the newest schema ({head()})")
    else:
        print(f"upgraded the database from {before or 'no version'} to {head()}")
    return 0


def cmd_db_current(args, settings: Settings) -> int:
    """Print the schema revision of the database and the newest one.

    Example: guichet db current
    """
    from knowledge.storage import create_db_engine
    from knowledge.storage.migrate import current, head

    engine = create_db_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            revision = current(connection)
    except Exception as error:
        raise CLIError(f"cannot read the database: {error}") from error
    finally:
        engine.dispose()
    print(f"database: {revision or 'no version'}; newest: {head()}")
    return 0


def cmd_db_backup(args, settings: Settings) -> int:
    """Back up the database (DATABASE_URL) to FILE, while the bot runs: SQLite's online backup, or pg_dump.

    FILE is written as FILE.partial and renamed once complete, readable by its owner only. PostgreSQL needs
    pg_dump (Debian package postgresql-client) of the server's major version.
    Example: guichet db backup /var/backups/guichet/guichet-2024-05-01.dump
    """
    from knowledge.storage.backup import BackupError, backup

    try:
        print(backup(settings.database_url, Path(args.file)).summary)
    except BackupError as error:
        raise CLIError(f"backup failed: {error}") from None
    return 0


def cmd_db_restore(args, settings: Settings) -> int:
    """Replace the whole database (DATABASE_URL) by a backup made with 'guichet db backup', then upgrade it.

    Stop the bot first. Without --yes, only says what it would do. A backup made by an older version is
    brought to the newest schema. PostgreSQL needs pg_restore and psql (Debian package postgresql-client).
    Example: guichet db restore --yes /var/backups/guichet/guichet-2024-05-01.dump
    """
    from knowledge.storage.backup import BackupError, restore, restore_refused

    try:
        if not args.yes:
            raise CLIError(restore_refused(settings.database_url, Path(args.file)))
        print(restore(settings.database_url, Path(args.file)).summary)
    except BackupError as error:
        raise CLIError(f"restore failed: {error}") from None
    return 0


def cmd_interpreters(args, settings: Settings) -> int:
    """Manage the interpreter roster: add (or update), list, remove, pause, resume.

    The running bot picks changes up within seconds. An interpreter accepts the code of conduct in the bot
    (once) before taking any conversation.
    Example: guichet interpreters add --telegram-id 123456789 --name "Amina" --languages ar,fr
    Example: guichet interpreters pause --telegram-id 123456789
    """
    from bot.handover.roster import EMPTY, Roster, RosterError

    storage = _storage(settings)
    try:
        roster = Roster(storage.handovers)
        if args.action == "list":
            lines = roster.lines()
            if not lines:
                print(EMPTY + ": guichet interpreters add --telegram-id ID --name NAME --languages ar,fr")
            for line in lines:
                print(f"{line.telegram_id:>12}  {line.description}")
            return 0
        if args.telegram_id is None:
            raise CLIError("--telegram-id is needed")
        if args.action == "add":
            if not args.name or not args.languages:
                raise CLIError("add needs --name and --languages (e.g. --languages ar,fr)")
            print(roster.add(args.telegram_id, args.name, args.languages))
        else:
            print({"remove": roster.remove, "pause": roster.pause, "resume": roster.resume}[args.action](args.telegram_id))
    except RosterError as error:
        raise CLIError(str(error)) from None
    finally:
        storage.close()
    return 0


def cmd_bench(args, settings: Settings) -> int:
    """Benchmark the real bot through a local fake Bot API server (throughput, latency, memory, cold start, import).

    Example: guichet bench --messages 3000; guichet bench --flood (a burst under Telegram's limits);
    guichet bench --parse (CPU per message of the NLU, one at a time and in batches);
    guichet bench --voice (voice notes of answers: time not cached and cached, CPU per minute of audio)
    """
    from bot.devtools.bench import run_bench, run_flood_bench

    if args.voice:
        from bot.devtools.bench import run_voice_bench

        print(run_voice_bench(settings, runs=args.runs))
    elif args.parse:
        from bot.devtools.bench import run_parse_bench

        print(run_parse_bench(_model_path(settings), runs=args.runs))
    elif args.flood:
        print(run_flood_bench(settings, _model_path(settings), runs=args.runs))
    else:
        print(run_bench(settings, messages=args.messages, rate=args.rate, runs=args.runs))
    return 0


def _telegram_id(raw: str) -> int:
    from bot.handover.roster import parse_telegram_id

    return parse_telegram_id(raw)  # its RosterError is a ValueError: argparse reports it as an invalid value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guichet", description="Guichet: a Telegram assistant for migrants and refugees.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(subparsers, name, function):
        doc = function.__doc__
        sub = subparsers.add_parser(name, help=doc.splitlines()[0], description=doc,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.set_defaults(function=function)
        return sub

    add(commands, "run", cmd_run)
    chat = add(commands, "chat", cmd_chat)
    chat.add_argument("--language", help="answer in this language (e.g. ar) instead of detecting it")
    train = add(commands, "train", cmd_train)
    train.add_argument("--force", action="store_true", help="train even when an identical model exists")
    nlu = commands.add_parser("nlu", help="parse text or evaluate the NLU model").add_subparsers(dest="nlu_command", required=True, metavar="COMMAND")
    parse = add(nlu, "parse", cmd_nlu_parse)
    parse.add_argument("--model", help="path of a model archive (default: the current model)")
    test = add(nlu, "test", cmd_nlu_test)
    test.add_argument("--model", help="path of a model archive (default: the current model)")
    test.add_argument("--config", help="train and evaluate this pipeline instead (e.g. nlu/configs/diet.yml)")
    test.add_argument("--tests", default=str(NLU_TESTS), help="folder of test files (default: nlu/tests)")
    test.add_argument("--out", default=str(PROJECT_ROOT / "reports" / "nlu"), help="where to write the reports")
    test.add_argument("--external", nargs="?", const=str(EVAL_EXTERNAL), metavar="DIR",
                      help="instead, public text nobody here wrote (default: ../shared/eval-external): language id "
                           "of Guichet and lingua-language-detector, MASSIVE rejected")
    kb = commands.add_parser("kb", help="validate and import the knowledge files").add_subparsers(dest="kb_command", required=True, metavar="COMMAND")
    validate = add(kb, "validate", cmd_kb_validate)
    validate.add_argument("directory", nargs="?", help="knowledge folder (default: knowledge/data)")
    validate.add_argument("--strict", action="store_true", help="treat warnings as errors (for CI)")
    validate.add_argument("--nlu-data", default=str(NLU_DATA), help="NLU data folder whose answer labels are checked against the answers (default: nlu/data)")
    validate.add_argument("--max-age", type=int, default=365, metavar="DAYS",
                          help="warn about entries whose last_reviewed is older than DAYS (default 365)")
    kb_import = add(kb, "import", cmd_kb_import)
    kb_import.add_argument("directory", nargs="?", help="knowledge folder (default: knowledge/data)")
    kb_import.add_argument("--if-changed", action="store_true", help="skip when the files equal the live knowledge")
    kb_report = add(kb, "report", cmd_kb_report)
    kb_report.add_argument("directory", nargs="?", help="knowledge folder (default: knowledge/data)")
    kb_report.add_argument("--format", choices=("table", "markdown", "csv"), default="table")
    kb_report.add_argument("--output", metavar="FILE", help="write to FILE instead of the terminal")
    kb_report.add_argument("--max-age", type=int, default=365, metavar="DAYS", help="stale after DAYS (default 365)")
    gaps = add(kb, "gaps", cmd_kb_gaps)
    gaps.add_argument("--days", type=int, default=30, help="how many days back (default 30)")
    add(kb, "schema", cmd_kb_schema)
    db = commands.add_parser("db", help="the database schema (versioned migrations)").add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    add(db, "upgrade", cmd_db_upgrade)
    add(db, "current", cmd_db_current)
    db_backup = add(db, "backup", cmd_db_backup)
    db_backup.add_argument("file", help="where to write the backup (replaced if it exists)")
    db_restore = add(db, "restore", cmd_db_restore)
    db_restore.add_argument("file", help="a backup made with 'guichet db backup'")
    db_restore.add_argument("--yes", action="store_true", help="really replace the database")
    interpreters = add(commands, "interpreters", cmd_interpreters)
    interpreters.add_argument("action", choices=("add", "list", "remove", "pause", "resume"))
    interpreters.add_argument("--telegram-id", type=_telegram_id, help="the interpreter's numeric Telegram user id")
    interpreters.add_argument("--name", help="how staff know them (never shown to the people they help)")
    interpreters.add_argument("--languages", help="comma-separated language codes, e.g. ar,fr")
    bench = add(commands, "bench", cmd_bench)
    bench.add_argument("--messages", type=int, default=3000, help="messages for the throughput run, one simulated person each")
    bench.add_argument("--rate", type=float, default=30.0, help="messages per second for the latency run")
    bench.add_argument("--runs", type=int, default=3, help="repetitions (medians are reported)")
    bench.add_argument("--flood", action="store_true",
                       help="150 people at once and 10 asking 3 in a row, through a fake Bot API with Telegram's "
                            "limits and 3%% of 502s: answered, duplicates, time to the last answer against the ideal")
    bench.add_argument("--voice", action="store_true",
                       help="voice notes of whole answer cards per language: seconds not cached and cached, CPU "
                            "seconds per minute of audio")
    bench.add_argument("--parse", action="store_true",
                       help="CPU ms per message of the NLU alone at batch sizes 1 and 32: nlu.fast against Rasa's graph runner")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        setup_logging(args.verbose, settings.telegram_bot_token)
        return args.function(args, settings)
    except (CLIError, SettingsError) as error:
        print(f"guichet: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
