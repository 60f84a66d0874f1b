"""Logging that keeps the promise: the bot token never appears, at any level, and neither does what people wrote.

- One handler on the root logger, with a filter that redacts the token's secret part from every record it
  writes: message, arguments and exception text, whichever library logged it.
- `-v` turns on DEBUG for Guichet's own loggers only. Third-party loggers stay at INFO: at DEBUG,
  python-telegram-bot and aiohttp log whole updates and request URLs, with people's messages, names and the token.
- Guichet's own log lines carry ids, counts and kinds, never text; errors are logged by type and place, not by
  their message (see bot/handlers/errors.py), and the database never formats parameters into errors.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from typing import Iterable, Optional, TextIO

OWN_LOGGERS = ("guichet", "bot", "nlu", "knowledge")
QUIET_LOGGERS = ("httpx", "httpcore", "rasa", "tensorflow", "absl", "apscheduler", "matplotlib")
REDACTED = "[redacted]"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Redact(logging.Filter):
    """Replaces each secret in a record's final text (message and exception) by [redacted]."""

    def __init__(self, secrets: Iterable[str]):
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True


def where(error: BaseException) -> str:
    """Where `error` was raised, as 'file:line in function' frames (innermost first)."""
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    return " < ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in reversed(frames)) or "unknown place"


def log_failure(logger: logging.Logger, what: str, error: BaseException, level: int = logging.ERROR) -> None:
    """`what` failed: logged with the error's type and place, never its message. Messages can hold what people
    wrote: "invalid literal for int() with base 10: '…'", or PostgreSQL's "Failing row contains (…)"."""
    logger.log(level, "%s: %s at %s", what, type(error).__name__, where(error))


def token_secrets(token: Optional[str]) -> tuple:
    """What to redact of a bot token '123456:ABC…': the part after the colon is in every form the token takes
    (raw, in a URL, quoted); the whole token too."""
    if not token:
        return ()
    secret = token.partition(":")[2]
    return (token, secret) if secret else (token,)  # the whole token first: '[redacted]', not '123456:[redacted]'


def setup_logging(verbose: bool = False, token: Optional[str] = None, stream: Optional[TextIO] = None) -> logging.Handler:
    """Log to `stream` (stderr) through the redacting handler; DEBUG for Guichet's own loggers with `verbose`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(Redact(token_secrets(token)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.NOTSET)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
