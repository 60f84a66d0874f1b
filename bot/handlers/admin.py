"""Commands for the administrators listed in GUICHET_ADMIN_IDS; anyone else is told the command is unknown."""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ParseMode

from bot.context import GuichetContext
from bot.handlers.conversation import command

MAX_PROBLEMS_SHOWN = 20


async def reload(update: Update, context: GuichetContext) -> None:
    """/reload: validate the knowledge files and swap them in; on errors the live knowledge stays as it was."""
    data = context.bot_data
    user = update.effective_user
    if user is None or user.id not in data.admin_ids or data.knowledge_updates is None:
        await command(update, context)  # same answer as any unknown command: staff commands stay invisible
        return
    outcome = await data.run(data.knowledge_updates.import_files)
    lines = [("✅ " if outcome.imported else "❌ ") + html.escape(outcome.summary)]
    lines += [f"<code>{html.escape(str(p))}</code>" for p in outcome.problems[:MAX_PROBLEMS_SHOWN]]
    if len(outcome.problems) > MAX_PROBLEMS_SHOWN:
        lines.append(html.escape(f"… and {len(outcome.problems) - MAX_PROBLEMS_SHOWN} more: run 'guichet kb validate'"))
    await context.bot.send_message(update.effective_chat.id, "\n".join(lines), parse_mode=ParseMode.HTML)
