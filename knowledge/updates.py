"""Validate a knowledge folder and swap it into the database in one transaction.

The one import function: `guichet kb import`, `/reload` and the first start on an empty database all call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Tuple

from knowledge.loader import Problem, digest_of, load_directory
from knowledge.storage.knowledge import KnowledgeTables


@dataclass(frozen=True)
class ImportOutcome:
    imported: bool
    summary: str
    problems: Tuple[Problem, ...] = ()  # errors: nothing was imported


def import_directory(store: KnowledgeTables, directory: Path, languages: Iterable[str], *, if_changed: bool = False) -> ImportOutcome:
    """Validate `directory`; when it has no error, replace the live knowledge with it atomically."""
    directory = Path(directory)
    if if_changed and directory.is_dir() and store.knowledge_digest() == digest_of(directory):
        return ImportOutcome(False, "knowledge unchanged: nothing to import")
    result = load_directory(directory, languages)
    if result.errors:
        return ImportOutcome(False, f"{len(result.errors)} error(s): the live knowledge was left as it was",
                             tuple(result.errors))
    store.replace_knowledge(result.knowledge)
    kb = result.knowledge
    return ImportOutcome(True, f"imported {len(kb.topics)} topics, {len(kb.services)} services and "
                               f"{len(kb.answers)} answers ({len(result.warnings)} warnings)")
