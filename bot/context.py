"""Typed context: handlers reach the front desk through `context.bot_data`, never module globals."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, FrozenSet, List, Optional, TypeVar

from telegram.ext import Application, CallbackContext, ExtBot

from bot.assistant import FrontDesk, Parser
from nlu.parser import ParseResult

if TYPE_CHECKING:
    from bot.delivery import Courier, UpdateLedger
    from bot.handover import InterpretingDesk
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

    async def run(self, function: Callable[..., T], *args) -> T:
        """Run blocking work (the front desk's database calls) off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    async def parse(self, text: Optional[str]) -> Optional[ParseResult]:
        """What the NLU understood of `text` (None for an empty message): the one place a message is parsed."""
        if not text or not text.strip():
            return None
        return await self.parser.parse_async(text)

    def is_admin(self, user_id: Optional[int]) -> bool:
        return user_id is not None and user_id in self.admin_ids


class GuichetContext(CallbackContext[ExtBot, dict, dict, BotData]):
    """The callback context of every handler."""

    def __init__(self, application: Application, chat_id: Optional[int] = None, user_id: Optional[int] = None):
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
