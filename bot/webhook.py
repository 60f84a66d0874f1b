"""The webhook server (GUICHET_WEBHOOK_URL set): Telegram's updates in, health and metrics out.

- `POST <path of GUICHET_WEBHOOK_URL>`: an update from Telegram. The secret token header must match
  GUICHET_WEBHOOK_SECRET; the update is written to the inbox *before* Telegram gets its 200, so a crash right
  after loses nothing (Telegram sends again what was not answered 200: an update the database could not take
  gets a 503). A copy already stored is answered 200 and dropped.
- `GET /healthz`: 200 `{"status": "ok", ...}` when the process runs, the database answers and the NLU model
  parses; else 503 with what failed. For the load balancer and the service manager.
- `GET /metrics`: the Prometheus text format (prometheus-client): counts, queue depths and NLU latency, never
  a text, a name or an id.

Our own aiohttp server rather than python-telegram-bot's `run_webhook`: PTB's answers 200 before anything is
stored and serves no other path.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Optional
from urllib.parse import urlsplit

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from telegram import Update
from telegram.ext import Application

from bot.logs import log_failure

logger = logging.getLogger(__name__)

MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few KB; Telegram's largest are far below this
HEALTH_TIMEOUT_SECONDS = 5.0
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_path(url: str) -> str:
    """'https://bot.example.org/telegram' -> '/telegram' (the path Telegram posts to)."""
    return urlsplit(url).path or "/"


class Collector:
    """Reads the running bot's counters when Prometheus asks (nothing is counted twice, nothing kept)."""

    def __init__(self, application: Application):
        self.application = application
        self.waiting_handovers: Optional[int] = None  # read from the database just before each scrape

    def collect(self):
        data = self.application.bot_data
        processor = self.application.update_processor
        counts = getattr(processor, "counts", {})
        yield _counter("guichet_updates", "Updates handled", counts.get("handled", 0))
        yield _counter("guichet_updates_deferred", "Updates left to the instance working for their chat",
                       counts.get("deferred", 0))
        yield _counter("guichet_updates_duplicate", "Copies of updates already received, skipped", counts.get("duplicate", 0))
        courier = data.courier
        yield _counter("guichet_replies_sent", "Messages Telegram accepted", courier.counts.get("sent", 0))
        failed = CounterMetricFamily("guichet_replies_failed", "Messages not sent, by reason", labels=["reason"])
        for reason in ("forbidden", "bad_request", "stalled"):
            failed.add_metric([reason], courier.counts.get(reason, 0))
        yield failed
        pacer = self.application.bot.rate_limiter
        pacer_counts = getattr(pacer, "counts", {})
        retries = CounterMetricFamily("guichet_telegram_retries", "Bot API calls tried again, by reason", labels=["reason"])
        retries.add_metric(["flood_control_429"], pacer_counts.get("retry_after", 0))
        retries.add_metric(["network_or_5xx"], pacer_counts.get("network_error", 0))
        yield retries
        yield _counter("guichet_telegram_429", "HTTP 429 (flood control) answers from Telegram", pacer_counts.get("retry_after", 0))
        yield _gauge("guichet_outbox_queued", "Replies queued in this process, not yet accepted by Telegram", courier.queued())
        yield _gauge("guichet_update_queue", "Updates received, waiting to be handled", self.application.update_queue.qsize())
        if self.waiting_handovers is not None:
            yield _gauge("guichet_handovers_waiting", "Requests for an interpreter nobody took yet", self.waiting_handovers)
        yield from data.nlu_latency.collect()


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class WebhookServer:
    """Serves `application` on `listen:port` (see the module docstring)."""

    def __init__(self, application: Application, url: str, secret: Optional[str], listen: str, port: int,
                 instance: Optional[str] = None):
        self.application = application
        self.path = webhook_path(url)
        self.secret = secret
        self.listen, self.port = listen, port
        self.instance = instance
        self.collector = Collector(application)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)
        self._runner: Optional[web.AppRunner] = None
        self.accepting = True  # False while stopping: updates are still stored (200) but left for the next handler

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_post(self.path, self.update)
        app.router.add_get("/healthz", self.health)
        app.router.add_get("/metrics", self.metrics)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)  # an access log would hold people's chat ids
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the port (the load balancer sends updates to another instance, or Telegram again later)."""
        self.accepting = False
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # -- Telegram ---------------------------------------------------------------------------------
    async def update(self, request: web.Request) -> web.Response:
        if self.secret and not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), self.secret):
            return web.Response(status=403, text="forbidden")
        try:
            payload = json.loads(await request.read())
            update = Update.de_json(payload, self.application.bot) if isinstance(payload, dict) else None
        except (ValueError, TypeError, KeyError, web.HTTPException) as error:
            logger.info("webhook: a request that is not an update (%s); refused", type(error).__name__)
            return web.Response(status=400, text="not an update")
        if update is None:
            return web.Response(status=400, text="not an update")
        data = self.application.bot_data
        try:
            new = await data.ledger.receive(update)
        except Exception as error:  # the database did not take it: Telegram will send it again
            log_failure(logger, "webhook: could not store an update; Telegram will send it again", error)
            return web.Response(status=503, text="try again")
        if new and self.accepting:
            await self.application.update_queue.put(update)
        elif new:  # stopping: stored, handled by another instance (or by this one after its restart), in order
            logger.debug("update %s stored while stopping; left for the next handler", update.update_id)
        else:
            processor = self.application.update_processor
            if hasattr(processor, "counts"):
                processor.counts["duplicate"] += 1
        return web.Response(status=200)

    # -- operators --------------------------------------------------------------------------------
    async def health(self, _request: web.Request) -> web.Response:
        data = self.application.bot_data
        checks = {"database": False, "nlu": False}
        try:
            await asyncio.wait_for(data.run(data.ledger.inbox.ping), HEALTH_TIMEOUT_SECONDS)
            checks["database"] = True
        except Exception as error:
            log_failure(logger, "health: the database does not answer", error, logging.WARNING)
        try:
            parsed = await asyncio.wait_for(data.parser.parse_async("hello"), HEALTH_TIMEOUT_SECONDS)
            checks["nlu"] = bool(parsed.intent)
        except Exception as error:
            log_failure(logger, "health: the NLU model does not answer", error, logging.WARNING)
        ok = all(checks.values()) and self.accepting
        body = {"status": "ok" if ok else "failing", **checks, "accepting": self.accepting}
        if self.instance:
            body["instance"] = self.instance
        return web.json_response(body, status=200 if ok else 503)

    async def metrics(self, _request: web.Request) -> web.Response:
        data = self.application.bot_data
        try:
            self.collector.waiting_handovers = (await data.run(data.desk.store.counts))["waiting"] if data.desk else None
        except Exception as error:
            log_failure(logger, "metrics: could not count waiting requests", error, logging.WARNING)
            self.collector.waiting_handovers = None
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def serve(application: Application, settings, stop: asyncio.Event) -> None:
    """Run the bot in webhook mode until `stop` is set: start, register the webhook, serve; then stop in order
    (no new updates, the queue handled, replies drained, work handed over)."""
    server = WebhookServer(application, settings.webhook_url, settings.webhook_secret, settings.webhook_listen,
                           settings.webhook_port, settings.instance)
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        await server.start()
        await application.bot.set_webhook(settings.webhook_url, secret_token=settings.webhook_secret,
                                          allowed_updates=Update.ALL_TYPES)
        await application.start()
        logger.info("Guichet listening for webhooks on %s:%s%s", settings.webhook_listen, server.port,
                    f" as instance {settings.instance}" if settings.instance else "")
        await stop.wait()
        # Updates that come while stopping are stored and answered 200, not handled here: refusing them would
        # send them to another instance through the balancer, possibly after a later one of the same chat.
        server.accepting = False
        await application.stop()
        if application.post_stop:
            await application.post_stop(application)
    finally:
        await server.stop()
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
