"""python-telegram-bot's HTTP layer on aiohttp (already installed: Rasa depends on it).

python-telegram-bot lets an application plug in its own `BaseRequest`. Under a burst of messages its default
httpx backend spends more time scheduling requests in its connection pool than sending them; this one uses
aiohttp's connection pool instead (measured with `guichet bench`, see README). Requests without files are
sent as JSON; uploads as multipart form data.
"""

from __future__ import annotations

import asyncio
from typing import Optional, Tuple

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one `aiohttp.ClientSession` with a bounded connection pool."""

    def __init__(self, pool_size: int = 32, *, read_timeout: float = 5.0, write_timeout: float = 5.0,
                 connect_timeout: float = 5.0, media_write_timeout: float = 20.0):
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: Optional[aiohttp.ClientSession] = None

    @property
    def read_timeout(self) -> Optional[float]:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: Optional[RequestData] = None,
                         read_timeout=BaseRequest.DEFAULT_NONE, write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE, pool_timeout=BaseRequest.DEFAULT_NONE,
                         ) -> Tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        has_files = bool(request_data and request_data.contains_files)
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        write = (self._media_write_timeout if has_files else self._write_timeout) \
            if isinstance(write_timeout, DefaultValue) else write_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        # aiohttp has no separate write timeout: the whole request may take connect + write + read.
        parts = [t for t in (connect, write, read) if t is not None]
        timeout = aiohttp.ClientTimeout(total=sum(parts) if len(parts) == 3 else None,
                                        sock_connect=connect, sock_read=read)
        kwargs = {}
        if has_files:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            kwargs["data"] = form
        elif request_data is not None:
            kwargs["data"] = request_data.json_payload
            kwargs["headers"] = {"Content-Type": "application/json"}
        try:
            async with self._session.request(method, url, timeout=timeout, **kwargs) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp {type(error).__name__}: {error}") from error
