"""Read the administrators' YAML files into a KnowledgeBase, collecting every problem with file and line."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from knowledge.catalogue import CATALOGUE, CATALOGUE_INTENTS, CATALOGUE_ORDER
from knowledge.schema import (
    ANSWER_FACT_FIELDS,
    ANSWER_MAX_CHARS,
    AREAS,
    FACT_FIELDS,
    LANGUAGE_CODES,
    TOPIC_INTENTS,
    SHORT_MAX_CHARS,
    Answer,
    KnowledgeBase,
    Localized,
    Service,
    Source,
    Topic,
)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$|^https?://[^\s/$.?#][^\s]*/[^\s]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
PHONE = re.compile(r"^\+?[0-9][0-9 ./()-]{1,20}[0-9]$")

TOPIC_FIELDS = {
    "id": "required", "intent": "required", "emoji": "required", "title": "required",
    "summary": "required", "steps": "required", "sources": "required", "last_reviewed": "required",
    "legal": "optional", "bring": "optional",
}
SERVICE_FIELDS = {
    "id": "required", "name": "required", "topics": "required", "area": "required",
    "description": "required", "sources": "required", "last_reviewed": "required",
    **{name: "optional" for name in FACT_FIELDS if name != "description"},
    "note": "optional",
}
ANSWER_FIELDS = {
    "id": "required", "intent": "required", "short": "required", "title": "required", "answer": "required",
    "steps": "required", "services": "required", "sources": "required", "last_reviewed": "required",
    "legal": "optional", "partial": "optional", "bring": "optional", "deadlines": "optional", "costs": "optional",
    "note": "optional",
}
KINDS = ("topics", "services", "answers")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a knowledge file."""

    path: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class LoadResult:
    knowledge: Optional[KnowledgeBase]
    problems: Tuple[Problem, ...]

    @property
    def errors(self) -> Tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> Tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")


class _File:
    """Problem collection for one YAML file, with line lookup helpers."""

    def __init__(self, path: Path, shown: str, problems: List[Problem], max_age_days: Optional[int] = None):
        self.path, self.shown, self.problems = path, shown, problems
        self.max_age_days = max_age_days  # older `last_reviewed` dates get a warning

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.shown, line, message))

    def warning(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.shown, line, message, "warning"))

    @staticmethod
    def key_line(node: Any, key: Any) -> int:
        try:
            return node.lc.key(key)[0] + 1
        except (AttributeError, KeyError, TypeError):
            return getattr(getattr(node, "lc", None), "line", 0) + 1

    @staticmethod
    def item_line(node: Any, index: int, default: int) -> int:
        try:
            return node.lc.item(index)[0] + 1
        except (AttributeError, KeyError, TypeError, IndexError):
            return default


def _text(f: _File, node: CommentedMap, key: str, *, required: bool = False) -> str:
    value = node.get(key)
    if value is None or value == "":
        if required:
            f.error(f.key_line(node, key), f"'{key}' is required: write a value")
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        f.error(f.key_line(node, key), f"'{key}' must be a text, not {type(value).__name__}")
        return ""
    return str(value).strip()


def _localized(f: _File, node: CommentedMap, key: str, expected: Sequence[str], *, lists: bool = False,
               required: bool = False) -> Localized:
    value = node.get(key)
    line = f.key_line(node, key)
    if value is None:
        if required:
            f.error(line, f"'{key}' is required: give it per language, e.g. '{key}: {{en: ..., fr: ...}}'")
        return Localized()
    if not isinstance(value, dict):
        f.error(line, f"'{key}' must map language codes to {'lists of texts' if lists else 'texts'} (en: ..., fr: ...)")
        return Localized()
    texts: Dict[str, Any] = {}
    for code, text in value.items():
        code_line = f.key_line(value, code)
        if code not in LANGUAGE_CODES:
            f.error(code_line, f"'{key}': unknown language code '{code}' (use one of {', '.join(LANGUAGE_CODES)})")
            continue
        if lists:
            if not isinstance(text, list) or not all(isinstance(t, str) and t.strip() for t in text) or not text:
                f.error(code_line, f"'{key}.{code}' must be a list of non-empty texts ('- first step')")
                continue
            texts[code] = tuple(t.strip() for t in text)
        else:
            if not isinstance(text, str) or not text.strip():
                f.error(code_line, f"'{key}.{code}' must be a non-empty text")
                continue
            texts[code] = text.strip()
    for code in expected:
        if code not in texts:
            f.warning(line, f"'{key}' has no '{code}' translation (the bot falls back to en/fr)")
    return Localized(texts)


def _date(f: _File, node: CommentedMap, key: str) -> Optional[date]:
    value = node.get(key)
    line = f.key_line(node, key)
    if value is None:
        f.error(line, f"'{key}' is required: the date the entry was checked, e.g. {key}: {date.today():%Y-%m-%d}")
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            pass
    if not isinstance(value, date):
        f.error(line, f"'{key}' must be a date written YYYY-MM-DD, not {value!r}")
        return None
    if value > date.today():
        f.error(line, f"'{key}' {value} is in the future")
    elif f.max_age_days is not None and (date.today() - value).days > f.max_age_days:
        f.warning(line, f"'{key}' {value} is more than {f.max_age_days} days old: check the facts against the "
                        f"sources again, then update the date")
    return value


def _sources(f: _File, node: CommentedMap, *, with_covers: bool,
             fact_fields: Sequence[str] = FACT_FIELDS) -> Tuple[Source, ...]:
    value = node.get("sources")
    line = f.key_line(node, "sources")
    if not isinstance(value, list) or not value:
        f.error(line, "'sources' must list at least one public page: '- url: https://...'")
        return ()
    sources = []
    for index, item in enumerate(value):
        item_line = f.item_line(value, index, line)
        if not isinstance(item, dict) or "url" not in item:
            f.error(item_line, "each source needs 'url: https://...'")
            continue
        unknown = set(item) - {"url", "covers", "note"}
        for key in sorted(unknown):
            f.error(f.key_line(item, key), f"unknown source field '{key}' (allowed: url, covers, note)")
        url = str(item.get("url") or "").strip()
        if not URL.match(url):
            f.error(f.key_line(item, "url"), f"source url {url!r} is not a web address starting with http:// or https://")
        covers = item.get("covers") or []
        if not isinstance(covers, list) or not all(isinstance(c, str) for c in covers):
            f.error(f.key_line(item, "covers"), "'covers' must be a list of field names, e.g. [address, phone]")
            covers = []
        if with_covers:
            for name in covers:
                if name not in fact_fields:
                    f.error(f.key_line(item, "covers"), f"'covers' names unknown field '{name}' (allowed: {', '.join(fact_fields)})")
        sources.append(Source(url, tuple(covers), str(item.get("note") or "").strip()))
    return tuple(sources)


def _check_fields(f: _File, node: CommentedMap, allowed: Dict[str, str]) -> None:
    for key in node:
        if key not in allowed:
            close = [name for name in allowed if name.startswith(str(key)[:3])]
            hint = f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(allowed)})"
            f.error(f.key_line(node, key), f"unknown field '{key}'{hint}")


def _slug(f: _File, node: CommentedMap) -> str:
    entry_id = _text(f, node, "id", required=True)
    if entry_id and not SLUG.match(entry_id):
        f.error(f.key_line(node, "id"), f"id '{entry_id}' must be lowercase letters, digits and dashes")
    if entry_id and entry_id != f.path.stem:
        f.error(f.key_line(node, "id"), f"id '{entry_id}' must equal the file name '{f.path.stem}'")
    return entry_id


def _parse_topic(f: _File, node: CommentedMap, expected: Sequence[str]) -> Optional[Topic]:
    _check_fields(f, node, TOPIC_FIELDS)
    topic_id = _slug(f, node)
    intent = _text(f, node, "intent", required=True)
    if intent and intent not in TOPIC_INTENTS:
        f.error(f.key_line(node, "intent"), f"intent '{intent}' has no topic guidance (use one of {', '.join(TOPIC_INTENTS)})")
    emoji = _text(f, node, "emoji", required=True)
    legal = _flag(f, node, "legal")
    before = len(f.problems)
    topic = dict(
        title=_localized(f, node, "title", expected, required=True),
        summary=_localized(f, node, "summary", expected, required=True),
        steps=_localized(f, node, "steps", expected, lists=True, required=True),
        bring=_localized(f, node, "bring", expected, lists=True),
        sources=_sources(f, node, with_covers=False),
        last_reviewed=_date(f, node, "last_reviewed"),
    )
    if any(p.severity == "error" for p in f.problems[before:]) or not (topic_id and intent and emoji):
        return None
    return Topic(id=topic_id, intent=intent, emoji=emoji, legal=legal, **topic)


def _parse_service(f: _File, node: CommentedMap, expected: Sequence[str]) -> Optional[Service]:
    _check_fields(f, node, SERVICE_FIELDS)
    before = len(f.problems)
    service_id = _slug(f, node)
    name = _text(f, node, "name", required=True)
    topics = node.get("topics")
    if not isinstance(topics, list) or not topics or not all(isinstance(t, str) for t in topics):
        f.error(f.key_line(node, "topics"), "'topics' must list at least one intent, e.g. [ask_housing]")
        topics = []
    for index, intent in enumerate(topics):
        if intent not in TOPIC_INTENTS:
            f.error(f.item_line(topics, index, f.key_line(node, "topics")),
                    f"topic '{intent}' does not exist (use one of {', '.join(TOPIC_INTENTS)})")
    area = _text(f, node, "area", required=True)
    if area and area not in AREAS:
        f.error(f.key_line(node, "area"), f"area '{area}' must be one of {', '.join(AREAS)}")
    phones = node.get("phone") or []
    if isinstance(phones, str):
        phones = [phones]
    if not isinstance(phones, list):
        f.error(f.key_line(node, "phone"), "'phone' must be a list of numbers, e.g. [\"04 220 58 11\"]")
        phones = []
    for phone in phones:
        if not isinstance(phone, str) or not PHONE.match(phone.strip()):
            f.error(f.key_line(node, "phone"), f"phone {phone!r} is not a phone number (digits, spaces, +, /, . or -)")
    email = _text(f, node, "email")
    if email and not EMAIL.match(email):
        f.error(f.key_line(node, "email"), f"email {email!r} is not an e-mail address")
    website = _text(f, node, "website")
    if website and not URL.match(website):
        f.error(f.key_line(node, "website"), f"website {website!r} must start with http:// or https://")
    coordinates = node.get("coordinates")
    coords: Optional[Tuple[float, float]] = None
    if coordinates is not None:
        try:
            lat, lon = float(coordinates["lat"]), float(coordinates["lon"])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
            coords = (lat, lon)
        except (TypeError, KeyError, ValueError):
            f.error(f.key_line(node, "coordinates"), "'coordinates' must be {lat: 50.63, lon: 5.57} in degrees")
    languages = node.get("languages") or []
    if not isinstance(languages, list) or not all(isinstance(code, str) and re.fullmatch(r"[a-z]{2,3}", code) for code in languages):
        f.error(f.key_line(node, "languages"), "'languages' must list ISO codes of languages spoken, e.g. [fr, ar]")
        languages = []
    interpreter = node.get("interpreter_on_request")
    if interpreter is not None and not isinstance(interpreter, bool):
        f.error(f.key_line(node, "interpreter_on_request"), "'interpreter_on_request' must be true or false")
        interpreter = None
    sources = _sources(f, node, with_covers=True)
    covered = {fact for source in sources for fact in source.covers}
    for fact in FACT_FIELDS:  # not `name`: that is the service's name, used below
        if node.get(fact) not in (None, "", [], {}) and fact not in covered:
            f.error(f.key_line(node, fact), f"'{fact}' is a fact with no source: add '{fact}' to the 'covers' of the source that states it")
    values = dict(
        description=_localized(f, node, "description", expected, required=True),
        hours=_localized(f, node, "hours", expected),
        cost=_localized(f, node, "cost", expected),
        eligibility=_localized(f, node, "eligibility", expected),
        last_reviewed=_date(f, node, "last_reviewed"),
    )
    if any(p.severity == "error" for p in f.problems[before:]):
        return None
    return Service(
        id=service_id, name=name, topics=tuple(topics), area=area, sources=sources,
        commune=_text(f, node, "commune"), address=_text(f, node, "address"), coordinates=coords,
        phone=tuple(p.strip() for p in phones), email=email, website=website, languages=tuple(languages),
        interpreter_on_request=interpreter, note=_text(f, node, "note"), **values,
    )


def _flag(f: _File, node: CommentedMap, key: str) -> bool:
    value = node.get(key, False)
    if not isinstance(value, bool):
        f.error(f.key_line(node, key), f"'{key}' must be true or false")
        return False
    return value


def _max_chars(f: _File, node: CommentedMap, key: str, texts: Localized, limit: int, why: str) -> None:
    for code, text in texts.texts.items():
        if len(text) > limit:
            f.error(f.key_line(node.get(key), code), f"'{key}.{code}' has {len(text)} characters: at most {limit} ({why})")


def _parse_answer(f: _File, node: CommentedMap, expected: Sequence[str]) -> Optional[Answer]:
    _check_fields(f, node, ANSWER_FIELDS)
    before = len(f.problems)
    answer_id = _slug(f, node)
    intent = _text(f, node, "intent", required=True)
    if intent and (not intent.startswith("ask_") or intent not in TOPIC_INTENTS):
        f.error(f.key_line(node, "intent"), f"intent '{intent}' cannot have answers (use one of "
                                            f"{', '.join(i for i in TOPIC_INTENTS if i.startswith('ask_'))})")
    elif answer_id in CATALOGUE_INTENTS and CATALOGUE_INTENTS[answer_id] != intent:
        f.error(f.key_line(node, "intent"), f"answer '{answer_id}' belongs to intent '{CATALOGUE_INTENTS[answer_id]}' "
                                            f"in the catalogue, not '{intent}'")
    services = node.get("services")
    if not isinstance(services, list) or not services or not all(isinstance(s, str) and SLUG.match(s) for s in services):
        f.error(f.key_line(node, "services"), "'services' must list at least one service id, e.g. [cpas-liege]")
        services = []
    sources = _sources(f, node, with_covers=True, fact_fields=ANSWER_FACT_FIELDS)
    covered = {fact for source in sources for fact in source.covers}
    for fact in ANSWER_FACT_FIELDS:
        if node.get(fact) not in (None, "", [], {}) and fact not in covered:
            f.error(f.key_line(node, fact), f"'{fact}' states facts with no source: add '{fact}' to the 'covers' of "
                                            f"the source that states them")
    values = dict(
        short=_localized(f, node, "short", expected, required=True),
        title=_localized(f, node, "title", expected, required=True),
        answer=_localized(f, node, "answer", expected, required=True),
        steps=_localized(f, node, "steps", expected, lists=True, required=True),
        bring=_localized(f, node, "bring", expected, lists=True),
        deadlines=_localized(f, node, "deadlines", expected),
        costs=_localized(f, node, "costs", expected),
        last_reviewed=_date(f, node, "last_reviewed"),
    )
    _max_chars(f, node, "short", values["short"], SHORT_MAX_CHARS, "it is a button label")
    _max_chars(f, node, "answer", values["answer"], ANSWER_MAX_CHARS, "put the rest in steps")
    legal, partial = _flag(f, node, "legal"), _flag(f, node, "partial")
    if any(p.severity == "error" for p in f.problems[before:]):
        return None
    return Answer(id=answer_id, intent=intent, services=tuple(services), sources=sources, legal=legal,
                  partial=partial, note=_text(f, node, "note"), **values)


def _read_yaml(f: _File) -> Optional[CommentedMap]:
    try:
        node = YAML(typ="rt").load(f.path.read_text(encoding="utf-8"))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        f.error((mark.line + 1) if mark else 1, f"YAML syntax: {error.problem or error.context}".strip())
        return None
    except (YAMLError, UnicodeDecodeError) as error:
        f.error(1, f"cannot read the file: {error}")
        return None
    if not isinstance(node, CommentedMap):
        f.error(1, "the file must hold one entry: 'key: value' lines starting with 'id:'")
        return None
    return node


def knowledge_files(directory: Path) -> List[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def digest_of(directory: Path) -> str:
    """A hash of every knowledge file's name and content (to skip re-imports of the same data)."""
    digest = hashlib.sha256()
    for path in knowledge_files(directory):
        digest.update(str(path.relative_to(directory)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_directory(directory: Path, expected_languages: Iterable[str] = ("en", "fr", "ar"),
                   *, shown_root: Optional[Path] = None, max_age_days: Optional[int] = None) -> LoadResult:
    """Read `directory/topics/*.yml` and `directory/services/*.yml`; never raises on bad content."""
    expected = tuple(expected_languages)
    problems: List[Problem] = []
    directory = Path(directory)
    base = shown_root or Path.cwd()

    def shown(path: Path) -> str:
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            return str(path)

    if not directory.is_dir():
        return LoadResult(None, (Problem(shown(directory), 1, f"knowledge directory {directory} does not exist"),))
    topics: List[Topic] = []
    services: List[Service] = []
    answers: List[Answer] = []
    answer_nodes: Dict[str, Tuple[_File, CommentedMap]] = {}
    seen: Dict[str, str] = {}
    parsers = {"topics": _parse_topic, "services": _parse_service, "answers": _parse_answer}
    for path in knowledge_files(directory):
        f = _File(path, shown(path), problems, max_age_days)
        kind = path.parent.name
        if kind not in KINDS:
            f.error(1, "knowledge files go in a 'topics/', 'services/' or 'answers/' folder")
            continue
        node = _read_yaml(f)
        if node is None:
            continue
        entry = parsers[kind](f, node, expected)
        key = f"{kind}:{node.get('id')}"
        if node.get("id") and key in seen:
            f.error(f.key_line(node, "id"), f"duplicate id '{node.get('id')}' (also in {seen[key]})")
            continue
        seen[key] = f.shown
        if isinstance(entry, Topic):
            duplicate = next((t for t in topics if t.intent == entry.intent), None)
            if duplicate:
                f.error(f.key_line(node, "intent"), f"intent '{entry.intent}' already has topic '{duplicate.id}'")
                continue
            topics.append(entry)
        elif isinstance(entry, Service):
            services.append(entry)
        elif isinstance(entry, Answer):
            answers.append(entry)
            answer_nodes[entry.id] = (f, node)
    topic_dir = shown(directory / "topics")
    covered = {t.intent for t in topics}
    failed_topics = {p.path for p in problems if "/topics/" in f"/{p.path}" and p.severity == "error"}
    if not failed_topics:
        for intent in TOPIC_INTENTS:
            if intent not in covered:
                problems.append(Problem(topic_dir, 1, f"intent '{intent}' has no topic guidance: add a topic file with 'intent: {intent}'"))
    for service in services:
        for intent in service.topics:
            if intent not in covered and not failed_topics:
                problems.append(Problem(shown(directory / "services" / f"{service.id}.yml"), 1,
                                        f"topic '{intent}' has no topic file", "warning"))
    problems.extend(_answer_links(directory, shown, answers, answer_nodes, services, covered))
    answers.sort(key=lambda a: (CATALOGUE_ORDER.get(a.id, len(CATALOGUE_ORDER)), a.id))
    ok = not any(p.severity == "error" for p in problems)
    knowledge = KnowledgeBase(tuple(topics), tuple(services), digest_of(directory), tuple(answers)) if ok else None
    return LoadResult(knowledge, tuple(problems))


def _answer_links(directory: Path, shown, answers: Sequence[Answer], nodes: Dict[str, Tuple[_File, CommentedMap]],
                  services: Sequence[Service], topic_intents: Iterable[str]) -> List[Problem]:
    """Checks across files: an answer's services exist, its intent has a topic, every catalogue id has a file."""
    problems: List[Problem] = []
    # a service file that failed to load is reported once, in its own file: answers naming it are not errors too
    service_ids = {s.id for s in services} | {p.stem for p in (Path(directory) / "services").glob("*.y*ml")}
    topic_intents = set(topic_intents)
    for answer in answers:
        f, node = nodes[answer.id]
        for index, service_id in enumerate(answer.services):
            if service_id not in service_ids:
                problems.append(Problem(f.shown, f.item_line(node.get("services"), index, f.key_line(node, "services")),
                                        f"service '{service_id}' does not exist (no services/{service_id}.yml)"))
        if topic_intents and answer.intent not in topic_intents:
            problems.append(Problem(f.shown, f.key_line(node, "intent"), f"intent '{answer.intent}' has no topic file",
                                    "warning"))
    answer_dir = Path(directory) / "answers"
    if answer_dir.is_dir():
        present = {p.stem for p in answer_dir.glob("*.y*ml")}
        for intent, answer_id in CATALOGUE:
            if answer_id not in present:
                problems.append(Problem(shown(answer_dir / f"{answer_id}.yml"), 1,
                                        f"catalogue answer '{answer_id}' ({intent}) has no file: add answers/{answer_id}.yml"))
    return problems


def nlu_label_problems(knowledge: KnowledgeBase, labels: Dict[str, Dict[str, Tuple[str, int, int]]],
                       languages: Sequence[str], nlu_dir: str, *, minimum: int = 10) -> List[Problem]:
    """Answers and NLU data agree: every answer has training examples in every language, every answer label of the
    NLU data has an answer file. `labels`: "<intent>/<id>" -> language -> (file, line, number of examples)."""
    problems: List[Problem] = []
    for answer in knowledge.answers:
        label = f"{answer.intent}/{answer.id}"
        found = labels.get(label, {})
        for code in languages:
            if code not in found:
                problems.append(Problem(f"{nlu_dir}/answers/{code}.yml", 1,
                                        f"answer '{answer.id}' has no training examples in '{code}': add a block "
                                        f"'- intent: {label}'"))
            elif found[code][2] < minimum:
                path, line, count = found[code]
                problems.append(Problem(path, line, f"'{label}' has {count} examples in '{code}': write at least {minimum}",
                                        "warning"))
    known = {f"{a.intent}/{a.id}" for a in knowledge.answers}
    for label, by_language in sorted(labels.items()):
        if label not in known:
            path, line, _ = next(iter(by_language.values()))
            answer_id = label.partition("/")[2]
            problems.append(Problem(path, line, f"NLU label '{label}' has no answer file: add answers/{answer_id}.yml "
                                                f"with 'intent: {label.partition('/')[0]}', or remove the examples"))
    return problems
