"""The assistant: what Guichet answers to a /start, a command, a message, a button or a place.

No telegram, rasa or sqlalchemy import here: the same assistant serves Telegram, the terminal and tests.
"""

from __future__ import annotations

import logging
from typing import List, Optional, Tuple

from bot.assistant.buttons import Press, parse_button
from bot.assistant.parts import Parts
from bot.assistant.speech import speakable
from bot.assistant.ports import Gaps, HumanOffer
from bot.assistant.texts import command_name, escape
from bot.assistant.values import Media, Reply, Sender
from bot.i18n import language_name, requested_language
from bot.logs import log_failure
from knowledge.schema import FALLBACK_INTENTS
from nlu.parser import ParseResult

logger = logging.getLogger(__name__)

SMALL_TALK = ("greet", "thanks", "goodbye", "change_language")


class Assistant:
    """Turns what a person sends into replies (it satisfies the `FrontDesk` port on its own)."""

    def __init__(self, parts: Parts, *, gaps: Optional[Gaps] = None, human_offer: Optional[HumanOffer] = None):
        self.parts = parts
        self.texts, self.cards, self.memory = parts.texts, parts.cards, parts.memory
        self.gaps = gaps
        self.human_offer = human_offer  # the interpreting desk's answer to "I want a person", when it runs

    # -- entry points ----------------------------------------------------------------------
    def start(self, sender: Sender) -> List[Reply]:
        """Welcome, privacy notice and language picker, then the topic menu."""
        language = self.parts.language_for(sender)
        _ = self.texts.gettext(language)
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
        return [self.texts.reply(welcome, language, self.texts.language_rows()), self.texts.topic_menu(language)]

    def command(self, sender: Sender, name: str, argument: str = "") -> List[Reply]:
        """A slash command (without the slash); `argument` is what follows it (unused here)."""
        name = command_name(name)
        if name == "start":
            return self.start(sender)
        language = self.parts.language_for(sender)
        _ = self.texts.gettext(language)
        if name == "help":
            lines = [_("I can help with:")] + self.cards.help_lines(language)
            lines += ["", _("Write your question in your own words, in your language, or choose a topic."), ""]
            lines += [f"/{cmd} — {escape(description)}" for cmd, description in self.texts.command_descriptions(language)]
            return [self.texts.reply("\n".join(lines), language, self.texts.menu_row(language))]
        if name == "topics":
            return [self.texts.topic_menu(language)]
        if name == "language":
            return [self.texts.language_picker(language)]
        if name == "privacy":
            return [self.texts.privacy(language)]
        if name == "forget":
            return [self.texts.forget_question(language)]
        if name == "human":
            return self._human(sender, language)
        if name == "bot":
            return [self.texts.reply(_("You are talking to the bot. Ask me anything, or choose a topic."), language,
                                     self.texts.topic_rows(language))]
        return [self.texts.reply(_("I don't know the command /{name}. Send /help to see what I can do.").format(name=escape(name)),
                                 language, self.texts.menu_row(language))]

    def message(self, sender: Sender, text: str, parsed: Optional[ParseResult]) -> List[Reply]:
        """A text message and what the NLU understood of it (None for an empty one): the answer from the knowledge."""
        if parsed is None or not text or not text.strip():
            language = self.parts.language_for(sender)
            _ = self.texts.gettext(language)
            return [self.texts.reply(_("Please write your question in a few words, or choose a topic."), language,
                                     self.texts.topic_rows(language))]
        language = self.parts.language_for(sender, parsed.language, parsed.language_confidence)
        intent = parsed.intent
        logger.debug("intent=%s confidence=%.2f language=%s", intent, parsed.confidence, language)
        _ = self.texts.gettext(language)
        places = self.cards.places
        place = places.find(text) if places is not None else None
        if place is not None:
            self.memory.place(sender.key, place.position)
            if intent in FALLBACK_INTENTS or intent in SMALL_TALK:
                return self._nearby(sender, place.name, language)
        if intent in FALLBACK_INTENTS:
            self._count("not_understood" if intent == "nlu_fallback" else "out_of_scope", language)
            text = _("I'm not sure I understood. Could you say it in other words, or choose a topic?")
            return [self.texts.reply(text, language, self.texts.topic_rows(language) + [[self.texts.human_button(language)]])]
        if intent == "greet":
            return [self.texts.reply(_("Hello! Tell me what you need, in your own words, or choose a topic."), language,
                                     self.texts.topic_rows(language))]
        if intent == "thanks":
            return [self.texts.reply(_("You're welcome. Ask me again whenever you need."), language, self.texts.menu_row(language))]
        if intent == "goodbye":
            return [self.texts.reply(_("Take care. I'm here whenever you need me."), language)]
        if intent == "change_language":
            wanted = requested_language(text, self.texts.languages)
            if wanted and wanted != language:  # "speak Arabic please"; "I don't understand French" gets the picker
                return self._switch_language(sender, wanted)
            return [self.texts.language_picker(language)]
        if intent == "request_human":
            return self._human(sender, language)
        return self._answer(sender, intent, language, parsed)

    def action(self, sender: Sender, data: Optional[str]) -> List[Reply]:
        """A button press; old, unknown or forged button data gets a polite answer and the menu."""
        return self.press(sender, parse_button(data))

    def press(self, sender: Sender, press: Optional[Press]) -> List[Reply]:
        """A press already parsed (None: not one of Guichet's buttons)."""
        kind = press.kind if press is not None else ""
        if kind == "language" and press.code in self.texts.languages:
            return self._switch_language(sender, press.code)
        language = self.parts.language_for(sender)
        _ = self.texts.gettext(language)
        if kind == "topic" and self.cards.has_topic(press.intent):
            return self._answer(sender, press.intent, language)
        if kind == "answer" and self.cards.has_answer(press.answer):
            return self._give_answer(sender, press.answer, language)
        if kind == "questions" and self.cards.has_questions(press.intent):
            return [self.cards.questions(press.intent, language)]
        if kind == "no_fit" and self.cards.has_topic(press.intent):  # "None of these": the question has no answer
            self._count("no_answer", language, press.intent)
            return self._answer(sender, press.intent, language)
        if kind == "more" and self.cards.has_topic(press.intent):
            return [self.cards.services_page(press.intent, language, press.number, self.memory.position(sender.key))]
        if kind == "say":
            return self._read_aloud(sender, press.read, language)
        if kind == "menu":
            return [self.texts.topic_menu(language)]
        if kind == "near":
            text = _("Share your location with the button below, or write the name of your town.")
            return [self.texts.reply(text, language, location_button=_("📍 Send my location"))]
        if kind == "languages":
            return [self.texts.language_picker(language)]
        if kind == "human":
            return self._human(sender, language)
        if kind == "forget":
            return [self.texts.forget_question(language)]
        if kind == "forget_yes":
            erased = self.parts.people.forget(sender.key)
            self.memory.forget(sender.key)  # and what memory holds about them
            text = (_("Done. Everything Guichet stored about you has been deleted.") if erased
                    else _("There was nothing stored about you."))
            return [self.texts.reply(text + "\n" + _("If you write again, I start from zero."), language)]
        if kind == "forget_no":
            return [self.texts.reply(_("Nothing was deleted."), language, self.texts.menu_row(language))]
        return self.stale(language)

    def stale(self, language: str) -> List[Reply]:
        """An old, unknown or forged button: counted (a number, never the data) and answered with the menu."""
        self._count("stale_button", language)
        return [self.texts.stale_button(language)]

    def location(self, sender: Sender, latitude: float, longitude: float) -> List[Reply]:
        """A shared location: services are ranked by distance from it (kept in memory only)."""
        language = self.parts.language_for(sender)
        self.memory.place(sender.key, (latitude, longitude))
        places = self.cards.places
        label = places.nearest((latitude, longitude)).name if places is not None else ""
        return self._nearby(sender, label, language)

    def unsupported(self, sender: Sender, kind: str) -> List[Reply]:
        """Stickers, photos, voice notes, documents, edited messages…"""
        language = self.parts.language_for(sender)
        _ = self.texts.gettext(language)
        if kind == "edited":
            text = _("I saw that you edited a message. I only read new messages: please send your question again.")
        else:
            text = _("I can only read text for now. Please write your question in a few words, or choose a topic.")
        return [self.texts.reply(text, language, self.texts.topic_rows(language))]

    def media(self, sender: Sender, media: Media, caption: str = "") -> List[Reply]:
        """A photo, voice note, document…: the bot reads text only (an interpreter desk relays these). A voice note
        or audio file (people who read with difficulty often speak instead): the topics to tap, and a person."""
        if media.kind not in ("voice", "audio", "video_note"):
            return self.unsupported(sender, "media")
        language = self.parts.language_for(sender)
        _ = self.texts.gettext(language)
        text = _("I cannot listen to voice messages yet. Tap a topic below, or ask for a person: an interpreter "
                 "can listen to you.")
        return [self.texts.reply(text, language, self.texts.topic_rows(language) + [[self.texts.human_button(language)]])]

    def error(self, sender: Sender) -> List[Reply]:
        language = self.parts.language_for(sender)
        _ = self.texts.gettext(language)
        return [self.texts.reply(_("Sorry, something went wrong on my side. Please try again in a moment."), language,
                                 self.texts.menu_row(language))]

    def unreachable(self, key: str) -> List[Reply]:
        """Telegram refused to deliver to another chat: without a desk the assistant never addresses one."""
        return []

    def delivered(self, relay_id: int) -> None:
        """Without a desk there is no relayed message to mark delivered."""

    def command_menus(self) -> List[Tuple[Optional[str], List[Tuple[str, str]]]]:
        """The command list to register with Telegram: the default one (None), then one per interface language."""
        default = self.texts.default_language
        return [(code, self.texts.command_descriptions(code or default)) for code in (None, *self.texts.languages)]

    # -- pieces ------------------------------------------------------------------------------
    def _switch_language(self, sender: Sender, language: str) -> List[Reply]:
        """Remember the person's choice (it outlives restarts: it is in the database) and confirm in that language."""
        self.parts.people.set_language(sender.key, language)
        _ = self.texts.gettext(language)
        return [self.texts.reply(_("Okay, I will answer in {language}.").format(language=escape(language_name(language, language))),
                                 language), self.texts.topic_menu(language)]

    def _answer(self, sender: Sender, intent: str, language: str, parsed: Optional[ParseResult] = None) -> List[Reply]:
        """A topic: its specific answer when the NLU is sure of it; the closest questions when it hesitates;
        else the topic card with the topic's questions. A question that reached no answer (none close, or
        "None of these" pressed) is counted, per topic."""
        if parsed is not None and self.cards.has_questions(intent):
            if parsed.answer_confident and self.cards.has_answer(parsed.answer):
                return self._give_answer(sender, parsed.answer, language)
            candidates = tuple(a for a in parsed.answer_candidates() if self.cards.has_answer(a))
            if candidates:
                self.memory.answered(sender.key, intent)
                return [self.cards.closest(intent, candidates, language)]
            self._count("no_answer", language, intent)
        self.memory.answered(sender.key, intent)
        return self.cards.topic_answer(intent, language, self.memory.position(sender.key),
                                       interpreter_here=self.human_offer is not None)

    def _give_answer(self, sender: Sender, answer_id: str, language: str) -> List[Reply]:
        answer = self.cards.knowledge.current.answer(answer_id)
        if answer is None:  # the knowledge was replaced since the check
            return self.stale(language)
        self.memory.answered(sender.key, answer.intent, answer.id)
        return self.cards.answer_card(answer.id, language)

    def _read_aloud(self, sender: Sender, read: Press, language: str) -> List[Reply]:
        """The 🔊 button: the same message as a voice note (made when sent: bot/voice.py), in the person's language
        when it has a voice; an old or forged press otherwise gets the stale-button answer."""
        position = self.memory.position(sender.key)
        if language not in self.texts.voiced:
            return self.stale(language)
        if read.kind == "answer" and self.cards.has_answer(read.answer):
            replies = self.cards.answer_card(read.answer, language)
        elif read.kind == "topic" and self.cards.has_topic(read.intent):
            replies = self.cards.topic_answer(read.intent, language, position, interpreter_here=self.human_offer is not None)
        elif read.kind == "more" and self.cards.has_topic(read.intent):
            replies = [self.cards.services_page(read.intent, language, read.number, position)]
        else:
            return self.stale(language)
        spoken = speakable("\n".join(reply.text for reply in replies), self.texts.gettext(language))
        return [Reply("", language, media=Media("speech", speech=spoken))]

    def _nearby(self, sender: Sender, label: str, language: str) -> List[Reply]:
        return self.cards.nearby(label, self.memory.last_topic(sender.key), self.memory.position(sender.key), language)

    def _count(self, kind: str, language: str, topic: str = "") -> None:
        if self.gaps is not None:
            try:
                self.gaps.count_unanswered(kind, language, topic)
            except Exception as error:  # a statistic must never cost a person their answer
                log_failure(logger, "could not count an unanswered message", error)

    def _human(self, sender: Sender, language: str) -> List[Reply]:
        topic = self.memory.take_last_topic(sender.key)
        if topic is not None:
            self._count("human_after_answer", language, topic)
        if self.human_offer is not None:
            return self.human_offer(sender, language, topic)
        return self.cards.no_interpreter_yet(language)
