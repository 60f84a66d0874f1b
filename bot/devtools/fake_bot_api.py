"""A local fake of the Telegram Bot API over HTTP, for end-to-end tests and the benchmark.

It speaks the documented Bot API (https://core.telegram.org/bots/api) closely enough for
python-telegram-bot: getMe, getUpdates (long polling; an update comes again until a later call's offset
confirms it), sendMessage (checking the HTML the way Telegram does), sendVenue, answerCallbackQuery,
setMyCommands, … Tests inject updates as people would send them and read what the bot sent. Listens on
127.0.0.1 only.

`Faults` make it behave like Telegram under load (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
flood control per bot and per chat (HTTP 429 with `retry_after`), a seeded share of HTTP 502, and connections
dropped without an answer. A refused or dropped call is not delivered (not in `calls`); `refused` counts them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Callable, Dict, List, Optional, Set

from aiohttp import web

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Guichet", "username": "guichet_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
                "tg-spoiler", "blockquote", "tg-emoji"}


class _TelegramHTML(HTMLParser):
    """Rejects what Telegram rejects: unknown tags and unbalanced tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: List[str] = []
        self.error: Optional[str] = None

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.error = self.error or f"Unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.error = self.error or f"Can't find end tag corresponding to start tag \"{tag}\""


def html_problem(text: str) -> Optional[str]:
    parser = _TelegramHTML()
    parser.feed(text)
    parser.close()
    if parser.stack and not parser.error:
        return f"Can't find end tag corresponding to start tag \"{parser.stack[-1]}\""
    return parser.error


@dataclass
class Faults:
    """What goes wrong, as on Telegram under load. Rates are messages per second (0: no limit); a bucket holds
    `*_burst` messages, so a short burst passes and a steady flow is held to the rate."""

    bot_rate: float = 0.0
    bot_burst: int = 30
    chat_rate: float = 0.0
    chat_burst: int = 3
    error_share: float = 0.0  # calls answered HTTP 502 Bad Gateway
    drop_share: float = 0.0  # calls whose connection is closed without an answer
    seed: int = 0

    @classmethod
    def telegram(cls, seed: int = 0, error_share: float = 0.03, drop_share: float = 0.0) -> "Faults":
        """Telegram's documented limits: about 30 messages a second overall, about 1 a second in one chat."""
        return cls(bot_rate=30.0, bot_burst=30, chat_rate=1.0, chat_burst=3, error_share=error_share,
                   drop_share=drop_share, seed=seed)


class _Bucket:
    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), time.monotonic()

    def wait(self) -> float:
        """0 when a message may go now (and takes its place), else the seconds until one may."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: Dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> Optional[int]:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    @property
    def buttons(self) -> List[Dict[str, str]]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


class FakeBotAPI:
    """The fake server: `await start()`, inject updates, `await wait_for_replies(...)`, `await stop()`."""

    def __init__(self, token: str = "123456:TEST-TOKEN", faults: Optional[Faults] = None):
        self.token = token
        self.faults = faults or Faults()
        self._random = random.Random(self.faults.seed)
        self._bot_bucket: Optional[_Bucket] = None
        self._chat_buckets: Dict[int, _Bucket] = {}
        self.refused: Counter = Counter()  # "429", "502", "dropped"
        self.drop_next = 0  # drop the connection of the next n calls (other than getUpdates)
        self.calls: List[Call] = []
        self.updates: List[Dict[str, Any]] = []
        self.injected_at: Dict[int, float] = {}
        self.blocked: Set[int] = set()
        self.first_poll_at: Optional[float] = None
        self.polls = 0
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._runner: Optional[web.AppRunner] = None
        self.port: Optional[int] = None
        self.webhook: Optional[Dict[str, str]] = None  # set by setWebhook: updates are POSTed there
        self.webhook_sets = 0
        self.webhook_connections = 8  # Telegram's default max_connections is 40
        self.webhook_retry_seconds = 0.5
        self.webhook_answers: Counter = Counter()  # HTTP status (or "error") of every webhook POST
        self._deliverer: Optional[asyncio.Task] = None

    # -- server --------------------------------------------------------------------------
    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def stop(self) -> None:
        self.webhook = None
        if self._deliverer is not None:
            self._deliverer.cancel()
            await asyncio.gather(self._deliverer, return_exceptions=True)
        if self._runner:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> Dict[str, Any]:
        if request.content_type == "application/json":
            raw = await request.json()
        else:
            raw = dict(await request.post()) if request.can_read_body else {}
            raw.update(request.query)
        params = {}
        for key, value in raw.items():
            if isinstance(value, web.FileField):  # an upload (multipart): kept as its bytes
                value = {"filename": value.filename, "bytes": value.file.read()}
            if isinstance(value, str) and value[:1] in "[{":
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        handler: Optional[Callable] = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        if method != "getUpdates":
            fault = self._fault(method, params)
            if fault == "drop":
                self.refused["dropped"] += 1
                request.transport.abort()  # the client sees the connection reset, with no answer
                return web.Response(status=499)
            if fault is not None:
                return fault
            self.calls.append(Call(method, params))
            self._new_call.set()
        try:
            result = await handler(params)
        except _APIError as error:
            return web.json_response({"ok": False, "error_code": error.code, "description": error.description}, status=error.code)
        return web.json_response({"ok": True, "result": result})

    def set_faults(self, faults: Faults) -> None:
        self.faults, self._random = faults, random.Random(faults.seed)
        self._bot_bucket, self._chat_buckets = None, {}

    def _fault(self, method: str, params: Dict[str, Any]):
        """None when the call goes through; else 'drop' or the error response (429 or 502)."""
        faults = self.faults
        if self.drop_next > 0:
            self.drop_next -= 1
            return "drop"
        if faults.drop_share and self._random.random() < faults.drop_share:
            return "drop"
        if faults.error_share and self._random.random() < faults.error_share:
            self.refused["502"] += 1
            return web.json_response({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)
        if not method.startswith("send") or "chat_id" not in params:
            return None
        wait = 0.0
        if faults.chat_rate:
            chat = int(params["chat_id"])
            bucket = self._chat_buckets.setdefault(chat, _Bucket(faults.chat_rate, faults.chat_burst))
            wait = bucket.wait()
        if not wait and faults.bot_rate:
            if self._bot_bucket is None:
                self._bot_bucket = _Bucket(faults.bot_rate, faults.bot_burst)
            wait = self._bot_bucket.wait()
            if wait and faults.chat_rate:  # refused: the chat's place is given back
                self._chat_buckets[int(params["chat_id"])].tokens += 1
        if not wait:
            return None
        self.refused["429"] += 1
        retry_after = max(1, math.ceil(wait))
        return web.json_response({"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
                                  "parameters": {"retry_after": retry_after}}, status=429)

    # -- Bot API methods -----------------------------------------------------------------
    async def _api_getme(self, params):
        return BOT_USER

    async def _api_deletewebhook(self, params):
        self.webhook = None
        return True

    async def _api_setwebhook(self, params):
        """From now on updates are POSTed to the URL, as Telegram does: in order, up to `webhook_connections` at
        once, each sent again (after `webhook_retry_seconds`) until answered 2xx; getUpdates is refused meanwhile."""
        url = params.get("url") or ""
        if not url:
            self.webhook = None
            return True
        self.webhook = {"url": url, "secret": params.get("secret_token") or ""}
        self.webhook_sets += 1
        if self._deliverer is None or self._deliverer.done():
            self._deliverer = asyncio.get_running_loop().create_task(self._deliver_webhooks())
        return True

    async def _api_getwebhookinfo(self, params):
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self.updates)}

    async def _deliver_webhooks(self) -> None:
        import aiohttp

        slots = asyncio.Semaphore(self.webhook_connections)
        in_flight: Set[int] = set()

        async def post(session, update) -> None:
            try:
                headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook["secret"]} if self.webhook["secret"] else {}
                async with session.post(self.webhook["url"], json=update, headers=headers) as response:
                    self.webhook_answers[response.status] += 1
                    if 200 <= response.status < 300:
                        self.updates = [u for u in self.updates if u["update_id"] != update["update_id"]]
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                self.webhook_answers["error"] += 1
            except TypeError:  # the webhook was deleted meanwhile
                return
            finally:
                slots.release()
            await asyncio.sleep(self.webhook_retry_seconds)
            in_flight.discard(update["update_id"])  # sent again by the loop
            self._new_update.set()
            return

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            while self.webhook is not None:
                for update in list(self.updates):
                    if update["update_id"] in in_flight or self.webhook is None:
                        continue
                    await slots.acquire()
                    in_flight.add(update["update_id"])
                    asyncio.get_running_loop().create_task(post(session, update))
                self._new_update.clear()
                try:
                    await asyncio.wait_for(self._new_update.wait(), 0.2)
                except asyncio.TimeoutError:
                    pass

    async def _api_setmycommands(self, params):
        return True

    async def _api_answercallbackquery(self, params):
        return True

    async def _api_close(self, params):
        return True

    async def _api_getupdates(self, params):
        if self.webhook is not None:
            raise _APIError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        if self.first_poll_at is None:
            self.first_poll_at = time.monotonic()
        self.polls += 1
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while not self.updates and time.monotonic() < deadline:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                break
        return self.updates[:limit]

    def _check_chat(self, params) -> int:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            raise _APIError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _message(self, chat_id: int, **content) -> Dict[str, Any]:
        return {"message_id": next(self._message_ids), "date": int(time.time()), "from": BOT_USER,
                "chat": {"id": chat_id, "type": "private", "first_name": "Person"}, **content}

    async def _api_sendmessage(self, params):
        chat_id = self._check_chat(params)
        text = params.get("text", "")
        if not text.strip():
            raise _APIError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise _APIError(400, "Bad Request: message is too long")
        if params.get("parse_mode") == "HTML":
            problem = html_problem(text)
            if problem:
                raise _APIError(400, f"Bad Request: can't parse entities: {problem}")
        for button in Call("", params).buttons:
            if len(button.get("callback_data", "").encode()) > 64:
                raise _APIError(400, "Bad Request: BUTTON_DATA_INVALID")
        return self._message(chat_id, text=text)

    async def _api_sendvenue(self, params):
        chat_id = self._check_chat(params)
        venue = {"location": {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])},
                 "title": params["title"], "address": params["address"]}
        return self._message(chat_id, venue=venue, location=venue["location"])

    async def _send_media(self, kind: str, params):
        chat_id = self._check_chat(params)
        caption = params.get("caption", "")
        if caption and params.get("parse_mode") == "HTML":
            problem = html_problem(caption)
            if problem:
                raise _APIError(400, f"Bad Request: can't parse entities: {problem}")
        if len(caption) > 1024:
            raise _APIError(400, "Bad Request: message caption is too long")
        sent = params.get(kind, "")
        file_id = sent if isinstance(sent, str) else f"UPLOADED-{kind}-{next(self._message_ids)}"  # a new file
        return self._message(chat_id, **{kind: {"file_id": file_id, "file_unique_id": "u"}},
                             **({"caption": caption} if caption else {}))

    async def _api_sendphoto(self, params):
        chat_id = self._check_chat(params)
        message = await self._send_media("document", params)
        message.pop("document")
        message["photo"] = [{"file_id": params.get("photo", ""), "file_unique_id": "u", "width": 90, "height": 90}]
        message["chat"]["id"] = chat_id
        return message

    async def _api_senddocument(self, params):
        return await self._send_media("document", params)

    async def _api_sendvoice(self, params):
        message = await self._send_media("voice", params)
        message["voice"]["duration"] = 1
        return message

    async def _api_sendaudio(self, params):
        message = await self._send_media("audio", params)
        message["audio"]["duration"] = 1
        return message

    async def _api_sendvideo(self, params):
        message = await self._send_media("video", params)
        message["video"].update(width=1, height=1, duration=1)
        return message

    async def _api_sendanimation(self, params):
        message = await self._send_media("animation", params)
        message["animation"].update(width=1, height=1, duration=1)
        return message

    async def _api_sendsticker(self, params):
        message = await self._send_media("sticker", params)
        message["sticker"].update(width=512, height=512, is_animated=False, is_video=False, type="regular")
        return message

    async def _api_sendvideonote(self, params):
        message = await self._send_media("video_note", params)
        message["video_note"].update(length=1, duration=1)
        return message

    async def _api_sendlocation(self, params):
        chat_id = self._check_chat(params)
        return self._message(chat_id, location={"latitude": float(params["latitude"]), "longitude": float(params["longitude"])})

    async def _api_editmessagetext(self, params):
        return self._message(int(params.get("chat_id", 0)), text=params.get("text", ""))

    async def _api_editmessagereplymarkup(self, params):
        return self._message(int(params.get("chat_id", 0)), text="")

    # -- what people send ----------------------------------------------------------------
    @staticmethod
    def _user(user_id: int, language_code: Optional[str]) -> Dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": f"Person{user_id}"}
        if language_code:
            user["language_code"] = language_code
        return user

    def _push(self, payload: Dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self.updates.append({"update_id": update_id, **payload})
        self.injected_at[update_id] = time.monotonic()
        self._new_update.set()
        return update_id

    def _incoming(self, user_id: int, language_code: Optional[str], **content) -> Dict[str, Any]:
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": f"Person{user_id}"},
                "from": self._user(user_id, language_code), **content}

    def send_text(self, user_id: int, text: str, language_code: Optional[str] = "en") -> int:
        content: Dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._push({"message": self._incoming(user_id, language_code, **content)})

    def send_sticker(self, user_id: int, language_code: Optional[str] = "en") -> int:
        sticker = {"file_id": "CAACAgIAAxk", "file_unique_id": "AgAD", "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False}
        return self._push({"message": self._incoming(user_id, language_code, sticker=sticker)})

    def send_photo(self, user_id: int, language_code: Optional[str] = "en", file_id: str = "AgACAgQ",
                   caption: str = "") -> int:
        photo = [{"file_id": "small", "file_unique_id": "AQADs", "width": 30, "height": 30},
                 {"file_id": file_id, "file_unique_id": "AQAD", "width": 90, "height": 90}]
        content: Dict[str, Any] = {"photo": photo}
        if caption:
            content["caption"] = caption
        return self._push({"message": self._incoming(user_id, language_code, **content)})

    def send_voice(self, user_id: int, language_code: Optional[str] = "en") -> int:
        voice = {"file_id": "AwACAgQ", "file_unique_id": "AgADv", "duration": 3}
        return self._push({"message": self._incoming(user_id, language_code, voice=voice)})

    def send_location(self, user_id: int, latitude: float, longitude: float, language_code: Optional[str] = "en") -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return self._push({"message": self._incoming(user_id, language_code, location=location)})

    def send_document(self, user_id: int, language_code: Optional[str] = "en") -> int:
        return self.push_document(user_id, language_code)

    def push_document(self, user_id: int, language_code: Optional[str] = "en", file_id: str = "BQACAgQ",
                      caption: str = "") -> int:
        document = {"file_id": file_id, "file_unique_id": "AgADd", "file_name": "letter.pdf"}
        content: Dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return self._push({"message": self._incoming(user_id, language_code, **content)})

    def edit_text(self, user_id: int, text: str, language_code: Optional[str] = "en") -> int:
        message = self._incoming(user_id, language_code, text=text, edit_date=int(time.time()))
        return self._push({"edited_message": message})

    def press(self, user_id: int, data: str, language_code: Optional[str] = "en") -> int:
        query = {"id": f"cb{next(self._message_ids)}", "from": self._user(user_id, language_code),
                 "chat_instance": f"ci{user_id}", "data": data,
                 "message": self._message(user_id, text="(an earlier message)")}
        return self._push({"callback_query": query})

    # -- what the bot sent ---------------------------------------------------------------
    def sent_to(self, chat_id: int, method: str = "sendMessage") -> List[Call]:
        return [c for c in self.calls if c.method == method and c.chat_id == chat_id]

    async def wait_for(self, predicate: Callable[[List[Call]], bool], timeout: float = 10.0) -> List[Call]:
        deadline = time.monotonic() + timeout
        while not predicate(self.calls):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the bot did not answer as expected within {timeout}s; calls: "
                                   f"{[(c.method, c.chat_id, c.text[:60]) for c in self.calls[-10:]]}")
            self._new_call.clear()
            try:
                await asyncio.wait_for(self._new_call.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return self.calls

    async def replies(self, chat_id: int, count: int, timeout: float = 10.0, method: str = "sendMessage") -> List[Call]:
        """Wait until the bot has sent `count` messages to `chat_id` in total; return them."""
        await self.wait_for(lambda calls: len(self.sent_to(chat_id, method)) >= count, timeout)
        return self.sent_to(chat_id, method)


class _APIError(Exception):
    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code, self.description = code, description
