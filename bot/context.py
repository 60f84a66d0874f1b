"""Typed context: handlers reach the assistant through `context.bot_data`, never module globals."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, FrozenSet, List, Optional, TypeVar

from telegram.ext import Application, CallbackContext, ExtBot

from bot.assistant import Assistant, Reply

if TYPE_CHECKING:
    from bot.handover import InterpretingDesk
    from bot.knowledge_updates import KnowledgeUpdates

T = TypeVar("T")


@dataclass
class BotData:
    """Shared services of the running bot."""

    assistant: Optional[Assistant] = None  # or the interpreting desk in front of it (same methods)
    desk: Optional["InterpretingDesk"] = None
    desk_tick_seconds: float = 5.0
    knowledge_updates: Optional["KnowledgeUpdates"] = None
    admin_ids: FrozenSet[int] = frozenset()
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(4, thread_name_prefix="guichet"))
    parse_async: Optional[Callable[[str], Awaitable[Any]]] = None  # NLU without a thread (nlu/worker.py)
    on_shutdown: List[Callable[[], None]] = field(default_factory=list)
    tasks: List["asyncio.Task"] = field(default_factory=list)  # background work, cancelled at shutdown

    async def run(self, function: Callable[..., T], *args) -> T:
        """Run blocking work (NLU inference, database) off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    async def parse(self, text: Optional[str]) -> Any:
        """The NLU result of `text`, parsed while holding no thread; None when the assistant parses itself."""
        if self.parse_async is None or not text or not text.strip():
            return None
        return await self.parse_async(text)

    async def replies(self, method: str, *args) -> List[Reply]:
        return await self.run(getattr(self.assistant, method), *args)


class GuichetContext(CallbackContext[ExtBot, dict, dict, BotData]):
    """The callback context of every handler."""

    def __init__(self, application: Application, chat_id: Optional[int] = None, user_id: Optional[int] = None):
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
