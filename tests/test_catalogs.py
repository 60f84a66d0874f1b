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


def test_dependency_rule_between_layers():
    """nlu and knowledge never import bot or each other; only nlu imports rasa; the assistant imports no framework."""
    forbidden = {
        "nlu": ("bot", "knowledge", "sqlalchemy", "telegram"),
        "knowledge": ("bot", "nlu", "rasa", "telegram"),
        "bot/assistant.py": ("telegram", "rasa", "sqlalchemy"),
    }
    for where, banned in forbidden.items():
        files = [PROJECT_ROOT / where] if where.endswith(".py") else list((PROJECT_ROOT / where).rglob("*.py"))
        for path in files:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                for name in names:
                    assert name.split(".")[0] not in banned, f"{path.relative_to(PROJECT_ROOT)} imports {name}"


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
