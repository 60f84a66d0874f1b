"""The interpreting desk: a person asks for a human, an interpreter takes the conversation over, relays, hands back.

It sits in front of the assistant and has its shape (start, command, message, action, media…), so the
front ends need not know about it. No telegram import: it works on keys ('telegram:123') and returns `Reply`
values, some addressed to another chat (`Reply.to`). What routes a relay is in the database (`Handovers`):
a restart keeps who owns what, and relayed messages are stored until delivered.

Person side: request -> language -> consent -> queue (told their position, hours, 112) -> interpreter joins ->
relay both ways; `/bot` ends it at any time. Interpreter side: code of conduct once -> "Take" on a briefing card
(pseudonym, language, topic, topics already answered; never the Telegram identity) -> relay -> `/handback`,
`/transfer`, `/close [note]`.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple
from zoneinfo import ZoneInfo

from bot.assistant import Assistant, Button, Media, Reply, Sender, in_pairs
from bot.i18n import in_own_names, isolate, language_name
from knowledge.handovers import ACTIVE, TO_INTERPRETER, TO_PERSON, Handovers, Interpreter, RelayMessage, Request

logger = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STAFF_COMMANDS = ("handback", "transfer", "close", "queue", "pause", "resume", "conduct")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# -- when interpreters answer ---------------------------------------------------------------------
@dataclass(frozen=True)
class Hours:
    """Opening hours such as 'mon-fri 09:00-17:00, sat 10:00-12:00' in a time zone; empty text = always."""

    text: str = ""
    zone: str = "Europe/Brussels"
    slots: Tuple[Tuple[int, time, time], ...] = ()

    @classmethod
    def parse(cls, text: str, zone: str = "Europe/Brussels") -> "Hours":
        slots = []
        for part in filter(None, (p.strip() for p in re.split(r"[;,]", text or ""))):
            match = re.fullmatch(r"([a-z]{3})(?:-([a-z]{3}))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", part.lower())
            if not match or match.group(1) not in DAYS or (match.group(2) or match.group(1)) not in DAYS:
                raise ValueError(f"cannot read the hours {part!r}: write e.g. 'mon-fri 09:00-17:00, sat 10:00-12:00'")
            first, last = DAYS.index(match.group(1)), DAYS.index(match.group(2) or match.group(1))
            start, end = time(int(match.group(3)), int(match.group(4))), time(int(match.group(5)), int(match.group(6)))
            for day in range(first, last + 1):
                slots.append((day, start, end))
        ZoneInfo(zone)  # fails early on an unknown zone
        return cls(text.strip(), zone, tuple(slots))

    def open_at(self, moment: Optional[datetime] = None) -> bool:
        if not self.slots:
            return True
        local = (moment or datetime.now(timezone.utc)).astimezone(ZoneInfo(self.zone))
        return any(day == local.weekday() and start <= local.time() < end for day, start, end in self.slots)


@dataclass(frozen=True)
class DeskOptions:
    timeout_minutes: float = 15.0  # nobody took the request: tell the person after this long
    hours: Hours = Hours()
    retention_hours: float = 24.0  # relayed content and requests waiting longer than this are deleted
    note_retention_days: float = 30.0


# -- the desk ---------------------------------------------------------------------------------------
class InterpretingDesk:
    """Routes every update: interpreters and people in a handover here, everything else to the assistant."""

    def __init__(self, assistant: Assistant, store: Handovers, options: DeskOptions = DeskOptions(),
                 admin_ids: Iterable[int] = ()):
        self.assistant = assistant
        self.store = store
        self.options = options
        self.admin_ids = frozenset(admin_ids)
        self.catalogs = assistant.catalogs
        self.default_language = assistant.default_language
        # Caches of the database, so that an ordinary message costs no query; refreshed by `tick`.
        self._lock = threading.Lock()
        self._generation = 0
        self._open: Set[str] = set()
        self._roster: Dict[int, Interpreter] = {}
        self.refresh()
        assistant.human_offer = self.offer

    # -- caches ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the open requests and the roster (another process, `guichet interpreters`, may change them)."""
        with self._lock:
            generation = self._generation
        keys, roster = set(self.store.open_keys()), {i.telegram_id: i for i in self.store.roster()}
        with self._lock:
            if generation == self._generation:  # nothing changed here meanwhile; else the next tick retries
                self._open, self._roster = keys, roster

    def _opened(self, key: str) -> None:
        with self._lock:
            self._open.add(key)
            self._generation += 1

    def _closed(self, key: str) -> None:
        with self._lock:
            self._open.discard(key)
            self._generation += 1

    def refresh_roster(self) -> None:
        """After a roster change made here (admin command): apply it at once."""
        self._roster_changed()

    def _roster_changed(self) -> None:
        roster = {i.telegram_id: i for i in self.store.roster()}
        with self._lock:
            self._roster = roster
            self._generation += 1

    def _interpreter(self, sender: Sender) -> Optional[Interpreter]:
        telegram_id = _telegram_id(sender.key)
        return self._roster.get(telegram_id) if telegram_id is not None else None

    def _request(self, sender: Sender) -> Optional[Request]:
        if sender.key not in self._open:
            return None
        request = self.store.request_of(sender.key)
        if request is None:
            self._closed(sender.key)
        return request

    # -- the assistant's shape ----------------------------------------------------------------
    def command_descriptions(self, language: str):
        return self.assistant.command_descriptions(language)

    def start(self, sender: Sender) -> List[Reply]:
        interpreter = self._interpreter(sender)
        if interpreter is not None:
            return self._staff_welcome(sender, interpreter)
        return self.assistant.start(sender)

    def command(self, sender: Sender, name: str, argument: str = "") -> List[Reply]:
        name = name.lower().split("@")[0]
        interpreter = self._interpreter(sender)
        if interpreter is not None and (name in STAFF_COMMANDS or name in ("start", "help")):
            return self._staff_command(sender, interpreter, name, argument.strip())
        request = self._request(sender)
        if request is not None and name == "bot":
            return self._person_ends(sender, request)
        if request is not None and name == "human":
            return self._status(sender, request)
        return self.assistant.command(sender, name)

    def message(self, sender: Sender, text: str, parsed=None) -> List[Reply]:
        interpreter = self._interpreter(sender)
        if interpreter is not None:
            return self._from_interpreter(sender, interpreter, text=text or "")
        request = self._request(sender)
        if request is not None and text and text.strip():
            return self._from_person(sender, request, "text", text=text)
        return self.assistant.message(sender, text, parsed)

    def media(self, sender: Sender, media: Media, caption: str = "") -> List[Reply]:
        """A photo, document, voice note…: relayed during a handover, else the assistant asks for text."""
        interpreter = self._interpreter(sender)
        if interpreter is not None:
            return self._from_interpreter(sender, interpreter, media=media, text=caption)
        request = self._request(sender)
        if request is not None:
            return self._from_person(sender, request, media.kind, text=caption, media=media)
        return self.assistant.unsupported(sender, "media")

    def location(self, sender: Sender, latitude: float, longitude: float) -> List[Reply]:
        if self._interpreter(sender) is not None or sender.key in self._open:
            return self.media(sender, Media("location", latitude=latitude, longitude=longitude))
        return self.assistant.location(sender, latitude, longitude)

    def unsupported(self, sender: Sender, kind: str) -> List[Reply]:
        return self.assistant.unsupported(sender, kind)

    def error(self, sender: Sender) -> List[Reply]:
        return self.assistant.error(sender)

    def action(self, sender: Sender, data: Optional[str]) -> List[Reply]:
        data = data or ""
        kind, _sep, rest = data.partition(":")
        if kind == "human":
            return self._human_action(sender, rest)
        if kind in ("take", "transfer", "conduct"):
            interpreter = self._interpreter(sender)
            if interpreter is not None:
                return self._staff_action(sender, interpreter, kind, rest)
        if data == "forget:yes":
            request = self._request(sender)
            told = self._tell_interpreter_person_left(request) if request else []
            self.store.forget(sender.key)
            self._closed(sender.key)
            return told + self.assistant.action(sender, data)
        return self.assistant.action(sender, data)

    # -- the person asks for a human ----------------------------------------------------------------
    def offer(self, sender: Sender, language: str, topic: Optional[str] = None) -> List[Reply]:
        """'I want to talk to a person': confirm the language the interpreter should speak."""
        request = self._request(sender)
        if request is not None:
            return self._status(sender, request)
        _ = self.assistant.catalogs.gettext(language)
        if not self._roster:
            return [self.assistant.reply(_("No interpreter is registered on this Guichet yet. These services can help you find one:"),
                                         language)] + self.assistant.interpreting_services(language)
        text = "\n".join([
            _("🧑 <b>Talk to a person</b>: a trained community interpreter can take over this conversation here."),
            _("Which language should the interpreter speak?"),
        ])
        rows = [[Button("✅ " + language_name(language, language), f"human:lang:{language}")],
                [Button(_("🌐 Another language"), "human:pick"), Button(_("🤖 Back to the bot"), "human:no")]]
        return [self.assistant.reply(text, language, rows)]

    def _human_action(self, sender: Sender, rest: str) -> List[Reply]:
        language = self.assistant.language_for(sender)
        _ = self.assistant.catalogs.gettext(language)
        step, _sep, value = rest.partition(":")
        request = self._request(sender)
        if step == "pick":
            codes = sorted({code for i in self._roster.values() for code in i.languages} | {language})
            rows = in_pairs([Button(name, f"human:lang:{code}") for code, name in in_own_names(codes)])
            return [self.assistant.reply(_("Which language should the interpreter speak?"), language, rows)]
        if step == "lang" and value:
            return self._consent_question(sender, language, value)
        if step == "yes" and value:
            return self._queue(sender, language, value)
        if step == "leave" and request is not None:
            self.store.leave_message(request.id)
            return [self.assistant.reply(_("✉️ Write your message now: the next available interpreter will read it and "
                                           "answer you here. It is deleted after {hours} hours at most.").format(
                                               hours=f"{self.options.retention_hours:g}"), language)]
        if step in ("no", "cancel"):
            if request is not None:
                return self._person_ends(sender, request)
            return [self.assistant.reply(_("Okay. I'm still here: ask me anything, or choose a topic."), language,
                                         self.assistant.topic_rows(language))]
        return self.assistant.action(sender, "stale")  # an old button: the polite answer and the menu

    def _consent_question(self, sender: Sender, language: str, wanted: str) -> List[Reply]:
        _ = self.assistant.catalogs.gettext(language)
        wanted_name = language_name(wanted, language)
        if not any(wanted in i.languages for i in self._roster.values()):
            text = _("No interpreter speaks {language} on Guichet yet. These services can help you find one:").format(
                language=_e(wanted_name))
            return [self.assistant.reply(text, language, [[Button(_("🌐 Another language"), "human:pick")]])] + \
                self.assistant.interpreting_services(language)
        pseudonym = self.assistant.people.person(sender.key).pseudonym
        text = "\n".join([
            _("🔒 <b>Before I connect you</b>"),
            _("From now on an interpreter (a trained volunteer bound by confidentiality) will read the messages you send here, "
              "until you write /bot."),
            _("They see only a pseudonym, {pseudonym}: never your name, username or phone number.").format(
                pseudonym=isolate(_e(pseudonym), language)),
            _("Do you agree?"),
        ])
        rows = [[Button(_("✅ Yes, I agree"), f"human:yes:{wanted}"), Button(_("✖️ No, stay with the bot"), "human:no")]]
        return [self.assistant.reply(text, language, rows)]

    def _queue(self, sender: Sender, language: str, wanted: str) -> List[Reply]:
        """Consent given: open the request, tell every available interpreter, tell the person what happens next."""
        _ = self.assistant.catalogs.gettext(language)
        topics = self.assistant.answered(sender.key)
        person = self.assistant.people.person(sender.key)
        request, created = self.store.open_request(
            sender.key, person.pseudonym, language, wanted, topics[-1] if topics else "", topics,
            datetime.utcnow() + timedelta(minutes=self.options.timeout_minutes))
        self._opened(sender.key)
        if not created:
            return self._status(sender, request)
        offers = self._offer_to_interpreters(request)
        if not offers:
            self.store.set_deadline(request.id, None)  # told now: not told again when the deadline passes
            return self._nobody_available(request, told_now=True)
        position = self.store.queue_position(request)
        text = "\n".join([
            _("✅ Your request is sent. You are number {position} in the queue for {language}.").format(
                position=position, language=_e(language_name(wanted, language))),
            _("Interpreters are volunteers with limited hours: it can take a while. You can already write your message "
              "here; the interpreter will read it."),
            _("🚨 I am not an emergency service: in danger, call 112."),
            _("Write /bot at any time to stop and talk to the bot again."),
        ])
        return [self.assistant.reply(text, language)] + offers

    def _available(self, request: Request) -> List[Interpreter]:
        if not self.options.hours.open_at():
            return []
        return [i for i in self._roster.values()
                if request.language in i.languages and not i.paused and i.conduct_accepted
                and i.telegram_id != request.transferred_from and self.store.owned_by(i.telegram_id) is None]

    def _offer_to_interpreters(self, request: Request) -> List[Reply]:
        return [self._briefing(request, i) for i in self._available(request)]

    def _briefing(self, request: Request, interpreter: Interpreter) -> Reply:
        """The card an interpreter sees: pseudonym, language, topic, what the bot answered; never who the person is."""
        language = self._staff_language(interpreter)
        _ = self.assistant.catalogs.gettext(language)
        topic_names = [self._topic_name(t, language) for t in request.briefing]
        lines = [_("🔔 <b>New request</b>: {pseudonym}, in {language}").format(
            pseudonym=_e(request.pseudonym), language=_e(language_name(request.language, language)))]
        if request.topic:
            lines.append(_("Topic: {topic}").format(topic=_e(self._topic_name(request.topic, language))))
        if topic_names:
            lines.append(_("The bot already answered: {topics}").format(topics=_e(", ".join(topic_names))))
        if request.note:
            lines.append(_("Note from the previous interpreter: {note}").format(note=_e(request.note)))
        lines.append(_("Waiting since {time} (UTC).").format(time=request.created_at.strftime("%H:%M")))
        return self.assistant.reply("\n".join(lines), language, [[Button(_("✋ Take"), f"take:{request.id}")]],
                                    to=interpreter.key)

    def _topic_name(self, intent: str, language: str) -> str:
        topic = self.assistant.knowledge.current.topic_for(intent)
        return f"{topic.emoji} {topic.title.pick(language)[0]}" if topic else intent

    def _nobody_available(self, request: Request, *, told_now: bool) -> List[Reply]:
        language = request.person_language
        _ = self.assistant.catalogs.gettext(language)
        lines = []
        if told_now:
            lines.append(_("Nobody who speaks {language} is available right now.").format(
                language=_e(language_name(request.language, language))))
        else:
            lines.append(_("Nobody could take your request in the last {minutes} minutes.").format(
                minutes=f"{self.options.timeout_minutes:g}"))
        if self.options.hours.text:
            lines.append(_("Interpreters answer: {hours}.").format(hours=isolate(_e(self.options.hours.text), language)))
        lines += [_("You can leave a message for the next available interpreter, or go back to the bot."),
                  _("🚨 I am not an emergency service: in danger, call 112.")]
        rows = [[Button(_("✉️ Leave a message"), "human:leave"), Button(_("🤖 Back to the bot"), "human:cancel")]]
        return [self.assistant.reply("\n".join(lines), language, rows, to=request.person_key)] + [
            self._to(reply, request.person_key) for reply in self.assistant.interpreting_services(language)]

    def _status(self, sender: Sender, request: Request) -> List[Reply]:
        language = request.person_language
        _ = self.assistant.catalogs.gettext(language)
        if request.status == ACTIVE:
            text = _("An interpreter is with you: write your message here. Write /bot to end.")
        else:
            text = _("You already asked for a person: you are number {position} in the queue.").format(
                position=self.store.queue_position(request)) + "\n" + _("Write /bot at any time to stop and talk to the bot again.")
        return [self.assistant.reply(text, language)]

    # -- relaying ----------------------------------------------------------------------------------
    def _from_person(self, sender: Sender, request: Request, kind: str, text: str = "",
                     media: Optional[Media] = None) -> List[Reply]:
        stored = self.store.add_message(request.id, TO_INTERPRETER, kind, text, media.file_id if media else "",
                                        media.latitude if media else None, media.longitude if media else None)
        if request.status == ACTIVE and request.interpreter_id is not None:
            interpreter = self._roster.get(request.interpreter_id) or self.store.interpreter(request.interpreter_id)
            if interpreter is not None:
                return [self._relay(stored, request, interpreter)]
        _ = self.assistant.catalogs.gettext(request.person_language)
        return [self.assistant.reply(_("✉️ Kept for the interpreter."), request.person_language)]

    def _from_interpreter(self, sender: Sender, interpreter: Interpreter, text: str = "",
                          media: Optional[Media] = None) -> List[Reply]:
        language = self._staff_language(interpreter)
        _ = self.assistant.catalogs.gettext(language)
        if not interpreter.conduct_accepted:
            return self._conduct(language)
        request = self.store.owned_by(interpreter.telegram_id)
        if request is None:
            if media is None and not text.strip():
                return []
            return [self.assistant.reply(_("You have no conversation open. /queue shows the requests waiting in your languages."),
                                         language)]
        if media is None and not text.strip():
            return []
        stored = self.store.add_message(request.id, TO_PERSON, media.kind if media else "text", text,
                                        media.file_id if media else "", media.latitude if media else None,
                                        media.longitude if media else None)
        return [self._relay(stored, request, interpreter)]

    def _relay(self, message: RelayMessage, request: Request, interpreter: Interpreter) -> Reply:
        """The stored message as a reply to its recipient, tagged: the pseudonym for staff, 'Interpreter' for the person."""
        media = None if message.kind == "text" else Media(message.kind, message.file_id, message.latitude, message.longitude)
        if message.direction == TO_INTERPRETER:
            language, to = self._staff_language(interpreter), interpreter.key
            tag = f"👤 <b>{_e(request.pseudonym)}</b>"
        else:
            language, to = request.person_language, request.person_key
            _p = self.assistant.catalogs.gettext(language)
            tag = "🧑 <b>" + _e(_p("Interpreter")) + "</b>"
        text = f"{tag}: {_e(message.text)}" if message.text else tag
        return self.assistant.reply(text, language, to=to, media=media, relay_id=message.id)

    def delivered(self, relay_id: int) -> None:
        self.store.delivered(relay_id)

    def pending(self) -> List[Reply]:
        """Relayed messages stored but not delivered (the bot stopped in between): send them again, in order."""
        replies = []
        for message in self.store.undelivered():
            request = self.store.request(message.handover_id)
            if request is None or request.status != ACTIVE or request.interpreter_id is None:
                continue  # left for an interpreter who has not taken the request yet
            interpreter = self.store.interpreter(request.interpreter_id)
            if interpreter is not None:
                replies.append(self._relay(message, request, interpreter))
        return replies

    # -- the person ends it, or cannot be reached -------------------------------------------------------
    def _person_ends(self, sender: Sender, request: Request) -> List[Reply]:
        told = self._tell_interpreter_person_left(request)
        self.store.close(request.id)
        self._closed(sender.key)
        language = request.person_language
        _ = self.assistant.catalogs.gettext(language)
        text = (_("🤖 You are talking to the bot again. The interpreter has been told.") if request.status == ACTIVE
                else _("Your request is cancelled. You are talking to the bot again."))
        return [self.assistant.reply(text, language, self.assistant.topic_rows(language))] + told

    def _tell_interpreter_person_left(self, request: Request) -> List[Reply]:
        if request.status != ACTIVE or request.interpreter_id is None:
            return []
        interpreter = self._roster.get(request.interpreter_id)
        if interpreter is None:
            return []
        _ = self.assistant.catalogs.gettext(self._staff_language(interpreter))
        return [self.assistant.reply(_("{pseudonym} went back to the bot. The conversation is closed.").format(
            pseudonym=_e(request.pseudonym)), self._staff_language(interpreter), to=interpreter.key)]

    def unreachable(self, key: str) -> List[Reply]:
        """Telegram refused to deliver to `key` (they blocked the bot): never let that wedge a conversation."""
        interpreter_id = _telegram_id(key)
        request = self.store.request_of(key)
        if request is not None:  # the person: close, tell the interpreter
            self.store.close(request.id)
            self._closed(key)
            interpreter = self._roster.get(request.interpreter_id) if request.interpreter_id else None
            if interpreter is None:
                return []
            language = self._staff_language(interpreter)
            _ = self.assistant.catalogs.gettext(language)
            return [self.assistant.reply(_("{pseudonym} can no longer be reached (they may have blocked the bot). "
                                           "The conversation is closed.").format(pseudonym=_e(request.pseudonym)),
                                         language, to=interpreter.key)]
        if interpreter_id is not None and interpreter_id in self._roster:  # an interpreter: their request goes back
            return self._requeued(self.store.requeue_owned_by(interpreter_id))
        return []

    def _requeued(self, requests: Sequence[Request]) -> List[Reply]:
        replies = []
        for request in requests:
            _ = self.assistant.catalogs.gettext(request.person_language)
            replies.append(self.assistant.reply(
                _("Your interpreter is no longer available. Your request is back in the queue."),
                request.person_language, to=request.person_key))
            replies += self._offer_to_interpreters(self.store.request(request.id) or request)
        return replies

    # -- interpreters ------------------------------------------------------------------------------
    def _staff_language(self, interpreter: Interpreter) -> str:
        return self.assistant.language_for(Sender(interpreter.key))

    def _conduct(self, language: str) -> List[Reply]:
        _ = self.assistant.catalogs.gettext(language)
        text = "\n".join([
            _("📜 <b>Code of conduct for Guichet interpreters</b>"),
            _("• Confidentiality: what you read here stays here; you never try to find out who the person is."),
            _("• Neutrality: you do not take sides and do not add your opinion."),
            _("• Accuracy: you translate everything, completely, without adding or leaving out."),
            _("• Your role: you interpret and point to services; you do not give legal or medical advice."),
            "",
            _("Press the button to accept it. You can take conversations only after that."),
        ])
        return [self.assistant.reply(text, language, [[Button(_("✅ I accept the code of conduct"), "conduct:accept")]])]

    def _staff_welcome(self, sender: Sender, interpreter: Interpreter) -> List[Reply]:
        language = self._staff_language(interpreter)
        if not interpreter.conduct_accepted:
            return self._conduct(language)
        _ = self.assistant.catalogs.gettext(language)
        text = "\n".join([
            _("🧑 You are on the interpreter roster for: {languages}.").format(
                languages=_e(", ".join(language_name(c, language) for c in interpreter.languages))),
            _("New requests in your languages come here with a ✋ Take button."),
            "",
            _("/queue — requests waiting in your languages"),
            _("/handback — give the conversation back to the bot"),
            _("/transfer — pass it to another interpreter"),
            _("/close [note] — end it, with a note for the next interpreter"),
            _("/pause, /resume — stop or start getting new requests"),
        ])
        return [self.assistant.reply(text, language)]

    def _staff_command(self, sender: Sender, interpreter: Interpreter, name: str, argument: str) -> List[Reply]:
        language = self._staff_language(interpreter)
        _ = self.assistant.catalogs.gettext(language)
        if name in ("start", "help"):
            return self._staff_welcome(sender, interpreter)
        if name == "conduct" or not interpreter.conduct_accepted:
            return self._conduct(language)
        if name == "pause":
            self.store.set_paused(interpreter.telegram_id, True)
            self._roster_changed()
            return [self.assistant.reply(_("Paused: you will not get new requests. /resume to start again."), language)]
        if name == "resume":
            self.store.set_paused(interpreter.telegram_id, False)
            self._roster_changed()
            return [self.assistant.reply(_("You will get new requests again."), language)] + self._queue_list(interpreter, language)
        if name == "queue":
            return self._queue_list(interpreter, language)
        request = self.store.owned_by(interpreter.telegram_id)
        if request is None:
            return [self.assistant.reply(_("You have no conversation open. /queue shows the requests waiting in your languages."),
                                         language)]
        if name in ("handback", "close"):
            return self._end(interpreter, request, language, argument, closing=name == "close")
        # transfer: "/transfer" shows the languages; "/transfer ar [note]" does it at once
        wanted, _sep, note = argument.partition(" ")
        if wanted.lower() in {c for i in self._roster.values() for c in i.languages}:
            return self._transfer(interpreter, request, wanted.lower(), note.strip())
        codes = sorted({c for i in self._roster.values() for c in i.languages})
        rows = in_pairs([Button(name_, f"transfer:{request.id}:{code}") for code, name_ in in_own_names(codes)])
        return [self.assistant.reply(_("Transfer {pseudonym} to an interpreter of which language?").format(
            pseudonym=_e(request.pseudonym)), language, rows)]

    def _queue_list(self, interpreter: Interpreter, language: str) -> List[Reply]:
        _ = self.assistant.catalogs.gettext(language)
        waiting = [r for r in self.store.waiting(interpreter.languages) if r.transferred_from != interpreter.telegram_id]
        if not waiting:
            return [self.assistant.reply(_("Nobody is waiting in your languages."), language)]
        return [self._to(self._briefing(r, interpreter), None) for r in waiting[:10]]

    def _staff_action(self, sender: Sender, interpreter: Interpreter, kind: str, rest: str) -> List[Reply]:
        language = self._staff_language(interpreter)
        _ = self.assistant.catalogs.gettext(language)
        if kind == "conduct":
            self.store.accept_conduct(interpreter.telegram_id)
            self._roster_changed()
            text = _("Thank you. You can now take conversations in: {languages}.").format(
                languages=_e(", ".join(language_name(c, language) for c in interpreter.languages)))
            return [self.assistant.reply(text, language)] + self._queue_list(self._roster[interpreter.telegram_id], language)
        if not interpreter.conduct_accepted:
            return self._conduct(language)
        if kind == "take" and rest.isdigit():
            return self._take(interpreter, int(rest), language)
        request_id, _sep, wanted = rest.partition(":")
        request = self.store.owned_by(interpreter.telegram_id)
        if kind == "transfer" and request is not None and str(request.id) == request_id and wanted:
            return self._transfer(interpreter, request, wanted, "")
        return [self.assistant.reply(_("This button is no longer valid."), language)]

    def _take(self, interpreter: Interpreter, request_id: int, language: str) -> List[Reply]:
        _ = self.assistant.catalogs.gettext(language)
        request = self.store.request(request_id)
        if request is not None and request.language not in interpreter.languages:
            return [self.assistant.reply(_("This button is no longer valid."), language)]
        outcome = self.store.take(request_id, interpreter.telegram_id)
        if outcome == "busy":
            return [self.assistant.reply(_("Finish your current conversation first (/handback or /transfer)."), language)]
        if outcome != "taken" or request is None:
            return [self.assistant.reply(_("Too late: another interpreter took this request."), language)]
        request = self.store.request(request_id)
        person_language = request.person_language
        _p = self.assistant.catalogs.gettext(person_language)
        replies = [
            self.assistant.reply("\n".join([
                _("✅ You now handle {pseudonym}. Everything you write here is sent to them, and their messages come here.").format(
                    pseudonym=_e(request.pseudonym)),
                _("/handback — give the conversation back to the bot"),
                _("/transfer — pass it to another interpreter"),
                _("/close [note] — end it, with a note for the next interpreter"),
            ]), language),
            self.assistant.reply(_p("🧑 An interpreter has joined. From now on they read and answer your messages here. "
                                    "Write /bot to end."), person_language, to=request.person_key),
        ]
        replies += [self._relay(m, request, interpreter) for m in self.store.undelivered(request.id, TO_INTERPRETER)]
        for other in self._roster.values():  # the others see that it is taken
            if other.telegram_id != interpreter.telegram_id and request.language in other.languages \
                    and other.conduct_accepted and not other.paused:
                other_language = self._staff_language(other)
                _p = self.assistant.catalogs.gettext(other_language)
                replies.append(self.assistant.reply(_p("Request {pseudonym} was taken by another interpreter.").format(
                    pseudonym=_e(request.pseudonym)), other_language, to=other.key))
        return replies

    def _end(self, interpreter: Interpreter, request: Request, language: str, note: str, *, closing: bool) -> List[Reply]:
        _ = self.assistant.catalogs.gettext(language)
        self.store.close(request.id, note)
        self._closed(request.person_key)
        person_language = request.person_language
        _p = self.assistant.catalogs.gettext(person_language)
        to_person = (_p("✅ The interpreter closed the conversation. You are talking to the bot again.") if closing else
                     _p("🤖 The interpreter handed the conversation back to the bot. Ask me anything, or send /human "
                        "to talk to a person again."))
        mine = _("Conversation closed.") if closing else _("Handed back to the bot.")
        if note:
            mine += " " + _("Your note is kept for the next interpreter.")
        return [self.assistant.reply(mine, language),
                self.assistant.reply(to_person, person_language, self.assistant.topic_rows(person_language),
                                     to=request.person_key)]

    def _transfer(self, interpreter: Interpreter, request: Request, wanted: str, note: str) -> List[Reply]:
        language = self._staff_language(interpreter)
        _ = self.assistant.catalogs.gettext(language)
        deadline = datetime.utcnow() + timedelta(minutes=self.options.timeout_minutes)
        if not self.store.release(request.id, interpreter.telegram_id, wanted, note, deadline):
            return [self.assistant.reply(_("This button is no longer valid."), language)]
        request = self.store.request(request.id)
        _p = self.assistant.catalogs.gettext(request.person_language)
        replies = [
            self.assistant.reply(_("Released: {pseudonym} is back in the queue for {language}.").format(
                pseudonym=_e(request.pseudonym), language=_e(language_name(wanted, language))), language),
            self.assistant.reply(_p("🔁 Your interpreter passed your conversation to another interpreter ({language}). "
                                    "Please wait; you can keep writing.").format(
                language=_e(language_name(wanted, request.person_language))), request.person_language, to=request.person_key),
        ]
        offers = self._offer_to_interpreters(request)
        if not offers:
            self.store.set_deadline(request.id, None)
            replies += self._nobody_available(request, told_now=True)
        return replies + offers

    # -- time passes --------------------------------------------------------------------------------
    def tick(self, now: Optional[datetime] = None) -> List[Reply]:
        """Every few seconds: tell people nobody took their request, requeue requests of removed interpreters,
        delete what is past retention, and pick up roster changes made by `guichet interpreters`."""
        self.refresh()
        now = now or datetime.utcnow()
        replies: List[Reply] = []
        for request in self.store.past_deadline(now):
            replies += self._nobody_available(request, told_now=False)
        orphans = self.store.orphaned()
        for request in orphans:
            self.store.requeue_owned_by(request.interpreter_id)
        replies += self._requeued(orphans)
        expired, _deleted = self.store.purge(now - timedelta(hours=self.options.retention_hours),
                                             now - timedelta(days=self.options.note_retention_days))
        for request in expired:
            self._closed(request.person_key)
            _ = self.assistant.catalogs.gettext(request.person_language)
            replies.append(self.assistant.reply(_("Your request waited too long and has been closed. Send /human to ask again."),
                                                request.person_language, to=request.person_key))
        return replies

    @staticmethod
    def _to(reply: Reply, key: Optional[str]) -> Reply:
        return dataclasses.replace(reply, to=key)


def _telegram_id(key: str) -> Optional[int]:
    platform, _sep, ident = key.partition(":")
    if platform == "telegram" and ident.lstrip("-").isdigit():
        return int(ident)
    return None
