"""The roster, requests and relay outbox, on SQLite and PostgreSQL — including the race to take a request."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from knowledge.storage import NotOnRoster
from knowledge.storage.handovers import ACTIVE, TO_INTERPRETER, TO_PERSON, WAITING, Handovers


@pytest.fixture
def store(storage) -> Handovers:
    return storage.handovers


def _request(store: Handovers, key: str = "telegram:701", language: str = "ar"):
    request, created = store.open_request(key, "P-TEST01", language, language, "ask_housing", ["ask_housing"],
                                          datetime.utcnow() + timedelta(minutes=15))
    assert created
    return request


def test_roster_add_update_pause_remove(store):
    store.add_interpreter(801, "Amina", ["ar", "FR", "ar"])
    store.add_interpreter(802, "Yonas", ["ti"])
    assert [(i.telegram_id, i.languages) for i in store.roster()] == [(801, ("ar", "fr")), (802, ("ti",))]
    store.add_interpreter(801, "Amina B.", ["ar"])  # an update, not a second row
    store.set_paused(802, True)
    roster = {i.telegram_id: i for i in store.roster()}
    assert roster[801].name == "Amina B." and roster[801].languages == ("ar",) and roster[802].paused
    assert not roster[801].conduct_accepted
    store.accept_conduct(801)
    assert store.interpreter(801).conduct_accepted
    store.remove_interpreter(802)
    assert [i.telegram_id for i in store.roster()] == [801]
    with pytest.raises(NotOnRoster):
        store.remove_interpreter(802)
    with pytest.raises(ValueError):
        store.add_interpreter(803, "Nobody", [" "])


def test_one_open_request_per_person_and_queue_positions(store):
    first = _request(store, "telegram:1")
    again, created = store.open_request("telegram:1", "P-TEST01", "ar", "ar", "", [], None)
    assert not created and again.id == first.id
    second = _request(store, "telegram:2")
    other_language = _request(store, "telegram:3", "ti")
    assert store.queue_position(first) == 1 and store.queue_position(second) == 2
    assert store.queue_position(other_language) == 1
    assert set(store.open_keys()) == {"telegram:1", "telegram:2", "telegram:3"}
    assert [r.id for r in store.waiting(["ar"])] == [first.id, second.id]


@pytest.mark.parametrize("contenders", [2, 8])
def test_exactly_one_interpreter_wins_a_simultaneous_take(store, contenders):
    """Several interpreters press "Take" at the same moment: the database lets exactly one through."""
    request = _request(store)
    for n in range(contenders):
        store.add_interpreter(900 + n, f"I{n}", ["ar"])
    barrier = threading.Barrier(contenders)
    outcomes = {}

    def press(telegram_id: int) -> None:
        barrier.wait()
        outcomes[telegram_id] = store.take(request.id, request.token, telegram_id)

    threads = [threading.Thread(target=press, args=(900 + n,)) for n in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [tid for tid, outcome in outcomes.items() if outcome == "taken"]
    assert len(winners) == 1, outcomes
    assert sorted(outcomes.values()).count("gone") == contenders - 1
    owned = store.request(request.id)
    assert owned.status == ACTIVE and owned.interpreter_id == winners[0]


def test_an_interpreter_holds_one_conversation_at_a_time(store):
    first, second = _request(store, "telegram:1"), _request(store, "telegram:2")
    assert store.take(first.id, first.token, 801) == "taken"
    assert store.take(second.id, second.token, 801) == "busy"
    assert store.take(first.id, first.token, 801) == "taken"  # pressing again on one's own request is harmless
    assert store.request(second.id).status == WAITING


def test_request_ids_are_never_reused_and_a_take_needs_the_requests_own_token(store):
    """An old Take card (id and token of a closed request) can never take a newer request: the table emptied, the
    next id is still new (SQLite AUTOINCREMENT), and even the right id with another token is refused."""
    old = _request(store, "telegram:1")
    store.close(old.id)
    assert store.counts()["waiting"] == 0  # the table is empty again
    new = _request(store, "telegram:2")
    assert new.id > old.id and len(new.token) == 8 and new.token != old.token
    assert store.take(old.id, old.token, 801) == "gone"
    assert store.take(new.id, old.token, 801) == "gone"
    assert store.request(new.id).status == WAITING
    assert store.take(new.id, new.token, 801) == "taken"


def test_outbox_keeps_messages_until_delivered_and_close_deletes_everything(store):
    request = _request(store)
    kept = store.add_message(request.id, TO_INTERPRETER, "text", "مرحبا")
    photo = store.add_message(request.id, TO_INTERPRETER, "photo", "", "FILE-1")
    assert [(m.kind, m.text, m.file_id) for m in store.undelivered(request.id)] == [("text", "مرحبا", ""), ("photo", "", "FILE-1")]
    store.delivered(kept.id)
    assert [m.id for m in store.undelivered()] == [photo.id]
    store.take(request.id, request.token, 801)
    store.close(request.id, note="Needs a lawyer for the appeal; speaks some French.")
    assert store.undelivered() == [] and store.request(request.id) is None
    assert store.counts() == {"waiting": 0, "active": 0, "messages": 0, "notes": 1}
    # the note reaches the next interpreter of the same person
    again = _request(store)
    assert again.note.startswith("Needs a lawyer")


def test_transfer_requeues_for_another_language_and_not_back_to_the_same_interpreter(store):
    request = _request(store)
    store.take(request.id, request.token, 801)
    assert store.release(request.id, 801, "fr", "Prefers French", None)
    released = store.request(request.id)
    assert (released.status, released.language, released.transferred_from, released.note) == (WAITING, "fr", 801, "Prefers French")
    assert not store.release(request.id, 801, "fr", "", None)  # a second press changes nothing


def test_removed_interpreter_does_not_wedge_the_queue(store):
    store.add_interpreter(801, "Amina", ["ar"])
    request = _request(store)
    store.take(request.id, request.token, 801)
    assert store.orphaned() == []
    with store.engine.begin() as conn:  # removed by another process (e.g. an admin's 'guichet interpreters remove')
        from knowledge.storage.tables import interpreters

        conn.execute(interpreters.delete())
    assert [r.id for r in store.orphaned()] == [request.id]
    assert [r.id for r in store.requeue_owned_by(801)] == [request.id]
    assert store.request(request.id).status == WAITING


def test_retention_deletes_old_content_and_forget_erases_at_once(store):
    old = _request(store, "telegram:1")
    store.add_message(old.id, TO_INTERPRETER, "text", "left a message")
    fresh = _request(store, "telegram:2")
    store.take(fresh.id, fresh.token, 801)
    store.add_message(fresh.id, TO_PERSON, "text", "an answer")
    # nothing is older than the retention yet
    expired, deleted = store.purge(datetime.utcnow() - timedelta(hours=24), datetime.utcnow() - timedelta(days=30))
    assert (expired, deleted) == ([], 0)
    # a day later: the waiting request and every message are past retention; the active request stays
    later = datetime.utcnow() + timedelta(hours=25)
    expired, deleted = store.purge(later - timedelta(hours=24), later - timedelta(days=30))
    assert [r.id for r in expired] == [old.id] and deleted == 2
    assert store.request(old.id) is None and store.request(fresh.id).status == ACTIVE
    store.add_message(fresh.id, TO_PERSON, "text", "another answer")
    assert store.forget("telegram:2")
    assert store.request(fresh.id) is None and store.undelivered() == []
    assert not store.forget("telegram:2")


def test_deadline_is_reported_once(store):
    request = _request(store)
    store.set_deadline(request.id, datetime.utcnow() - timedelta(seconds=1))
    assert [r.id for r in store.past_deadline()] == [request.id]
    assert store.past_deadline() == []


def test_a_database_made_before_request_tokens_gets_them_and_keeps_its_requests(storage):
    """An open request in a database without the token column: reopened, it has a token and can be taken."""
    from alembic import command
    from sqlalchemy import text

    from knowledge.storage import Storage
    from knowledge.storage.migrate import BASELINE, _config

    request = _request(storage.handovers)
    with storage.engine.begin() as conn:  # as before versioned migrations: no alembic_version table either
        command.downgrade(_config(conn), BASELINE)
        conn.execute(text("ALTER TABLE handovers DROP COLUMN token"))
        conn.execute(text("DROP TABLE alembic_version"))
    storage.close()
    reopened = Storage(storage.url, b"another-process")
    try:
        kept = reopened.handovers.request(request.id)
        assert kept.pseudonym == request.pseudonym and len(kept.token) == 8
        reopened.handovers.add_interpreter(801, "Amina", ["ar"])
        assert reopened.handovers.take(kept.id, kept.token, 801) == "taken"
    finally:
        reopened.close()
