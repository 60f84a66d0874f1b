"""Counts of what the bot could not answer, per day, language, kind and topic: numbers only, never text.

kind: 'not_understood' (nlu_fallback), 'out_of_scope', 'no_answer' (topic understood, no specific answer fits
the question; topic = the intent), 'human_after_answer' (topic = the answer's intent), 'stale_button'.
"""

from __future__ import annotations

from datetime import date
from typing import List, Optional, Tuple

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from knowledge.storage.errors import StorageError
from knowledge.storage.tables import unanswered


class GapCounters:
    def __init__(self, engine: Engine):
        self.engine = engine

    def count_unanswered(self, kind: str, language: str, topic: str = "", day: Optional[date] = None) -> None:
        """Add one to today's counter for (language, kind, topic)."""
        key = dict(day=day or date.today(), language=language or "", kind=kind, topic=topic or "")
        condition = and_(*(getattr(unanswered.c, column) == value for column, value in key.items()))
        for _ in range(3):
            try:
                with self.engine.begin() as conn:
                    if conn.execute(update(unanswered).where(condition).values(count=unanswered.c.count + 1)).rowcount:
                        return
                    conn.execute(insert(unanswered).values(count=1, **key))
                    return
            except IntegrityError:  # another message created the row first: increment it
                continue
        raise StorageError("could not count an unanswered message")

    def unanswered_counts(self, since: date) -> List[Tuple[date, str, str, str, int]]:
        """(day, language, kind, topic, count) from `since` on, newest day first."""
        query = (select(unanswered.c.day, unanswered.c.language, unanswered.c.kind, unanswered.c.topic, unanswered.c.count)
                 .where(unanswered.c.day >= since)
                 .order_by(unanswered.c.day.desc(), unanswered.c.language, unanswered.c.kind, unanswered.c.topic))
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query)]
