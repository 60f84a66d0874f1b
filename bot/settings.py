"""Settings from the environment (and an optional `.env`), as one frozen value."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_DEFAULT_BASE_URL = "https://api.telegram.org/bot"


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


def _int_set(raw: str, name: str) -> frozenset[int]:
    values = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            values.add(int(part))
        except ValueError:
            raise SettingsError(f"{name}: {part!r} is not a numeric Telegram user id") from None
    return frozenset(values)


def _flag(raw: str, name: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}: {raw!r} is neither 1 nor 0")


@dataclass(frozen=True)
class Settings:
    """Everything the application reads from its environment."""

    telegram_bot_token: Optional[str] = field(default=None, repr=False)
    telegram_api_base_url: str = TELEGRAM_DEFAULT_BASE_URL
    database_url: str = ""
    admin_ids: frozenset[int] = frozenset()
    data_dir: Path = PROJECT_ROOT / "data"
    model_dir: Path = PROJECT_ROOT / "models"
    knowledge_dir: Path = PROJECT_ROOT / "knowledge" / "data"
    webhook_url: Optional[str] = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: Optional[str] = field(default=None, repr=False)
    default_language: str = "en"
    secret: Optional[str] = field(default=None, repr=False)
    knowledge_poll_seconds: float = 10.0
    handover_timeout_minutes: float = 15.0
    interpreter_hours: str = ""  # e.g. "mon-fri 09:00-17:00, sat 10:00-12:00"; empty: any time
    timezone: str = "Europe/Brussels"
    relay_retention_hours: float = 24.0
    note_retention_days: float = 30.0
    nlu_process: bool = True  # `guichet run` parses in a child process (another core); False: in the bot's own
    send_rate: float = 30.0  # messages per second the bot sends at most, overall (Telegram's limit); 0: no pacing
    instance: Optional[str] = None  # this process's name when several share one database (bot/instances.py)

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None, *, dotenv: bool = True) -> "Settings":
        """Build settings from `environ` (default: `os.environ`, after loading `.env`)."""
        if environ is None:
            if dotenv:
                from dotenv import load_dotenv

                load_dotenv(PROJECT_ROOT / ".env", override=False)
            environ = os.environ
        data_dir = Path(environ.get("GUICHET_DATA_DIR") or PROJECT_ROOT / "data")
        database_url = environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'guichet.sqlite3'}"
        try:
            port = int(environ.get("GUICHET_WEBHOOK_PORT", "8443"))
            poll = float(environ.get("GUICHET_KNOWLEDGE_POLL_SECONDS", "10"))
            timeout = float(environ.get("GUICHET_HANDOVER_TIMEOUT_MINUTES", "15"))
            retention = float(environ.get("GUICHET_RELAY_RETENTION_HOURS", "24"))
            note_days = float(environ.get("GUICHET_NOTE_RETENTION_DAYS", "30"))
            send_rate = float(environ.get("GUICHET_SEND_RATE", "30"))
        except ValueError as error:
            raise SettingsError(f"invalid number in the environment: {error}") from None
        instance = environ.get("GUICHET_INSTANCE", "").strip() or None
        if instance is not None and not re.fullmatch(r"[A-Za-z0-9_.@-]{1,64}", instance):
            raise SettingsError(f"GUICHET_INSTANCE: {instance!r} is not a name of 1 to 64 letters, digits, '.', '_', '@' or '-'")
        return cls(
            telegram_bot_token=environ.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_api_base_url=environ.get("TELEGRAM_API_BASE_URL") or TELEGRAM_DEFAULT_BASE_URL,
            database_url=database_url,
            admin_ids=_int_set(environ.get("GUICHET_ADMIN_IDS", ""), "GUICHET_ADMIN_IDS"),
            data_dir=data_dir,
            model_dir=Path(environ.get("GUICHET_MODEL_DIR") or PROJECT_ROOT / "models"),
            knowledge_dir=Path(environ.get("GUICHET_KNOWLEDGE_DIR") or PROJECT_ROOT / "knowledge" / "data"),
            webhook_url=environ.get("GUICHET_WEBHOOK_URL") or None,
            webhook_listen=environ.get("GUICHET_WEBHOOK_LISTEN", "127.0.0.1"),
            webhook_port=port,
            webhook_secret=environ.get("GUICHET_WEBHOOK_SECRET") or None,
            default_language=environ.get("GUICHET_DEFAULT_LANGUAGE", "en"),
            secret=environ.get("GUICHET_SECRET") or None,
            knowledge_poll_seconds=poll,
            handover_timeout_minutes=timeout,
            interpreter_hours=environ.get("GUICHET_INTERPRETER_HOURS", ""),
            timezone=environ.get("GUICHET_TIMEZONE", "Europe/Brussels"),
            relay_retention_hours=retention,
            note_retention_days=note_days,
            nlu_process=_flag(environ.get("GUICHET_NLU_PROCESS") or "1", "GUICHET_NLU_PROCESS"),
            send_rate=send_rate,
            instance=instance,
        )
