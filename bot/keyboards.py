"""Pure functions from the assistant's buttons and venues to Telegram markup."""

from __future__ import annotations

from typing import Optional, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.assistant import Button


def inline_keyboard(rows: Sequence[Sequence[Button]]) -> Optional[InlineKeyboardMarkup]:
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.action) for b in row] for row in rows])
