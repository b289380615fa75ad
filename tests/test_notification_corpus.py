"""Every payload of the notification corpus, posted through the real webhook.

`tests/fixtures/notifications/` holds one YAML file per payload: where it comes
from (`source`), an optional `setup` (a call rung through the simulator and
actions sent for it with the real actions, the last one left pending, and
which token the post carries), the raw `body` exactly as sent, an optional
`query` string and `content_type` (default form data, empty for none), and
the outcome: HTTP `status`, the Call entity's `event_type`, the tracker's
status of the `call` afterwards, and event `data` that must be there. Add a
file whenever a new quirk of the service is learned.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from homeassistant.core import Event, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml
from yarl import URL

from custom_components.hoiio.const import NOTIFY_TOKEN_PARAM
from custom_components.hoiio.notification import (
    CALL_STATES,
    EVENT_TYPES,
    IVR_BLOCKS,
    OUTCOMES,
)
from hoiio_simulator import HoiioSimulator

from .const import CALLER, HOIIO_NUMBER, WEBHOOK_ID
from .helpers import act

CORPUS = Path(__file__).parent / "fixtures" / "notifications"
PAYLOAD_KEYS = frozenset(
    {"source", "note", "setup", "content_type", "query", "body", "expect"}
)
SETUP_KEYS = frozenset({"ring", "actions", "token"})
EXPECT_KEYS = frozenset({"status", "event_type", "call", "data"})
TOKENS = ("ours", "foreign", "none")
FORM = "application/x-www-form-urlencoded"
# Fields the integration parses; the others are passed on exactly as sent.
PARSED = frozenset({"date", "duration", "rate", "debit"})
EVENT_ENTITY = "event.demo_account_call"
RUNG_SESSION = "S1001"


@dataclass(frozen=True)
class Payload:
    """One corpus file."""

    name: str
    source: str
    body: str
    query: str
    content_type: str
    setup: dict[str, Any]
    expect: dict[str, Any]

    def fields(self) -> dict[str, str]:
        """Return the fields as the webhook merges them: the last value wins."""
        pairs = [
            *parse_qsl(self.query, keep_blank_values=True),
            *parse_qsl(self.body, keep_blank_values=True),
        ]
        return dict(pairs)


def load(path: Path) -> Payload:
    """Read a corpus file, refusing keys the test does not know."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(raw) <= PAYLOAD_KEYS, path.name
    assert set(raw["expect"]) <= EXPECT_KEYS, path.name
    setup = raw.get("setup") or {}
    assert set(setup) <= SETUP_KEYS, path.name
    assert setup.get("token", "ours") in TOKENS, path.name
    return Payload(
        name=path.stem,
        source=raw["source"],
        body=raw["body"],
        query=raw.get("query", ""),
        content_type=raw.get("content_type", FORM),
        setup=setup,
        expect=raw["expect"],
    )


PAYLOADS = [load(path) for path in sorted(CORPUS.glob("*.yaml"))]


@pytest.fixture
def notification_fields() -> str:
    """The corpus posts by itself; the simulator only rings calls in the body form."""
    return "body"


def test_corpus_covers_blocks_outcomes_states_and_refusals() -> None:
    """Every block, dial and transfer outcome, call state and refusal has a payload."""
    assert len(PAYLOADS) == len(list(CORPUS.iterdir()))
    assert all(payload.source.strip() for payload in PAYLOADS)
    accepted = [payload for payload in PAYLOADS if payload.expect["status"] == 200]
    assert {payload.expect["event_type"] for payload in accepted} == set(EVENT_TYPES)
    sent = [payload.fields() for payload in accepted]
    assert {fields.get("ivr_block") for fields in sent} >= {*IVR_BLOCKS, None}
    for name in ("dial_status", "transfer_status"):
        assert {fields.get(name) for fields in sent} >= set(OUTCOMES), name
    states = {fields.get("call_state") for fields in sent}
    assert states > set(CALL_STATES)
    assert {payload.expect["status"] for payload in PAYLOADS} == {200, 400, 403, 415}
    assert {p.expect.get("call") for p in accepted} == {"ringing", "ongoing", "ended"}


async def _set_up(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    entry: MockConfigEntry,
    setup: dict[str, Any],
) -> str:
    """Ring a call and send the payload's actions; return the token's query part."""
    simulator.config.manual_blocks = True
    if setup.get("ring"):
        session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
        await hass.async_block_till_done()
        assert session == RUNG_SESSION
    for action in setup.get("actions", []):
        data = dict(action)
        name = data.pop("action")
        if setup.get("ring"):
            data["session"] = RUNG_SESSION
        await act(hass, entry, name, **data)
    if not setup.get("actions") or setup.get("token") == "none":
        return ""
    if setup.get("token") == "foreign":
        return f"{NOTIFY_TOKEN_PARAM}=not-ours"
    call = entry.runtime_data.tracker.get(RUNG_SESSION)
    assert call is not None
    assert call.pending_token is not None
    return f"{NOTIFY_TOKEN_PARAM}={call.pending_token}"


async def _post(ha_url: str, payload: Payload, token: str) -> int:
    """Post the payload's raw body and query; return the HTTP status."""
    query = "&".join(part for part in (payload.query, token) if part)
    url = f"{ha_url}/api/webhook/{WEBHOOK_ID}" + (f"?{query}" if query else "")
    headers = {}
    skip = []
    if payload.content_type:
        headers["Content-Type"] = payload.content_type
    else:
        skip.append("Content-Type")
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            URL(url, encoded=True),
            data=payload.body.encode(),
            headers=headers,
            skip_auto_headers=skip,
        ) as response,
    ):
        return response.status


def _check_event_data(payload: Payload, data: dict[str, Any]) -> None:
    """Everything sent is passed on; the expected values are there."""
    for key, value in payload.fields().items():
        if key == NOTIFY_TOKEN_PARAM:
            assert key not in data
        elif key == "ivr_block" and data.get("ivr_block_inferred"):
            assert data["ivr_block_sent"] == value
        elif key not in PARSED:
            assert data[key] == value, key
        else:
            assert key in data, key
    for key, value in payload.expect.get("data", {}).items():
        assert data[key] == value, key


@pytest.mark.parametrize("payload", PAYLOADS, ids=[p.name for p in PAYLOADS])
async def test_payload_through_the_webhook(
    hass: HomeAssistant,
    ha_url: str,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    hoiio_events: list[Event],
    payload: Payload,
) -> None:
    """The webhook answers, fires and tracks the call as the payload's file says."""
    tracker = setup_integration.runtime_data.tracker
    token = await _set_up(hass, simulator, setup_integration, payload.setup)
    events_before = len(hoiio_events)
    calls_before = tracker.as_dict()
    entity_before = hass.states.get(EVENT_ENTITY)
    status = await _post(ha_url, payload, token)
    await hass.async_block_till_done()
    expect = payload.expect
    assert status == expect["status"]
    new_events = hoiio_events[events_before:]
    if status != 200:
        assert new_events == []
        assert tracker.as_dict() == calls_before
        assert hass.states.get(EVENT_ENTITY) == entity_before
    else:
        assert len(new_events) == 1
        _check_event_data(payload, dict(new_events[0].data))
        state = hass.states.get(EVENT_ENTITY)
        assert state is not None
        assert state.attributes["event_type"] == expect["event_type"]
    if "call" in expect:
        call = tracker.get(payload.fields()["session"])
        assert call is not None
        assert call.status == expect["call"]
