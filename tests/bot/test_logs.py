"""The log keeps the promise: never the bot token, never what people wrote, at any level, `-v` included."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot.logs import log_failure, setup_logging, where
from knowledge.storage.tables import relay_messages

TOKEN = "123456:SECRET-abc_DEF"


@pytest.fixture
def log():
    """Guichet's logging set up on a string; the root logger's handlers and levels restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level,
             {name: logging.getLogger(name).level for name in ("bot", "nlu", "knowledge", "guichet", "telegram")})
    stream = io.StringIO()

    def configure(verbose: bool) -> io.StringIO:
        setup_logging(verbose, TOKEN, stream)
        return stream

    yield configure
    handlers, level, levels = saved
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)


def test_the_token_is_redacted_from_every_logger_message_and_traceback(log):
    out = log(verbose=True)
    logging.getLogger("telegram.ext.ExtBot").error("POST https://api.telegram.org/bot%s/sendMessage failed", TOKEN)
    logging.getLogger("asyncio").warning("secret part alone: SECRET-abc_DEF%s", "/getMe")
    try:
        raise RuntimeError(f"Cannot connect to https://api.telegram.org/bot{TOKEN}/getUpdates")
    except RuntimeError:
        logging.getLogger("aiohttp.client").exception("request failed")
    text = out.getvalue()
    assert "SECRET-abc_DEF" not in text and "123456:" not in text
    assert "https://api.telegram.org/bot[redacted]/sendMessage failed" in text
    assert "secret part alone: [redacted]/getMe" in text
    assert "RuntimeError: Cannot connect to https://api.telegram.org/bot[redacted]/getUpdates" in text


def test_verbose_is_debug_for_guichet_only_never_for_libraries_that_log_updates(log):
    out = log(verbose=True)
    logging.getLogger("bot.assistant.routing").debug("intent=ask_housing confidence=0.91 language=fr")
    logging.getLogger("telegram.ext.Application").debug("Processing update {'text': 'Zorblatt wants me out'}")
    logging.getLogger("aiohttp.client").debug("GET /bot…/getUpdates {'first_name': 'Kwabenaxx'}")
    text = out.getvalue()
    assert "DEBUG bot.assistant.routing: intent=ask_housing" in text
    assert "Zorblatt" not in text and "Kwabenaxx" not in text


def test_without_verbose_even_guichet_debug_stays_out(log):
    out = log(verbose=False)
    logging.getLogger("bot.assistant.routing").debug("intent=ask_housing")
    logging.getLogger("bot.app").info("Guichet is polling")
    assert out.getvalue().count("\n") == 1 and "INFO bot.app: Guichet is polling" in out.getvalue()


def test_errors_are_logged_by_type_and_place_never_by_their_message():
    try:
        int("²")  # what a forged button used to do: the message would hold the person's data
    except ValueError as error:
        place = where(error)
    assert place.startswith("test_logs.py:") and "in test_errors_are_logged_by_type_and_place" in place
    assert "²" not in place and "invalid literal" not in place


def test_a_database_error_is_logged_without_the_values_it_was_given(storage, log):
    out = log(verbose=True)
    with pytest.raises(IntegrityError) as error:
        with storage.engine.begin() as conn:  # handover_id is NOT NULL: refused, with the text as a parameter
            conn.execute(insert(relay_messages).values(handover_id=None, direction="to_person", kind="text",
                                                       text="Zorblatt is my landlord", created_at=None))
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(error.value)  # SQLAlchemy shows no values
    # …but PostgreSQL's own DETAIL ("Failing row contains (…)") still does: Guichet never logs an error's message
    log_failure(logging.getLogger("bot.app"), "the interpreting desk could not do its round", error.value)
    assert "Zorblatt" not in out.getvalue()
    assert "ERROR bot.app: the interpreting desk could not do its round: IntegrityError at " in out.getvalue()


@pytest.mark.e2e
async def test_guichet_run_verbose_logs_neither_the_token_nor_what_people_wrote(nlu_model, tmp_path):
    """The real `guichet -v run` against the fake Bot API: a question and a forged button, then the whole log is
    searched for the words, the name Telegram sent, the forged data and the token."""
    from bot.devtools.bench import bot_process

    log, person = tmp_path / "bot.log", 7301
    async with bot_process("-v", log=log, DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
                           GUICHET_DATA_DIR=str(tmp_path), GUICHET_MODEL_DIR=str(nlu_model.parent)) as bot:
        api = bot.api
        api.send_text(person, "my landlord Zorblatt wants to throw me out of the flat", "en")
        await api.replies(person, 1, timeout=60)
        api.press(person, "more:ask_housing:²")  # forged data: answered as an old button, and never logged
        stale = (await api.replies(person, 2, timeout=30))[1]
        assert stale.text == "This button is no longer valid. Here is the menu."
        token = api.token
    text = log.read_text(encoding="utf-8")
    assert "DEBUG bot.assistant.routing: intent=ask_housing" in text  # -v really logged at DEBUG
    for leak in ("Zorblatt", f"Person{person}", "²", token, token.partition(":")[2]):
        assert leak not in text, leak
