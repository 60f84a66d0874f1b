"""One delivery path for everything the bot sends: paced, retried, stored until Telegram accepted it.

- `Pacer` is python-telegram-bot's rate limiter hook (`BaseRateLimiter`) for every Bot API call: it keeps the bot
  under Telegram's limits (about 30 messages per second overall; about one per second in one chat, after a short
  burst) with aiolimiter's leaky buckets (what PTB's own `AIORateLimiter` uses), and retries: `RetryAfter` after
  the time Telegram asks, `TimedOut` / `NetworkError` / 5xx with exponential backoff, a bounded number of times.
  PTB's `AIORateLimiter` paces only groups per chat and stops *every* request on one 429; here each chat has its
  own bucket, so a 429 in one chat only delays that chat.
- `Courier` sends replies: each reply is written to the outbox first (with the update it answers marked handled,
  in one transaction), then sent by the worker of its chat, in order, and deleted once Telegram accepted it.
  Chats are independent: a long relay to one interpreter never delays a new person's first answer (each chat
  takes one place at a time in the overall bucket, whose waiters are served first come, first served).
  `Forbidden` (blocked) and `BadRequest` are told apart by type: the first tells the desk the chat is
  unreachable, the second drops that one message (and the person gets an apology), neither is retried.
- `UpdateLedger` makes fetched updates durable: `InboxBot.get_updates` writes them to the inbox before the next
  poll confirms them to Telegram; an update is handled once (a redelivered or replayed copy is skipped), and
  what a crash left unhandled is handled after the restart.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter, OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from typing import Any, Callable, Coroutine, Deque, Dict, Iterable, List, Optional, Sequence, Set

from aiolimiter import AsyncLimiter
from telegram import Bot, InputFile, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter, ExtBot

from bot.assistant import Button, Media, Reply, Sender, Venue
from bot.assistant.values import CAPTIONED, telegram_id, telegram_key
from bot.keyboards import reply_markup
from bot.logs import log_failure
from bot.voice import Voices, VoiceError, ogg_opus_seconds
from knowledge.storage import Inbox, Outbox, Outgoing

logger = logging.getLogger(__name__)

OVERALL_RATE = 30.0  # messages per second for the whole bot (Telegram's documented limit)
CHAT_RATE = 1.0  # messages per second in one chat, after a burst of CHAT_BURST
CHAT_BURST = 3
MAX_TRIES = 6  # per request: the first try and 5 retries
BACKOFF_SECONDS = 0.5  # first wait after a network error; doubles each time, at most MAX_BACKOFF_SECONDS
MAX_BACKOFF_SECONDS = 8.0
UNCONFIRMED = 4  # replies sent but not yet crossed out of the outbox, at most (see Courier); at ~100 ms a round
# trip to Telegram this still allows ~35 messages a second, above Telegram's 30
STALLED_SECONDS = 15.0  # a message whose retries all failed waits this long in its chat's queue, then tries again



def _retry_after_seconds(error: RetryAfter) -> float:
    wait = getattr(error, "_retry_after", None)  # a timedelta; the public attribute warns while PTB migrates
    return wait.total_seconds() if wait is not None else float(error.retry_after)


def _chat_of(data: Dict[str, Any]) -> Optional[int]:
    value = data.get("chat_id")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isascii() and value.lstrip("-").isdigit():
        return int(value)
    return None


class Pacer(BaseRateLimiter[None]):
    """Paces and retries every Bot API request (see the module's docstring). `counts` are for the benchmark."""

    def __init__(self, overall_rate: float = OVERALL_RATE, chat_rate: float = CHAT_RATE, chat_burst: int = CHAT_BURST,
                 max_tries: int = MAX_TRIES, backoff: float = BACKOFF_SECONDS, seed: Optional[int] = None):
        self._overall = AsyncLimiter(overall_rate, 1) if overall_rate > 0 else None
        self._chat_rate, self._chat_burst = chat_rate, chat_burst
        self._chats: Dict[int, AsyncLimiter] = {}
        self._max_tries, self._backoff = max_tries, backoff
        self._random = random.Random(seed)
        self.counts: Counter = Counter()

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def _chat_limiter(self, chat: int) -> AsyncLimiter:
        limiter = self._chats.get(chat)
        if limiter is None:
            if len(self._chats) > 4096:  # forget the buckets of chats that are idle (full capacity again)
                for key, old in list(self._chats.items()):
                    if old.has_capacity(old.max_rate):
                        del self._chats[key]
            limiter = self._chats[chat] = AsyncLimiter(self._chat_burst, self._chat_burst / self._chat_rate)
        return limiter

    async def _paced(self, chat: Optional[int], callback, args, kwargs):
        """Calls about a chat take the chat's own turn first (a busy chat never holds overall capacity), then one
        of the overall places; calls about no chat (getMe, setMyCommands, answerCallbackQuery) are not paced."""
        own = self._chat_limiter(chat) if chat is not None and self._chat_rate > 0 else nullcontext()
        overall = self._overall if chat is not None and self._overall is not None else nullcontext()
        async with own, overall:
            return await callback(*args, **kwargs)

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any, kwargs: Dict[str, Any],
                              endpoint: str, data: Dict[str, Any], rate_limit_args: None) -> Any:
        chat = _chat_of(data)
        for attempt in range(1, self._max_tries + 1):
            try:
                return await self._paced(chat, callback, args, kwargs)
            except (BadRequest, Forbidden):  # the request itself is refused: trying again cannot help
                raise
            except RetryAfter as error:
                self.counts["retry_after"] += 1
                if attempt == self._max_tries:
                    raise
                wait = _retry_after_seconds(error) + 0.1
                logger.info("%s: flood control, retrying in %.1f s (try %d)", endpoint, wait, attempt)
                await asyncio.sleep(wait)
            except (TimedOut, NetworkError) as error:  # BadRequest is a NetworkError too: handled above
                self.counts["network_error"] += 1
                if attempt == self._max_tries:
                    raise
                wait = min(MAX_BACKOFF_SECONDS, self._backoff * 2 ** (attempt - 1)) * (0.5 + self._random.random())
                logger.info("%s: %s, retrying in %.1f s (try %d)", endpoint, type(error).__name__, wait, attempt)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover


# -- replies as stored rows --------------------------------------------------------------------------
def reply_payload(reply: Reply, apology: bool = False) -> Dict[str, Any]:
    payload = asdict(reply)
    if apology:
        payload["apology"] = True
    return payload


def reply_from_payload(payload: Dict[str, Any]) -> Reply:
    def optional(kind, values):
        return kind(**values) if values is not None else None

    buttons = tuple(tuple(Button(**b) for b in row) for row in payload.get("buttons") or ())
    return Reply(payload["text"], payload["language"], buttons, optional(Venue, payload.get("venue")),
                 payload.get("location_button") or "", payload.get("to"), optional(Media, payload.get("media")),
                 payload.get("relay_id"))


SENDERS = {"photo": "send_photo", "document": "send_document", "voice": "send_voice", "audio": "send_audio",
           "video": "send_video", "animation": "send_animation", "sticker": "send_sticker", "video_note": "send_video_note"}


def _sender(bot: Bot, kind: str) -> Callable[..., Coroutine[Any, Any, Message]]:
    """The Bot API method that sends this kind of relayed file, by its Telegram file id."""
    return getattr(bot, SENDERS[kind])


async def send_speech(bot: Bot, chat_id: int, reply: Reply, voices: Optional[Voices]) -> None:
    """A voice note reading `reply.media.speech`: by the file id Telegram gave the same audio before, else the
    audio made (or found in the cache) off the event loop, in the voices' own thread."""
    text, language = reply.media.speech, reply.language
    if voices is None or language not in voices.languages:
        raise VoiceError(f"no voice for {language}")
    known = voices.file_id(text, language)
    if known:
        try:
            await bot.send_voice(chat_id, known)
            return
        except BadRequest:  # Telegram forgot it (another bot token, a very old file): send the audio again
            pass
    path = await asyncio.get_running_loop().run_in_executor(voices.executor, voices.audio, text, language)
    audio = path.read_bytes()
    message = await bot.send_voice(chat_id, InputFile(audio, filename="guichet.ogg"),
                                   duration=max(1, round(ogg_opus_seconds(audio))))
    if message.voice is not None:
        voices.remember(text, language, message.voice.file_id)


async def send_reply(bot: Bot, chat_id: int, reply: Reply, voices: Optional[Voices] = None) -> None:
    """The Bot API calls for one reply: text (or a caption), a location or a file, a map pin, a voice note."""
    options = dict(reply_markup=reply_markup(reply))
    media = reply.media
    if media is not None and media.kind == "speech":
        await send_speech(bot, chat_id, reply, voices)
        return
    if media is None or media.kind not in CAPTIONED:
        await bot.send_message(chat_id, reply.text, parse_mode=ParseMode.HTML,
                               link_preview_options=LinkPreviewOptions(is_disabled=True), **options)
    if media is not None:
        if media.kind == "location":
            await bot.send_location(chat_id, media.latitude, media.longitude)
        elif media.kind in CAPTIONED:
            await _sender(bot, media.kind)(chat_id, media.file_id, caption=reply.text, parse_mode=ParseMode.HTML, **options)
        else:
            await _sender(bot, media.kind)(chat_id, media.file_id)
    if reply.venue:
        await bot.send_venue(chat_id, reply.venue.latitude, reply.venue.longitude, reply.venue.title, reply.venue.address)


# -- updates -----------------------------------------------------------------------------------------
NAME_FIELDS = ("first_name", "last_name", "username", "title")


def without_names(payload: Any) -> Any:
    """The update as stored in the inbox: every name and username Telegram sent is blanked (Guichet never uses
    them; only ids and language codes), so a crash leaves no name on disk."""
    if isinstance(payload, dict):
        return {key: ("-" if key == "first_name" else "") if key in NAME_FIELDS else without_names(value)
                for key, value in payload.items()}
    if isinstance(payload, list):
        return [without_names(value) for value in payload]
    return payload


def _stored(update: Update) -> tuple:
    user = update.effective_user
    return update.update_id, without_names(update.to_dict()), user.id if user is not None else None


class UpdateLedger:
    """Which fetched updates are new, which to replay after a crash, which are handled (see the module docstring).

    Without an inbox (tests of handlers alone) every update is new and nothing is stored."""

    FLUSH_SECONDS = 0.2  # updates without replies are marked handled in batches (replaying one sends nothing)

    def __init__(self, inbox: Optional[Inbox], run: Optional[Callable[..., Any]] = None):
        self.inbox = inbox
        self.run = run  # runs blocking database work off the event loop (set once the application exists)
        self._fresh: Set[int] = set()  # received by this process and not yet claimed by a handler
        self._marked: Set[int] = set()  # marked handled together with their replies
        self._unmarked: List[int] = []
        self._flushing: Set[int] = set()
        self._active: Set[int] = set()  # claimed: waiting for their chat's turn, or being handled
        self._handling: Set[int] = set()  # being handled now (their chat's turn came)
        self._finished: "OrderedDict[int, None]" = OrderedDict()  # handled here lately (bounded)
        self._flusher: Optional[asyncio.Task] = None

    async def received(self, updates: Sequence[Update], offset: Optional[int]) -> None:
        """Store what getUpdates returned before the next call confirms it (polling)."""
        if self.inbox is None or not updates:
            if self.inbox is not None and offset:
                await self.run(self.inbox.receive, [], offset)
            return
        self._fresh |= await self.run(self.inbox.receive, [_stored(u) for u in updates], offset)

    async def receive(self, update: Update) -> bool:
        """Store an update that came by webhook before Telegram is told it arrived; False for a copy already stored."""
        if self.inbox is None:
            return True
        new = await self.run(self.inbox.receive, [_stored(update)], None)
        self._fresh |= new
        return update.update_id in new

    def adopt(self, update_id: int) -> None:
        """An update another instance stored that this one is to handle (bot/instances.py)."""
        self._fresh.add(update_id)

    def local_ids(self) -> Set[int]:
        """The updates this process knows of and has not marked handled in the database yet."""
        return self._fresh | self.started_ids()

    def started_ids(self) -> Set[int]:
        """The updates this process is handling or has handled, perhaps not yet marked handled in the database."""
        return self._handling | set(self._unmarked) | self._flushing | set(self._finished)

    async def replay(self, bot: Bot) -> List[Update]:
        """The updates a stop left unhandled, to be handled first."""
        if self.inbox is None:
            return []
        rows = await self.run(self.inbox.unhandled)
        updates = []
        for update_id, payload in rows:
            update = Update.de_json(payload, bot)
            if update is not None:
                self._fresh.add(update_id)
                updates.append(update)
        return updates

    def claim(self, update: Update) -> bool:
        """True when this update is to be handled now; False for a copy already received (skip it). Every update
        is stored on arrival (getUpdates: `received`; webhook: `receive`), so a new one is among the fresh."""
        if self.inbox is None:
            return True
        if update.update_id not in self._fresh:
            return False
        self._fresh.discard(update.update_id)
        self._active.add(update.update_id)
        return True

    def left(self, update_id: int) -> None:
        """Claimed but not handled here: another instance works for its chat (bot/instances.py)."""
        self._active.discard(update_id)

    def marked(self, update_id: int) -> None:
        """Its replies and its mark went to the database in one transaction (Courier.post)."""
        self._marked.add(update_id)

    def begin(self, update_id: int) -> bool:
        """Its chat's turn came: True to handle it now, False when it was handled meanwhile (as an older update
        of its chat, see bot/instances.py)."""
        if update_id in self._finished:
            return False
        self._handling.add(update_id)
        return True

    def handled(self, update_id: int) -> None:
        self._active.discard(update_id)
        self._handling.discard(update_id)
        if update_id in self._finished:
            return
        self._finished[update_id] = None
        if len(self._finished) > 10_000:
            self._finished.popitem(last=False)
        if self.inbox is None:
            return
        if update_id in self._marked:
            self._marked.discard(update_id)
            return
        self._unmarked.append(update_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        ids, self._unmarked = self._unmarked, []
        if ids and self.inbox is not None:
            self._flushing.update(ids)
            try:
                await self.run(self.inbox.handled, ids)
            except Exception as error:  # replayed after a restart: they send nothing, so no harm
                log_failure(logger, "could not mark updates handled", error)
            finally:
                self._flushing.difference_update(ids)


class InboxBot(ExtBot):
    """The bot whose getUpdates results go to the ledger before python-telegram-bot sees them."""

    __slots__ = ("_ledger",)

    def __init__(self, *args, ledger: Optional[UpdateLedger] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._ledger = ledger

    async def get_updates(self, offset=None, *args, **kwargs):
        updates = await super().get_updates(offset, *args, **kwargs)
        if self._ledger is not None:
            await self._ledger.received(updates, offset)  # an error here: PTB fetches the same updates again
        return updates


# -- replies -----------------------------------------------------------------------------------------
@dataclass
class _Item:
    outgoing: Outgoing
    reply: Reply


class Courier:
    """Stores, orders and sends replies (see the module docstring). `front` answers `unreachable(key)`,
    `delivered(relay_id)` and `error(sender)`; `run` runs blocking database work off the event loop."""

    def __init__(self, bot: Bot, outbox: Outbox, run: Callable[..., Any], front: Any,
                 ledger: Optional[UpdateLedger] = None, stalled_seconds: float = STALLED_SECONDS):
        self.bot = bot
        self.outbox = outbox
        self.run = run
        self.front = front
        self.ledger = ledger
        self.stalled_seconds = stalled_seconds
        self._queues: Dict[int, Deque[_Item]] = {}
        self._workers: Dict[int, asyncio.Task] = {}
        self._clerk = ThreadPoolExecutor(1, thread_name_prefix="guichet-outbox")  # see `_forget`
        # Replies Telegram may have accepted that are not crossed out yet: what a crash would send twice. When the bot
        # is too busy to cross them out, sending waits (at most this many duplicates per crash).
        self._unconfirmed = asyncio.Semaphore(UNCONFIRMED)
        self._crossing: List[tuple] = []
        self._clerk_task: Optional[asyncio.Task] = None
        self._ids: Set[int] = set()  # outbox ids queued here
        self.coordinator = None  # with several instances: told which chats' replies are still queued (bot/instances.py)
        self.voices: Optional[Voices] = None  # voice notes of answers (bot/voice.py); None: none are sent
        self._making: Set[asyncio.Task] = set()  # voice notes whose audio is being made
        self._audio_ready: Set[int] = set()
        self.counts: Counter = Counter()

    # -- in ------------------------------------------------------------------------------------
    async def post(self, replies: Iterable[Reply], origin: Optional[int], handled: Optional[int] = None,
                   apology: bool = False) -> None:
        """Store `replies` (to `origin`, the update's chat, unless a reply names another chat) and queue them.
        `handled`: the update they answer, marked handled in the same transaction."""
        rows = []
        for reply in replies:
            target = telegram_id(reply.to) if reply.to else origin
            if target is not None:
                rows.append((target, origin, reply_payload(reply, apology)))
        if not rows and handled is None:
            return
        stored = await self.run(self.outbox.add, rows, handled)
        if handled is not None and self.ledger is not None:
            self.ledger.marked(handled)
        self._enqueue(stored)

    async def restore(self) -> int:
        """Queue what a stop left in the outbox (before any new update is handled: order is kept)."""
        stored = await self.run(self.outbox.pending)
        self._enqueue(stored)
        return len(stored)

    def adopt(self, stored: Iterable[Outgoing]) -> int:
        """Queue stored replies not queued yet (left by an instance that stopped); returns how many."""
        new = [outgoing for outgoing in stored if outgoing.id not in self._ids]
        self._enqueue(new)
        return len(new)

    def pending_relays(self) -> Set[int]:
        """Relayed messages already queued here (not to be resent from the relay store)."""
        return {item.reply.relay_id for queue in self._queues.values() for item in queue if item.reply.relay_id is not None}

    def _enqueue(self, stored: Iterable[Outgoing]) -> None:
        for outgoing in stored:
            try:
                reply = reply_from_payload(outgoing.payload)
            except (KeyError, TypeError) as error:  # a row written by another version: never wedge the queue
                log_failure(logger, f"outbox row {outgoing.id} is unreadable; dropped", error, logging.WARNING)
                self._forget(outgoing.id)
                continue
            self._queues.setdefault(outgoing.chat_id, deque()).append(_Item(outgoing, reply))
            self._ids.add(outgoing.id)
            if self.coordinator is not None and outgoing.origin is not None:
                self.coordinator.busy(outgoing.origin)
            if outgoing.chat_id not in self._workers:
                self._workers[outgoing.chat_id] = asyncio.get_running_loop().create_task(self._work(outgoing.chat_id))

    # -- out -----------------------------------------------------------------------------------
    def _forget(self, outgoing_id: int, relay_id: Optional[int] = None, held: bool = False) -> None:
        """Cross it out of the outbox soon. Sent replies are crossed out together, by one clerk, in one transaction:
        one at a time, each behind the handlers' writes, they would wait, and a crash in that wait sends them again
        after the restart (a duplicate). `held`: it holds one of the UNCONFIRMED places, given back once crossed out."""
        self._crossing.append((outgoing_id, relay_id, held))
        if self._clerk_task is None or self._clerk_task.done():
            self._clerk_task = asyncio.get_running_loop().create_task(self._cross_out())

    async def _cross_out(self) -> None:
        loop = asyncio.get_running_loop()
        while self._crossing:
            batch, self._crossing = self._crossing, []
            try:
                await loop.run_in_executor(self._clerk, self.outbox.sent, [outgoing_id for outgoing_id, _, _ in batch])
                for _outgoing_id, relay_id, _held in batch:
                    if relay_id is not None:
                        await loop.run_in_executor(self._clerk, self.front.delivered, relay_id)
            except Exception as error:  # they stay in the outbox: sent again after a restart (duplicates, counted)
                log_failure(logger, f"could not cross {len(batch)} sent replies out of the outbox", error)
            finally:
                for _outgoing_id, _relay_id, held in batch:
                    if held:
                        self._unconfirmed.release()

    async def _work(self, chat: int) -> None:
        queue = self._queues[chat]
        try:
            while queue:
                item = queue[0]
                if self._needs_audio(item):  # made aside: the chat's next replies do not wait for it
                    queue.popleft()
                    self._making.add(asyncio.get_running_loop().create_task(self._make_audio(chat, item)))
                    continue
                await self._unconfirmed.acquire()
                outcome = await self._deliver(chat, item)
                if outcome == "again":
                    self._unconfirmed.release()
                    await asyncio.sleep(self.stalled_seconds)
                    continue
                queue.popleft()
                self._forget(item.outgoing.id, item.reply.relay_id if outcome == "sent" else None, held=True)
                self._done(item)
                while outcome == "blocked" and queue:  # the rest would be refused too: one attempt is enough
                    rest = queue.popleft()
                    self._forget(rest.outgoing.id)
                    self._done(rest)
        finally:
            self._workers.pop(chat, None)
            if not queue:
                self._queues.pop(chat, None)

    def _needs_audio(self, item: _Item) -> bool:
        media, voices = item.reply.media, self.voices
        return (media is not None and media.kind == "speech" and voices is not None and item.outgoing.id not in self._audio_ready
                and item.reply.language in voices.languages and not voices.ready(media.speech, item.reply.language))

    async def _make_audio(self, chat: int, item: _Item) -> None:
        """Make a voice note's audio in the voices' thread, then queue it again (its chat's answers went on)."""
        try:
            await asyncio.get_running_loop().run_in_executor(self.voices.executor, self.voices.audio,
                                                             item.reply.media.speech, item.reply.language)
        except Exception as error:  # sending it will fail the same way and drop it, with a log line
            log_failure(logger, "could not make a voice note", error, logging.WARNING)
        finally:
            self._making.discard(asyncio.current_task())
        self._audio_ready.add(item.outgoing.id)
        self._queues.setdefault(chat, deque()).append(item)
        if chat not in self._workers:
            self._workers[chat] = asyncio.get_running_loop().create_task(self._work(chat))

    def _done(self, item: _Item) -> None:
        self._audio_ready.discard(item.outgoing.id)
        self._ids.discard(item.outgoing.id)
        if self.coordinator is not None and item.outgoing.origin is not None:
            self.coordinator.done(item.outgoing.origin)

    async def _deliver(self, chat: int, item: _Item) -> str:
        """Send one reply: 'sent', 'blocked' (the chat refuses everything), 'dropped' (this one refused for good) or
        'again' (retries exhausted; try later)."""
        try:
            await send_reply(self.bot, chat, item.reply, self.voices)
        except Forbidden:
            self.counts["forbidden"] += 1
            logger.info("a chat refused a message (blocked or left); telling the desk")
            await self._follow_up(self.front.unreachable, telegram_key(chat), item.outgoing.origin)
            return "blocked"
        except BadRequest as error:
            self.counts["bad_request"] += 1
            if chat != item.outgoing.origin:  # another chat that Telegram does not know (deleted account)
                logger.info("a message to another chat was refused (BadRequest); telling the desk")
                await self._follow_up(self.front.unreachable, telegram_key(chat), item.outgoing.origin)
            else:
                log_failure(logger, "Telegram refused a reply", error)
                if not item.outgoing.payload.get("apology"):
                    await self._follow_up(self.front.error, Sender(telegram_key(chat)), chat, apology=True)
            return "dropped"
        except (RetryAfter, NetworkError) as error:
            self.counts["stalled"] += 1
            log_failure(logger, f"a reply could not be sent after {MAX_TRIES} tries; trying again in "
                                f"{self.stalled_seconds:.0f} s", error, logging.WARNING)
            return "again"
        except Exception as error:  # a bug in building the request: never let it stop this chat's queue
            log_failure(logger, "a reply could not be sent", error)
            return "dropped"
        self.counts["sent"] += 1
        return "sent"

    async def _follow_up(self, handle: Callable[..., List[Reply]], argument: Any, origin: Optional[int],
                         apology: bool = False) -> None:
        try:
            await self.post(await self.run(handle, argument), origin, apology=apology)
        except Exception as error:
            log_failure(logger, "could not handle a refused message", error)

    # -- stop ----------------------------------------------------------------------------------
    def idle(self) -> bool:
        """Nothing queued, nothing being sent, nothing left to cross out."""
        return not self._workers and not self._making and not self._crossing and \
            (self._clerk_task is None or self._clerk_task.done())

    def queued(self) -> int:
        return sum(len(queue) for queue in self._queues.values()) + len(self._making)

    async def drain(self, timeout: float) -> int:
        """Let the queues empty for up to `timeout` seconds, then stop; what is left stays in the outbox for the
        next start. Returns how many replies are left."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (self._workers or self._making) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        left = self.queued()
        for task in list(self._workers.values()) + list(self._making):
            task.cancel()
        await asyncio.gather(*self._workers.values(), *self._making, return_exceptions=True)
        if self._clerk_task is not None:
            await asyncio.gather(self._clerk_task, return_exceptions=True)
        self._clerk.shutdown(wait=True)
        return left
