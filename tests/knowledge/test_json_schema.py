"""The JSON Schemas given to administrators' editors agree with the shipped files and with the validator."""

from __future__ import annotations

import json
from datetime import date

import jsonschema
import pytest
import yaml

from knowledge.json_schema import SCHEMA_DIR, service_schema, topic_schema
from tests.conftest import KNOWLEDGE_DIR


def _plain(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=lambda v: v.isoformat() if isinstance(v, date) else str(v)))


def test_committed_schemas_are_up_to_date():
    assert json.loads((SCHEMA_DIR / "topic.schema.json").read_text()) == topic_schema(), "run 'guichet kb schema'"
    assert json.loads((SCHEMA_DIR / "service.schema.json").read_text()) == service_schema(), "run 'guichet kb schema'"


@pytest.mark.parametrize("kind, schema", [("topics", topic_schema()), ("services", service_schema())])
def test_every_shipped_file_matches_its_schema(kind, schema):
    files = sorted((KNOWLEDGE_DIR / kind).glob("*.yml"))
    assert files
    for path in files:
        jsonschema.validate(_plain(path), schema)


def test_the_schema_catches_what_an_editor_gets_wrong():
    data = _plain(KNOWLEDGE_DIR / "services" / "cpas-liege.yml")
    for broken in ({**data, "area": "galaxy"}, {**data, "phone": ["call me"]}, {**data, "opening": "always"},
                   {k: v for k, v in data.items() if k != "name"}, {**data, "description": {"xx": "?"}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, service_schema())
