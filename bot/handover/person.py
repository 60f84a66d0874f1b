"""The person's side of a handover: ask for a human -> language -> consent -> queue -> relay; /bot ends it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import List, Optional

from bot.assistant import Button, Parts, Reply, Sender, in_pairs
from bot.assistant.buttons import Press
from bot.assistant.texts import escape
from bot.handover.hours import DeskOptions
from bot.handover.notices import Notices
from bot.handover.state import DeskState
from bot.i18n import in_own_names, isolate, language_name
from knowledge.storage.handovers import ACTIVE, Request


class PersonFlow:
    BUTTONS = ("human_pick", "human_language", "human_yes", "human_leave", "human_no", "human_cancel")

    def __init__(self, parts: Parts, state: DeskState, notices: Notices, options: DeskOptions):
        self.parts = parts
        self.texts = parts.texts
        self.state = state
        self.store = state.store
        self.notices = notices
        self.options = options

    def offer(self, sender: Sender, language: str, topic: Optional[str] = None) -> List[Reply]:
        """'I want to talk to a person': confirm the language the interpreter should speak."""
        request = self.state.request(sender.key)
        if request is not None:
            return self.notices.status(request)
        if not self.state.roster:
            return self.parts.cards.no_interpreter_yet(language)
        _ = self.texts.gettext(language)
        text = "\n".join([
            _("🧑 <b>Talk to a person</b>: a trained community interpreter can take over this conversation here."),
            _("Which language should the interpreter speak?"),
        ])
        rows = [[Button("✅ " + language_name(language, language), f"human:lang:{language}")],
                [Button(_("🌐 Another language"), "human:pick"), Button(_("🤖 Back to the bot"), "human:no")]]
        return [self.texts.reply(text, language, rows)]

    def action(self, sender: Sender, press: Press) -> Optional[List[Reply]]:
        """The person's 'human:…' buttons: pick, lang:<code>, yes:<code>, leave, no, cancel; None when it names
        nothing open (the caller answers it as an old button)."""
        language = self.parts.language_for(sender)
        _ = self.texts.gettext(language)
        kind, wanted = press.kind, press.code
        request = self.state.request(sender.key)
        if kind == "human_pick":
            codes = sorted(set(self.state.roster_languages()) | {language})
            rows = in_pairs([Button(name, f"human:lang:{code}") for code, name in in_own_names(codes)])
            return [self.texts.reply(_("Which language should the interpreter speak?"), language, rows)]
        if kind == "human_language":
            return self._consent_question(sender, language, wanted)
        if kind == "human_yes":  # consent counts only on the card that asked it of this person
            if request is None and not self.parts.memory.take_consent(sender.key, wanted):
                return self._consent_question(sender, language, wanted)
            return self._queue(sender, language, wanted)
        if kind == "human_leave" and request is not None:
            self.store.leave_message(request.id)
            return [self.texts.reply(_("✉️ Write your message now: the next available interpreter will read it and "
                                       "answer you here. It is deleted after {hours} hours at most.").format(
                                           hours=f"{self.options.retention_hours:g}"), language)]
        if kind in ("human_no", "human_cancel"):
            if request is not None:
                return self.end(sender, request)
            return [self.texts.reply(_("Okay. I'm still here: ask me anything, or choose a topic."), language,
                                     self.texts.topic_rows(language))]
        return None

    def end(self, sender: Sender, request: Request) -> List[Reply]:
        """The person goes back to the bot (/bot, or a button): close, tell the interpreter."""
        told = self.notices.person_left(request)
        self.store.close(request.id)
        self.state.closed(sender.key)
        language = request.person_language
        _ = self.texts.gettext(language)
        text = (_("🤖 You are talking to the bot again. The interpreter has been told.") if request.status == ACTIVE
                else _("Your request is cancelled. You are talking to the bot again."))
        return [self.texts.reply(text, language, self.texts.topic_rows(language))] + told

    def forget(self, sender: Sender) -> List[Reply]:
        """/forget during a handover: the request, its messages and notes go at once; the interpreter is told."""
        request = self.state.request(sender.key)
        told = self.notices.person_left(request) if request else []
        self.store.forget(sender.key)
        self.state.closed(sender.key)
        return told

    def unreachable(self, request: Request) -> List[Reply]:
        """Telegram refused to deliver to the person (they blocked the bot): close, tell the interpreter."""
        self.store.close(request.id)
        self.state.closed(request.person_key)
        return self.notices.person_unreachable(request)

    def _consent_question(self, sender: Sender, language: str, wanted: str) -> List[Reply]:
        _ = self.texts.gettext(language)
        wanted_name = language_name(wanted, language)
        if wanted not in self.state.roster_languages():
            text = _("No interpreter speaks {language} on Guichet yet. These services can help you find one:").format(
                language=escape(wanted_name))
            return [self.texts.reply(text, language, [[Button(_("🌐 Another language"), "human:pick")]])] + \
                self.parts.cards.interpreting_services(language)
        pseudonym = self.parts.pseudonym(sender.key)
        text = "\n".join([
            _("🔒 <b>Before I connect you</b>"),
            _("From now on an interpreter (a trained volunteer bound by confidentiality) will read the messages you send here, "
              "until you write /bot."),
            _("They see only a pseudonym, {pseudonym}: never your name, username or phone number.").format(
                pseudonym=isolate(escape(pseudonym), language)),
            _("Do you agree?"),
        ])
        rows = [[Button(_("✅ Yes, I agree"), f"human:yes:{wanted}"), Button(_("✖️ No, stay with the bot"), "human:no")]]
        self.parts.memory.consent_shown(sender.key, wanted)
        return [self.texts.reply(text, language, rows)]

    def _queue(self, sender: Sender, language: str, wanted: str) -> List[Reply]:
        """Consent given: open the request, tell every available interpreter, tell the person what happens next."""
        _ = self.texts.gettext(language)
        topics = self.parts.memory.topics(sender.key)
        briefing = topics + self.parts.memory.answers(sender.key)  # intents, then the specific answers given
        request, created = self.store.open_request(
            sender.key, self.parts.pseudonym(sender.key), language, wanted, topics[-1] if topics else "", briefing,
            datetime.utcnow() + timedelta(minutes=self.options.timeout_minutes))
        self.state.opened(sender.key)
        if not created:
            return self.notices.status(request)
        offers = self.notices.offer_to_interpreters(request)
        if not offers:
            self.store.set_deadline(request.id, None)  # told now: not told again when the deadline passes
            return self.notices.nobody_available(request, told_now=True)
        position = self.store.queue_position(request)
        text = "\n".join([
            _("✅ Your request is sent. You are number {position} in the queue for {language}.").format(
                position=position, language=escape(language_name(wanted, language))),
            _("Interpreters are volunteers with limited hours: it can take a while. You can already write your message "
              "here; the interpreter will read it."),
            _("🚨 I am not an emergency service: in danger, call 112."),
            _("Write /bot at any time to stop and talk to the bot again."),
        ])
        return [self.texts.reply(text, language)] + offers
