"""The error handler: log without personal data, tell the person something went wrong."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import GuichetContext
from bot.handlers.common import sender_of
from bot.logs import log_failure

logger = logging.getLogger(__name__)


async def on_error(update: object, context: GuichetContext) -> None:
    """Log the failure by type and place; apologise in the person's language (through the courier, like any reply).

    Sending problems never reach here: the courier handles them (bot/delivery.py)."""
    update_id = getattr(update, "update_id", None)
    log_failure(logger, f"update {update_id}", context.error)
    data = context.bot_data
    if isinstance(update, Update) and update.effective_chat and data.front is not None and data.courier is not None:
        try:
            replies = await data.run(data.front.error, sender_of(update))
            await data.courier.post(replies, update.effective_chat.id, handled=update.update_id, apology=True)
        except Exception as error:  # the apology itself may fail; nothing more to do
            log_failure(logger, f"update {update_id}: could not queue the apology", error, logging.WARNING)
