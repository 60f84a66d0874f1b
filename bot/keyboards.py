"""Pure functions from the assistant's buttons and venues to Telegram markup."""

from __future__ import annotations

from typing import Optional, Sequence, Union

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.assistant import Button, Reply


def inline_keyboard(rows: Sequence[Sequence[Button]]) -> Optional[InlineKeyboardMarkup]:
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.action) for b in row] for row in rows])


def reply_markup(reply: Reply) -> Union[InlineKeyboardMarkup, ReplyKeyboardMarkup, None]:
    """A location-sharing keyboard when the reply asks for one (it disappears once used), else inline buttons."""
    if reply.location_button:
        return ReplyKeyboardMarkup([[KeyboardButton(reply.location_button, request_location=True)]],
                                   one_time_keyboard=True, resize_keyboard=True)
    return inline_keyboard(reply.buttons)
