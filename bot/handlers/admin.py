"""Commands for the administrators listed in GUICHET_ADMIN_IDS; anyone else is told the command is unknown."""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ParseMode

from bot.context import GuichetContext
from bot.handlers.common import command_parts
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


ROSTER_COMMANDS = ("interpreters", "interpreter_add", "interpreter_remove", "interpreter_pause", "interpreter_resume")
ROSTER_HELP = ("/interpreters — the roster\n"
               "/interpreter_add ID LANGUAGES NAME — e.g. /interpreter_add 123456789 ar,fr Amina\n"
               "/interpreter_remove ID · /interpreter_pause ID · /interpreter_resume ID")


async def roster(update: Update, context: GuichetContext) -> None:
    """Admins manage the interpreter roster from Telegram, as with `guichet interpreters`."""
    data = context.bot_data
    user = update.effective_user
    if user is None or user.id not in data.admin_ids or data.desk is None:
        await command(update, context)
        return
    name, argument = command_parts(update.effective_message.text)
    text = await data.run(roster_command, data.desk, name.split("@")[0].lower(), argument)
    await context.bot.send_message(update.effective_chat.id, text, parse_mode=ParseMode.HTML)


def roster_command(desk, name: str, argument: str) -> str:
    """The reply (HTML) to an admin's roster command; all changes go through the desk's store."""
    store = desk.store
    parts = argument.split(maxsplit=2)
    if name == "interpreters":
        lines = [f"<code>{i.telegram_id}</code> {html.escape(i.name)} — {', '.join(i.languages)}"
                 + (" · paused" if i.paused else "") + ("" if i.conduct_accepted else " · code of conduct not accepted yet")
                 for i in store.roster()]
        return "\n".join(lines or ["No interpreter on the roster yet."]) + "\n\n" + html.escape(ROSTER_HELP)
    if not parts or not parts[0].isdigit():
        return html.escape("Which interpreter? Give their numeric Telegram id.\n" + ROSTER_HELP)
    telegram_id = int(parts[0])
    try:
        if name == "interpreter_add":
            if len(parts) < 3:
                return html.escape("Usage: " + ROSTER_HELP.splitlines()[1])
            interpreter = store.add_interpreter(telegram_id, parts[2], parts[1].split(","))
            desk.refresh_roster()
            return f"✅ {html.escape(interpreter.name)} ({', '.join(interpreter.languages)}) is on the roster."
        if name == "interpreter_remove":
            store.remove_interpreter(telegram_id)
            desk.refresh_roster()
            return f"✅ {telegram_id} was removed; any conversation they held is back in the queue."
        store.set_paused(telegram_id, name == "interpreter_pause")
        desk.refresh_roster()
        return f"✅ {telegram_id} is {'paused' if name == 'interpreter_pause' else 'available again'}."
    except KeyError:
        return f"❌ {telegram_id} is not on the roster."
    except ValueError as error:
        return "❌ " + html.escape(str(error))
