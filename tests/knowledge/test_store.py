"""Storage against SQLite and PostgreSQL: knowledge round trip, atomic import, people and erasure."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text

from bot.cli import CLIError, import_knowledge
from knowledge.schema import to_plain
from tests.conftest import KNOWLEDGE_DIR


def test_knowledge_round_trip(storage, knowledge):
    storage.knowledge.replace_knowledge(knowledge)
    loaded = storage.knowledge.load_knowledge()
    assert loaded.digest == knowledge.digest
    assert sorted(map(to_plain, loaded.services), key=lambda s: s["id"]) == sorted(map(to_plain, knowledge.services), key=lambda s: s["id"])
    assert loaded.topic_for("ask_housing") == knowledge.topic_for("ask_housing")


def test_a_broken_import_leaves_the_live_knowledge_untouched(storage, tmp_path):
    good = tmp_path / "good"
    shutil.copytree(KNOWLEDGE_DIR, good)
    assert "imported 14 topics" in import_knowledge(storage, good)
    before = storage.knowledge.load_knowledge()
    bad = tmp_path / "bad"
    shutil.copytree(KNOWLEDGE_DIR, bad)
    (bad / "services" / "cpas-liege.yml").write_text("id: cpas-liege\nname: [broken\n", encoding="utf-8")
    (bad / "services" / "unia.yml").unlink()
    with pytest.raises(CLIError) as error:
        import_knowledge(storage, bad)
    assert "cpas-liege.yml:3: error: YAML syntax" in str(error.value)
    assert "live knowledge was left as it was" in str(error.value)
    after = storage.knowledge.load_knowledge()
    assert after == before and after.service("unia") is not None


def test_import_if_changed_skips_identical_files(storage, tmp_path):
    import_knowledge(storage, KNOWLEDGE_DIR)
    assert import_knowledge(storage, KNOWLEDGE_DIR, if_changed=True) == "knowledge unchanged: nothing to import"


def test_people_get_a_stable_pseudonym_and_languages(storage):
    first = storage.people.person("telegram:12345")
    assert first.pseudonym.startswith("P-") and storage.people.person("telegram:12345").pseudonym == first.pseudonym
    assert storage.people.person("telegram:999").pseudonym != first.pseudonym
    storage.people.set_language("telegram:12345", "ar")
    storage.people.set_language("telegram:12345", "fr", detected=True)
    person = storage.people.person("telegram:12345")
    assert (person.language, person.detected_language) == ("ar", "fr")


def test_the_detected_language_is_remembered_with_the_lookup(storage):
    assert storage.people.person("telegram:42", detected="ar").detected_language == "ar"  # created with it
    assert storage.people.person("telegram:42").detected_language == "ar"
    person = storage.people.person("telegram:42", detected="fr")  # an existing person writes in another language
    assert (person.language, person.detected_language) == (None, "fr")
    assert storage.people.person("telegram:42").detected_language == "fr" and storage.people.count() == 1


def test_telegram_ids_are_never_stored_in_clear(storage):
    storage.people.person("telegram:5550123")
    with storage.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM people")).all()
    assert rows and "5550123" not in repr(rows)


def test_forget_erases_the_person(storage):
    storage.people.set_language("telegram:1", "fr")
    assert storage.people.forget("telegram:1") is True
    assert storage.people.count() == 0
    assert storage.people.forget("telegram:1") is False
    assert storage.people.person("telegram:1").language is None


def test_unanswered_messages_are_counted_per_day_language_kind_and_topic(storage):
    from datetime import date

    day = date(2026, 11, 20)
    for _ in range(3):
        storage.gaps.count_unanswered("not_understood", "ps", day=day)
    storage.gaps.count_unanswered("human_after_answer", "ar", "ask_housing", day=day)
    storage.gaps.count_unanswered("not_understood", "ps", day=date(2026, 11, 21))
    assert storage.gaps.unanswered_counts(since=day) == [
        (date(2026, 11, 21), "ps", "not_understood", "", 1),
        (day, "ar", "human_after_answer", "ask_housing", 1),
        (day, "ps", "not_understood", "", 3),
    ]
    assert storage.gaps.unanswered_counts(since=date(2026, 11, 21)) == [(date(2026, 11, 21), "ps", "not_understood", "", 1)]


def test_concurrent_counts_lose_nothing(storage):
    from concurrent.futures import ThreadPoolExecutor
    from datetime import date

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: storage.gaps.count_unanswered("out_of_scope", "fr"), range(40)))
    assert storage.gaps.unanswered_counts(since=date.today())[0][-1] == 40


def test_a_first_message_sent_twice_at_once_makes_one_person(storage):
    """Eight threads see the same new person at the same moment: one row, one pseudonym for all."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(8)

    def first_contact(_):
        barrier.wait()
        return storage.people.person("telegram:4242", detected="ti").pseudonym

    with ThreadPoolExecutor(8) as pool:
        pseudonyms = set(pool.map(first_contact, range(8)))
    assert len(pseudonyms) == 1
    person = storage.people.person("telegram:4242")
    assert {person.pseudonym} == pseudonyms and person.detected_language == "ti"
