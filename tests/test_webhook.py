"""Tests of the notification webhook, over real HTTP posts."""

from __future__ import annotations

import aiohttp
from homeassistant.core import Event, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .const import CALLER, HOIIO_NUMBER, WEBHOOK_ID

EVENT_ENTITY = "event.demo_account_call"
ONGOING = "sensor.demo_account_ongoing_calls"


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
        "from": CALLER,
        "to": HOIIO_NUMBER,
        "call_state": "ongoing",
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
    current = hass.states.get("sensor.demo_account_current_call")
    assert current.state == "ongoing"
    assert current.attributes["session"] == "S100"


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
        ({"session": "S1"}, None, 400),
        ({**answer(), "call_state": "dialing"}, None, 400),
        ({**answer(), "date": "25/11/2026"}, None, 400),
        ({**answer(), "date": "2026-13-45 10:00:00"}, None, 400),
        ({**answer(), "tag": "t" * 2049}, None, 400),
        ({**answer(), "debit": "1e2"}, None, 400),
        ({**answer(), "debit": "lots"}, None, 400),
        ({**answer(), "duration": "-1"}, None, 400),
        ({**answer(), "session": "bad session!"}, None, 400),
        (b"session=S1&ivr_block=answer&from=\xff", None, 400),
        (b"session=S1&session=S2&ivr_block=answer", None, 400),
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
    """Malformed input answers 4xx, fires nothing and never raises."""
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
    ("query", "data"),
    [
        ("?session=%FF", answer()),
        ("?ha_ref=one", {**answer(), "ha_ref": "two"}),
    ],
)
async def test_bad_query_strings_are_refused(
    hass: HomeAssistant,
    post,  # type: ignore[no-untyped-def]
    hoiio_events: list[Event],
    query: str,
    data: dict[str, str],
) -> None:
    """Undecodable query strings and conflicting tokens answer 400."""
    status, _ = await post(data, query=query)
    assert status == 400
    assert hoiio_events == []
