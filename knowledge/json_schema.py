"""JSON Schemas of the knowledge files, for administrators' editors (autocompletion, red squiggles).

Generated from the same constants the validator uses, and written to `knowledge/schemas/` by
`guichet kb schema`; a test keeps the committed files equal to what this module generates.
`guichet kb validate` stays the reference: it also checks what a schema cannot (sources covering each
fact, ids matching file names, links between files).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

from knowledge.loader import ANSWER_FIELDS, EMAIL, PHONE, SERVICE_FIELDS, SLUG, TOPIC_FIELDS, URL
from knowledge.schema import (
    ANSWER_FACT_FIELDS, ANSWER_MAX_CHARS, AREAS, FACT_FIELDS, LANGUAGE_CODES, SHORT_MAX_CHARS, TOPIC_INTENTS,
)

SCHEMA_DIR = Path(__file__).parent / "schemas"


def _localized(item: Dict[str, Any]) -> Dict[str, Any]:
    return {"type": "object", "description": "one entry per language code: en, fr, ar, …",
            "propertyNames": {"enum": list(LANGUAGE_CODES)}, "additionalProperties": item, "minProperties": 1}


TEXT = {"type": "string", "minLength": 1}
TEXTS = {"type": "array", "items": TEXT, "minItems": 1}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "description": "YYYY-MM-DD"}


def _sources(with_covers: bool, fact_fields=FACT_FIELDS) -> Dict[str, Any]:
    source: Dict[str, Any] = {"url": {"type": "string", "pattern": URL.pattern}, "note": {"type": "string"}}
    if with_covers:
        source["covers"] = {"type": "array", "items": {"enum": list(fact_fields)},
                            "description": "the fields this page states"}
    return {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["url"], "properties": source,
                                                      "additionalProperties": False}}


def topic_schema() -> Dict[str, Any]:
    properties = {
        "id": {"type": "string", "pattern": SLUG.pattern, "description": "the file name without .yml"},
        "intent": {"enum": list(TOPIC_INTENTS)},
        "emoji": TEXT,
        "legal": {"type": "boolean", "description": "adds 'general information, not legal advice'"},
        "title": _localized(TEXT), "summary": _localized(TEXT), "steps": _localized(TEXTS), "bring": _localized(TEXTS),
        "sources": _sources(with_covers=False), "last_reviewed": DATE,
    }
    return _document("Guichet topic", properties, TOPIC_FIELDS)


def service_schema() -> Dict[str, Any]:
    properties = {
        "id": {"type": "string", "pattern": SLUG.pattern, "description": "the file name without .yml"},
        "name": TEXT,
        "topics": {"type": "array", "minItems": 1, "items": {"enum": list(TOPIC_INTENTS)}},
        "area": {"enum": list(AREAS)},
        "description": _localized(TEXT), "hours": _localized(TEXT), "cost": _localized(TEXT),
        "eligibility": _localized(TEXT),
        "commune": TEXT, "address": TEXT,
        "coordinates": {"type": "object", "required": ["lat", "lon"], "additionalProperties": False,
                        "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90},
                                       "lon": {"type": "number", "minimum": -180, "maximum": 180}}},
        "phone": {"type": "array", "items": {"type": "string", "pattern": PHONE.pattern}},
        "email": {"type": "string", "pattern": EMAIL.pattern.replace("[a-z]", "[A-Za-z]")},
        "website": {"type": "string", "pattern": URL.pattern},
        "languages": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]{2,3}$"}},
        "interpreter_on_request": {"type": "boolean"},
        "sources": _sources(with_covers=True), "last_reviewed": DATE,
        "note": {"type": "string", "description": "for administrators only, never shown"},
    }
    return _document("Guichet service", properties, SERVICE_FIELDS)


def answer_schema() -> Dict[str, Any]:
    properties = {
        "id": {"type": "string", "pattern": SLUG.pattern, "description": "the catalogue id = the file name without .yml"},
        "intent": {"enum": [i for i in TOPIC_INTENTS if i.startswith("ask_")]},
        "legal": {"type": "boolean", "description": "adds 'general information, not legal advice'"},
        "partial": {"type": "boolean", "description": "few sourced facts: listed by 'guichet kb report'"},
        "short": _localized({"type": "string", "minLength": 1, "maxLength": SHORT_MAX_CHARS}),
        "title": _localized(TEXT),
        "answer": _localized({"type": "string", "minLength": 1, "maxLength": ANSWER_MAX_CHARS}),
        "steps": _localized(TEXTS), "bring": _localized(TEXTS),
        "deadlines": _localized(TEXT), "costs": _localized(TEXT),
        "services": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": SLUG.pattern},
                     "description": "service ids, most relevant first"},
        "sources": _sources(with_covers=True, fact_fields=ANSWER_FACT_FIELDS), "last_reviewed": DATE,
        "note": {"type": "string", "description": "for administrators only, never shown"},
    }
    return _document("Guichet answer", properties, ANSWER_FIELDS)


def _document(title: str, properties: Dict[str, Any], fields: Dict[str, str]) -> Dict[str, Any]:
    assert set(properties) == set(fields), set(properties) ^ set(fields)  # the validator's fields, no more, no less
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, "type": "object",
        "required": [name for name, need in fields.items() if need == "required"],
        "properties": properties, "additionalProperties": False,
    }


def write(directory: Path = SCHEMA_DIR) -> List[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in (("topic", topic_schema()), ("service", service_schema()), ("answer", answer_schema())):
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written

