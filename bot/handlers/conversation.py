"""Commands, text messages and button presses."""

from __future__ import annotations

from telegram import Update

from bot.context import GuichetContext
from bot.handlers.common import command_parts, respond


async def start(update: Update, context: GuichetContext) -> None:
    """/start: the welcome screen, the language picker and the topic menu."""
    await respond(update, context, context.bot_data.front.start)


async def command(update: Update, context: GuichetContext) -> None:
    """/help, /topics, /language, /privacy, /forget — and any unknown command, politely."""
    name, argument = command_parts(update.effective_message.text)
    await respond(update, context, context.bot_data.front.command, name, argument)


async def text(update: Update, context: GuichetContext) -> None:
    """A question in the person's own words: the answer from the knowledge base."""
    data = context.bot_data
    words = update.effective_message.text
    parsed = await data.parse(words)
    await respond(update, context, data.front.message, words, parsed)


async def button(update: Update, context: GuichetContext) -> None:
    """A button press: a language, a topic, more services, forget…; old buttons get a polite answer."""
    query = update.callback_query
    await query.answer()
    if update.effective_chat is None:  # a button on an inline message: nowhere to answer
        return
    await respond(update, context, context.bot_data.front.action, query.data)


async def location(update: Update, context: GuichetContext) -> None:
    """A shared location (or venue): the nearest places for the person's topic. Kept in memory only."""
    where = update.effective_message.location
    await respond(update, context, context.bot_data.front.location, where.latitude, where.longitude)
