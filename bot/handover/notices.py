"""What the desk tells people and interpreters about a request: briefing cards, queue status, nobody available."""

from __future__ import annotations

import dataclasses
from typing import Callable, List, Sequence

from bot.assistant import Button, Parts, Reply
from bot.assistant.texts import escape
from bot.assistant.values import telegram_key
from bot.handover.hours import DeskOptions
from bot.handover.state import DeskState
from bot.i18n import isolate, language_name
from knowledge.storage.handovers import ACTIVE, Interpreter, Request


class Notices:
    def __init__(self, parts: Parts, state: DeskState, options: DeskOptions):
        self.texts, self.cards = parts.texts, parts.cards
        self.state = state
        self.store = state.store
        self.options = options

    def available(self, request: Request) -> List[Interpreter]:
        """Interpreters who could take `request` now: in hours, its language, code accepted, not paused, free."""
        if not self.options.hours.open_at():
            return []
        return [i for i in self.state.roster.values()
                if request.language in i.languages and not i.paused and i.conduct_accepted
                and i.telegram_id != request.transferred_from and self.store.owned_by(i.telegram_id) is None]

    def offer_to_interpreters(self, request: Request) -> List[Reply]:
        return [self.briefing(request, i) for i in self.available(request)]

    def briefing(self, request: Request, interpreter: Interpreter) -> Reply:
        """The card an interpreter sees: pseudonym, language, topic, what the bot answered; never who the person is."""
        language = self.state.staff_language(interpreter)
        _ = self.texts.gettext(language)
        # the briefing holds intents ("ask_housing") and the specific answers given ("eviction")
        topic_names = [self.cards.topic_name(t, language) for t in request.briefing if not self.cards.has_answer(t)]
        answer_names = [self.cards.answer_name(a, language) for a in request.briefing if self.cards.has_answer(a)]
        lines = [_("🔔 <b>New request</b>: {pseudonym}, in {language}").format(
            pseudonym=escape(request.pseudonym), language=escape(language_name(request.language, language)))]
        if request.topic:
            lines.append(_("Topic: {topic}").format(topic=escape(self.cards.topic_name(request.topic, language))))
        if topic_names:
            lines.append(_("The bot already answered: {topics}").format(topics=escape(", ".join(topic_names))))
        if answer_names:
            lines.append(_("Answers already given: {answers}").format(answers=escape("; ".join(answer_names))))
        if request.note:
            lines.append(_("Note from the previous interpreter: {note}").format(note=escape(request.note)))
        lines.append(_("Waiting since {time} (UTC).").format(time=request.created_at.strftime("%H:%M")))
        return self.texts.reply("\n".join(lines), language, [[Button(_("✋ Take"), f"take:{request.id}:{request.token}")]],
                                to=telegram_key(interpreter.telegram_id))

    def nobody_available(self, request: Request, *, told_now: bool) -> List[Reply]:
        language = request.person_language
        _ = self.texts.gettext(language)
        lines = []
        if told_now:
            lines.append(_("Nobody who speaks {language} is available right now.").format(
                language=escape(language_name(request.language, language))))
        else:
            lines.append(_("Nobody could take your request in the last {minutes} minutes.").format(
                minutes=f"{self.options.timeout_minutes:g}"))
        if self.options.hours.text:
            lines.append(_("Interpreters answer: {hours}.").format(hours=isolate(escape(self.options.hours.text), language)))
        lines += [_("You can leave a message for the next available interpreter, or go back to the bot."),
                  _("🚨 I am not an emergency service: in danger, call 112.")]
        rows = [[Button(_("✉️ Leave a message"), "human:leave"), Button(_("🤖 Back to the bot"), "human:cancel")]]
        return [self.texts.reply("\n".join(lines), language, rows, to=request.person_key)] + [
            dataclasses.replace(reply, to=request.person_key) for reply in self.cards.interpreting_services(language)]

    def requeued(self, requests: Sequence[Request]) -> List[Reply]:
        """Their interpreter left: tell each person, and offer the request to the others."""
        replies = []
        for request in requests:
            _ = self.texts.gettext(request.person_language)
            replies.append(self.texts.reply(_("Your interpreter is no longer available. Your request is back in the queue."),
                                            request.person_language, to=request.person_key))
            replies += self.offer_to_interpreters(self.store.request(request.id) or request)
        return replies

    def expired(self, request: Request) -> List[Reply]:
        _ = self.texts.gettext(request.person_language)
        return [self.texts.reply(_("Your request waited too long and has been closed. Send /human to ask again."),
                                 request.person_language, to=request.person_key)]

    def status(self, request: Request) -> List[Reply]:
        language = request.person_language
        _ = self.texts.gettext(language)
        if request.status == ACTIVE:
            text = _("An interpreter is with you: write your message here. Write /bot to end.")
        else:
            text = _("You already asked for a person: you are number {position} in the queue.").format(
                position=self.store.queue_position(request)) + "\n" + _("Write /bot at any time to stop and talk to the bot again.")
        return [self.texts.reply(text, language)]

    def person_left(self, request: Request) -> List[Reply]:
        """Tell the interpreter holding `request` that the person went back to the bot."""
        return self._tell_holder(request, lambda _: _("{pseudonym} went back to the bot. The conversation is closed."))

    def person_unreachable(self, request: Request) -> List[Reply]:
        """Tell the interpreter holding `request` that the person can no longer be reached."""
        return self._tell_holder(request, lambda _: _("{pseudonym} can no longer be reached (they may have blocked the bot). "
                                                      "The conversation is closed."))

    def _tell_holder(self, request: Request, message: Callable[[Callable[[str], str]], str]) -> List[Reply]:
        """`message` (given the interpreter's gettext, with a {pseudonym}) to the interpreter holding `request`."""
        if request.status != ACTIVE or request.interpreter_id is None:
            return []
        interpreter = self.state.roster.get(request.interpreter_id)
        if interpreter is None:
            return []
        language = self.state.staff_language(interpreter)
        text = message(self.texts.gettext(language)).format(pseudonym=escape(request.pseudonym))
        return [self.texts.reply(text, language, to=telegram_key(interpreter.telegram_id))]
