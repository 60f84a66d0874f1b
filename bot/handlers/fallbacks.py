"""What the bot cannot read (stickers, photos, voice, documents, edits) gets a kind answer, or is relayed to an
interpreter when one owns the conversation."""

from __future__ import annotations

from telegram import Update

from bot.context import GuichetContext
from bot.handlers.common import media_of, send_replies, sender_of


async def media(update: Update, context: GuichetContext) -> None:
    """Stickers, photos, voice notes, documents…: relayed during a handover, else ask for text and show the topics."""
    message = update.effective_message
    found = media_of(message)
    if found is None:
        replies = await context.bot_data.replies("unsupported", sender_of(update), "media")
    else:
        replies = await context.bot_data.replies("media", sender_of(update), found, message.caption or "")
    await send_replies(update, context, replies)


async def edited(update: Update, context: GuichetContext) -> None:
    """An edited message: explain that only new messages are read."""
    await send_replies(update, context, await context.bot_data.replies("unsupported", sender_of(update), "edited"))
