"""Helpers shared by the handlers: who is writing, what they sent, and handing the replies to the courier."""

from __future__ import annotations

import logging
from typing import Callable, Iterable, List, Optional, Tuple

from telegram import Message, Update

from bot.assistant import Media, Reply, Sender
from bot.assistant.values import telegram_key
from bot.context import GuichetContext

logger = logging.getLogger(__name__)


def sender_of(update: Update) -> Sender:
    """The person as the assistant sees them: an opaque key, never a name or username."""
    user = update.effective_user
    return Sender(telegram_key(user.id), user.language_code) if user else Sender("telegram:unknown")


def command_parts(text: Optional[str]) -> Tuple[str, str]:
    """'/close some note' -> ('close', 'some note'); '/start@guichet_bot' -> ('start@guichet_bot', '')."""
    name, *rest = ((text or "/")[1:] or " ").split(maxsplit=1) or [""]
    return name, rest[0] if rest else ""


def media_of(message: Message) -> Optional[Media]:
    """What a message carries besides text, by Telegram file id (never downloaded)."""
    if message.photo:
        return Media("photo", message.photo[-1].file_id)
    files = (("document", message.document), ("voice", message.voice), ("audio", message.audio), ("video", message.video),
             ("animation", message.animation), ("sticker", message.sticker), ("video_note", message.video_note))
    for kind, item in files:
        if item is not None:
            return Media(kind, item.file_id)
    if message.location is not None:
        return Media("location", latitude=message.location.latitude, longitude=message.location.longitude)
    return None


async def send_replies(update: Update, context: GuichetContext, replies: Iterable[Reply]) -> None:
    """Hand the replies to the courier (stored, then sent in order); the update counts as handled with them."""
    chat = update.effective_chat.id if update.effective_chat else None
    await context.bot_data.courier.post(replies, chat, handled=update.update_id)


async def respond(update: Update, context: GuichetContext, handle: Callable[..., List[Reply]], *args) -> None:
    """Call the front desk's `handle(sender, *args)` off the event loop and send the replies it returns."""
    replies = await context.bot_data.run(handle, sender_of(update), *args)
    await send_replies(update, context, replies)
