"""The error handler: log without personal data, tell the person something went wrong."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.context import GuichetContext
from bot.handlers.common import respond
from bot.logs import log_failure

logger = logging.getLogger(__name__)


async def on_error(update: object, context: GuichetContext) -> None:
    """Blocked bot: drop silently. Anything else: log it and apologise in the person's language."""
    update_id = getattr(update, "update_id", None)
    if isinstance(context.error, Forbidden):
        logger.info("update %s: the person blocked the bot or left; reply dropped", update_id)
        return
    log_failure(logger, f"update {update_id}", context.error)
    front = context.bot_data.front
    if isinstance(update, Update) and update.effective_chat and front is not None:
        try:
            await respond(update, context, front.error)
        except (TelegramError, Exception):  # the apology itself may fail; nothing more to do
            logger.warning("update %s: could not send the apology", update_id)
