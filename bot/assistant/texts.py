"""Texts in the person's language: gettext, escaping, right-to-left marks, the length cut, menus and notices.

Every reply of the assistant and of the interpreting desk is built here, so that escaping and RTL are done once.
"""

from __future__ import annotations

import dataclasses
import html
from typing import FrozenSet, Callable, List, Optional, Sequence, Tuple

from bot.assistant.values import Button, KnowledgeHolder, Reply, Venue
from bot.i18n import N_, Catalogs, in_own_names, rtl_lines

MAX_TEXT_CHARS = 4000  # Telegram's limit is 4096 characters per message
COMMANDS = ("start", "help", "topics", "human", "bot", "language", "privacy", "forget")
COMMAND_DESCRIPTIONS = {
    "start": N_("Welcome and main menu"),
    "help": N_("What I can do"),
    "topics": N_("Choose a topic"),
    "human": N_("Talk to a person (an interpreter)"),
    "bot": N_("Back to the bot"),
    "language": N_("Change language"),
    "privacy": N_("What I keep about you"),
    "forget": N_("Delete everything about me"),
}


def escape(text: object) -> str:
    """Any text from people or files, made safe for Telegram's HTML."""
    return html.escape(str(text), quote=True)


def in_pairs(buttons: Sequence[Button]) -> List[List[Button]]:
    """Buttons two per row: readable on a small phone."""
    return [list(buttons[i: i + 2]) for i in range(0, len(buttons), 2)]


def command_name(raw: str) -> str:
    """'/Start@guichet_bot' or 'Start@guichet_bot' -> 'start': the one place command names are normalised."""
    return raw.lstrip("/").split("@")[0].lower()


class Texts:
    """Replies in a language: translated, escaped by the caller, marked for RTL, cut to Telegram's length."""

    def __init__(self, catalogs: Catalogs, knowledge: KnowledgeHolder, default_language: str = "en"):
        self.catalogs = catalogs
        self.knowledge = knowledge
        self.default_language = default_language if default_language in catalogs.languages else catalogs.languages[0]
        self.voiced: FrozenSet[str] = frozenset()  # languages answers can be read aloud in (set at start: bot/voice.py)

    @property
    def languages(self) -> Tuple[str, ...]:
        return tuple(self.catalogs.languages)

    def gettext(self, language: str) -> Callable[[str], str]:
        return self.catalogs.gettext(language)

    def reply(self, text: str, language: str, buttons: Sequence[Sequence[Button]] = (),
              venue: Optional[Venue] = None, **fields) -> Reply:
        """A reply in `language` (RTL marks, length cut), with optional `to`, `media`, `relay_id`, `location_button`."""
        text = rtl_lines(text, language)
        if len(text) > MAX_TEXT_CHARS:
            # Cut between lines: each rendered line closes its own tags, so the HTML stays valid.
            cut = text.rfind("\n", 0, MAX_TEXT_CHARS - 2)
            text = text[: cut if cut > 0 else MAX_TEXT_CHARS - 2] + "\n…"
        reply = Reply(text, language, tuple(tuple(row) for row in buttons), venue)
        return dataclasses.replace(reply, **fields) if fields else reply

    # -- button rows ---------------------------------------------------------------------------
    def language_rows(self) -> List[List[Button]]:
        return in_pairs([Button(name, f"lang:{code}") for code, name in in_own_names(self.languages)])

    def topic_rows(self, language: str) -> List[List[Button]]:
        return in_pairs([Button(f"{t.emoji} {t.title.pick(language)[0]}", f"topic:{t.intent}")
                         for t in self.knowledge.current.menu_topics()])

    def menu_row(self, language: str) -> List[List[Button]]:
        _ = self.gettext(language)
        return [[Button(_("📋 Topics"), "menu"), Button(_("🌐 Change language"), "lang")]]

    def listen_rows(self, action: str, language: str) -> List[List[Button]]:
        """The 🔊 button that reads the message made by `action` aloud, where `language` has a voice."""
        if language not in self.voiced or len(("say:" + action).encode()) > 64:
            return []
        _ = self.gettext(language)
        return [[Button(_("🔊 Listen"), "say:" + action)]]

    def human_button(self, language: str) -> Button:
        _ = self.gettext(language)
        return Button(_("🧑 Talk to a person"), "human")

    # -- whole replies ---------------------------------------------------------------------------
    def topic_menu(self, language: str) -> Reply:
        _ = self.gettext(language)
        return self.reply(_("What do you need help with?"), language, self.topic_rows(language))

    def language_picker(self, language: str) -> Reply:
        _ = self.gettext(language)
        return self.reply(_("Choose your language:"), language, self.language_rows())

    def stale_button(self, language: str) -> Reply:
        """An old or unknown button: a polite answer and the menu."""
        _ = self.gettext(language)
        return self.reply(_("This button is no longer valid. Here is the menu."), language, self.topic_rows(language))

    def privacy(self, language: str) -> Reply:
        _ = self.gettext(language)
        text = "\n".join([
            _("🔒 <b>Your privacy</b>"),
            _("I keep only: a random pseudonym, the language you chose or wrote in, and the day you last wrote."),
            _("I never keep what you write, your name, your username or your phone number."),
            _("Your Telegram account is stored only as a one-way code that nobody can turn back into your account."),
            _("If you ask for a person: until the conversation ends, I keep the number Telegram needs to reach you, and each "
              "message only until it is delivered. The interpreter sees only your pseudonym."),
            _("Send /forget to delete everything, at any time."),
        ])
        return self.reply(text, language, [[Button(_("🗑 Delete my data"), "forget")]])

    def forget_question(self, language: str) -> Reply:
        _ = self.gettext(language)
        return self.reply(_("Delete everything Guichet stored about you (pseudonym and language)? This cannot be undone."),
                          language, [[Button(_("Yes, delete"), "forget:yes"), Button(_("No, keep"), "forget:no")]])

    def command_descriptions(self, language: str) -> List[Tuple[str, str]]:
        _ = self.gettext(language)
        return [(cmd, _(COMMAND_DESCRIPTIONS[cmd])) for cmd in COMMANDS]
