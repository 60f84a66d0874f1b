"""A local fake of the Telegram Bot API over HTTP, for end-to-end tests and the benchmark.

It speaks the documented Bot API (https://core.telegram.org/bots/api) closely enough for
python-telegram-bot: getMe, getUpdates (long polling), sendMessage (checking the HTML the way
Telegram does), sendVenue, answerCallbackQuery, setMyCommands, … Tests inject updates as people
would send them and read what the bot sent. Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
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

    def __init__(self, token: str = "123456:TEST-TOKEN"):
        self.token = token
        self.calls: List[Call] = []
        self.updates: List[Dict[str, Any]] = []
        self.injected_at: Dict[int, float] = {}
        self.blocked: Set[int] = set()
        self.first_poll_at: Optional[float] = None
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._runner: Optional[web.AppRunner] = None
        self.port: Optional[int] = None

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
            self.calls.append(Call(method, params))
            self._new_call.set()
        try:
            result = await handler(params)
        except _APIError as error:
            return web.json_response({"ok": False, "error_code": error.code, "description": error.description}, status=error.code)
        return web.json_response({"ok": True, "result": result})

    # -- Bot API methods -----------------------------------------------------------------
    async def _api_getme(self, params):
        return BOT_USER

    async def _api_deletewebhook(self, params):
        return True

    async def _api_setmycommands(self, params):
        return True

    async def _api_answercallbackquery(self, params):
        return True

    async def _api_close(self, params):
        return True

    async def _api_getupdates(self, params):
        if self.first_poll_at is None:
            self.first_poll_at = time.monotonic()
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
        return self._message(chat_id, **{kind: {"file_id": params.get(kind, ""), "file_unique_id": "u"}},
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
