"""The interpreter's side: the code of conduct once, ✋ Take on a briefing card, relay, /handback, /transfer,
/close [note], /queue, /pause, /resume."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import List, Optional

from bot.assistant import Button, Media, Parts, Reply, in_pairs
from bot.assistant.buttons import Press
from bot.assistant.texts import escape
from bot.assistant.values import telegram_key
from bot.handover.hours import DeskOptions
from bot.handover.notices import Notices
from bot.handover.relay import Relay
from bot.handover.state import DeskState
from bot.i18n import in_own_names, language_name
from knowledge.storage import TakeOutcome
from knowledge.storage.handovers import Interpreter, Request

COMMANDS = ("handback", "transfer", "close", "queue", "pause", "resume", "conduct")


class StaffDesk:
    BUTTONS = ("conduct_accept", "take", "transfer")

    def __init__(self, parts: Parts, state: DeskState, notices: Notices, relay: Relay, options: DeskOptions):
        self.texts = parts.texts
        self.state = state
        self.store = state.store
        self.notices = notices
        self.relay = relay
        self.options = options

    def welcome(self, interpreter: Interpreter) -> List[Reply]:
        language = self.state.staff_language(interpreter)
        if not interpreter.conduct_accepted:
            return self._conduct(language)
        _ = self.texts.gettext(language)
        text = "\n".join([
            _("🧑 You are on the interpreter roster for: {languages}.").format(
                languages=escape(", ".join(language_name(c, language) for c in interpreter.languages))),
            _("New requests in your languages come here with a ✋ Take button."),
            "",
            _("/queue — requests waiting in your languages"),
            _("/handback — give the conversation back to the bot"),
            _("/transfer — pass it to another interpreter"),
            _("/close [note] — end it, with a note for the next interpreter"),
            _("/pause, /resume — stop or start getting new requests"),
        ])
        return [self.texts.reply(text, language)]

    def command(self, interpreter: Interpreter, name: str, argument: str) -> List[Reply]:
        language = self.state.staff_language(interpreter)
        _ = self.texts.gettext(language)
        if name in ("start", "help"):
            return self.welcome(interpreter)
        if name == "conduct" or not interpreter.conduct_accepted:
            return self._conduct(language)
        if name == "pause":
            self.store.set_paused(interpreter.telegram_id, True)
            self.state.roster_changed()
            return [self.texts.reply(_("Paused: you will not get new requests. /resume to start again."), language)]
        if name == "resume":
            self.store.set_paused(interpreter.telegram_id, False)
            self.state.roster_changed()
            return [self.texts.reply(_("You will get new requests again."), language)] + self._queue_list(interpreter, language)
        if name == "queue":
            return self._queue_list(interpreter, language)
        request = self.store.owned_by(interpreter.telegram_id)
        if request is None:
            return [self._none_open(language)]
        if name in ("handback", "close"):
            return self._end(request, language, argument, closing=name == "close")
        # transfer: "/transfer" shows the languages; "/transfer ar [note]" does it at once
        wanted, _sep, note = argument.partition(" ")
        codes = self.state.roster_languages()
        if wanted.lower() in codes:
            return self._transfer(interpreter, request, wanted.lower(), note.strip())
        rows = in_pairs([Button(name_, f"transfer:{request.id}:{request.token}:{code}") for code, name_ in in_own_names(codes)])
        return [self.texts.reply(_("Transfer {pseudonym} to an interpreter of which language?").format(
            pseudonym=escape(request.pseudonym)), language, rows)]

    def action(self, interpreter: Interpreter, press: Press) -> List[Reply]:
        """'conduct:accept', 'take:<request>:<token>', 'transfer:<request>:<token>:<language>' from an interpreter."""
        language = self.state.staff_language(interpreter)
        _ = self.texts.gettext(language)
        if press.kind == "conduct_accept":  # the exact button of the code-of-conduct card, nothing else
            self.store.accept_conduct(interpreter.telegram_id)
            self.state.roster_changed()
            text = _("Thank you. You can now take conversations in: {languages}.").format(
                languages=escape(", ".join(language_name(c, language) for c in interpreter.languages)))
            return [self.texts.reply(text, language)] + self._queue_list(self.state.roster[interpreter.telegram_id], language)
        if not interpreter.conduct_accepted:
            return self._conduct(language)
        if press.kind == "take":
            return self._take(interpreter, press.number, press.token, language)
        request = self.store.owned_by(interpreter.telegram_id)
        if press.kind == "transfer" and request is not None and (request.id, request.token) == (press.number, press.token) \
                and press.code in self.state.roster_languages():
            return self._transfer(interpreter, request, press.code, "")
        return [self._stale(language)]

    def message(self, interpreter: Interpreter, text: str = "", media: Optional[Media] = None) -> List[Reply]:
        """What an interpreter writes or sends goes to the person they handle."""
        language = self.state.staff_language(interpreter)
        if not interpreter.conduct_accepted:
            return self._conduct(language)
        if media is None and not text.strip():
            return []
        request = self.store.owned_by(interpreter.telegram_id)
        if request is None:
            return [self._none_open(language)]
        return self.relay.from_interpreter(request, interpreter, text, media)

    def unreachable(self, interpreter: Interpreter) -> List[Reply]:
        """Telegram refused to deliver to the interpreter: their request goes back to the queue."""
        return self.notices.requeued(self.store.requeue_owned_by(interpreter.telegram_id))

    # -- pieces ------------------------------------------------------------------------------------
    def _conduct(self, language: str) -> List[Reply]:
        _ = self.texts.gettext(language)
        text = "\n".join([
            _("📜 <b>Code of conduct for Guichet interpreters</b>"),
            _("• Confidentiality: what you read here stays here; you never try to find out who the person is."),
            _("• Neutrality: you do not take sides and do not add your opinion."),
            _("• Accuracy: you translate everything, completely, without adding or leaving out."),
            _("• Your role: you interpret and point to services; you do not give legal or medical advice."),
            "",
            _("Press the button to accept it. You can take conversations only after that."),
        ])
        return [self.texts.reply(text, language, [[Button(_("✅ I accept the code of conduct"), "conduct:accept")]])]

    def _none_open(self, language: str) -> Reply:
        _ = self.texts.gettext(language)
        return self.texts.reply(_("You have no conversation open. /queue shows the requests waiting in your languages."),
                                language)

    def _stale(self, language: str) -> Reply:
        _ = self.texts.gettext(language)
        return self.texts.reply(_("This button is no longer valid."), language)

    def _queue_list(self, interpreter: Interpreter, language: str) -> List[Reply]:
        _ = self.texts.gettext(language)
        waiting = [r for r in self.store.waiting(interpreter.languages) if r.transferred_from != interpreter.telegram_id]
        if not waiting:
            return [self.texts.reply(_("Nobody is waiting in your languages."), language)]
        return [self._here(self.notices.briefing(r, interpreter)) for r in waiting[:10]]

    @staticmethod
    def _here(reply: Reply) -> Reply:
        """A card sent to the interpreter who asked, in this chat."""
        return dataclasses.replace(reply, to=None)

    def _take(self, interpreter: Interpreter, request_id: int, token: str, language: str) -> List[Reply]:
        _ = self.texts.gettext(language)
        request = self.store.request(request_id)
        if request is not None and request.language not in interpreter.languages:
            return [self._stale(language)]
        outcome = self.store.take(request_id, token, interpreter.telegram_id)
        if outcome is TakeOutcome.BUSY:
            return [self.texts.reply(_("Finish your current conversation first (/handback or /transfer)."), language)]
        if outcome is not TakeOutcome.TAKEN or request is None:
            return [self.texts.reply(_("Too late: another interpreter took this request."), language)]
        request = self.store.request(request_id)
        person_language = request.person_language
        _p = self.texts.gettext(person_language)
        replies = [
            self.texts.reply("\n".join([
                _("✅ You now handle {pseudonym}. Everything you write here is sent to them, and their messages come here.").format(
                    pseudonym=escape(request.pseudonym)),
                _("/handback — give the conversation back to the bot"),
                _("/transfer — pass it to another interpreter"),
                _("/close [note] — end it, with a note for the next interpreter"),
            ]), language),
            self.texts.reply(_p("🧑 An interpreter has joined. From now on they read and answer your messages here. "
                                "Write /bot to end."), person_language, to=request.person_key),
        ]
        replies += self.relay.waiting_for(request, interpreter)
        for other in self.state.roster.values():  # the others see that it is taken
            if other.telegram_id != interpreter.telegram_id and request.language in other.languages \
                    and other.conduct_accepted and not other.paused:
                other_language = self.state.staff_language(other)
                _o = self.texts.gettext(other_language)
                replies.append(self.texts.reply(_o("Request {pseudonym} was taken by another interpreter.").format(
                    pseudonym=escape(request.pseudonym)), other_language, to=telegram_key(other.telegram_id)))
        return replies

    def _end(self, request: Request, language: str, note: str, *, closing: bool) -> List[Reply]:
        _ = self.texts.gettext(language)
        self.store.close(request.id, note)
        self.state.closed(request.person_key)
        person_language = request.person_language
        _p = self.texts.gettext(person_language)
        to_person = (_p("✅ The interpreter closed the conversation. You are talking to the bot again.") if closing else
                     _p("🤖 The interpreter handed the conversation back to the bot. Ask me anything, or send /human "
                        "to talk to a person again."))
        mine = _("Conversation closed.") if closing else _("Handed back to the bot.")
        if note:
            mine += " " + _("Your note is kept for the next interpreter.")
        return [self.texts.reply(mine, language),
                self.texts.reply(to_person, person_language, self.texts.topic_rows(person_language), to=request.person_key)]

    def _transfer(self, interpreter: Interpreter, request: Request, wanted: str, note: str) -> List[Reply]:
        language = self.state.staff_language(interpreter)
        _ = self.texts.gettext(language)
        deadline = datetime.utcnow() + timedelta(minutes=self.options.timeout_minutes)
        if not self.store.release(request.id, interpreter.telegram_id, wanted, note, deadline):
            return [self._stale(language)]
        request = self.store.request(request.id)
        _p = self.texts.gettext(request.person_language)
        replies = [
            self.texts.reply(_("Released: {pseudonym} is back in the queue for {language}.").format(
                pseudonym=escape(request.pseudonym), language=escape(language_name(wanted, language))), language),
            self.texts.reply(_p("🔁 Your interpreter passed your conversation to another interpreter ({language}). "
                                "Please wait; you can keep writing.").format(
                language=escape(language_name(wanted, request.person_language))), request.person_language,
                to=request.person_key),
        ]
        offers = self.notices.offer_to_interpreters(request)
        if not offers:
            self.store.set_deadline(request.id, None)
            replies += self.notices.nobody_available(request, told_now=True)
        return replies + offers
