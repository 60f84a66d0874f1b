"""Helpers shared by the handlers: who is writing, what they sent, and sending the replies (to them or to others)."""

from __future__ import annotations

import logging
from typing import Awaitable, Callable, Dict, Iterable, List, Optional, Tuple

from telegram import Bot, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from bot.assistant import Media, Reply, Sender
from bot.assistant.values import telegram_id, telegram_key
from bot.context import BotData, GuichetContext
from bot.keyboards import reply_markup

logger = logging.getLogger(__name__)

# Kinds a caption can go with; the others (sticker, video note, location) get the tag as a message first.
CAPTIONED = ("photo", "document", "voice", "audio", "video", "animation")


def _senders(bot: Bot) -> Dict[str, Callable[..., Awaitable[Message]]]:
    """The Bot API method that sends each kind of relayed file, by its Telegram file id."""
    return {"photo": bot.send_photo, "document": bot.send_document, "voice": bot.send_voice, "audio": bot.send_audio,
            "video": bot.send_video, "animation": bot.send_animation, "sticker": bot.send_sticker,
            "video_note": bot.send_video_note}


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


async def _send(bot: Bot, chat_id: int, reply: Reply) -> None:
    options = dict(reply_markup=reply_markup(reply))
    media = reply.media
    if media is None or media.kind not in CAPTIONED:
        await bot.send_message(chat_id, reply.text, parse_mode=ParseMode.HTML,
                               link_preview_options=LinkPreviewOptions(is_disabled=True), **options)
    if media is not None:
        if media.kind == "location":
            await bot.send_location(chat_id, media.latitude, media.longitude)
        elif media.kind in CAPTIONED:
            await _senders(bot)[media.kind](chat_id, media.file_id, caption=reply.text, parse_mode=ParseMode.HTML, **options)
        else:
            await _senders(bot)[media.kind](chat_id, media.file_id)
    if reply.venue:
        await bot.send_venue(chat_id, reply.venue.latitude, reply.venue.longitude, reply.venue.title, reply.venue.address)


async def deliver(data: BotData, bot, replies: Iterable[Reply], chat_id: Optional[int] = None) -> None:
    """Send each reply to its chat: `chat_id` (the update's chat) unless the reply names another one.

    A reply to someone else that Telegram refuses (they blocked the bot) is reported to the desk, whose answer
    (e.g. telling the interpreter) is delivered in turn; the other replies still go out. A relayed message
    is deleted from the outbox once delivered.
    """
    queue: List[Reply] = list(replies)
    while queue:
        reply = queue.pop(0)
        target = telegram_id(reply.to) if reply.to else chat_id
        if target is None:
            continue
        try:
            await _send(bot, target, reply)
        except (Forbidden, BadRequest) as error:
            if reply.to is None or (isinstance(error, BadRequest) and "chat not found" not in str(error).lower()):
                raise
            logger.info("a reply to another chat was refused (%s); telling the desk", type(error).__name__)
            queue += await data.run(data.front.unreachable, reply.to)
            continue
        if reply.relay_id is not None:
            await data.run(data.front.delivered, reply.relay_id)


async def send_replies(update: Update, context: GuichetContext, replies: Iterable[Reply]) -> None:
    await deliver(context.bot_data, context.bot, replies, update.effective_chat.id)


async def respond(update: Update, context: GuichetContext, handle: Callable[..., List[Reply]], *args) -> None:
    """Call the front desk's `handle(sender, *args)` off the event loop and send the replies it returns."""
    replies = await context.bot_data.run(handle, sender_of(update), *args)
    await send_replies(update, context, replies)
