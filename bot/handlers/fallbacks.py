"""What the bot cannot read yet (stickers, photos, voice, documents, edits) gets a kind answer."""

from __future__ import annotations

from telegram import Update

from bot.context import GuichetContext
from bot.handlers.common import send_replies, sender_of


async def media(update: Update, context: GuichetContext) -> None:
    """Stickers, photos, voice notes, documents, locations…: ask for text, show the topics."""
    await send_replies(update, context, await context.bot_data.replies("unsupported", sender_of(update), "media"))


async def edited(update: Update, context: GuichetContext) -> None:
    """An edited message: explain that only new messages are read."""
    await send_replies(update, context, await context.bot_data.replies("unsupported", sender_of(update), "edited"))
