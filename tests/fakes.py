"""Fast stand-ins for tests of the logic: parse results without the model, and factories of knowledge values."""

from __future__ import annotations

from datetime import date
from typing import Optional, Sequence

from knowledge.schema import Answer, KnowledgeBase, Localized, Service, Source, Topic
from nlu.parser import ParseResult

SOURCE = (Source("https://example.org/source"),)
REVIEWED = date(2026, 1, 1)


def topic(intent: str = "ask_housing", *, emoji: str = "🏠", title: str = "Housing", summary: str = "S",
          steps: Sequence[str] = ("Step",), languages: Sequence[str] = ("en",), sources=SOURCE, **extra) -> Topic:
    """A topic with the same texts in every language of `languages`."""
    def each(value):
        return Localized({code: value for code in languages})

    return Topic(intent.replace("ask_", ""), intent, emoji, each(title), each(summary), each(tuple(steps)), sources,
                 REVIEWED, **extra)


def service(id_: str, intents: Sequence[str] = ("ask_housing",), *, name: Optional[str] = None, area: str = "local",
            description: str = "Help", languages: Sequence[str] = ("en",), sources=SOURCE, **extra) -> Service:
    """A service named `name` (default: the id in title case) with the same description in every language."""
    return Service(id_, name or id_.title(), tuple(intents), area, Localized({code: description for code in languages}),
                   sources, REVIEWED, **extra)


def answer(id_: str, intent: str = "ask_housing", services: Sequence[str] = (), *, short: Optional[str] = None,
           title: Optional[str] = None, text: Optional[str] = None, languages: Sequence[str] = ("en",),
           sources=SOURCE, **extra) -> Answer:
    """An answer whose texts name its id ("Short eviction", "Question eviction?", "Answer eviction.")."""
    def each(value):
        return Localized({code: value for code in languages})

    return Answer(id_, intent, each(short or f"Short {id_}"), each(title or f"Question {id_}?"),
                  each(text or f"Answer {id_}."), each(("Step",)), tuple(services), sources, REVIEWED, **extra)


def knowledge_base(topics: Sequence[Topic] = (), services: Sequence[Service] = (),
                   answers: Sequence[Answer] = ()) -> KnowledgeBase:
    return KnowledgeBase(tuple(topics), tuple(services), "", tuple(answers))


def parsed(intent: str, language: str = "en", text: str = "…", confidence: float = 0.95,
           answers: Sequence[tuple] = ()) -> ParseResult:
    """A parse result, as if the NLU had understood `intent` in `language` (and ranked `answers`: (id, share))."""
    ranking = tuple(answers)
    return ParseResult(text, intent, confidence, language, 0.99, answer=ranking[0][0] if ranking else None,
                       answer_confidence=ranking[0][1] if ranking else 0.0, answer_ranking=ranking)
