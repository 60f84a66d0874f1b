"""The interpreting desk: in front of the assistant, with its shape (`FrontDesk`), so front ends need not know it.

Interpreters and people in a handover are handled here; everything else goes to the assistant. No telegram
import: it works on keys ('telegram:123') and returns `Reply` values, some addressed to another chat
(`Reply.to`). What routes a relay is in the database (`Handovers`): a restart keeps who owns what, and relayed
messages are stored until delivered.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import List, Optional, Tuple

from bot.assistant import Assistant, Gaps, Media, Parts, Reply, Sender
from bot.assistant.buttons import parse_button
from bot.assistant.texts import command_name
from bot.handover.hours import DeskOptions
from bot.handover.notices import Notices
from bot.handover.person import PersonFlow
from bot.handover.relay import Relay
from bot.handover.roster import Roster
from bot.handover.staff import COMMANDS as STAFF_COMMANDS
from bot.handover.staff import StaffDesk
from bot.handover.state import DeskState
from knowledge.storage.handovers import Handovers
from nlu.parser import ParseResult


class InterpretingDesk:
    """Routes every update: interpreters and people in a handover here, everything else to the assistant."""

    def __init__(self, parts: Parts, store: Handovers, options: DeskOptions = DeskOptions(), *, gaps: Optional[Gaps] = None,
                 shared: bool = False):
        """`shared`: several instances share the database (see `DeskState`)."""
        self.options = options
        self.state = DeskState(store, parts, shared)
        self.notices = Notices(parts, self.state, options)
        self.relay = Relay(parts, self.state)
        self.person = PersonFlow(parts, self.state, self.notices, options)
        self.staff = StaffDesk(parts, self.state, self.notices, self.relay, options)
        self.roster = Roster(store, on_change=self.state.roster_changed)
        self.assistant = Assistant(parts, gaps=gaps, human_offer=self.person.offer)

    @property
    def store(self) -> Handovers:
        return self.state.store

    # -- the FrontDesk shape ------------------------------------------------------------------
    def start(self, sender: Sender) -> List[Reply]:
        interpreter = self.state.interpreter(sender.key)
        if interpreter is not None:
            return self.staff.welcome(interpreter)
        return self.assistant.start(sender)

    def command(self, sender: Sender, name: str, argument: str = "") -> List[Reply]:
        name = command_name(name)
        interpreter = self.state.interpreter(sender.key)
        if interpreter is not None and (name in STAFF_COMMANDS or name in ("start", "help")):
            return self.staff.command(interpreter, name, argument.strip())
        request = self.state.request(sender.key)
        if request is not None and name == "bot":
            return self.person.end(sender, request)
        if request is not None and name == "human":
            return self.notices.status(request)
        return self.assistant.command(sender, name)

    def message(self, sender: Sender, text: str, parsed: Optional[ParseResult]) -> List[Reply]:
        interpreter = self.state.interpreter(sender.key)
        if interpreter is not None:
            return self.staff.message(interpreter, text=text or "")
        request = self.state.request(sender.key)
        if request is not None and text and text.strip():
            return self.relay.from_person(request, "text", text=text)
        return self.assistant.message(sender, text, parsed)

    def media(self, sender: Sender, media: Media, caption: str = "") -> List[Reply]:
        """A photo, document, voice note…: relayed during a handover, else the assistant asks for text."""
        interpreter = self.state.interpreter(sender.key)
        if interpreter is not None:
            return self.staff.message(interpreter, text=caption, media=media)
        request = self.state.request(sender.key)
        if request is not None:
            return self.relay.from_person(request, media.kind, text=caption, media=media)
        return self.assistant.unsupported(sender, "media")

    def location(self, sender: Sender, latitude: float, longitude: float) -> List[Reply]:
        if self.state.interpreter(sender.key) is not None or self.state.has_open(sender.key):
            return self.media(sender, Media("location", latitude=latitude, longitude=longitude))
        return self.assistant.location(sender, latitude, longitude)

    def unsupported(self, sender: Sender, kind: str) -> List[Reply]:
        return self.assistant.unsupported(sender, kind)

    def error(self, sender: Sender) -> List[Reply]:
        return self.assistant.error(sender)

    def action(self, sender: Sender, data: Optional[str]) -> List[Reply]:
        """A button press, parsed once, strictly: the person's and the interpreters' buttons here, the rest to
        the assistant (which answers anything malformed as an old button)."""
        press = parse_button(data)
        kind = press.kind if press is not None else ""
        if kind in PersonFlow.BUTTONS:
            replies = self.person.action(sender, press)
            return replies if replies is not None else self.assistant.press(sender, None)
        if kind in StaffDesk.BUTTONS:
            interpreter = self.state.interpreter(sender.key)
            if interpreter is not None:
                return self.staff.action(interpreter, press)
        if kind == "forget_yes":
            return self.person.forget(sender) + self.assistant.press(sender, press)
        return self.assistant.press(sender, press)

    def unreachable(self, key: str) -> List[Reply]:
        """Telegram refused to deliver to `key` (they blocked the bot): never let that wedge a conversation."""
        request = self.store.request_of(key)
        if request is not None:  # the person: close, tell the interpreter
            return self.person.unreachable(request)
        interpreter = self.state.interpreter(key)
        if interpreter is not None:  # an interpreter: their request goes back to the queue
            return self.staff.unreachable(interpreter)
        return []

    def delivered(self, relay_id: int) -> None:
        self.relay.delivered(relay_id)

    def command_menus(self) -> List[Tuple[Optional[str], List[Tuple[str, str]]]]:
        return self.assistant.command_menus()

    # -- beyond the FrontDesk shape: the desk's own rounds ----------------------------------------
    def pending(self) -> List[Reply]:
        """Relayed messages a stop interrupted: send them again, in order."""
        return self.relay.pending()

    def refresh(self) -> None:
        self.state.refresh()

    def tick(self, now: Optional[datetime] = None) -> List[Reply]:
        """Every few seconds: pick up roster changes made by `guichet interpreters` (or another instance), then
        the `rounds`."""
        self.state.refresh()
        return self.rounds(now)

    def rounds(self, now: Optional[datetime] = None) -> List[Reply]:
        """Tell people nobody took their request, requeue requests of removed interpreters, delete what is past
        retention. With several instances, one at a time does them (the 'desk' lease, bot/instances.py)."""
        now = now or datetime.utcnow()
        replies: List[Reply] = []
        for request in self.store.past_deadline(now):
            replies += self.notices.nobody_available(request, told_now=False)
        orphans = self.store.orphaned()
        for request in orphans:
            self.store.requeue_owned_by(request.interpreter_id)
        replies += self.notices.requeued(orphans)
        expired, _deleted = self.store.purge(now - timedelta(hours=self.options.retention_hours),
                                             now - timedelta(days=self.options.note_retention_days))
        for request in expired:
            self.state.closed(request.person_key)
            replies += self.notices.expired(request)
        return replies
