"""The parts the assistant and the interpreting desk share: texts, cards, the person's language, memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from bot.assistant.cards import Cards
from bot.assistant.memory import ConversationMemory
from bot.assistant.ports import People
from bot.assistant.texts import Texts
from bot.assistant.values import KnowledgeHolder, Sender
from bot.i18n import Catalogs
from knowledge.places import Gazetteer

DETECTION_CONFIDENCE = 0.6  # below this, the detected language of a message is not trusted


@dataclass(frozen=True)
class Parts:
    texts: Texts
    cards: Cards
    people: People
    memory: ConversationMemory

    @classmethod
    def build(cls, people: People, knowledge: KnowledgeHolder, catalogs: Catalogs, default_language: str = "en",
              places: Optional[Gazetteer] = None, memory: Optional[ConversationMemory] = None) -> "Parts":
        texts = Texts(catalogs, knowledge, default_language)
        return cls(texts, Cards(texts, knowledge, places), people, memory or ConversationMemory())

    def language_for(self, sender: Sender, detected: Optional[str] = None, confidence: float = 0.0) -> str:
        """Stored choice > language of this message > last detected > the app's language > default."""
        supported = self.texts.languages
        if detected not in supported or confidence < DETECTION_CONFIDENCE:
            detected = None
        person = self.people.person(sender.key, detected=detected)
        if person.language in supported:
            return person.language
        if person.detected_language in supported:
            return person.detected_language
        return self.texts.catalogs.negotiate(sender.platform_language) or self.texts.default_language

    def pseudonym(self, key: str) -> str:
        return self.people.person(key).pseudonym
