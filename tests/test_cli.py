"""The guichet CLI, tested by its exact output and exit code."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys


from bot.settings import PROJECT_ROOT
from tests.conftest import KNOWLEDGE_DIR

GUICHET = [sys.executable, "-m", "bot.cli"]


def run(args, stdin: str = "", env=None, cwd=None):
    environment = {**os.environ, **(env or {})}
    return subprocess.run(GUICHET + args, input=stdin, capture_output=True, text=True, timeout=300,
                          env=environment, cwd=cwd or PROJECT_ROOT)


def test_every_command_has_help_with_an_example():
    for command in (["run"], ["chat"], ["train"], ["nlu", "parse"], ["nlu", "test"], ["kb", "validate"], ["kb", "import"], ["kb", "report"], ["kb", "gaps"], ["kb", "schema"], ["bench"],
                    ["interpreters"], ["db", "upgrade"], ["db", "current"], ["db", "backup"], ["db", "restore"]):
        result = run(command + ["--help"])
        assert result.returncode == 0 and "Example:" in result.stdout, command


def test_kb_validate_ok_and_broken(tmp_path):
    assert run(["kb", "validate", str(KNOWLEDGE_DIR)]).returncode == 0
    broken = tmp_path / "data"
    shutil.copytree(KNOWLEDGE_DIR, broken)
    path = broken / "services" / "unia.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("area: national", "area: everywhere"), encoding="utf-8")
    result = run(["kb", "validate", str(broken)], cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("data/services/unia.yml:") and "area 'everywhere'" in lines[0]


def test_kb_gaps_shows_counts_and_what_to_write_next(tmp_path, sqlite_url):
    from knowledge.storage import Storage

    store = Storage(sqlite_url, b"k")
    for _ in range(4):
        store.gaps.count_unanswered("human_after_answer", "ar", "ask_housing")
    store.gaps.count_unanswered("not_understood", "ti")
    store.close()
    result = run(["kb", "gaps", "--days", "7"], env={"DATABASE_URL": sqlite_url, "GUICHET_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0
    assert "human_after_answer  ask_housing" in result.stdout
    assert "4  the 'ask_housing' answer did not settle it" in result.stdout
    assert "1  questions in 'ti' not understood" in result.stdout


def test_interpreters_add_list_pause_remove(tmp_path, sqlite_url):
    env = {"DATABASE_URL": sqlite_url, "GUICHET_DATA_DIR": str(tmp_path)}
    added = run(["interpreters", "add", "--telegram-id", "123456789", "--name", "Amina", "--languages", "ar, FR"], env=env)
    assert added.returncode == 0 and added.stdout.strip() == "Amina (ar, fr) is on the roster (Telegram id 123456789)."
    assert run(["interpreters", "pause", "--telegram-id", "123456789"], env=env).returncode == 0
    listed = run(["interpreters", "list"], env=env).stdout
    assert "123456789" in listed and "ar,fr" in listed and "paused" in listed and "not accepted yet" in listed
    bad = run(["interpreters", "add", "--telegram-id", "5", "--name", "X", "--languages", "arabic"], env=env)
    assert bad.returncode == 1 and "not a language code: arabic" in bad.stderr
    assert run(["interpreters", "remove", "--telegram-id", "123456789"], env=env).returncode == 0
    missing = run(["interpreters", "remove", "--telegram-id", "123456789"], env=env)
    assert missing.returncode == 1 and "is not on the roster" in missing.stderr
    assert "no interpreter on the roster yet" in run(["interpreters", "list"], env=env).stdout


def test_kb_report_writes_markdown_for_the_meeting(tmp_path):
    out = tmp_path / "report.md"
    result = run(["kb", "report", "--format", "markdown", "--output", str(out), "--max-age", "-1"])
    assert result.returncode == 0 and "findings written to" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert "## Not reviewed for too long" in text and "| services/cpas-liege |" in text  # --max-age -1: all stale


def test_kb_import_refuses_a_broken_folder_and_changes_nothing(tmp_path, sqlite_url):
    env = {"DATABASE_URL": sqlite_url, "GUICHET_DATA_DIR": str(tmp_path)}
    assert run(["kb", "import", str(KNOWLEDGE_DIR)], env=env).stdout.startswith("imported 14 topics")
    broken = tmp_path / "data"
    shutil.copytree(KNOWLEDGE_DIR, broken)
    (broken / "topics" / "housing.yml").write_text("id: housing\n  bad: indentation\n", encoding="utf-8")
    result = run(["kb", "import", str(broken)], env=env)
    assert result.returncode == 1 and "housing.yml:2: error: YAML syntax" in result.stderr
    assert "knowledge unchanged" in run(["kb", "import", "--if-changed", str(KNOWLEDGE_DIR)], env=env).stdout


def test_nlu_parse_writes_one_json_object_per_line(nlu_model):
    result = run(["nlu", "parse", "--model", str(nlu_model)], stdin="je cherche un logement\nمرحبا\n\n")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 3
    assert {"text", "intent", "confidence", "language", "entities"} <= set(rows[0])
    assert rows[0]["intent"] == "ask_housing" and rows[0]["language"] == "fr"
    assert rows[1]["intent"] == "greet" and rows[1]["language"] == "ar"
    assert rows[2]["intent"] == "nlu_fallback"


def test_chat_answers_on_stdout(tmp_path, sqlite_url, nlu_model):
    env = {"DATABASE_URL": sqlite_url, "GUICHET_DATA_DIR": str(tmp_path)}
    result = run(["chat"], stdin="I need a lawyer\n#1\n", env=env)
    assert result.returncode == 0
    assert "Where to go:" in result.stdout and "[#1]" in result.stdout


def test_run_without_token_says_how_to_connect(tmp_path):
    result = run(["run"], env={"TELEGRAM_BOT_TOKEN": "", "GUICHET_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1 and "TELEGRAM_BOT_TOKEN is not set" in result.stderr


def test_nlu_test_external_measures_language_id_and_massive_rejection(tmp_path, nlu_model):
    """The real model and lingua on a small folder shaped like ../shared/eval-external (lines written here)."""
    lines = {"massive/en.jsonl": [("wake me up at seven tomorrow", "en", "alarm_set"),
                                  ("play some jazz in the kitchen", "en", "play_music"),
                                  ("hello there", "en", "general_greet")],
             "tatoeba_laser/fr.jsonl": [("Il pleut depuis ce matin.", "fr", None), ("Où est la gare ?", "fr", None)],
             "tico19/ps.jsonl": [("زه غواړم چې ډاکټر ووینم", "ps", None)]}
    for name, rows in lines.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("".join(json.dumps({"text": t, "lang": lang, "intent": intent}) + "\n"
                                             for t, lang, intent in rows), encoding="utf-8")
    result = run(["nlu", "test", "--model", str(nlu_model), "--external", str(tmp_path)])
    assert result.returncode == 0, result.stderr[-2000:]
    table = {line.split(" | ")[0].strip("| ") + "/" + line.split(" | ")[1]: line.split(" | ")
             for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line and "dataset" not in line}
    assert set(table) == {"massive/en", "tatoeba_laser/fr", "tico19/ps"}
    assert table["massive/en"][2] == "3" and table["massive/en"][5].strip(" |").endswith("/2)")  # greeting left out
    assert table["tatoeba_laser/fr"][3] == "100.0%" and table["tatoeba_laser/fr"][4] == "100.0%"
    assert table["tico19/ps"][4] == "—"  # lingua does not know Pashto
    assert "short texts (tatoeba_laser, massive; the 2 languages lingua knows; 5 lines)" in result.stdout


def test_db_upgrade_versions_a_database_made_before_migrations(tmp_path):
    """`guichet db upgrade` on a database whose tables `create_all` made (no version): stamped and upgraded."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from knowledge.storage.migrate import BASELINE, _config

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url, future=True)
    with engine.begin() as connection:  # the tables `create_all` made before migrations: the baseline, no version
        command.upgrade(_config(connection), BASELINE)
        connection.execute(text("DROP TABLE alembic_version"))
    engine.dispose()
    env = {"DATABASE_URL": url}
    assert run(["db", "current"], env=env).stdout.strip() == "database: no version; newest: 0002"
    upgraded = run(["db", "upgrade"], env=env)
    assert upgraded.returncode == 0 and upgraded.stdout.strip() == "upgraded the database from no version to 0002"
    assert run(["db", "upgrade"], env=env).stdout.strip() == "the database is at the newest schema (0002)"
    assert run(["db", "current"], env=env).stdout.strip() == "database: 0002; newest: 0002"
