"""Commands for the administrators listed in GUICHET_ADMIN_IDS; anyone else is told the command is unknown."""

from __future__ import annotations

from telegram import Update
from bot.assistant import Reply
from bot.assistant.texts import command_name, escape
from bot.context import GuichetContext
from bot.handlers.common import command_parts, send_replies
from bot.handlers.conversation import command
from bot.handover.roster import EMPTY, Roster, RosterError, parse_telegram_id

MAX_PROBLEMS_SHOWN = 20


async def reload(update: Update, context: GuichetContext) -> None:
    """/reload: validate the knowledge files and swap them in; on errors the live knowledge stays as it was."""
    data = context.bot_data
    user = update.effective_user
    if not data.is_admin(user.id if user else None) or data.knowledge_updates is None:
        await command(update, context)  # same answer as any unknown command: staff commands stay invisible
        return
    outcome = await data.run(data.knowledge_updates.import_files)
    lines = [("✅ " if outcome.imported else "❌ ") + escape(outcome.summary)]
    lines += [f"<code>{escape(str(p))}</code>" for p in outcome.problems[:MAX_PROBLEMS_SHOWN]]
    if len(outcome.problems) > MAX_PROBLEMS_SHOWN:
        lines.append(escape(f"… and {len(outcome.problems) - MAX_PROBLEMS_SHOWN} more: run 'guichet kb validate'"))
    await send_replies(update, context, [Reply("\n".join(lines), "en")])


ROSTER_COMMANDS = ("interpreters", "interpreter_add", "interpreter_remove", "interpreter_pause", "interpreter_resume")
ROSTER_HELP = ("/interpreters — the roster\n"
               "/interpreter_add ID LANGUAGES NAME — e.g. /interpreter_add 123456789 ar,fr Amina\n"
               "/interpreter_remove ID · /interpreter_pause ID · /interpreter_resume ID")


async def roster(update: Update, context: GuichetContext) -> None:
    """Admins manage the interpreter roster from Telegram, as with `guichet interpreters`."""
    data = context.bot_data
    user = update.effective_user
    if not data.is_admin(user.id if user else None) or data.desk is None:
        await command(update, context)
        return
    name, argument = command_parts(update.effective_message.text)
    text = await data.run(roster_command, data.desk.roster, command_name(name), argument)
    await send_replies(update, context, [Reply(text, "en")])


def roster_command(service: Roster, name: str, argument: str) -> str:
    """The reply (HTML) to an admin's roster command: the roster service's own message, escaped."""
    if name == "interpreters":
        lines = [f"<code>{line.telegram_id}</code> {escape(line.description)}" for line in service.lines()]
        return "\n".join(lines or [escape(EMPTY + ".")]) + "\n\n" + escape(ROSTER_HELP)
    parts = argument.split(maxsplit=2)
    if not parts:
        return escape("Which interpreter? Give their numeric Telegram id.\n" + ROSTER_HELP)
    try:
        telegram_id = parse_telegram_id(parts[0])
        if name == "interpreter_add":
            if len(parts) < 3:
                return escape("Usage: " + ROSTER_HELP.splitlines()[1])
            message = service.add(telegram_id, parts[2], parts[1])
        elif name == "interpreter_remove":
            message = service.remove(telegram_id)
        elif name == "interpreter_pause":
            message = service.pause(telegram_id)
        else:
            message = service.resume(telegram_id)
    except RosterError as error:
        return "❌ " + escape(str(error))
    return "✅ " + escape(message)
