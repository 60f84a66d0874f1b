"""Typed, frozen values of the knowledge vocabulary: topics (guidance per intent) and services."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

# The twelve target languages of the product (architecture.md). Texts may exist in fewer.
LANGUAGE_CODES: Tuple[str, ...] = ("en", "fr", "nl", "ar", "fa", "ps", "ti", "so", "uk", "ru", "tr", "es")
# Knowledge text falls back to these, in order, when the person's language is missing.
FALLBACK_LANGUAGES: Tuple[str, ...] = ("en", "fr")

INTENTS: Tuple[str, ...] = (
    "greet", "goodbye", "thanks",
    "ask_residence", "ask_asylum", "ask_work_rights", "ask_job_training", "ask_diploma_recognition",
    "ask_housing", "ask_interpreting", "ask_language_course", "ask_health", "ask_social_aid",
    "ask_legal_aid", "ask_entrepreneurship", "ask_education",
    "request_human", "emergency", "change_language",
)
# Intents answered from the knowledge base (the others are conversation moves).
TOPIC_INTENTS: Tuple[str, ...] = tuple(i for i in INTENTS if i.startswith("ask_")) + ("emergency",)
FALLBACK_INTENTS: Tuple[str, ...] = ("nlu_fallback", "out_of_scope")

AREAS: Tuple[str, ...] = ("local", "regional", "national")
# Service fields that state a fact and therefore need a source that covers them.
FACT_FIELDS: Tuple[str, ...] = (
    "description", "commune", "address", "coordinates", "phone", "email", "website", "hours",
    "languages", "interpreter_on_request", "cost", "eligibility",
)


@dataclass(frozen=True)
class Localized:
    """A text in several languages."""

    texts: Mapping[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.texts)

    def pick(self, language: str) -> Tuple[Any, Optional[str]]:
        """Return (text, language used): the person's language, else en, else fr, else any."""
        for code in (language, *FALLBACK_LANGUAGES, *sorted(self.texts)):
            if self.texts.get(code):
                return self.texts[code], code
        return None, None

    def languages(self) -> frozenset[str]:
        return frozenset(code for code, text in self.texts.items() if text)


@dataclass(frozen=True)
class Source:
    """A public page that supports some facts of an entry."""

    url: str
    covers: Tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Topic:
    """Guidance for one intent: what it is, first steps, what to bring, with sources."""

    id: str
    intent: str
    emoji: str
    title: Localized
    summary: Localized
    steps: Localized
    sources: Tuple[Source, ...]
    last_reviewed: date
    legal: bool = False
    bring: Localized = Localized()

    def languages(self) -> frozenset[str]:
        return self.title.languages() & self.summary.languages() & self.steps.languages()


# Answer fields that state a fact and therefore need a source that covers them.
ANSWER_FACT_FIELDS: Tuple[str, ...] = ("answer", "steps", "bring", "deadlines", "costs")
ANSWER_MAX_CHARS = 600  # the short answer, per language
SHORT_MAX_CHARS = 40  # the button label, per language


@dataclass(frozen=True)
class Answer:
    """The answer to one specific question of the catalogue (knowledge/catalogue.py), under one intent."""

    id: str
    intent: str
    short: Localized  # the button label
    title: Localized  # the question
    answer: Localized  # what applies and what to do first
    steps: Localized
    services: Tuple[str, ...]  # service ids, most relevant first
    sources: Tuple[Source, ...]
    last_reviewed: date
    legal: bool = False
    partial: bool = False  # few sourced facts: says what is known, names the service that knows
    bring: Localized = Localized()
    deadlines: Localized = Localized()
    costs: Localized = Localized()
    note: str = ""

    def languages(self) -> frozenset[str]:
        return self.short.languages() & self.title.languages() & self.answer.languages() & self.steps.languages()


@dataclass(frozen=True)
class Service:
    """A real place or line a person can turn to."""

    id: str
    name: str
    topics: Tuple[str, ...]
    area: str
    description: Localized
    sources: Tuple[Source, ...]
    last_reviewed: date
    commune: str = ""
    address: str = ""
    coordinates: Optional[Tuple[float, float]] = None
    phone: Tuple[str, ...] = ()
    email: str = ""
    website: str = ""
    hours: Localized = Localized()
    languages: Tuple[str, ...] = ()
    interpreter_on_request: Optional[bool] = None
    cost: Localized = Localized()
    eligibility: Localized = Localized()
    note: str = ""

    @property
    def is_remote(self) -> bool:
        return self.area == "national" or not self.address


_LOCALIZED_FIELDS = {"title", "summary", "steps", "bring", "description", "hours", "cost", "eligibility",
                     "short", "answer", "deadlines", "costs"}


def to_plain(entry: Topic | Service | Answer) -> Dict[str, Any]:
    """A JSON-compatible dict of an entry (for storage)."""
    plain: Dict[str, Any] = {}
    for item in dataclasses.fields(entry):
        value = getattr(entry, item.name)
        if isinstance(value, Localized):
            value = {code: (list(text) if isinstance(text, (list, tuple)) else text) for code, text in value.texts.items()}
        elif isinstance(value, date):
            value = value.isoformat()
        elif item.name == "sources":
            value = [{"url": s.url, "covers": list(s.covers), "note": s.note} for s in value]
        elif isinstance(value, tuple):
            value = list(value)
        plain[item.name] = value
    return plain


def _from_plain(cls, plain: Mapping[str, Any]):
    values: Dict[str, Any] = {}
    for item in dataclasses.fields(cls):
        if item.name not in plain:
            continue
        value = plain[item.name]
        if item.name in _LOCALIZED_FIELDS:
            value = Localized({k: (tuple(v) if isinstance(v, list) else v) for k, v in (value or {}).items()})
        elif item.name == "last_reviewed":
            value = date.fromisoformat(value)
        elif item.name == "sources":
            value = tuple(Source(s["url"], tuple(s.get("covers", ())), s.get("note", "")) for s in value)
        elif item.name == "coordinates":
            value = tuple(value) if value else None
        elif isinstance(value, list):
            value = tuple(value)
        values[item.name] = value
    return cls(**values)


def topic_from_plain(plain: Mapping[str, Any]) -> Topic:
    return _from_plain(Topic, plain)


def service_from_plain(plain: Mapping[str, Any]) -> Service:
    return _from_plain(Service, plain)


def answer_from_plain(plain: Mapping[str, Any]) -> Answer:
    return _from_plain(Answer, plain)


@dataclass(frozen=True)
class KnowledgeBase:
    """An immutable snapshot of all topics and services, queried by the assistant."""

    topics: Tuple[Topic, ...] = ()
    services: Tuple[Service, ...] = ()
    digest: str = ""
    answers: Tuple[Answer, ...] = ()  # in catalogue order, then added answers by id

    def topic_for(self, intent: str) -> Optional[Topic]:
        return next((t for t in self.topics if t.intent == intent), None)

    def menu_topics(self) -> Tuple[Topic, ...]:
        """Topics shown on the menu, in the order of the intent list (emergency last)."""
        order = {intent: n for n, intent in enumerate(TOPIC_INTENTS)}
        return tuple(sorted(self.topics, key=lambda t: order.get(t.intent, len(order))))

    def services_for(self, intent: str, language: str) -> Tuple[Service, ...]:
        """Services serving `intent`, most relevant first.

        Relevance: the intent is the service's main topic, the person's language is spoken there,
        the service is a place in the area rather than a remote line, it has ways to be reached.
        """

        def score(service: Service) -> Tuple[float, str]:
            points = 0.0
            if service.topics and service.topics[0] == intent:
                points += 4
            if language in service.languages:
                points += 3
            points += {"local": 2, "regional": 1}.get(service.area, 0)
            points += 0.5 * sum(bool(x) for x in (service.address, service.phone, service.email, service.website))
            return (-points, service.name.casefold())

        return tuple(sorted((s for s in self.services if intent in s.topics), key=score))

    def service(self, service_id: str) -> Optional[Service]:
        return next((s for s in self.services if s.id == service_id), None)

    def answer(self, answer_id: str) -> Optional[Answer]:
        return next((a for a in self.answers if a.id == answer_id), None)

    def answers_for(self, intent: str) -> Tuple[Answer, ...]:
        """The answers of one intent, in catalogue order (the topic's questions)."""
        return tuple(a for a in self.answers if a.intent == intent)

    def answer_services(self, answer: Answer) -> Tuple[Service, ...]:
        """The services of an answer, in the answer's order (ids without a service are skipped)."""
        return tuple(s for s in (self.service(i) for i in answer.services) if s is not None)

    def intents(self) -> Iterable[str]:
        return (t.intent for t in self.topics)
