"""A local stand-in for the load balancer in front of several instances (nginx's `upstream` with
`proxy_next_upstream error timeout http_502 http_503`, as in deploy/nginx-guichet.conf): each request goes to the
next upstream in turn; one that refuses the connection or answers 502/503 is skipped for the next.
Listens on 127.0.0.1 only; for tests and trials."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import List, Optional

import aiohttp
from aiohttp import web

HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection"}


class Balancer:
    def __init__(self, upstreams: List[str]):
        self.upstreams = list(upstreams)  # base URLs, e.g. http://127.0.0.1:8443
        self._turn = itertools.count()
        self.sent: Counter = Counter()  # requests answered by each upstream
        self.skipped: Counter = Counter()  # requests an upstream refused (connection refused, 502, 503)
        self._runner: Optional[web.AppRunner] = None
        self._session: Optional[aiohttp.ClientSession] = None
        self.port: Optional[int] = None

    async def start(self, port: int = 0) -> str:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        first = next(self._turn)
        for step in range(len(self.upstreams)):
            upstream = self.upstreams[(first + step) % len(self.upstreams)]
            try:
                async with self._session.request(request.method, upstream + request.path_qs, data=body,
                                                 headers=headers) as response:
                    if response.status in (502, 503) and step + 1 < len(self.upstreams):
                        self.skipped[upstream] += 1
                        continue
                    self.sent[upstream] += 1
                    return web.Response(status=response.status, body=await response.read(),
                                        content_type=response.content_type)
            except (aiohttp.ClientConnectionError, OSError):
                self.skipped[upstream] += 1
        return web.Response(status=502, text="no upstream answered")
