"""Several instances on one database, at the storage level (knowledge/storage/instances.py): leases, giving one up
only when the chat has nothing unhandled, taking over what a stopped or crashed instance left. SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import update

from knowledge.storage import Instances
from knowledge.storage.instances import chat_key
from knowledge.storage.outbox import Outbox
from knowledge.storage.tables import inbox
from knowledge.storage.tables import instances as instances_table


def pair(storage):
    a, b = Instances(storage.engine, "a"), Instances(storage.engine, "b")
    a.start()
    b.start()
    return a, b


def test_one_chat_one_instance_and_the_lease_is_kept_while_updates_wait(storage):
    a, b = pair(storage)
    key = chat_key(42)
    assert a.acquire(key) and a.acquire(key)  # taken, and taken again by its holder
    assert not b.acquire(key)
    storage.inbox.receive([(10, {"update_id": 10}, 42), (11, {"update_id": 11}, 42), (12, {"update_id": 12}, 7)], None)
    # b stored updates 10 and 11 while a worked for chat 42: a may not let go before it handles them
    assert a.release(key, 42, known=[]) == [(10, {"update_id": 10}), (11, {"update_id": 11})]
    assert not b.acquire(key)
    assert a.release(key, 42, known=[10, 11]) == []  # a handles those itself (they are known to it): let go
    assert b.acquire(key)
    assert not a.acquire(key)


def test_what_a_stopped_or_crashed_instance_left_is_taken_over(storage):
    a, b = pair(storage)
    outbox_a, outbox_b = Outbox(storage.engine, "a"), Outbox(storage.engine, "b")
    left = outbox_a.add([(42, 42, {"text": "one"}), (43, 42, {"text": "two"})])
    mine = outbox_b.add([(44, 44, {"text": "b's own"})])
    assert a.acquire(chat_key(42))
    storage.inbox.receive([(20, {"update_id": 20}, 42), (21, {"update_id": 21}, 9)], None)
    old = datetime.utcnow() - timedelta(seconds=5)
    with storage.engine.begin() as conn:  # received a while ago
        conn.execute(update(inbox).values(received_at=old))
    # while a is alive: b sends only its own reply, and chat 42 is a's
    assert b.claim_outbox() == mine
    assert b.orphaned_chats() == [9]
    # a crashes: once its heartbeat is old, its lease and its replies are b's to take
    with storage.engine.begin() as conn:
        conn.execute(update(instances_table).where(instances_table.c.name == "a")
                     .values(seen_at=datetime.utcnow() - timedelta(seconds=60)))
    assert b.orphaned_chats() == [9, 42]
    assert b.acquire(chat_key(42))
    assert b.claim_outbox() == left + mine
    # a comes back under its name: it gives up what its earlier run held, and b keeps what it took
    a.start()
    assert not a.acquire(chat_key(42))
    assert a.claim_outbox() == []
    # b stops cleanly: a takes everything at once, without waiting for b's heartbeat to age
    assert b.leave() == 3
    assert a.claim_outbox() == left + mine
    assert a.acquire(chat_key(42))
    assert a.alive() == {"a"}


def test_rows_of_handled_updates_go_after_a_day_and_unhandled_ones_stay(storage):
    """In webhook mode no getUpdates offset ever confirms an update: the desk's rounds delete old handled rows."""
    storage.inbox.receive([(1, {"update_id": 1}, 5), (2, {"update_id": 2}, 5), (3, {"update_id": 3}, 6)], None)
    storage.inbox.handled([1, 3])
    with storage.engine.begin() as conn:
        conn.execute(update(inbox).where(inbox.c.update_id.in_([1, 2])).values(received_at=datetime.utcnow() - timedelta(hours=25)))
    assert storage.inbox.purge_handled(datetime.utcnow() - timedelta(hours=24)) == 1
    assert storage.inbox.stored_count(1, 3) == 2 and storage.inbox.unhandled() == [(2, {"update_id": 2})]


async def test_a_lease_whose_release_failed_is_given_up_at_the_next_sweep(storage, monkeypatch):
    from bot.delivery import UpdateLedger
    from bot.instances import Coordinator

    async def inline(function, *args):
        return function(*args)

    a, b = pair(storage)
    coordinator = Coordinator(a, storage.inbox, inline, UpdateLedger(storage.inbox, inline), bot=None)
    coordinator.busy(42)
    assert await coordinator.enter(42)
    release = a.release
    monkeypatch.setattr(a, "release", lambda *args: (_ for _ in ()).throw(OSError("the database went away")))
    coordinator.done(42)  # nothing left to do: give the lease up… which fails
    await asyncio.sleep(0.05)
    assert not b.acquire(chat_key(42))
    monkeypatch.setattr(a, "release", release)
    await coordinator.sweep()  # …and is tried again
    await asyncio.sleep(0.05)
    assert b.acquire(chat_key(42))
