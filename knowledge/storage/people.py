"""People: a random pseudonym and language choices under a one-way code of their external key, nothing else."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Optional

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from knowledge.storage.errors import StorageError
from knowledge.storage.tables import people


@dataclass(frozen=True)
class Person:
    """What Guichet keeps about a person: a pseudonym and language choices, nothing else."""

    pseudonym: str
    language: Optional[str] = None
    detected_language: Optional[str] = None


class People:
    """The people table; `secret` turns external keys ('telegram:123') into unlinkable hashes."""

    def __init__(self, engine: Engine, secret: bytes):
        self.engine = engine
        self._secret = secret

    def key_hash(self, external_key: str) -> str:
        """The one-way code under which a person is stored (HMAC of their external key)."""
        return hmac.new(self._secret, external_key.encode(), hashlib.sha256).hexdigest()

    def person(self, external_key: str, *, detected: Optional[str] = None) -> Person:
        """The person behind `external_key` (e.g. 'telegram:123'), created on first contact.

        `detected`, the language their message was written in, is remembered in the same transaction.
        """
        key_hash = self.key_hash(external_key)
        today = date.today()
        for _ in range(5):
            try:
                with self.engine.begin() as conn:  # one transaction, first contact or not
                    row = conn.execute(select(people).where(people.c.key_hash == key_hash)).first()
                    if row is None:
                        pseudonym = "P-" + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))
                        conn.execute(insert(people).values(pseudonym=pseudonym, key_hash=key_hash, detected_language=detected,
                                                           created_on=today, last_seen_on=today))
                        return Person(pseudonym, None, detected)
                    changes = {}
                    if row.last_seen_on != today:
                        changes["last_seen_on"] = today
                    if detected and row.detected_language != detected:
                        changes["detected_language"] = detected
                    if changes:
                        conn.execute(update(people).where(people.c.key_hash == key_hash).values(changes))
                    return Person(row.pseudonym, row.language, changes.get("detected_language", row.detected_language))
            except IntegrityError:  # a concurrent first message created the person, or the pseudonym is taken
                continue
        raise StorageError("could not allocate a pseudonym")

    def set_language(self, external_key: str, language: Optional[str], *, detected: bool = False) -> None:
        column = "detected_language" if detected else "language"
        statement = update(people).where(people.c.key_hash == self.key_hash(external_key)).values({column: language})
        with self.engine.begin() as conn:
            if conn.execute(statement).rowcount:
                return
        self.person(external_key)  # first contact: create the person, then set the language
        with self.engine.begin() as conn:
            conn.execute(statement)

    def forget(self, external_key: str) -> bool:
        """Erase everything stored about the person; True when there was something."""
        with self.engine.begin() as conn:
            result = conn.execute(delete(people).where(people.c.key_hash == self.key_hash(external_key)))
        return result.rowcount > 0

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(people)).scalar_one()


def load_secret(data_dir: Path, environ_value: Optional[str]) -> bytes:
    """The key that turns Telegram ids into unlinkable hashes: from the environment, else a local file."""
    if environ_value:
        return environ_value.encode()
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()
