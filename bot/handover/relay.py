"""Relaying between a person and their interpreter: every message is stored before it is sent and deleted once
Telegram accepted it, so a restart loses nothing; staff see the pseudonym, the person sees 'Interpreter'."""

from __future__ import annotations

from typing import List, Optional

from bot.assistant import Media, Parts, Reply
from bot.assistant.texts import escape
from bot.assistant.values import telegram_key
from bot.handover.state import DeskState
from knowledge.storage.handovers import ACTIVE, TO_INTERPRETER, TO_PERSON, Interpreter, RelayMessage, Request


class Relay:
    def __init__(self, parts: Parts, state: DeskState):
        self.texts = parts.texts
        self.state = state
        self.store = state.store

    def from_person(self, request: Request, kind: str, text: str = "", media: Optional[Media] = None) -> List[Reply]:
        stored = self._store(request, TO_INTERPRETER, kind, text, media)
        if request.status == ACTIVE and request.interpreter_id is not None:
            interpreter = self.state.roster.get(request.interpreter_id) or self.store.interpreter(request.interpreter_id)
            if interpreter is not None:
                return [self.reply(stored, request, interpreter)]
        _ = self.texts.gettext(request.person_language)
        return [self.texts.reply(_("✉️ Kept for the interpreter."), request.person_language)]

    def from_interpreter(self, request: Request, interpreter: Interpreter, text: str = "",
                         media: Optional[Media] = None) -> List[Reply]:
        stored = self._store(request, TO_PERSON, media.kind if media else "text", text, media)
        return [self.reply(stored, request, interpreter)]

    def waiting_for(self, request: Request, interpreter: Interpreter) -> List[Reply]:
        """What the person wrote before `interpreter` took the request."""
        return [self.reply(m, request, interpreter) for m in self.store.undelivered(request.id, TO_INTERPRETER)]

    def reply(self, message: RelayMessage, request: Request, interpreter: Interpreter) -> Reply:
        """The stored message as a reply to its recipient, tagged: the pseudonym for staff, 'Interpreter' for the person."""
        media = None if message.kind == "text" else Media(message.kind, message.file_id, message.latitude, message.longitude)
        if message.direction == TO_INTERPRETER:
            language, to = self.state.staff_language(interpreter), telegram_key(interpreter.telegram_id)
            tag = f"👤 <b>{escape(request.pseudonym)}</b>"
        else:
            language, to = request.person_language, request.person_key
            _ = self.texts.gettext(language)
            tag = "🧑 <b>" + escape(_("Interpreter")) + "</b>"
        text = f"{tag}: {escape(message.text)}" if message.text else tag
        return self.texts.reply(text, language, to=to, media=media, relay_id=message.id)

    def pending(self) -> List[Reply]:
        """Relayed messages stored but not delivered (the bot stopped in between): send them again, in order."""
        replies = []
        for message in self.store.undelivered():
            request = self.store.request(message.handover_id)
            if request is None or request.status != ACTIVE or request.interpreter_id is None:
                continue  # left for an interpreter who has not taken the request yet
            interpreter = self.store.interpreter(request.interpreter_id)
            if interpreter is not None:
                replies.append(self.reply(message, request, interpreter))
        return replies

    def delivered(self, relay_id: int) -> None:
        self.store.delivered(relay_id)

    def _store(self, request: Request, direction: str, kind: str, text: str, media: Optional[Media]) -> RelayMessage:
        return self.store.add_message(request.id, direction, kind, text, media.file_id if media else "",
                                      media.latitude if media else None, media.longitude if media else None)
