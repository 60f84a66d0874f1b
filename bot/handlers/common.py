"""Helpers shared by the handlers: who is writing, and sending the assistant's replies."""

from __future__ import annotations

from typing import Iterable

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode

from bot.assistant import Reply, Sender
from bot.context import GuichetContext
from bot.keyboards import reply_markup


def sender_of(update: Update) -> Sender:
    """The person as the assistant sees them: an opaque key, never a name or username."""
    user = update.effective_user
    return Sender(f"telegram:{user.id}", user.language_code) if user else Sender("telegram:unknown")


async def send_replies(update: Update, context: GuichetContext, replies: Iterable[Reply]) -> None:
    chat_id = update.effective_chat.id
    for reply in replies:
        await context.bot.send_message(
            chat_id, reply.text, parse_mode=ParseMode.HTML, reply_markup=reply_markup(reply),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        if reply.venue:
            await context.bot.send_venue(chat_id, reply.venue.latitude, reply.venue.longitude,
                                         reply.venue.title, reply.venue.address)
