"""`guichet kb report`: one finding per problem an administrator should fix."""

from __future__ import annotations

import csv
import io
from datetime import date

from knowledge import report
from knowledge.schema import TOPIC_INTENTS, KnowledgeBase, Localized, Service, Source, Topic

TODAY = date(2026, 11, 23)
SOURCE = (Source("https://example.org"),)


def topic(intent: str, reviewed: date = TODAY) -> Topic:
    return Topic(intent, intent, "•", Localized({"en": "T", "fr": "T"}), Localized({"en": "S", "fr": "S"}),
                 Localized({"en": ("a",), "fr": ("a",)}), SOURCE, reviewed)


def service(id_: str, topics, reviewed: date = TODAY, **contact) -> Service:
    return Service(id_, id_.title(), tuple(topics), "local", Localized({"en": "D", "fr": "D"}), SOURCE, reviewed, **contact)


def kb() -> KnowledgeBase:
    topics = tuple(topic(i, date(2024, 1, 1) if i == "ask_health" else TODAY) for i in TOPIC_INTENTS)
    everything = [i for i in TOPIC_INTENTS if i != "ask_housing"]
    services = (service("alpha", everything, phone=("04 000 00 00",)), service("beta", everything, website="https://b.org"),
                service("gamma", ["ask_housing"], reviewed=date(2025, 1, 1)))  # no contact, and housing has 1 service
    return KnowledgeBase(topics, services)


def test_each_check_finds_what_it_should_and_nothing_else():
    found = {(f.section, f.entry) for f in report.findings(kb(), ("en", "fr", "nl"), max_age_days=365, today=TODAY)}
    assert found == {
        ("stale", "topics/ask_health"), ("stale", "services/gamma"),
        ("translation", "nl"),
        ("contact", "services/gamma"),
        ("coverage", "topics/ask_housing"),
    }


def test_markdown_and_csv_for_the_meeting():
    items = report.findings(kb(), ("en", "fr", "nl"), max_age_days=365, today=TODAY)
    markdown = report.as_markdown(items, today=TODAY)
    assert markdown.startswith("# Knowledge report — 2026-11-23")
    assert "## Topics with fewer than 2 services (1)" in markdown and "| topics/ask_housing | ask_housing: 1 service(s) |" in markdown
    rows = list(csv.DictReader(io.StringIO(report.as_csv(items))))
    assert len(rows) == len(items) and {r["section"] for r in rows} == {"stale", "translation", "contact", "coverage"}
    assert f"{3 * len(TOPIC_INTENTS) + 3} texts missing" in next(r["detail"] for r in rows if r["entry"] == "nl")


def test_answers_with_few_sourced_facts_are_listed_and_their_translations_counted():
    from tests import fakes

    base = kb()
    answers = (fakes.answer("food-aid", "ask_social_aid", ["alpha"], languages=("en", "fr"), partial=True,
                            note="no addresses of food banks found"),
               fakes.answer("eviction", "ask_housing", ["beta"], languages=("en",)))
    knowledge = KnowledgeBase(base.topics, base.services, "", answers)
    found = report.findings(knowledge, ("en", "fr"), max_age_days=100_000, today=TODAY)
    assert [(f.entry, f.detail) for f in found if f.section == "partial"] == [
        ("answers/food-aid", "ask_social_aid: no addresses of food banks found")]
    translation = [f.detail for f in found if f.section == "translation"]
    assert translation == ["4 texts missing, e.g. answers/eviction: short; answers/eviction: title; answers/eviction: answer"]
