"""The delivery path at the core: the pacer's retries and pacing, the courier's outbox, order, fairness and refusals,
the ledger of updates; and the fake Bot API's fault model that the end-to-end tests rely on."""

from __future__ import annotations

import asyncio
from typing import List, Tuple

import aiohttp
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.assistant import Button, Media, Reply, Venue
from bot.delivery import Courier, Pacer, UpdateLedger, reply_from_payload, reply_payload
from bot.devtools.fake_bot_api import FakeBotAPI, Faults


async def _inline(function, *args):
    return function(*args)


class Flaky:
    """A Bot API call that fails with `errors` (in order), then succeeds."""

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": True}


async def _through(pacer: Pacer, call: Flaky, chat=7):
    return await pacer.process_request(call, (), {}, "sendMessage", {"chat_id": chat}, None)


async def test_the_pacer_waits_after_flood_control_and_retries_network_errors_with_a_bound():
    pacer = Pacer(backoff=0.001)
    call = Flaky(RetryAfter(0), TimedOut(), NetworkError("Bad Gateway"))
    assert await _through(pacer, call) == {"ok": True}
    assert call.calls == 4 and pacer.counts == {"retry_after": 1, "network_error": 2}
    hopeless = Flaky(*[NetworkError("Bad Gateway")] * 10)
    with pytest.raises(NetworkError):
        await _through(Pacer(backoff=0.001, max_tries=4), hopeless)
    assert hopeless.calls == 4


@pytest.mark.parametrize("error", [Forbidden("blocked"), BadRequest("can't parse entities")])
async def test_refusals_are_never_retried(error):
    call = Flaky(error)
    with pytest.raises(type(error)):
        await _through(Pacer(backoff=0.001), call)
    assert call.calls == 1


class RecordingBot:
    """Stands in for telegram.Bot: records (chat, text) in the order Telegram would have accepted them."""

    def __init__(self, pacer: Pacer, refuse=None):
        self.pacer = pacer
        self.sent: List[Tuple[int, str]] = []
        self.refuse = refuse or {}

    async def _call(self, chat_id, text):
        async def call():
            if chat_id in self.refuse:
                raise self.refuse[chat_id]
            self.sent.append((chat_id, text))
        await self.pacer.process_request(call, (), {}, "sendMessage", {"chat_id": chat_id}, None)

    async def send_message(self, chat_id, text, **_options):
        await self._call(chat_id, text)

    async def send_photo(self, chat_id, file_id, caption="", **_options):
        await self._call(chat_id, f"photo {file_id}: {caption}")

    async def send_venue(self, chat_id, latitude, longitude, title, address):
        await self._call(chat_id, f"venue {title}")

    def __getattr__(self, name):  # send_document, send_voice…: not used here
        raise AssertionError(f"unexpected call {name}")


class Desk:
    def __init__(self):
        self.unreachable_keys, self.delivered_ids = [], []

    def unreachable(self, key):
        self.unreachable_keys.append(key)
        return [Reply("Your person left", "en", to="telegram:900")]

    def delivered(self, relay_id):
        self.delivered_ids.append(relay_id)

    def error(self, sender):
        return [Reply("Sorry, something went wrong", "en")]


async def _idle(courier: Courier) -> None:
    while not courier.idle():
        await asyncio.sleep(0.01)


async def test_a_long_relay_does_not_hold_back_a_new_persons_first_answer(sqlite_storage):
    bot = RecordingBot(Pacer(overall_rate=30, chat_rate=20, chat_burst=3))
    courier = Courier(bot, sqlite_storage.outbox, _inline, Desk())
    await courier.post([Reply(f"relay {n}", "en", to="telegram:900") for n in range(12)], 1)
    await courier.post([Reply("your answer", "en")], 2)
    await _idle(courier)
    order = [text for _chat, text in bot.sent]
    assert order.index("your answer") < order.index("relay 4")  # the relay's burst, then the newcomer
    assert [t for t in order if t.startswith("relay")] == [f"relay {n}" for n in range(12)]  # its own order kept
    assert sqlite_storage.outbox.pending() == []  # every sent reply left the outbox


async def test_replies_are_stored_before_they_are_sent_and_survive_a_stop(sqlite_storage):
    """A courier that stops before sending: the next one (after a restart) sends the same replies, in order."""
    never = RecordingBot(Pacer(backoff=0.001), refuse={5: NetworkError("down")})
    first = Courier(never, sqlite_storage.outbox, _inline, Desk(), stalled_seconds=60)
    replies = [Reply("one", "ar", ((Button("➕", "more:ask_housing:3"),),), Venue(50.6, 5.5, "CPAS", "Place"),
                     media=Media("photo", "FILE")), Reply("two", "ar")]
    await first.post(replies, 5)
    assert await first.drain(0.05) == 2  # nothing could go out; both kept
    assert [reply_from_payload(o.payload) for o in sqlite_storage.outbox.pending()] == replies
    again = RecordingBot(Pacer())
    second = Courier(again, sqlite_storage.outbox, _inline, Desk())
    assert await second.restore() == 2
    await _idle(second)
    assert again.sent == [(5, "photo FILE: one"), (5, "venue CPAS"), (5, "two")]
    assert sqlite_storage.outbox.pending() == []


async def test_blocked_and_unknown_chats_are_told_to_the_desk_by_type_and_a_bad_reply_gets_an_apology(sqlite_storage):
    desk = Desk()
    bot = RecordingBot(Pacer(backoff=0.001), refuse={800: Forbidden("blocked"), 801: BadRequest("Chat not found"),
                                                      3: BadRequest("can't parse entities")})
    courier = Courier(bot, sqlite_storage.outbox, _inline, desk)
    await courier.post([Reply("to the interpreter", "en", to="telegram:800"),
                        Reply("to the other one", "en", to="telegram:801")], 1)
    await courier.post([Reply("<b>broken", "en")], 3)
    await _idle(courier)
    assert desk.unreachable_keys == ["telegram:800", "telegram:801"]
    assert bot.sent == [(900, "Your person left"), (900, "Your person left")]
    assert courier.counts["forbidden"] == 1 and courier.counts["bad_request"] == 3  # 801, the reply and its apology
    # the apology to chat 3 was refused too (the fake refuses everything there): it is not apologised for again
    assert sqlite_storage.outbox.pending() == []


async def test_a_relayed_message_counts_as_delivered_only_once_telegram_accepted_it(sqlite_storage):
    desk = Desk()
    bot = RecordingBot(Pacer())
    courier = Courier(bot, sqlite_storage.outbox, _inline, desk)
    await courier.post([Reply("hello", "ar", to="telegram:900", relay_id=41)], 1)
    await _idle(courier)
    assert desk.delivered_ids == [41]


def test_reply_payload_round_trip():
    reply = Reply("x", "fa", ((Button("a", "menu"), Button("b", "lang")),), None, "📍", "telegram:1",
                  Media("location", latitude=1.5, longitude=2.5), 3)
    assert reply_from_payload(reply_payload(reply)) == reply


async def test_the_ledger_handles_each_update_once_and_keeps_the_unhandled_ones(sqlite_storage):
    from telegram import Bot, Update

    bot = Bot("123:ABC")
    ledger = UpdateLedger(sqlite_storage.inbox, _inline)
    payload = {"update_id": 11, "message": {"message_id": 1, "date": 0,
                                            "chat": {"id": 5, "type": "private", "first_name": "Zorblatt"},
                                            "from": {"id": 5, "is_bot": False, "first_name": "Zorblatt",
                                                     "username": "zorb", "language_code": "ar"}, "text": "salam"}}
    update = Update.de_json(payload, bot)
    await ledger.received([update], None)
    stored = str(sqlite_storage.inbox.unhandled())
    assert "salam" in stored and "Zorblatt" not in stored and "zorb" not in stored  # names never reach the disk
    assert ledger.claim(update)
    await ledger.received([update], None)  # not confirmed yet: Telegram sends it again
    assert not ledger.claim(update)
    # the process dies before handling it: the next one replays it, once
    later = UpdateLedger(sqlite_storage.inbox, _inline)
    replayed = await later.replay(bot)
    assert [u.update_id for u in replayed] == [11] and replayed[0].message.text == "salam"
    assert replayed[0].effective_user.language_code == "ar"
    assert later.claim(replayed[0])
    await later.received([update], None)
    assert not later.claim(update)
    later.handled(11)
    await later.flush()
    assert sqlite_storage.inbox.unhandled() == []
    await later.received([], 12)  # confirmed: the row goes
    assert await _inline(sqlite_storage.inbox.receive, [(11, payload, None)], None) == {11}


async def test_the_fake_bot_api_refuses_like_telegram_under_load():
    api = FakeBotAPI(faults=Faults(chat_rate=1.0, chat_burst=3, bot_rate=100, error_share=0.0))
    await api.start()
    try:
        async with aiohttp.ClientSession() as session:
            url = f"{api.base_url}{api.token}/sendMessage"
            statuses = []
            for _ in range(4):
                async with session.post(url, json={"chat_id": 5, "text": "hi"}) as response:
                    statuses.append((response.status, (await response.json()).get("parameters")))
            assert statuses[:3] == [(200, None)] * 3 and statuses[3] == (429, {"retry_after": 1})
            async with session.post(url, json={"chat_id": 6, "text": "hi"}) as response:
                assert response.status == 200  # another chat has its own limit
            api.set_faults(Faults(error_share=0.5, seed=3))
            codes = []
            for _ in range(20):
                async with session.post(url, json={"chat_id": 7, "text": "hi"}) as response:
                    codes.append(response.status)
            assert 0 < codes.count(502) < 20 and api.refused["502"] == codes.count(502)
            api.set_faults(Faults())
            api.drop_next = 1
            with pytest.raises(aiohttp.ClientError):
                async with session.post(url, json={"chat_id": 7, "text": "hi"}) as response:
                    await response.read()
        assert len(api.sent_to(5)) == 3 and api.refused["dropped"] == 1
    finally:
        await api.stop()
