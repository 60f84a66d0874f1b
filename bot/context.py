"""Typed context: handlers reach the front desk through `context.bot_data`, never module globals."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, FrozenSet, List, Optional, TypeVar

from prometheus_client import Histogram
from telegram.ext import Application, CallbackContext, ExtBot

from bot.assistant import FrontDesk, Parser
from nlu.parser import ParseResult

if TYPE_CHECKING:
    from bot.delivery import Courier, UpdateLedger
    from bot.handover import InterpretingDesk
    from bot.instances import Coordinator
    from bot.knowledge_updates import KnowledgeUpdates

T = TypeVar("T")


@dataclass
class BotData:
    """Shared services of the running bot."""

    front: Optional[FrontDesk] = None  # the assistant, or the interpreting desk in front of it
    parser: Optional[Parser] = None
    desk: Optional["InterpretingDesk"] = None
    desk_tick_seconds: float = 5.0
    knowledge_updates: Optional["KnowledgeUpdates"] = None
    admin_ids: FrozenSet[int] = frozenset()
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="guichet"))
    on_shutdown: List[Callable[[], None]] = field(default_factory=list)
    tasks: List["asyncio.Task"] = field(default_factory=list)  # background work, cancelled at shutdown
    courier: Optional["Courier"] = None  # every reply goes through it (bot/delivery.py)
    ledger: Optional["UpdateLedger"] = None
    drain_seconds: float = 5.0
    coordinator: Optional["Coordinator"] = None  # several instances on one database (bot/instances.py)
    # seconds per parse, for /metrics (not registered globally: each Application has its own)
    nlu_latency: Histogram = field(default_factory=lambda: Histogram(
        "guichet_nlu_seconds", "Time to parse one message (NLU)", registry=None,
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)))

    async def run(self, function: Callable[..., T], *args) -> T:
        """Run blocking work (the front desk's database calls) off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    async def parse(self, text: Optional[str]) -> Optional[ParseResult]:
        """What the NLU understood of `text` (None for an empty message): the one place a message is parsed."""
        if not text or not text.strip():
            return None
        started = time.perf_counter()
        parsed = await self.parser.parse_async(text)
        self.nlu_latency.observe(time.perf_counter() - started)
        return parsed

    def is_admin(self, user_id: Optional[int]) -> bool:
        return user_id is not None and user_id in self.admin_ids


class GuichetContext(CallbackContext[ExtBot, dict, dict, BotData]):
    """The callback context of every handler."""

    def __init__(self, application: Application, chat_id: Optional[int] = None, user_id: Optional[int] = None):
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
