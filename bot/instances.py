"""Several `guichet run` processes sharing one database and one webhook URL (GUICHET_INSTANCE set on each).

Telegram sends each update to the one URL; a load balancer gives it to either instance, which stores it in the
inbox (with its chat) before answering Telegram (bot/webhook.py). Then:

- **One chat, one instance at a time.** An instance handles a chat's update only while it holds the chat's lease
  (`knowledge.storage.instances`). It keeps the lease while it has work for the chat: updates being handled,
  replies or relayed messages they caused not yet sent. An update that reaches an instance while another holds
  the chat's lease stays in the inbox, unhandled: the holder handles it before it lets the lease go (giving up a
  lease is refused while the chat has unhandled updates). Before handling an update, the holder handles the
  chat's older unhandled updates that other instances stored. So one person's messages are handled in the order
  they were written, and their answers and relayed messages go out in that order, whichever instance got them.
- **Stopping.** An instance that stops lets its queued replies go out for a few seconds, then marks the rest as
  nobody's and gives up its leases; an instance that crashed stops writing `seen_at`, and after
  `ALIVE_SECONDS` its leases and replies count as nobody's. Every `SWEEP_SECONDS` each live instance takes
  the replies nobody sends and the chats with unhandled updates nobody works for.
- **The desk's rounds** (nobody took a request, retention, requeueing) are done by the holder of the 'desk' lease.

What stays per instance: the NLU model, the rate limiter's buckets (each instance paces itself at
GUICHET_SEND_RATE; with two, set it to half of Telegram's 30), the queues of replies it is sending, the roster
cache (refreshed every tick), where a person said they are.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any, Callable, Dict, List, Optional, Set

from telegram import Bot, Update

from bot.logs import log_failure
from knowledge.storage.instances import DESK, Instances, chat_key

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 2.0  # how often an instance says it is alive and takes over what nobody does
# Telegram numbers a bot's updates one after the other and sends several at once: before handling an update, wait
# (at most SETTLE_SECONDS) until the SETTLE_WINDOW updates just before it are stored, by whichever instance got them,
# so that an earlier message of the same person still on its way to the other instance is handled first.
SETTLE_WINDOW = 8
SETTLE_SECONDS = 0.3


class Coordinator:
    """This instance's side (see the module docstring). `run` runs blocking database work off the event loop;
    `ledger` is the UpdateLedger (which updates this process knows); `requeue` puts an update in the queue."""

    def __init__(self, instances: Instances, inbox, run: Callable[..., Any], ledger, bot: Bot):
        self.instances = instances
        self.inbox = inbox
        self.run = run
        self.ledger = ledger
        self.bot = bot
        self.courier = None  # set once built: it takes the replies nobody sends
        self.requeue: Optional[Callable[[Update], Any]] = None
        self.memory = None  # the shared conversation memory (MemoryTable), purged with the desk's rounds
        self._held: Set[int] = set()
        self._work: Counter = Counter()
        self._releasing: Dict[int, asyncio.Task] = {}
        self.counts: Counter = Counter()

    @property
    def name(self) -> str:
        return self.instances.name

    # -- a chat's work ---------------------------------------------------------------------------
    def busy(self, chat: int) -> None:
        self._work[chat] += 1

    def done(self, chat: int) -> None:
        self._work[chat] -= 1
        if self._work[chat] <= 0:
            del self._work[chat]
            if chat in self._held and chat not in self._releasing:
                self._releasing[chat] = asyncio.get_running_loop().create_task(self._release(chat))

    async def enter(self, chat: int) -> bool:
        """True when this instance works for `chat` now (call `busy` first, `done` after)."""
        releasing = self._releasing.get(chat)
        if releasing is not None:
            await asyncio.shield(releasing)
        if chat in self._held:
            return True
        if not await self.run(self.instances.acquire, chat_key(chat)):
            self.counts["deferred"] += 1
            return False
        logger.debug("took a chat's lease")
        self._held.add(chat)
        await self.adopt_replies()  # replies an instance that stopped left for this chat go before new ones
        return True

    async def older(self, chat: int, update_id: int) -> List[Update]:
        """The chat's unhandled updates older than `update_id` that another instance stored: handle them first
        (after waiting for those just before it that are still on their way: see SETTLE_WINDOW)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_SECONDS
        first = max(1, update_id - SETTLE_WINDOW)
        while await self.run(self.inbox.stored_count, first, update_id - 1) < update_id - first:
            if loop.time() >= deadline:
                self.counts["unsettled"] += 1
                break
            await asyncio.sleep(0.02)
        started = self.ledger.started_ids()  # not those received here and still queued: they may be older too
        rows = await self.run(self.inbox.unhandled, chat)
        older = self._updates([(i, p) for i, p in rows if i < update_id and i not in started])
        if older:
            logger.debug("update %s: first the older %s", update_id, [u.update_id for u in older])
        return older

    async def _release(self, chat: int) -> None:
        try:
            left = await self.run(self.instances.release, chat_key(chat), chat, self.ledger.local_ids())
        except Exception as error:  # kept: the next sweep tries again
            log_failure(logger, "could not give up a chat's lease", error)
            left = None
        finally:
            self._releasing.pop(chat, None)
        if left is None:
            return
        if not left:
            self._held.discard(chat)
            logger.debug("gave a chat's lease up")
            return
        logger.debug("kept a chat's lease for %s", [i for i, _ in left])
        for update in self._updates(left):  # stored by another instance meanwhile: ours to handle
            self.counts["adopted_updates"] += 1
            await self.requeue(update)

    def _updates(self, rows) -> List[Update]:
        updates = []
        for update_id, payload in rows:
            update = Update.de_json(payload, self.bot) if payload else None
            if update is not None:
                self.ledger.adopt(update_id)
                updates.append(update)
        return updates

    # -- rounds ----------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.run(self.instances.start)

    async def adopt_replies(self) -> int:
        """Queue the replies nobody is sending (an instance stopped or crashed) and this one's own."""
        stored = await self.run(self.instances.claim_outbox)
        adopted = self.courier.adopt(stored) if self.courier is not None else 0
        self.counts["adopted_replies"] += adopted
        return adopted

    async def sweep(self) -> None:
        """Say this instance is alive; take the replies and the chats nobody works for."""
        await self.run(self.instances.beat)
        await self.adopt_replies()
        for chat in [c for c in self._held if c not in self._work and c not in self._releasing]:
            self.busy(chat)
            self.done(chat)  # held with nothing to do (a failed release, requeued copies skipped): try again
        for chat in await self.run(self.instances.orphaned_chats):
            if chat in self._held or chat in self._work:
                continue
            if not await self.run(self.instances.acquire, chat_key(chat)):
                continue
            self._held.add(chat)
            local = self.ledger.local_ids()
            updates = self._updates([r for r in await self.run(self.inbox.unhandled, chat) if r[0] not in local])
            if not updates:
                self.busy(chat)
                self.done(chat)  # nothing after all: give the lease back
            for update in updates:
                self.counts["adopted_updates"] += 1
                await self.requeue(update)

    async def desk_turn(self) -> bool:
        """True when this instance does the desk's rounds now."""
        return await self.run(self.instances.acquire, DESK)

    async def leave(self) -> int:
        """At a clean stop, after the drain: what is left is nobody's; returns how many replies."""
        for task in list(self._releasing.values()):
            await asyncio.gather(task, return_exceptions=True)
        return await self.run(self.instances.leave)


async def sweeping(coordinator: Coordinator, every: float = SWEEP_SECONDS) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await coordinator.sweep()
        except Exception as error:  # a database hiccup must not stop the sweeps; the next one retries
            log_failure(logger, "could not take over what other instances left", error)
