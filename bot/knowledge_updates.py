"""New knowledge without a restart: the running bot follows the live database and imports files on request."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable

from bot.assistant import KnowledgeHolder
from knowledge.storage import KnowledgeTables
from knowledge.updates import ImportOutcome, import_directory

logger = logging.getLogger(__name__)


class KnowledgeUpdates:
    """Keeps the assistant's knowledge snapshot equal to the live knowledge in the database.

    `guichet kb import` (from a shell) changes the database; `refresh` — run every few seconds, on SIGHUP,
    and after `/reload` — swaps the new snapshot in. The swap is one reference assignment: a message being
    answered finishes with the snapshot it started with, none is dropped.
    """

    def __init__(self, store: KnowledgeTables, holder: KnowledgeHolder, directory: Path, languages: Iterable[str]):
        self._store = store
        self._holder = holder
        self.directory = Path(directory)
        self._languages = tuple(languages)

    def refresh(self) -> bool:
        """Load the live knowledge when it differs from the one in use; True when it was swapped."""
        if self._store.knowledge_digest() == self._holder.current.digest:
            return False
        knowledge = self._store.load_knowledge()
        self._holder.replace(knowledge)
        logger.info("knowledge reloaded: %d topics, %d services", len(knowledge.topics), len(knowledge.services))
        return True

    def import_files(self) -> ImportOutcome:
        """Validate the knowledge folder and import it (all or nothing), then use it at once."""
        outcome = import_directory(self._store, self.directory, self._languages)
        if outcome.imported:
            self.refresh()
        return outcome
