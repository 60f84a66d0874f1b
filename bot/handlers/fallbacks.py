"""What the bot cannot read (stickers, photos, voice, documents, edits) gets a kind answer, or is relayed to an
interpreter when one owns the conversation."""

from __future__ import annotations

from telegram import Update

from bot.context import GuichetContext
from bot.handlers.common import media_of, respond


async def media(update: Update, context: GuichetContext) -> None:
    """Stickers, photos, voice notes, documents…: relayed during a handover, else ask for text and show the topics."""
    front = context.bot_data.front
    message = update.effective_message
    found = media_of(message)
    if found is None:
        await respond(update, context, front.unsupported, "media")
    else:
        await respond(update, context, front.media, found, message.caption or "")


async def edited(update: Update, context: GuichetContext) -> None:
    """An edited message: explain that only new messages are read."""
    await respond(update, context, context.bot_data.front.unsupported, "edited")
