"""`guichet kb report`: what the administrators should look at in their next meeting."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, fields
from datetime import date
from typing import Iterable, List, Sequence, Tuple

from knowledge.schema import TOPIC_INTENTS, Answer, KnowledgeBase, Localized, Service, Topic

SECTIONS = (
    ("stale", "Not reviewed for too long"),
    ("translation", "Missing translations"),
    ("contact", "Services with no contact details"),
    ("coverage", "Topics with fewer than 2 services"),
    ("partial", "Answers with few sourced facts (they point to a service and offer a person)"),
)


@dataclass(frozen=True)
class Finding:
    section: str  # one of SECTIONS' keys
    entry: str  # 'topics/housing' or 'services/cpas-liege', or a language code for translation totals
    detail: str


def _text_fields(entry: Topic | Service | Answer) -> List[Tuple[str, Localized]]:
    return [(f.name, getattr(entry, f.name)) for f in fields(entry) if isinstance(getattr(entry, f.name), Localized)]


def findings(kb: KnowledgeBase, languages: Sequence[str], *, max_age_days: int = 365,
             today: date | None = None) -> List[Finding]:
    """Every finding, grouped by section in SECTIONS order."""
    today = today or date.today()
    entries: List[Tuple[str, Topic | Service | Answer]] = [(f"topics/{t.id}", t) for t in kb.topics]
    entries += [(f"services/{s.id}", s) for s in kb.services]
    entries += [(f"answers/{a.id}", a) for a in kb.answers]
    result: List[Finding] = []
    for name, entry in sorted(entries, key=lambda e: e[1].last_reviewed):
        age = (today - entry.last_reviewed).days
        if age > max_age_days:
            result.append(Finding("stale", name, f"last reviewed {entry.last_reviewed} ({age} days ago)"))
    for language in languages:
        missing = [f"{name}: {field}" for name, entry in entries for field, text in _text_fields(entry)
                   if text and language not in text.languages()]
        if missing:
            result.append(Finding("translation", language, f"{len(missing)} texts missing, e.g. " + "; ".join(missing[:3])))
    for service in kb.services:
        if not (service.phone or service.email or service.website or service.address):
            result.append(Finding("contact", f"services/{service.id}", f"{service.name}: no address, phone, e-mail or website"))
    for intent in TOPIC_INTENTS:
        count = sum(intent in s.topics for s in kb.services)
        if count < 2:
            topic = kb.topic_for(intent)
            result.append(Finding("coverage", f"topics/{topic.id}" if topic else intent, f"{intent}: {count} service(s)"))
    for answer in kb.answers:
        if answer.partial:
            result.append(Finding("partial", f"answers/{answer.id}",
                                  f"{answer.intent}: {answer.note or 'few sourced facts'}"))
    return result


def as_table(items: Iterable[Finding]) -> str:
    """Plain text for the terminal."""
    items = list(items)
    lines: List[str] = []
    for key, title in SECTIONS:
        rows = [i for i in items if i.section == key]
        lines.append(f"{title} ({len(rows)})")
        width = max([len(r.entry) for r in rows] + [5])
        lines += [f"  {r.entry:<{width}}  {r.detail}" for r in rows] or ["  none"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def as_markdown(items: Iterable[Finding], today: date | None = None) -> str:
    items = list(items)
    lines = [f"# Knowledge report — {(today or date.today()).isoformat()}", ""]
    for key, title in SECTIONS:
        rows = [i for i in items if i.section == key]
        lines += [f"## {title} ({len(rows)})", ""]
        if rows:
            lines += ["| entry | detail |", "|---|---|"]
            lines += [f"| {_md(r.entry)} | {_md(r.detail)} |" for r in rows]
        else:
            lines.append("None.")
        lines.append("")
    return "\n".join(lines)


def as_csv(items: Iterable[Finding]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "entry", "detail"])
    writer.writerows((i.section, i.entry, i.detail) for i in items)
    return out.getvalue()


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
