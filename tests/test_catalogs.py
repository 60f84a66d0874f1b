"""Meta-tests over the registries: catalogs complete and consistent, settings safe, layers separate."""

from __future__ import annotations

import ast
import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.settings import PROJECT_ROOT, Settings, SettingsError

REQUIRED = ("en", "fr", "ar")
PLACEHOLDER = re.compile(r"\{\w+\}")
TAG = re.compile(r"</?\w+>")


def _source_messages() -> set[str]:
    found = extract_from_dir(str(PROJECT_ROOT / "bot"), method_map=[("**.py", "python")], keywords={"_": None, "_p": None, "N_": None})
    return {message for _file, _line, message, _comments, _context in found}


@pytest.mark.parametrize("language", REQUIRED)
def test_catalog_is_complete_and_keeps_placeholders(language):
    with (PROJECT_ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    translated = {m.id: m.string for m in catalog if m.id and not m.fuzzy}
    missing = _source_messages() - {k for k, v in translated.items() if v}
    assert not missing, f"{language}: untranslated {sorted(missing)[:5]}"
    for msgid, msgstr in translated.items():
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(msgstr)), msgid
        assert TAG.findall(msgid) == TAG.findall(msgstr), msgid


def test_catalogs_load_and_translate(catalogs):
    assert set(REQUIRED) <= set(catalogs.languages)
    assert catalogs.gettext("fr")("Choose your language:") != "Choose your language:"


def test_token_never_appears_in_settings_repr():
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123:SECRET", "GUICHET_ADMIN_IDS": "1, 2"})
    assert "SECRET" not in repr(settings) and settings.admin_ids == frozenset({1, 2})


def test_the_nlu_runs_in_its_own_process_unless_turned_off():
    assert Settings.from_env({}).nlu_process and Settings.from_env({"GUICHET_NLU_PROCESS": ""}).nlu_process
    assert not Settings.from_env({"GUICHET_NLU_PROCESS": "0"}).nlu_process
    with pytest.raises(SettingsError, match="GUICHET_NLU_PROCESS: 'maybe' is neither 1 nor 0"):
        Settings.from_env({"GUICHET_NLU_PROCESS": "maybe"})


# Every module of bot/, nlu/ and knowledge/ belongs to a layer (first matching prefix); each layer lists what it must
# not import. Dependencies go one way: Telegram layer -> front desk (handover -> assistant) -> (nlu, knowledge).
LAYERS = (
    ("bot/assistant/", "assistant"), ("bot/handover/", "handover"), ("bot/devtools/", "devtools"),
    ("bot/handlers/", "telegram"), ("bot/app.py", "telegram"), ("bot/context.py", "telegram"),
    ("bot/keyboards.py", "telegram"), ("bot/http.py", "telegram"), ("bot/delivery.py", "telegram"),
    ("bot/webhook.py", "telegram"), ("bot/instances.py", "telegram"),
    ("bot/cli.py", "composition"),
    ("bot/terminal.py", "frontend"), ("bot/knowledge_updates.py", "frontend"),
    ("bot/settings.py", "support"), ("bot/i18n.py", "support"), ("bot/logs.py", "support"), ("bot/voice.py", "support"), ("bot/__init__.py", "support"),
    ("nlu/", "nlu"), ("knowledge/storage/", "storage"), ("knowledge/", "knowledge"),
)
UPPER = ("bot.app", "bot.context", "bot.handlers", "bot.keyboards", "bot.http", "bot.delivery", "bot.cli", "bot.devtools", "bot.terminal",
         "bot.knowledge_updates")
FORBIDDEN = {
    "assistant": ("telegram", "rasa", "sqlalchemy", "bot.handover", *UPPER),
    "handover": ("telegram", "rasa", "sqlalchemy", *UPPER),
    "devtools": ("telegram", "rasa", "sqlalchemy", "bot.cli", "bot.app", "bot.handlers", "bot.handover"),
    "telegram": ("rasa", "sqlalchemy", "bot.cli", "bot.devtools"),
    "composition": ("telegram", "rasa", "sqlalchemy"),  # except `guichet bench`, which runs bot.devtools
    "frontend": ("telegram", "rasa", "sqlalchemy", *UPPER),
    "support": ("telegram", "rasa", "sqlalchemy", "bot.assistant", "bot.handover", *UPPER),
    "nlu": ("bot", "knowledge", "sqlalchemy", "telegram"),
    "storage": ("bot", "nlu", "rasa", "telegram"),
    "knowledge": ("bot", "nlu", "rasa", "telegram", "sqlalchemy"),
}


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module or ""


def _layer(relative: str) -> str:
    return next((layer for prefix, layer in LAYERS if relative == prefix or relative.startswith(prefix)), "")


def test_dependency_rule_between_layers():
    """Every module has a layer, and no module imports what its layer must not (only nlu imports rasa, only the
    storage imports sqlalchemy, only the Telegram layer imports telegram, nothing below calls back up)."""
    modules = [p for top in ("bot", "nlu", "knowledge") for p in (PROJECT_ROOT / top).rglob("*.py")]
    assert len(modules) > 40
    for path in modules:
        relative = path.relative_to(PROJECT_ROOT).as_posix()
        layer = _layer(relative)
        assert layer, f"{relative} belongs to no layer: add it to LAYERS"
        for name in _imports(path):
            for banned in FORBIDDEN[layer]:
                if name == banned or name.startswith(banned + "."):
                    allowed = layer == "composition" and name == "bot.devtools.bench"
                    assert allowed, f"{relative} ({layer}) imports {name}"


def test_the_layer_rule_catches_a_forbidden_import(tmp_path):
    """The rule above can fail: an assistant module importing telegram, or the desk importing the CLI, is caught."""
    for layer, source in (("assistant", "from telegram import Update\n"), ("handover", "import bot.cli\n"),
                          ("storage", "from bot.assistant import Reply\n")):
        module = tmp_path / f"{layer}.py"
        module.write_text(source, encoding="utf-8")
        assert any(name == banned or name.startswith(banned + ".") for name in _imports(module) for banned in FORBIDDEN[layer])
    assert _layer("bot/new_module.py") == "" and _layer("bot/assistant/new.py") == "assistant"


@pytest.mark.parametrize("text, language", [
    ("speak arabic please", "ar"), ("parle français stp", "fr"), ("en espanol por favor", "es"),
    ("türkçe konuş", "tr"), ("по-русски пожалуйста", "ru"), ("українською будь ласка", "uk"),
    ("ብትግርኛ ተዛረብ", "ti"), ("af soomaali", "so"), ("په پښتو خبرې وکړه", "ps"), ("فارسی لطفا", "fa"),
    ("in het nederlands aub", "nl"), ("بالعربي", "ar"), ("بدي احكي انكليزي", "en"), ("inglizi please", "en"),
    ("change language", None), ("can you speak another language", None), ("je veux changer de langue", None),
    ("hello", None),
])
def test_a_language_asked_for_by_name(text, language):
    from bot.i18n import requested_language
    from knowledge.schema import LANGUAGE_CODES

    assert requested_language(text, LANGUAGE_CODES) == language
