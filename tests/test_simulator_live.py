"""The phone page's live events, its files, and how msg markup is split for it."""

from __future__ import annotations

import asyncio
from html.parser import HTMLParser
import json
import re

import aiohttp
from aiohttp import WSCloseCode, WSMsgType
import pytest

from hoiio_simulator import HoiioSimulator
from hoiio_simulator.live import LiveHub
from hoiio_simulator.markup import message_parts
from hoiio_simulator.page import STATIC_DIR

from .helpers import CALLER, HOIIO_NUMBER, TRANSFER_DEST, NotifySink, api, incoming
from .phone_helpers import Live, call_from_phone, post

SVG_NAMESPACE = 'xmlns="http://www.w3.org/2000/svg"'


@pytest.fixture
def phone(simulator: HoiioSimulator, notify_sink: NotifySink) -> HoiioSimulator:
    """The simulator, its number announced to the sink."""
    simulator.set_number_notify_url(HOIIO_NUMBER, notify_sink.url)
    return simulator


async def until_watchers(simulator: HoiioSimulator, count: int) -> None:
    """Let the server run until it counts `count` watching pages."""
    # The server runs in this event loop: yielding lets it handle the close.
    async with asyncio.timeout(10):
        while simulator.phone_watchers != count:  # noqa: ASYNC110
            await asyncio.sleep(0)


async def test_a_new_page_gets_the_current_calls(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await call_from_phone(phone)
    await api(
        phone,
        "ivr/middle/gather",
        session=session,
        msg="Hi",
        max_digits="1",
        notify_url=notify_sink.url,
    )
    live = await Live.connect(phone)
    try:
        hello = live.hello
    finally:
        await live.close()
    assert hello["type"] == "hello"
    assert hello["numbers"] == [{"number": HOIIO_NUMBER, "ready": True}]
    assert hello["caller"] == CALLER
    [call] = hello["calls"]
    assert call["call"]["session"] == session
    assert call["call"]["interactive"] is True
    assert call["call"]["waiting"]["kind"] == "digits"
    assert call["call"]["waiting"]["max_digits"] == 1
    assert [entry["kind"] for entry in call["entries"]] == [
        "ringing",
        "notified",
        "answered",
        "gather",
    ]
    assert call["entries"][3]["parts"] == [
        {"kind": "speech", "text": "Hi", "language": "en", "gender": "female"}
    ]


# The transcript of a call from the phone: a gather, then a transfer answered.
WHOLE_CALL = [
    "ringing",
    "notified",
    "answered",
    "gather",
    "keys",
    "result",
    "notified",
    "transfer",
    "far_end",
    "caller_hangup",
    "result",
    "ended",
    "notified",
]


async def test_a_whole_call_in_order_on_two_pages(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    first, second = await Live.connect(phone), await Live.connect(phone)
    try:
        session = await call_from_phone(phone)
        hook = notify_sink.url
        await api(phone, "ivr/middle/gather", session=session, notify_url=hook)
        await first.waiting(session, "digits")
        await post(phone, "keys", session=session, keys="1#")
        await first.entry(session, "notified", block="gather")
        await api(
            phone,
            "ivr/end/transfer",
            session=session,
            dest=TRANSFER_DEST,
            notify_url=hook,
        )
        await first.waiting(session, "far_end")
        await post(phone, "far_end", session=session, outcome="answered")
        call = await first.waiting(session, "connected")
        assert call["transfer_dest"] == TRANSFER_DEST
        await post(phone, "hangup", session=session)
        hangup = await first.entry(session, "caller_hangup")
        ended = await first.entry(session, "ended")
        await first.entry(session, "notified", block="transfer")
        await second.until(lambda m: m["seq"] == first.messages[-1]["seq"])
    finally:
        await first.close()
        await second.close()
    assert first.kinds(session) == WHOLE_CALL
    assert (ended["currency"], ended["rate"], ended["duration"]) == (
        "SGD",
        "0.130",
        "1",
    )
    assert hangup["notified"] is True
    seqs = [message["seq"] for message in first.messages]
    assert seqs == sorted(set(seqs))
    assert second.messages[1:] == first.messages[1:]


async def test_call_states_follow_the_call(
    phone: HoiioSimulator, notify_sink: NotifySink
) -> None:
    live = await Live.connect(phone)
    try:
        session = await incoming(phone, notify_sink.url)
        ringing = await live.until(lambda m: m["type"] == "call")
        await api(phone, "ivr/middle/hold", session=session)
        held = await live.until(lambda m: m["type"] == "call" and m["call"]["on_hold"])
        await post(phone, "hangup", session=session)
        ended = await live.until(
            lambda m: m["type"] == "call" and m["call"]["state"] == "ended"
        )
    finally:
        await live.close()
    assert (ringing["call"]["state"], ringing["call"]["interactive"]) == (
        "ringing",
        False,
    )
    assert held["call"]["state"] == "ongoing"
    assert ended["call"]["cost"]["debit"] == "0.050"
    assert "hold" in live.kinds(session)
    # On hold no block runs: the hang-up posts no notification, and says so.
    [hangup] = [
        m["entry"]
        for m in live.messages
        if m["type"] == "entry" and m["entry"]["kind"] == "caller_hangup"
    ]
    assert hangup["notified"] is False


async def test_an_undelivered_notification_shows_its_error(
    phone: HoiioSimulator,
) -> None:
    phone.set_number_notify_url(HOIIO_NUMBER, "http://example.com/hook")
    live = await Live.connect(phone)
    try:
        session = await call_from_phone(phone)
        line = await live.entry(session, "notified")
    finally:
        await live.close()
    assert (line["block"], line["status"]) == ("answer", None)
    assert line["error"] == "not delivered: only IP literals and localhost"


async def test_numbers_are_sent_again_when_a_notify_url_is_set(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    live = await Live.connect(simulator)
    try:
        assert live.hello["numbers"] == [{"number": HOIIO_NUMBER, "ready": False}]
        await post(
            simulator, "numbers", number="+6531589999", notify_url=notify_sink.url
        )
        message = await live.until(lambda m: m["type"] == "numbers")
    finally:
        await live.close()
    assert message["numbers"] == [
        {"number": HOIIO_NUMBER, "ready": False},
        {"number": "+6531589999", "ready": True},
    ]


async def test_closing_a_page_stops_its_events(phone: HoiioSimulator) -> None:
    first, second = await Live.connect(phone), await Live.connect(phone)
    await until_watchers(phone, 2)
    await first.close()
    await until_watchers(phone, 1)
    await second.close()
    await until_watchers(phone, 0)
    # No page watches: a dial takes the configured outcome again.
    answer = await api(phone, "ivr/start/dial", dest=TRANSFER_DEST)
    assert not phone.sessions[answer["session"]].interactive


async def test_what_a_page_sends_is_ignored_and_too_much_closes_it(
    phone: HoiioSimulator,
) -> None:
    live = await Live.connect(phone)
    try:
        await live.socket.send_str("hello?")
        await live.socket.send_bytes(b"\xff\xfe\x00")
        session = await call_from_phone(phone)
        await live.entry(session, "ringing")
        await live.socket.send_str("x" * 100_000)
        async with asyncio.timeout(10):
            while (closing := await live.socket.receive()).type == WSMsgType.TEXT:
                pass
    finally:
        await live.close()
    assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
    assert live.socket.close_code == WSCloseCode.MESSAGE_TOO_BIG
    await until_watchers(phone, 0)
    assert (await post(phone, "hangup", session=session))[0] == 200


async def test_stopping_the_simulator_lets_pages_go(
    simulator: HoiioSimulator,
) -> None:
    live = await Live.connect(simulator)
    try:
        await simulator.stop()
        message = await live.socket.receive(timeout=10)
    finally:
        await live.close()
    assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
    assert live.socket.close_code == WSCloseCode.GOING_AWAY


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        ({}, 400, "expected a WebSocket upgrade"),
        (
            {"Origin": "https://example.com"},
            403,
            "only pages of the simulator may watch",
        ),
    ],
)
async def test_the_live_route_refuses_what_is_not_its_page(
    simulator: HoiioSimulator, headers: dict[str, str], status: int, error: str
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{simulator.url}/_simulator/live", headers=headers) as response,
    ):
        assert (response.status, await response.json()) == (status, {"error": error})


async def test_the_page_may_watch_from_its_own_origin(
    simulator: HoiioSimulator,
) -> None:
    live = await Live.connect(simulator, Origin=simulator.url)
    await live.close()
    assert live.hello["type"] == "hello"
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await Live.connect(simulator, Origin="http://localhost:1")


def test_a_page_that_falls_behind_is_dropped() -> None:
    hub = LiveHub(lambda: {"calls": []})
    slow = hub.subscribe(limit=3)
    fast = hub.subscribe()
    for number in range(3):
        hub.publish({"type": "test", "number": number})
    assert (slow.overflowed, slow.closed, hub.watching) == (True, True, 1)
    assert not fast.overflowed
    hub.close()
    assert (fast.closed, hub.watching) == (True, 0)
    fast.push("too late")
    assert fast.closed


async def test_events_are_numbered_in_publishing_order() -> None:
    hub = LiveHub(lambda: {"calls": []})
    watch = hub.subscribe()
    hub.publish({"type": "first"})
    hub.publish({"type": "second"})
    hub.unsubscribe(watch)
    hub.publish({"type": "unseen"})
    received = [json.loads(text) async for text in watch.messages()]
    assert [(m["type"], m["seq"]) for m in received] == [
        ("hello", 1),
        ("first", 2),
        ("second", 3),
    ]


class _References(HTMLParser):
    """Collect every src and href of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value or "" for name, value in attrs if name in ("src", "href")]


async def test_the_page_and_its_files_come_from_the_simulator_alone(
    simulator: HoiioSimulator,
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(simulator.phone_url) as response:
            assert response.status == 200
            assert response.content_type == "text/html"
            policy = response.headers["Content-Security-Policy"]
            page = await response.text()
        parser = _References()
        parser.feed(page)
        assert parser.urls
        for url in parser.urls:
            assert url.startswith("/phone/"), url
            async with http.get(simulator.url + url) as asset:
                assert asset.status == 200, url
    assert "default-src 'self'" in policy
    for path in STATIC_DIR.iterdir():
        # An SVG names its XML namespace with a URL that is never fetched.
        text = path.read_text(encoding="utf-8").replace(SVG_NAMESPACE, "")
        assert not re.search(r"https?://|['\"(]//", text), path.name


@pytest.mark.parametrize(
    ("msg", "parts"),
    [
        ("", []),
        (
            'Hi <speech language="zh-HK" gender="male">歡迎</speech> there',
            [
                {"kind": "speech", "text": "Hi", "language": "en", "gender": "female"},
                {
                    "kind": "speech",
                    "text": "歡迎",
                    "language": "zh-HK",
                    "gender": "male",
                },
                {
                    "kind": "speech",
                    "text": "there",
                    "language": "en",
                    "gender": "female",
                },
            ],
        ),
        (
            "<url> https://example.com/a.mp3 </url>R&D  &amp;\n co",
            [
                {"kind": "audio", "url": "https://example.com/a.mp3"},
                {
                    "kind": "speech",
                    "text": "R&D & co",
                    "language": "en",
                    "gender": "female",
                },
            ],
        ),
        (
            "<broken",
            [
                {
                    "kind": "speech",
                    "text": "<broken",
                    "language": "en",
                    "gender": "female",
                }
            ],
        ),
    ],
)
def test_message_parts(msg: str, parts: list[dict[str, str]]) -> None:
    assert message_parts(msg) == parts
