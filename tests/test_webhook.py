"""Tests of the notification webhook, over real HTTP posts."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp.test_utils import TestClient
from homeassistant.core import Event, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hoiio.const import DOMAIN
from hoiio_simulator import HoiioSimulator

from .const import CALLER, HOIIO_NUMBER, WEBHOOK_ID
from .helpers import act, stored_tracker, until

EVENT_ENTITY = "event.demo_account_call"
ONGOING = "sensor.demo_account_ongoing_calls"
CURRENT = "sensor.demo_account_current_call"


@pytest.fixture
def notification_fields() -> str:
    """These tests post to the webhook themselves: the simulator's form does not matter."""
    return "body"


@pytest.fixture
async def post(ha_url: str, setup_integration: MockConfigEntry):  # type: ignore[no-untyped-def]
    """Post to the webhook and return (status, text)."""
    async with aiohttp.ClientSession() as session:

        async def send(
            data: object = None,
            *,
            query: str = "",
            headers: dict[str, str] | None = None,
            method: str = "POST",
        ) -> tuple[int, str]:
            url = f"{ha_url}/api/webhook/{WEBHOOK_ID}{query}"
            async with session.request(method, url, data=data, headers=headers) as resp:
                return resp.status, await resp.text()

        yield send


def answer(session: str = "S100", **extra: str) -> dict[str, str]:
    """Return the fields of an incoming call's answer notification."""
    return {
        "ivr_block": "answer",
        "session": session,
        "txn_ref": "AA-S-1",
        "from": CALLER,
        "to": HOIIO_NUMBER,
        "tag": "",
        "call_state": "ringing",
        **extra,
    }


async def test_form_notification_fires_event_and_updates_entities(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
    setup_integration: MockConfigEntry,
) -> None:
    """An answer notification is an event, an event entity change and a call."""
    assert await post(answer(extra_field="kept")) == (200, "")
    assert len(hoiio_events) == 1
    data = hoiio_events[0].data
    assert data["ivr_block"] == "answer"
    assert data["session"] == "S100"
    assert data["from"] == CALLER
    assert data["extra_field"] == "kept"
    assert data["config_entry_id"] == setup_integration.entry_id
    assert data["device_id"]
    state = hass.states.get(EVENT_ENTITY)
    assert state.attributes["event_type"] == "answer"
    assert state.attributes["from"] == CALLER
    assert hass.states.get(ONGOING).state == "1"
    current = hass.states.get(CURRENT)
    assert current.state == "ringing"
    assert current.attributes["session"] == "S100"


async def test_later_ongoing_notification_answers_a_ringing_call(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
) -> None:
    """A ringing call is ongoing once a notification says so."""
    await post(answer())
    ongoing = {"ivr_block": "play", "session": "S100", "call_state": "ongoing"}
    assert await post(ongoing) == (200, "")
    assert hass.states.get(CURRENT).state == "ongoing"
    assert hass.states.get(ONGOING).state == "1"
    again = answer(txn_ref="AA-S-2")
    assert await post(again) == (200, "")
    assert hoiio_events[-1].data["call_state"] == "ringing"
    assert hass.states.get(CURRENT).state == "ongoing"


@pytest.mark.parametrize("call_state", ["dialing", "Ongoing", "ended ", ""])
async def test_unknown_call_state_is_kept_and_counts_as_in_progress(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
    caplog: pytest.LogCaptureFixture,
    call_state: str,
) -> None:
    """A call_state the pages do not list is passed on; only `ended` ends a call."""
    caplog.set_level(logging.DEBUG, logger="custom_components.hoiio")
    assert await post(answer(call_state=call_state)) == (200, "")
    play = {"ivr_block": "play", "session": "S100", "call_state": call_state}
    assert await post(play) == (200, "")
    assert [e.data["call_state"] for e in hoiio_events] == [call_state, call_state]
    assert hass.states.get(ONGOING).state == "1"
    assert hass.states.get(CURRENT).state == "ongoing"
    assert caplog.text.count("notification field call_state as sent") == 1
    ended = {**play, "call_state": "ended", "txn_ref": "T9"}
    assert await post(ended) == (200, "")
    assert hass.states.get(ONGOING).state == "0"


async def test_ended_notification_carries_parsed_cost(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
) -> None:
    """Date, duration, rate and debit are parsed; the call stops counting."""
    await post(answer())
    ended = {
        "ivr_block": "play",
        "session": "S100",
        "call_state": "ended",
        "date": "2026-11-25 18:30:05",
        "duration": "2",
        "currency": "SGD",
        "rate": "0.050",
        "debit": "0.100",
    }
    assert await post(ended) == (200, "")
    data = hoiio_events[-1].data
    assert data["date"] == "2026-11-25T18:30:05+08:00"
    assert data["duration"] == 2
    assert data["rate"] == 0.05
    assert data["debit"] == 0.1
    assert hass.states.get(ONGOING).state == "0"


async def test_query_string_and_body_merge_body_wins(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
) -> None:
    """Fields may come in the query string; the body wins on conflicts."""
    status, _ = await post(
        {"session": "S200", "from": CALLER},
        query="?ivr_block=answer&session=S999&call_state=ongoing",
    )
    assert status == 200
    assert hoiio_events[-1].data["session"] == "S200"
    assert hoiio_events[-1].data["ivr_block"] == "answer"


async def test_unknown_block_is_reported_as_other(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
) -> None:
    """A block the integration does not know is still accepted."""
    await post(answer())
    assert await post({"ivr_block": "conference", "session": "S100"}) == (200, "")
    assert hoiio_events[-1].data["ivr_block"] == "conference"
    assert hass.states.get(EVENT_ENTITY).attributes["event_type"] == "other"


@pytest.mark.parametrize(
    ("data", "headers", "status"),
    [
        ({"ivr_block": "answer"}, None, 400),
        ({**answer(), "session": ""}, None, 400),
        (b"session=S1&ivr_block=answer&from=\xff", None, 400),
        (b"session=S1&ivr_block=answer&from=%FF", None, 400),
        (
            b'{"session": "S1", "ivr_block": "answer"}',
            {"Content-Type": "application/json"},
            415,
        ),
        (b"session=S1&ivr_block=answer&x=" + b"a" * 70000, None, 413),
    ],
)
async def test_malformed_notifications_change_nothing(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
    caplog: pytest.LogCaptureFixture,
    data: object,
    headers: dict[str, str] | None,
    status: int,
) -> None:
    """What cannot be a notification answers 4xx, fires nothing and never raises."""
    before = hass.states.get(EVENT_ENTITY).state
    if isinstance(data, bytes) and headers is None:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    result, _ = await post(data, headers=headers)
    assert result == status
    assert hoiio_events == []
    assert hass.states.get(EVENT_ENTITY).state == before
    assert hass.states.get(ONGOING).state == "0"
    assert "Error processing webhook" not in caplog.text
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/x-www-form-urlencoded", 200),
        ("Application/X-WWW-Form-Urlencoded ; charset=UTF-8", 200),
        ("text/plain;charset=utf-8", 200),
        ("", 200),
        ("not a type", 200),
        ("application/octet-stream", 200),
        ("application/json", 415),
        ("multipart/form-data; boundary=x", 415),
        ("text/html", 415),
    ],
)
async def test_declared_types_of_a_form_body(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
    content_type: str,
    status: int,
) -> None:
    """Form data, plain text, no type or an invalid one is taken, no other type."""
    body = urlencode(answer()).encode()
    result, _ = await post(body, headers={"Content-Type": content_type})
    assert result == status
    assert len(hoiio_events) == (status == 200)


@pytest.mark.parametrize(
    ("field", "sent"),
    [
        ("date", "25/11/2026"),
        ("date", "2026-13-45 10:00:00"),
        ("date", "2026-11-25 18:30:05.1234567"),
        ("debit", "1e2"),
        ("debit", "lots"),
        ("rate", "0.05 SGD"),
        ("duration", "-1"),
        ("duration", "1:30"),
        ("transfer_status", "rejected"),
        ("dial_status", "no-answer"),
    ],
)
async def test_fields_that_do_not_parse_are_passed_on_as_sent(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
    caplog: pytest.LogCaptureFixture,
    field: str,
    sent: str,
) -> None:
    """An unparseable field is kept as text; one debug line names the field."""
    caplog.set_level(logging.DEBUG, logger="custom_components.hoiio")
    await post(answer())
    ended = {"ivr_block": "hangup", "session": "S100", "call_state": "ended"}
    for number, session in enumerate(("S100", "S101", "S102")):
        fields = {**ended, "session": session, "txn_ref": f"T{number}", field: sent}
        assert await post(fields) == (200, "")
        assert hoiio_events[-1].data[field] == sent
    assert caplog.text.count(f"notification field {field} as sent") == 1
    assert sent not in caplog.text
    assert hass.states.get(ONGOING).state == "0"
    assert hass.states.get(EVENT_ENTITY).attributes[field] == sent


async def test_fractional_dates_parse(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
) -> None:
    """Dates with a fractional part, as the service sometimes sent, parse."""
    fields = {"ivr_block": "hangup", "session": "S1", "call_state": "ended"}
    await post({**fields, "date": "2012-06-06 11:10:36.0"})
    assert hoiio_events[-1].data["date"] == "2012-06-06T11:10:36+08:00"
    await post({**fields, "session": "S2", "date": "2012-06-06 11:10:36.25"})
    assert hoiio_events[-1].data["date"] == "2012-06-06T11:10:36.250000+08:00"


@pytest.mark.parametrize(
    "fields",
    [
        answer(session="bad session!"),
        answer(session="S/1 ü"),
        answer(session="s" * 2000),
        answer(tag="t" * 2049),
        answer(ivr_block="Answer"),
    ],
    ids=["spaces", "slash", "long", "long_tag", "capitals"],
)
async def test_odd_shapes_are_accepted(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
    fields: dict[str, str],
) -> None:
    """Sessions, blocks and texts of any shape are accepted and passed on."""
    assert await post(fields) == (200, "")
    assert len(hoiio_events) == 1
    data = dict(hoiio_events[0].data)
    del data["config_entry_id"], data["device_id"]
    assert data == fields
    assert hass.states.get(EVENT_ENTITY).attributes["session"] == fields["session"]
    assert hass.states.get(ONGOING).state == "1"


async def test_repeated_keys_keep_the_last_value(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
) -> None:
    """A field given twice keeps its last value; the body comes after the query."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    body = b"session=S1&session=S2&ivr_block=answer&from=%2B1&from=%2B2"
    assert await post(body, headers=headers, query="?session=S0&to=%2B9") == (200, "")
    data = hoiio_events[-1].data
    assert (data["session"], data["from"], data["to"]) == ("S2", "+2", "+9")
    assert hass.states.get(CURRENT).attributes["session"] == "S2"


async def test_only_post_is_allowed(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
) -> None:
    """A GET with the fields in the query string is refused."""
    status, _ = await post(method="GET", query="?ivr_block=answer&session=S1")
    assert status == 405
    assert hoiio_events == []


async def test_duplicate_notification_fires_once(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
) -> None:
    """The same notification posted twice is acknowledged but counted once."""
    assert await post(answer()) == (200, "")
    assert await post(answer()) == (200, "")
    assert len(hoiio_events) == 1


async def test_chunked_body_over_the_limit_is_refused(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
) -> None:
    """A body without Content-Length is cut off at the size limit."""

    async def chunks():  # type: ignore[no-untyped-def]
        yield b"session=S1&ivr_block=answer&x="
        for _ in range(20):
            yield b"a" * 8192

    status, _ = await post(
        chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 413
    assert hoiio_events == []


@pytest.mark.parametrize(
    ("query", "data", "status"),
    [
        ("?session=%FF", answer(), 400),
        ("?ha_ref=one", {**answer(), "ha_ref": "two"}, 403),
        ("?ha_ref=", answer(), 403),
    ],
)
async def test_bad_query_strings_are_refused(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
    query: str,
    data: dict[str, str],
    status: int,
) -> None:
    """Undecodable query strings answer 400, tokens none of ours 403."""
    assert (await post(data, query=query))[0] == status
    assert hoiio_events == []


@pytest.fixture
async def running_play(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> tuple[str, str]:
    """Send a play block that stays running; return its session and token."""
    simulator.config.manual_blocks = True
    await act(hass, setup_integration, "play", session=session, msg="Hello")
    call = setup_integration.runtime_data.tracker.get(session)
    assert call is not None
    assert call.pending_token is not None
    return session, call.pending_token


@pytest.mark.parametrize("sent", [None, "conference", ""])
async def test_block_is_inferred_from_the_token(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
    running_play: tuple[str, str],
    sent: str | None,
) -> None:
    """No or an unknown ivr_block with our token: the notification is the block's."""
    session, token = running_play
    fields = {"session": session, "call_state": "ongoing", "txn_ref": "T1"}
    if sent is not None:
        fields["ivr_block"] = sent
    assert await post(fields, query=f"?ha_ref={token}") == (200, "")
    data = hoiio_events[-1].data
    assert data["ivr_block"] == "play"
    assert data["ivr_block_inferred"] is True
    assert data["ivr_block_sent"] == sent
    assert {k: data[k] for k in fields if k != "ivr_block"} == {
        k: v for k, v in fields.items() if k != "ivr_block"
    }
    state = hass.states.get(EVENT_ENTITY)
    assert state.attributes["event_type"] == "play"
    assert state.attributes["ivr_block_inferred"] is True
    assert hass.states.get(CURRENT).attributes["last_block"] == "play"


async def test_known_block_is_never_replaced(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
    running_play: tuple[str, str],
) -> None:
    """A block the pages list is taken as sent, even when another is pending."""
    session, token = running_play
    fields = {"ivr_block": "hangup", "session": session, "call_state": "ended"}
    assert await post(fields, query=f"?ha_ref={token}") == (200, "")
    assert hoiio_events[-1].data["ivr_block"] == "hangup"
    assert "ivr_block_inferred" not in hoiio_events[-1].data


async def test_block_is_not_inferred_without_a_pending_block(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
    session: str,
) -> None:
    """Without a block of ours pending, a block-less notification is `other`."""
    fields = {"session": session, "call_state": "ongoing", "txn_ref": "T1"}
    assert await post(fields) == (200, "")
    data = dict(hoiio_events[-1].data)
    del data["config_entry_id"], data["device_id"]
    assert data == fields
    assert hass.states.get(EVENT_ENTITY).attributes["event_type"] == "other"


async def test_token_less_notification_of_a_busy_call_is_refused(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
    running_play: tuple[str, str],
) -> None:
    """Inference never lifts the token check: the call waits for our block."""
    session, _ = running_play
    fields = {"session": session, "call_state": "ended"}
    assert (await post(fields))[0] == 403
    assert (await post(fields, query="?ha_ref=guessed"))[0] == 403
    assert [e.data["ivr_block"] for e in hoiio_events] == ["answer"]


async def test_our_token_among_others_is_enough(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
    setup_integration: MockConfigEntry,
    running_play: tuple[str, str],
) -> None:
    """A notification carrying several tokens is accepted when one is ours."""
    session, token = running_play
    fields = {"ivr_block": "play", "session": session, "ha_ref": "other"}
    assert await post(fields, query=f"?ha_ref={token}") == (200, "")
    assert hoiio_events[-1].data["ivr_block"] == "play"
    assert "ha_ref" not in hoiio_events[-1].data
    assert not setup_integration.runtime_data.tracker.get(session).busy


async def test_only_pending_block_names_a_token_less_notification(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    ha_url: str,
    config_entry: MockConfigEntry,
    hoiio_events: list[Event],
) -> None:
    """A call not waiting on us, with exactly one block of ours pending: that block.

    The tracker holds such a call when the answer of the service to a block came
    after the call's first notification; the state is restored here from storage.
    """
    config_entry.add_to_hass(hass)
    hass_storage[f"{DOMAIN}.{config_entry.entry_id}"] = stored_tracker(
        config_entry.entry_id,
        {"S1": "ongoing", "S2": "ongoing"},
        [
            {"token": "t1", "session": "S1", "block": "gather"},
            {"token": "t2", "session": "S2", "block": "gather"},
            {"token": "t3", "session": "S2", "block": "play"},
        ],
        minor_version=2,
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    url = f"{ha_url}/api/webhook/{WEBHOOK_ID}"
    async with aiohttp.ClientSession() as http:
        for session in ("S1", "S2"):
            fields = {"session": session, "digits": "5", "call_state": "ongoing"}
            async with http.post(url, data=fields) as response:
                assert response.status == 200
    inferred, ambiguous = (event.data for event in hoiio_events)
    assert (inferred["ivr_block"], inferred["ivr_block_inferred"]) == ("gather", True)
    assert inferred["ivr_block_sent"] is None
    assert "ivr_block" not in ambiguous
    assert "ivr_block_inferred" not in ambiguous


async def test_a_body_that_arrives_after_the_unload_changes_nothing(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    ha_client: TestClient,
    setup_integration: MockConfigEntry,
    hoiio_events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A post still being read when the entry unloads is answered and ignored.

    The handler keeps what it needs from the entry when it is registered: the
    unloaded entry's runtime data is gone, its tracker closed.
    """
    server = ha_client.server.handler
    body = urlencode(answer()).encode()
    head = (
        f"POST /api/webhook/{WEBHOOK_ID} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{ha_client.port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", ha_client.port)
    handled = server.requests_count
    writer.write(head.encode() + body[:20])
    await writer.drain()
    # aiohttp starts the handler eagerly: it now waits for the rest of the body.
    await until(lambda: server.requests_count > handled, "the request handled")
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    stored = hass_storage[f"{DOMAIN}.{setup_integration.entry_id}"]
    writer.write(body[20:])
    await writer.drain()
    answer_line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    await hass.async_block_till_done()
    assert answer_line.startswith(b"HTTP/1.1 200")
    assert hoiio_events == []
    assert hass_storage[f"{DOMAIN}.{setup_integration.entry_id}"] is stored
    assert stored["data"]["calls"] == []
    assert "Error processing webhook" not in caplog.text
    assert "Traceback" not in caplog.text
