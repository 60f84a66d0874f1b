"""Application logic: what Guichet answers to a text, a command or a button, in the person's language.

No telegram, rasa or sqlalchemy import here: the same assistant serves Telegram, the terminal and tests.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Protocol, Sequence, Tuple
from urllib.parse import urlparse

from bot.i18n import N_, Catalogs, in_own_names, is_rtl, isolate, language_name, local_date, requested_language, rtl_lines
from knowledge.places import Gazetteer, distance_km
from knowledge.schema import FALLBACK_INTENTS, KnowledgeBase, Service, Topic

logger = logging.getLogger(__name__)

SERVICES_PER_PAGE = 3
MAX_TEXT_CHARS = 4000  # Telegram's limit is 4096 characters per message
LATIN_RUN = re.compile(r"([A-Za-z0-9+@][A-Za-z0-9 +./:@&;_()–-]*[A-Za-z0-9)])")
DETECTION_CONFIDENCE = 0.6  # below this, the detected language of a message is not trusted
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
HISTORY = 5  # topics remembered (in memory only) for an interpreter's briefing


# -- values exchanged with the front ends -----------------------------------------------------
@dataclass(frozen=True)
class Button:
    label: str
    action: str  # at most 64 bytes (Telegram callback data)


@dataclass(frozen=True)
class Venue:
    latitude: float
    longitude: float
    title: str
    address: str


@dataclass(frozen=True)
class Media:
    """A photo, document, voice note… relayed between a person and an interpreter, by Telegram file id."""

    kind: str  # photo, document, voice, audio, video, animation, sticker, video_note, location
    file_id: str = ""
    latitude: Optional[float] = None
    longitude: Optional[float] = None


@dataclass(frozen=True)
class Reply:
    """One message to send: HTML text (every dynamic part escaped), button rows, optional map pin.

    `to` is None for the chat the update came from, else the key of another chat (an interpreter, or the
    person an interpreter answers). `media` makes the text a caption. `relay_id` names the stored copy of a
    relayed message, deleted once it is delivered.
    """

    text: str
    language: str
    buttons: Tuple[Tuple[Button, ...], ...] = ()
    venue: Optional[Venue] = None
    location_button: str = ""  # when set: a one-time keyboard button that shares the person's location
    to: Optional[str] = None
    media: Optional[Media] = None
    relay_id: Optional[int] = None


@dataclass(frozen=True)
class Sender:
    """Who wrote: an opaque key (e.g. 'telegram:123') and the language their app is set to."""

    key: str
    platform_language: Optional[str] = None


# -- ports -------------------------------------------------------------------------------------
class Parser(Protocol):
    def parse(self, text: str): ...


class PersonView(Protocol):
    pseudonym: str
    language: Optional[str]
    detected_language: Optional[str]


class People(Protocol):
    def person(self, external_key: str, *, detected: Optional[str] = None) -> PersonView: ...

    def set_language(self, external_key: str, language: Optional[str], *, detected: bool = False) -> None: ...

    def forget(self, external_key: str) -> bool: ...


class Gaps(Protocol):
    def count_unanswered(self, kind: str, language: str, topic: str = "") -> None: ...


class _Recent:
    """A bounded, thread-safe map kept in memory only (never written anywhere): person -> a recent value."""

    def __init__(self, size: int = 10_000):
        self._items: "OrderedDict[str, object]" = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def put(self, key: str, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            if len(self._items) > self._size:
                self._items.popitem(last=False)

    def get(self, key: str):
        with self._lock:
            return self._items.get(key)

    def pop(self, key: str):
        with self._lock:
            return self._items.pop(key, None)


@dataclass
class KnowledgeHolder:
    """The current knowledge snapshot; `replace` swaps it atomically for all readers."""

    current: KnowledgeBase = field(default_factory=KnowledgeBase)

    def replace(self, knowledge: KnowledgeBase) -> None:
        self.current = knowledge


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def in_pairs(buttons: Sequence[Button]) -> List[List[Button]]:
    """Buttons two per row: readable on a small phone."""
    return [list(buttons[i: i + 2]) for i in range(0, len(buttons), 2)]


class Assistant:
    """Turns what a person sends into replies."""

    def __init__(self, parser: Parser, people: People, knowledge: KnowledgeHolder, catalogs: Catalogs,
                 default_language: str = "en", gaps: Optional[Gaps] = None, places: Optional[Gazetteer] = None):
        self.parser = parser
        self.gaps = gaps
        self.places = places
        # In memory only: the topic last answered (for 'asked for a person after an answer') and where the
        # person said they are (to rank services by distance). Neither is ever stored.
        self._last_topic = _Recent()
        self._positions = _Recent()
        self._history = _Recent()  # the topics answered lately, for an interpreter's briefing
        # Set by the interpreting desk: the answer to "I want a person" (else: services that find an interpreter).
        self.human_offer: Optional[Callable[[Sender, str, Optional[str]], List[Reply]]] = None
        self.people = people
        self.knowledge = knowledge
        self.catalogs = catalogs
        self.default_language = default_language if default_language in catalogs.languages else catalogs.languages[0]

    # -- language --------------------------------------------------------------------------
    def language_for(self, sender: Sender, detected: Optional[str] = None, confidence: float = 0.0) -> str:
        """Stored choice > language of this message > last detected > the app's language > default."""
        supported = self.catalogs.languages
        if detected not in supported or confidence < DETECTION_CONFIDENCE:
            detected = None
        person = self.people.person(sender.key, detected=detected)
        if person.language in supported:
            return person.language
        if person.detected_language in supported:
            return person.detected_language
        return self.catalogs.negotiate(sender.platform_language) or self.default_language

    def _(self, language: str) -> Callable[[str], str]:
        return self.catalogs.gettext(language)

    def _reply(self, text: str, language: str, buttons: Sequence[Sequence[Button]] = (),
               venue: Optional[Venue] = None) -> Reply:
        text = rtl_lines(text, language)
        if len(text) > MAX_TEXT_CHARS:
            # Cut between lines: each rendered line closes its own tags, so the HTML stays valid.
            cut = text.rfind("\n", 0, MAX_TEXT_CHARS - 2)
            text = text[: cut if cut > 0 else MAX_TEXT_CHARS - 2] + "\n…"
        return Reply(text, language, tuple(tuple(row) for row in buttons), venue)

    # the pieces other desks (interpreting) build their replies from
    def reply(self, text: str, language: str, buttons: Sequence[Sequence[Button]] = (), **fields) -> Reply:
        """A reply in `language` (RTL marks, length cut), with optional `to`, `media`, `relay_id`."""
        return dataclasses.replace(self._reply(text, language, buttons), **fields) if fields else self._reply(text, language, buttons)

    def topic_rows(self, language: str) -> List[List[Button]]:
        return self._topic_rows(language)

    # -- entry points ----------------------------------------------------------------------
    def start(self, sender: Sender) -> List[Reply]:
        """Welcome, privacy notice and language picker, then the topic menu."""
        language = self.language_for(sender)
        _ = self._(language)
        welcome = "\n".join([
            _("👋 <b>Welcome to Guichet.</b>"),
            _("I answer questions about papers, asylum, work, housing, health, courses and more in the Liège area, "
              "in your language, and tell you where to go."),
            "",
            _("ℹ️ I give general information, not legal advice."),
            _("🚨 I am not an emergency service: in danger, call 112."),
            _("🔒 I keep only a pseudonym and your language, never what you write. /privacy explains, /forget deletes it."),
            "",
            _("Choose your language:"),
        ])
        return [self._reply(welcome, language, self._language_rows()), self.topic_menu(language)]

    def command(self, sender: Sender, name: str, argument: str = "") -> List[Reply]:
        """A slash command (without the slash); `argument` is what follows it (unused here)."""
        name = name.lower().split("@")[0]
        if name == "start":
            return self.start(sender)
        language = self.language_for(sender)
        _ = self._(language)
        if name == "help":
            lines = [_("I can help with:")]
            lines += [f"{t.emoji} {_e(t.title.pick(language)[0])}" for t in self.knowledge.current.menu_topics()]
            lines += ["", _("Write your question in your own words, in your language, or choose a topic."), ""]
            lines += [f"/{cmd} — {_e(_(COMMAND_DESCRIPTIONS[cmd]))}" for cmd in COMMANDS]
            return [self._reply("\n".join(lines), language, self._menu_row(language))]
        if name == "topics":
            return [self.topic_menu(language)]
        if name == "language":
            return [self._reply(_("Choose your language:"), language, self._language_rows())]
        if name == "privacy":
            return [self._reply(self._privacy_text(language), language,
                                [[Button(_("🗑 Delete my data"), "forget")]])]
        if name == "forget":
            return [self._forget_question(language)]
        if name == "human":
            return self._human(sender, language)
        if name == "bot":
            return [self._reply(_("You are talking to the bot. Ask me anything, or choose a topic."), language,
                                self._topic_rows(language))]
        return [self._reply(_("I don't know the command /{name}. Send /help to see what I can do.").format(name=_e(name)),
                            language, self._menu_row(language))]

    def message(self, sender: Sender, text: str, parsed=None) -> List[Reply]:
        """A text message: understand it, answer from the knowledge base.

        `parsed`: the parser's result for `text` when the caller has it already (the Telegram front end parses
        on the event loop, see nlu/worker.py).
        """
        if not text or not text.strip():
            language = self.language_for(sender)
            _ = self._(language)
            return [self._reply(_("Please write your question in a few words, or choose a topic."), language,
                                self._topic_rows(language))]
        result = parsed if parsed is not None else self.parser.parse(text)
        language = self.language_for(sender, result.language, result.language_confidence)
        intent = result.intent
        logger.debug("intent=%s confidence=%.2f language=%s", intent, result.confidence, language)
        _ = self._(language)
        place = self.places.find(text) if self.places is not None else None
        if place is not None:
            self._positions.put(sender.key, place.position)
            if intent in FALLBACK_INTENTS or intent in ("greet", "thanks", "goodbye", "change_language"):
                return self._nearby(sender, place.name, language)
        if intent in FALLBACK_INTENTS:
            self._count("not_understood" if intent == "nlu_fallback" else "out_of_scope", language)
            text = _("I'm not sure I understood. Could you say it in other words, or choose a topic?")
            return [self._reply(text, language, self._topic_rows(language) + [[self._human_button(language)]])]
        if intent == "greet":
            return [self._reply(_("Hello! Tell me what you need, in your own words, or choose a topic."), language,
                                self._topic_rows(language))]
        if intent == "thanks":
            return [self._reply(_("You're welcome. Ask me again whenever you need."), language, self._menu_row(language))]
        if intent == "goodbye":
            return [self._reply(_("Take care. I'm here whenever you need me."), language)]
        if intent == "change_language":
            wanted = requested_language(text, self.catalogs.languages)
            if wanted and wanted != language:  # "speak Arabic please"; "I don't understand French" gets the picker
                return self._switch_language(sender, wanted)
            return [self._reply(_("Choose your language:"), language, self._language_rows())]
        if intent == "request_human":
            return self._human(sender, language)
        return self._answer(sender, intent, language)

    def action(self, sender: Sender, data: Optional[str]) -> List[Reply]:
        """A button press; presses on old or unknown buttons get a polite answer and the menu."""
        data = data or ""
        kind, _sep, rest = data.partition(":")
        if kind == "lang" and rest in self.catalogs.languages:
            return self._switch_language(sender, rest)
        language = self.language_for(sender)
        _ = self._(language)
        if kind == "topic" and self.knowledge.current.topic_for(rest):
            return self._answer(sender, rest, language)
        if kind == "more":
            intent, _sep, offset = rest.rpartition(":")
            if self.knowledge.current.topic_for(intent) and offset.isdigit():
                return [self._services_reply(intent, language, int(offset), self._positions.get(sender.key))]
        if data == "menu":
            return [self.topic_menu(language)]
        if data == "near":
            text = _("Share your location with the button below, or write the name of your town.")
            return [dataclasses.replace(self._reply(text, language), location_button=_("📍 Send my location"))]
        if data == "lang":
            return [self._reply(_("Choose your language:"), language, self._language_rows())]
        if data == "human":
            return self._human(sender, language)
        if data == "forget":
            return [self._forget_question(language)]
        if data == "forget:yes":
            erased = self.people.forget(sender.key)
            for recent in (self._positions, self._last_topic, self._history):  # and what memory holds about them
                recent.pop(sender.key)
            text = (_("Done. Everything Guichet stored about you has been deleted.") if erased
                    else _("There was nothing stored about you."))
            return [self._reply(text + "\n" + _("If you write again, I start from zero."), language)]
        if data == "forget:no":
            return [self._reply(_("Nothing was deleted."), language, self._menu_row(language))]
        return [self._reply(_("This button is no longer valid. Here is the menu."), language, self._topic_rows(language))]

    def unsupported(self, sender: Sender, kind: str) -> List[Reply]:
        """Stickers, photos, voice notes, documents, edited messages…"""
        language = self.language_for(sender)
        _ = self._(language)
        if kind == "edited":
            text = _("I saw that you edited a message. I only read new messages: please send your question again.")
        else:
            text = _("I can only read text for now. Please write your question in a few words, or choose a topic.")
        return [self._reply(text, language, self._topic_rows(language))]

    def media(self, sender: Sender, media: Media, caption: str = "") -> List[Reply]:
        """A photo, voice note, document…: the bot reads text only (an interpreter desk relays these)."""
        return self.unsupported(sender, "media")

    def error(self, sender: Sender) -> List[Reply]:
        language = self.language_for(sender)
        _ = self._(language)
        return [self._reply(_("Sorry, something went wrong on my side. Please try again in a moment."), language,
                            self._menu_row(language))]

    def command_descriptions(self, language: str) -> List[Tuple[str, str]]:
        _ = self._(language)
        return [(cmd, _(COMMAND_DESCRIPTIONS[cmd])) for cmd in COMMANDS]

    # -- knowledge answers -----------------------------------------------------------------
    def topic_menu(self, language: str) -> Reply:
        _ = self._(language)
        return self._reply(_("What do you need help with?"), language, self._topic_rows(language))

    def location(self, sender: Sender, latitude: float, longitude: float) -> List[Reply]:
        """A shared location: services are ranked by distance from it (kept in memory only)."""
        language = self.language_for(sender)
        self._positions.put(sender.key, (latitude, longitude))
        label = self.places.nearest((latitude, longitude)).name if self.places is not None else ""
        return self._nearby(sender, label, language)

    def _nearby(self, sender: Sender, label: str, language: str) -> List[Reply]:
        """After a place: the places nearest to it for the last topic, or the topic menu."""
        _ = self._(language)
        heading = f"📍 {isolate(_e(label), language)}" if label else "📍"
        topic = self._last_topic.get(sender.key)
        if topic is None or self.knowledge.current.topic_for(topic) is None:
            return [self._reply(heading + "\n" + _e(_("What do you need help with?")), language, self._topic_rows(language))]
        services = self._services_reply(topic, language, 0, self._positions.get(sender.key))
        return [Reply(rtl_lines(heading, language) + "\n" + services.text, language, services.buttons, services.venue)]

    def topic_answer(self, intent: str, language: str, position: Optional[Tuple[float, float]] = None) -> List[Reply]:
        """Guidance for the topic, then the most relevant services; emergency numbers come first."""
        _ = self._(language)
        topic = self.knowledge.current.topic_for(intent)
        if topic is None:
            return [self._reply(_("I don't have information on this yet. Choose another topic or ask for a person."),
                                language, self._topic_rows(language) + [[self._human_button(language)]])]
        text = self._topic_text(topic, language)
        if intent == "ask_interpreting" and self.human_offer is not None:  # the desk can connect one right here
            text += "\n\n" + _e(_("🧑 A Guichet community interpreter can also join this conversation: press "
                                   "“Talk to a person” or send /human."))
        guidance = self._reply(text, language)
        services = self._services_reply(intent, language, 0, position)
        joined = guidance.text + "\n\n" + services.text
        if len(joined) <= MAX_TEXT_CHARS:  # one message: one notification, one request on a slow network
            return [Reply(joined, language, services.buttons, services.venue)]
        return [guidance, services]

    def _topic_text(self, topic: Topic, language: str) -> str:
        _ = self._(language)
        title, used = topic.title.pick(language)
        summary, used_summary = topic.summary.pick(language)
        steps, used_steps = topic.steps.pick(language)
        bring, _used = topic.bring.pick(language)
        lines = [f"{topic.emoji} <b>{_e(title)}</b>"]
        if topic.legal:
            lines.append("<i>" + _e(_("General information, not legal advice. Check your own situation with a lawyer or a service below.")) + "</i>")
        lines += ["", _e(summary)]
        if steps:
            label = _("Call now:") if topic.intent == "emergency" else _("First steps:")
            lines += ["", f"<b>{_e(label)}</b>"] + [f"• {self._ltr_safe(step, language)}" for step in steps]
        if bring:
            lines += ["", f"<b>{_e(_('What to bring:'))}</b>"] + [f"• {self._ltr_safe(item, language)}" for item in bring]
        lines += ["", self._sources_line(topic.sources, topic.last_reviewed, language)]
        if {used, used_summary, used_steps} - {language, None}:
            lines.append(self._fallback_note(language, used_steps or used))
        return "\n".join(lines)

    def _ranked(self, intent: str, language: str,
                position: Optional[Tuple[float, float]]) -> List[Tuple[Service, Optional[float]]]:
        """Services by relevance; with a position, those with a known place by distance (5 km steps, then
        relevance, which counts the languages spoken), then national and remote ones. Emergencies keep their order."""
        services = self.knowledge.current.services_for(intent, language)
        if position is None or self.places is None or intent == "emergency":
            return [(s, None) for s in services]
        ranked = []
        for rank, service in enumerate(services):
            spot = service.coordinates
            if spot is None and service.area != "national" and service.commune:
                place = self.places.commune(service.commune)
                spot = place.position if place else None
            km = distance_km(position, spot) if spot else None
            ranked.append(((km is None, round(km / 5) if km is not None else 0, rank), service, km))
        return [(service, km) for _key, service, km in sorted(ranked, key=lambda item: item[0])]

    def _services_reply(self, intent: str, language: str, offset: int,
                        position: Optional[Tuple[float, float]] = None) -> Reply:
        _ = self._(language)
        services = self._ranked(intent, language, position)
        page = services[offset: offset + SERVICES_PER_PAGE]
        rows: List[List[Button]] = []
        venue = None
        if not page:
            text = _("I don't know a service for this yet.")
        else:
            heading = _("Where to go:") if offset == 0 else _("More places:")
            blocks = [f"<b>{_e(heading)}</b>"] + [self._service_text(s, language, km) for s, km in page]
            text = "\n\n".join(blocks)
            best = page[0][0]
            if position is not None and best.coordinates:  # a map pin only where the file gives the real spot
                venue = Venue(best.coordinates[0], best.coordinates[1], best.name, best.address)
        if offset + SERVICES_PER_PAGE < len(services):
            rows.append([Button(_("➕ More services"), f"more:{intent}:{offset + SERVICES_PER_PAGE}")])
        rows.append([Button(_("📋 Another topic"), "menu"), self._human_button(language)])
        rows.append([Button(_("📍 Near me"), "near"), Button(_("🌐 Change language"), "lang")])
        return self._reply(text, language, rows, venue)

    def _service_text(self, service: Service, language: str, km: Optional[float] = None) -> str:
        _ = self._(language)
        iso = lambda value: isolate(_e(value), language)  # noqa: E731
        description, used = service.description.pick(language)
        lines = [f"🏢 <b>{iso(service.name)}</b>"]
        if description:
            lines.append(_e(description))
        if service.address:
            lines.append("📍 " + iso(service.address) + (f" (≈ {km:.0f} km)" if km is not None else ""))
        elif service.is_remote:
            lines.append("🌍 " + _e(_("By phone or online (no local office listed).")))
        hours, _h = service.hours.pick(language)
        if hours:
            lines.append("🕒 " + self._ltr_safe(hours, language))
        if service.phone:
            lines.append("📞 " + ", ".join(iso(p) for p in service.phone))
        if service.email:
            lines.append("✉️ " + iso(service.email))
        if service.website:
            lines.append("🌐 " + isolate(f'<a href="{_e(service.website)}">{_e(_display_url(service.website))}</a>', language))
        if service.languages:
            names = ", ".join(_e(language_name(code, language)) for code in service.languages)
            lines.append("🗣 " + _e(_("Languages spoken:")) + " " + names)
        else:
            lines.append("🗣 " + _e(_("Languages spoken: not known — ask when you contact them.")))
        if service.interpreter_on_request:
            lines.append("🧑‍🤝‍🧑 " + _e(_("An interpreter can be requested.")))
        cost, _c = service.cost.pick(language)
        if cost:
            lines.append("💶 " + self._ltr_safe(cost, language))
        eligibility, _el = service.eligibility.pick(language)
        if eligibility:
            lines.append("👥 " + self._ltr_safe(eligibility, language))
        lines.append(self._sources_line(service.sources, service.last_reviewed, language))
        if used and used != language:
            lines.append(self._fallback_note(language, used))
        return "\n".join(lines)

    def _sources_line(self, sources, reviewed, language: str) -> str:
        _ = self._(language)
        links = ", ".join(
            isolate(f'<a href="{_e(s.url)}">{_e(_display_url(s.url, host_only=True))}</a>', language) for s in sources[:3]
        )
        return "<i>" + _e(_("Source:")) + " " + links + " · " + _e(_("checked {date}").format(date=local_date(reviewed, language))) + "</i>"

    def _fallback_note(self, language: str, used: Optional[str]) -> str:
        _ = self._(language)
        return "ℹ️ <i>" + _e(_("Not yet translated into your language: shown in {language}.").format(
            language=language_name(used or "en", language))) + "</i>"

    @staticmethod
    def _ltr_safe(text: str, language: str) -> str:
        """Escape a knowledge text; in RTL languages isolate its Latin-script runs (numbers, URLs)."""
        escaped = _e(text)
        if not is_rtl(language):
            return escaped
        return LATIN_RUN.sub(lambda m: isolate(m.group(1), language), escaped)

    # -- pieces ------------------------------------------------------------------------------
    def _switch_language(self, sender: Sender, language: str) -> List[Reply]:
        """Remember the person's choice (it outlives restarts: it is in the database) and confirm in that language."""
        self.people.set_language(sender.key, language)
        _ = self._(language)
        return [self._reply(_("Okay, I will answer in {language}.").format(language=_e(language_name(language, language))),
                            language), self.topic_menu(language)]

    def answered(self, key: str) -> Tuple[str, ...]:
        """The topics answered to this person lately, oldest first (in memory only)."""
        return self._history.get(key) or ()

    def _answer(self, sender: Sender, intent: str, language: str) -> List[Reply]:
        self._last_topic.put(sender.key, intent)
        earlier = tuple(t for t in self.answered(sender.key) if t != intent)
        self._history.put(sender.key, (earlier + (intent,))[-HISTORY:])
        return self.topic_answer(intent, language, self._positions.get(sender.key))

    def _count(self, kind: str, language: str, topic: str = "") -> None:
        if self.gaps is not None:
            try:
                self.gaps.count_unanswered(kind, language, topic)
            except Exception:  # a statistic must never cost a person their answer
                logger.exception("could not count an unanswered message")

    def _human(self, sender: Sender, language: str) -> List[Reply]:
        topic = self._last_topic.pop(sender.key)
        if topic is not None:
            self._count("human_after_answer", language, topic)
        if self.human_offer is not None:
            return self.human_offer(sender, language, topic)
        _ = self._(language)
        return [self._reply(_("No interpreter is registered on this Guichet yet. These services can help you find one:"),
                            language)] + self.interpreting_services(language)

    def interpreting_services(self, language: str) -> List[Reply]:
        """The services of the knowledge base that provide interpreters (Univerbal, SETIS…), or nothing."""
        if not self.knowledge.current.topic_for("ask_interpreting"):
            return []
        return [self._services_reply("ask_interpreting", language, 0)]

    def _privacy_text(self, language: str) -> str:
        _ = self._(language)
        return "\n".join([
            _("🔒 <b>Your privacy</b>"),
            _("I keep only: a random pseudonym, the language you chose or wrote in, and the day you last wrote."),
            _("I never keep what you write, your name, your username or your phone number."),
            _("Your Telegram account is stored only as a one-way code that nobody can turn back into your account."),
            _("If you ask for a person: until the conversation ends, I keep the number Telegram needs to reach you, and each "
              "message only until it is delivered. The interpreter sees only your pseudonym."),
            _("Send /forget to delete everything, at any time."),
        ])

    def _forget_question(self, language: str) -> Reply:
        _ = self._(language)
        return self._reply(_("Delete everything Guichet stored about you (pseudonym and language)? This cannot be undone."),
                           language, [[Button(_("Yes, delete"), "forget:yes"), Button(_("No, keep"), "forget:no")]])

    def _language_rows(self) -> List[List[Button]]:
        return in_pairs([Button(name, f"lang:{code}") for code, name in in_own_names(self.catalogs.languages)])

    def _topic_rows(self, language: str) -> List[List[Button]]:
        return in_pairs([Button(f"{t.emoji} {t.title.pick(language)[0]}", f"topic:{t.intent}")
                         for t in self.knowledge.current.menu_topics()])

    def _menu_row(self, language: str) -> List[List[Button]]:
        _ = self._(language)
        return [[Button(_("📋 Topics"), "menu"), Button(_("🌐 Change language"), "lang")]]

    def _human_button(self, language: str) -> Button:
        _ = self._(language)
        return Button(_("🧑 Talk to a person"), "human")


def _display_url(url: str, *, host_only: bool = False) -> str:
    parsed = urlparse(url)
    host = parsed.netloc.removeprefix("www.")
    if host_only or parsed.path in ("", "/"):
        return host
    return host + parsed.path.rstrip("/")
