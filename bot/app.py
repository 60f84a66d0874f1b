"""Build the python-telegram-bot Application; every handler is registered here, in one place."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections import Counter
from datetime import datetime, timedelta
from typing import Callable, Iterable, Optional

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.assistant import COMMANDS, FrontDesk, Parser
from bot.context import BotData, GuichetContext
from bot.delivery import Courier, InboxBot, Pacer, UpdateLedger
from bot.instances import Coordinator, sweeping
from bot.handlers import admin, conversation, errors, fallbacks
from bot.http import AiohttpRequest
from bot.knowledge_updates import KnowledgeUpdates
from bot.logs import log_failure
from bot.handover import InterpretingDesk
from bot.settings import Settings
from bot.voice import Voices
from knowledge.storage import Inbox, Instances, MemoryTable, Outbox

logger = logging.getLogger(__name__)

# Measured with `guichet bench` on 2 cores: more updates in flight or more connections only add contention
# (the work is CPU-bound under one interpreter lock); fewer leave the NLU batches small.
CONCURRENT_UPDATES = 64
CONNECTIONS = 32
DESK_TICK_SECONDS = 5.0  # how often the desk looks for unanswered requests, retention, roster changes
INBOX_KEEP = timedelta(hours=24)  # rows (ids only) of handled updates: Telegram never resends one that old
DRAIN_SECONDS = 5.0  # at a stop, how long queued replies may still go out (the rest is sent at the next start)


class PerChatOrder(BaseUpdateProcessor):
    """Updates of different people run concurrently; those of one person run one after the other, in order,
    so that messages relayed to an interpreter arrive in the order they were written.

    Each update is handled once: a copy Telegram sends again, or one replayed after a crash that was fetched again,
    is skipped (`UpdateLedger`)."""

    def __init__(self, max_concurrent_updates: int, ledger: UpdateLedger):
        super().__init__(max_concurrent_updates)
        self._locks: dict = {}
        self.ledger = ledger
        self.coordinator: Optional[Coordinator] = None  # several instances: see bot/instances.py
        self.application: Optional[Application] = None
        self.counts: Counter = Counter()  # for /metrics

    async def do_process_update(self, update: object, coroutine) -> None:
        if isinstance(update, Update) and not self.ledger.claim(update):
            coroutine.close()
            self.counts["duplicate"] += 1
            logger.debug("update %s: a copy already received; skipped", update.update_id)
            return
        user = update.effective_user if isinstance(update, Update) else None
        handled = True
        try:
            if user is None:
                await coroutine
                return
            lock = self._locks.setdefault(user.id, [asyncio.Lock(), 0])
            lock[1] += 1
            try:
                async with lock[0]:
                    if self.coordinator is None:
                        await coroutine
                    else:
                        handled = await self._coordinated(user.id, update, coroutine)
            finally:
                lock[1] -= 1
                if not lock[1]:
                    self._locks.pop(user.id, None)
        finally:
            if isinstance(update, Update):
                if handled:
                    self.ledger.handled(update.update_id)
                else:
                    self.ledger.left(update.update_id)
            self.counts["handled" if handled else "deferred"] += 1

    async def _coordinated(self, chat: int, update: Update, coroutine) -> bool:
        """Handle it while this instance works for the chat, after the chat's older updates other instances stored;
        False (not handled) when another instance works for the chat: it will handle it (bot/instances.py)."""
        coordinator = self.coordinator
        coordinator.busy(chat)
        try:
            if not await coordinator.enter(chat):
                coroutine.close()
                logger.debug("update %s: another instance works for this chat; left to it", update.update_id)
                return False
            for older in await coordinator.older(chat, update.update_id):
                self.ledger.claim(older)
                self.ledger.begin(older.update_id)
                try:
                    await self.application.process_update(older)
                finally:
                    self.ledger.handled(older.update_id)
            if not self.ledger.begin(update.update_id):  # handled meanwhile, as an older update of its chat
                coroutine.close()
                return True
            logger.debug("update %s: handling", update.update_id)
            await coroutine
            return True
        finally:
            coordinator.done(chat)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def register(application: Application) -> None:
    """All handlers, most specific first, the error handler last."""
    private = filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(filters.UpdateType.EDITED & private, fallbacks.edited))
    application.add_handler(CommandHandler("start", conversation.start, filters=private))
    application.add_handler(CommandHandler("reload", admin.reload, filters=private))
    application.add_handler(CommandHandler(list(admin.ROSTER_COMMANDS), admin.roster, filters=private))
    application.add_handler(CommandHandler([c for c in COMMANDS if c != "start"], conversation.command, filters=private))
    application.add_handler(MessageHandler(filters.COMMAND & private, conversation.command))
    application.add_handler(MessageHandler(filters.TEXT & private, conversation.text))
    application.add_handler(MessageHandler(filters.LOCATION & private, conversation.location))
    application.add_handler(MessageHandler(private & ~filters.StatusUpdate.ALL, fallbacks.media))
    application.add_handler(CallbackQueryHandler(conversation.button))
    application.add_error_handler(errors.on_error)


async def _post_init(application: Application, knowledge_poll_seconds: float = 0) -> None:
    """Send what the last run left in the outbox, queue the updates it left unhandled; register the command list
    with Telegram, once per interface language; start following the knowledge."""
    data: BotData = application.bot_data
    if data.coordinator is not None:  # several instances: take only what nobody else works for
        await data.coordinator.start()
        restored, replayed = await data.coordinator.adopt_replies(), []
        data.tasks.append(asyncio.get_running_loop().create_task(sweeping(data.coordinator)))
    else:
        restored = await data.courier.restore()
        replayed = await data.ledger.replay(application.bot)
    for update in replayed:
        await application.update_queue.put(update)
    if restored or replayed:
        logger.info("from the last run: %d replies to send, %d updates to handle", restored, len(replayed))
    _start_following_knowledge(application, knowledge_poll_seconds)
    await _start_desk(application)
    front = application.bot_data.front
    for language, descriptions in await application.bot_data.run(front.command_menus):
        commands = [BotCommand(c, d) for c, d in descriptions]
        try:
            await application.bot.set_my_commands(commands, language_code=language)
        except TelegramError as error:
            logger.warning("could not register commands for %s: %s", language or "default", error)


async def _follow_knowledge(data: BotData, every: float, wake: asyncio.Event) -> None:
    """Swap in new live knowledge (after `guichet kb import`) every `every` seconds (0: never), and at once on SIGHUP."""
    while True:
        try:
            await asyncio.wait_for(wake.wait(), timeout=every if every > 0 else None)
        except asyncio.TimeoutError:
            pass
        wake.clear()
        try:
            await data.run(data.knowledge_updates.refresh)
        except Exception as error:  # a database hiccup must not stop the watch; the next round retries
            log_failure(logger, "could not check for new knowledge", error)


def _start_following_knowledge(application: Application, every: float) -> None:
    data: BotData = application.bot_data
    if data.knowledge_updates is None:
        return
    wake = asyncio.Event()
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, wake.set)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests) or no SIGHUP
        pass
    data.tasks.append(asyncio.get_running_loop().create_task(_follow_knowledge(data, every, wake)))


async def _desk_ticks(application: Application, every: float) -> None:
    data: BotData = application.bot_data
    while True:
        await asyncio.sleep(every)
        try:
            if data.coordinator is None:
                await data.courier.post(await data.run(data.desk.tick), None)
                await data.run(_purge, data)
                continue
            await data.run(data.desk.refresh)  # every instance: the roster
            if await data.coordinator.desk_turn():  # one instance: the rounds
                await data.courier.post(await data.run(data.desk.rounds), None)
                await data.run(_purge, data)
        except Exception as error:  # a database or network hiccup must not stop the ticks; the next one retries
            log_failure(logger, "the interpreting desk could not do its round", error)


def _purge(data: BotData) -> None:
    """What is kept only for a while: rows of handled updates, the shared conversation memory."""
    if data.ledger.inbox is not None:
        data.ledger.inbox.purge_handled(datetime.utcnow() - INBOX_KEEP)
    if data.coordinator is not None and data.coordinator.memory is not None:
        data.coordinator.memory.purge()


async def _start_desk(application: Application) -> None:
    """Send relayed messages a stop interrupted (stored, not yet delivered), then tick every few seconds."""
    data: BotData = application.bot_data
    if data.desk is None:
        return
    try:
        if data.coordinator is None:
            queued = data.courier.pending_relays()
        elif await data.coordinator.desk_turn():  # several instances: one resends, skipping what any of them queued
            queued = await data.run(data.courier.outbox.queued_relays)
        else:
            queued = None
        if queued is not None:
            await data.courier.post([r for r in await data.run(data.desk.pending) if r.relay_id not in queued], None)
    except Exception as error:
        log_failure(logger, "could not send the relayed messages left from the last run", error)
    data.tasks.append(asyncio.get_running_loop().create_task(_desk_ticks(application, data.desk_tick_seconds)))


async def _post_stop(application: Application) -> None:
    """Updates are no longer handled: let queued replies go out for a moment; the rest waits in the outbox."""
    data: BotData = application.bot_data
    await data.ledger.flush()
    left = await data.courier.drain(data.drain_seconds)
    if data.coordinator is not None:
        try:
            left = await data.coordinator.leave()
            if left:
                logger.info("%d replies left in the outbox for the other instances", left)
        except Exception as error:  # they count as ours until ALIVE_SECONDS pass: then another instance sends them
            log_failure(logger, "could not hand the work over to the other instances", error)
    elif left:
        logger.info("%d replies left in the outbox for the next start", left)


async def _post_shutdown(application: Application) -> None:
    data: BotData = application.bot_data
    for task in data.tasks:
        task.cancel()
    await asyncio.gather(*data.tasks, return_exceptions=True)  # let them finish cancelling before the loop closes
    data.executor.shutdown(wait=False)
    for close in data.on_shutdown:
        close()


def file_base_url(base_url: str) -> str:
    """'https://api.telegram.org/bot' -> 'https://api.telegram.org/file/bot' (same for local servers)."""
    head, _sep, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}"


def build_application(settings: Settings, front: FrontDesk, parser: Parser, *, outbox: Outbox, inbox: Optional[Inbox],
                      on_shutdown: Iterable[Callable[[], None]] = (), knowledge_updates: Optional[KnowledgeUpdates] = None,
                      desk_tick_seconds: float = DESK_TICK_SECONDS, drain_seconds: float = DRAIN_SECONDS,
                      instances: Optional[Instances] = None, memory: Optional[MemoryTable] = None,
                      voices: Optional[Voices] = None) -> Application:
    """The Application for `settings`, talking to the Bot API at `settings.telegram_api_base_url`.

    Every update goes to `front`: the assistant, or the interpreting desk in front of it (which also gets its
    rounds: relayed messages left from the last run, then a tick every `desk_tick_seconds`). Every reply goes
    through `outbox`; fetched updates through `inbox` (None: not stored). `instances`: this process's side of
    several instances sharing the database (bot/instances.py); `memory`: their shared conversation memory,
    purged by the desk's rounds."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    ledger = UpdateLedger(inbox)
    bot = InboxBot(settings.telegram_bot_token, base_url=settings.telegram_api_base_url,
                   base_file_url=file_base_url(settings.telegram_api_base_url), request=AiohttpRequest(CONNECTIONS),
                   get_updates_request=AiohttpRequest(1), rate_limiter=Pacer(settings.send_rate), ledger=ledger)
    processor = PerChatOrder(CONCURRENT_UPDATES, ledger)  # webhook updates are stored on arrival too (bot/webhook.py)
    application = (
        ApplicationBuilder()
        .bot(bot)
        .context_types(ContextTypes(context=GuichetContext, bot_data=BotData))
        .concurrent_updates(processor)
        .post_init(lambda app: _post_init(app, settings.knowledge_poll_seconds))
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    ledger.run = application.bot_data.run
    application.bot_data.ledger = ledger
    application.bot_data.courier = Courier(application.bot, outbox, application.bot_data.run, front, ledger)
    application.bot_data.courier.voices = voices  # voice notes of answers (the 🔊 button), when espeak-ng is here
    application.bot_data.drain_seconds = drain_seconds
    application.bot_data.front = front
    application.bot_data.parser = parser
    application.bot_data.desk = front if isinstance(front, InterpretingDesk) else None
    application.bot_data.desk_tick_seconds = desk_tick_seconds
    application.bot_data.knowledge_updates = knowledge_updates
    application.bot_data.admin_ids = settings.admin_ids
    application.bot_data.on_shutdown.extend(on_shutdown)
    if instances is not None:
        coordinator = Coordinator(instances, inbox, application.bot_data.run, ledger, application.bot)
        coordinator.courier = application.bot_data.courier
        coordinator.requeue = application.update_queue.put
        coordinator.memory = memory
        application.bot_data.courier.coordinator = coordinator
        processor.coordinator, processor.application = coordinator, application
        application.bot_data.coordinator = coordinator
    register(application)
    return application


def run_application(application: Application, settings: Settings) -> None:
    """Run until stopped (SIGTERM, SIGINT): long polling, or our webhook server when GUICHET_WEBHOOK_URL is set."""
    if settings.webhook_url:
        from bot.webhook import serve

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for number in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(number, stop.set)
            await serve(application, settings, stop)

        asyncio.run(main())
    else:
        logger.info("Guichet is polling %s", settings.telegram_api_base_url.split("/bot")[0])
        application.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=10)
