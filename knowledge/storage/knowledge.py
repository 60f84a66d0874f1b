"""The live knowledge in the database: swapped in whole by an import, read whole by the running bot."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from knowledge.schema import KnowledgeBase, answer_from_plain, service_from_plain, to_plain, topic_from_plain
from knowledge.storage.tables import kb_answers, kb_meta, kb_services, kb_topics


class KnowledgeTables:
    """Knowledge snapshot in, knowledge snapshot out."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def replace_knowledge(self, knowledge: KnowledgeBase) -> None:
        """Swap the whole knowledge base in one transaction: readers see the old or the new, never a mix."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self.engine.begin() as conn:
            conn.execute(delete(kb_topics))
            conn.execute(delete(kb_services))
            conn.execute(delete(kb_answers))
            if knowledge.topics:
                conn.execute(insert(kb_topics), [
                    {"id": t.id, "intent": t.intent, "payload": to_plain(t), "last_reviewed": t.last_reviewed}
                    for t in knowledge.topics
                ])
            if knowledge.services:
                conn.execute(insert(kb_services), [
                    {"id": s.id, "name": s.name, "area": s.area, "commune": s.commune,
                     "payload": to_plain(s), "last_reviewed": s.last_reviewed}
                    for s in knowledge.services
                ])
            if knowledge.answers:
                conn.execute(insert(kb_answers), [
                    {"id": a.id, "intent": a.intent, "position": n, "payload": to_plain(a), "last_reviewed": a.last_reviewed}
                    for n, a in enumerate(knowledge.answers)
                ])
            conn.execute(delete(kb_meta).where(kb_meta.c.key.in_(["digest", "imported_at"])))
            conn.execute(insert(kb_meta), [{"key": "digest", "value": knowledge.digest},
                                           {"key": "imported_at", "value": now}])

    def load_knowledge(self) -> KnowledgeBase:
        with self.engine.connect() as conn:
            topics = tuple(topic_from_plain(row.payload) for row in conn.execute(select(kb_topics.c.payload).order_by(kb_topics.c.id)))
            services = tuple(service_from_plain(row.payload) for row in conn.execute(select(kb_services.c.payload).order_by(kb_services.c.id)))
            answers = tuple(answer_from_plain(row.payload)
                            for row in conn.execute(select(kb_answers.c.payload).order_by(kb_answers.c.position)))
            digest = conn.execute(select(kb_meta.c.value).where(kb_meta.c.key == "digest")).scalar() or ""
        return KnowledgeBase(topics, services, digest, answers)

    def knowledge_digest(self) -> str:
        with self.engine.connect() as conn:
            return conn.execute(select(kb_meta.c.value).where(kb_meta.c.key == "digest")).scalar() or ""
