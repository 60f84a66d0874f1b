"""Commands, text messages and button presses."""

from __future__ import annotations

from telegram import Update

from bot.context import GuichetContext
from bot.handlers.common import command_parts, send_replies, sender_of


async def start(update: Update, context: GuichetContext) -> None:
    """/start: the welcome screen, the language picker and the topic menu."""
    await send_replies(update, context, await context.bot_data.replies("start", sender_of(update)))


async def command(update: Update, context: GuichetContext) -> None:
    """/help, /topics, /language, /privacy, /forget — and any unknown command, politely."""
    name, argument = command_parts(update.effective_message.text)
    await send_replies(update, context, await context.bot_data.replies("command", sender_of(update), name, argument))


async def text(update: Update, context: GuichetContext) -> None:
    """A question in the person's own words: the answer from the knowledge base."""
    words = update.effective_message.text
    parsed = await context.bot_data.parse(words)
    await send_replies(update, context, await context.bot_data.replies("message", sender_of(update), words, parsed))


async def button(update: Update, context: GuichetContext) -> None:
    """A button press: a language, a topic, more services, forget…; old buttons get a polite answer."""
    query = update.callback_query
    await query.answer()
    if update.effective_chat is None:  # a button on an inline message: nowhere to answer
        return
    await send_replies(update, context, await context.bot_data.replies("action", sender_of(update), query.data))


async def location(update: Update, context: GuichetContext) -> None:
    """A shared location (or venue): the nearest places for the person's topic. Kept in memory only."""
    where = update.effective_message.location
    await send_replies(update, context, await context.bot_data.replies(
        "location", sender_of(update), where.latitude, where.longitude))
