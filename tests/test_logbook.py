"""Tests of the logbook lines of Hoiio notifications, read through the logbook."""

from __future__ import annotations

from datetime import datetime
import logging
from typing import Any

from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import (
    RecorderInstanceContextManager,
    WebSocketGenerator,
)

from custom_components.hoiio.const import DOMAIN, EVENT_HOIIO
from hoiio_simulator import HoiioSimulator

from .const import CALLER, HOIIO_NUMBER, MOBILE
from .helpers import act
from .test_readme_examples import read_examples

CALL_ENTITY = "event.demo_account_call"
# The logbook setting the README offers to hide the Call entity's state changes.
EXCLUDE_CALL_ENTITIES = read_examples().configuration["logbook"]


@pytest.fixture
def mock_recorder_before_hass(
    async_test_recorder: RecorderInstanceContextManager,
) -> None:
    """Prepare the recorder's test database before Home Assistant starts."""


@pytest.fixture
def logbook_config() -> dict[str, Any]:
    """Return the logbook's configuration (none by default)."""
    return {}


@pytest.fixture
async def logbook(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    logbook_config: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Set up the logbook; it adds HTTP views, so before the app is served."""
    # The test plugin logs every SQL statement; the output would drown the run's.
    caplog.set_level(logging.WARNING, logger="sqlalchemy.engine")
    caplog.set_level(logging.INFO, logger="homeassistant.components.recorder")
    for component in ("http", "websocket_api"):
        assert await async_setup_component(hass, component, {})
    # The logbook needs the frontend only for its panel. Setting the frontend up
    # would start an HTTP server, and test environments of newer releases lack
    # its files; the logbook's own code is what these tests read.
    hass.config.components.add("frontend")
    assert await async_setup_component(hass, "logbook", {"logbook": logbook_config})


async def logbook_entries(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    start: datetime,
    **filters: Any,
) -> list[dict[str, Any]]:
    """Return the logbook since start, as the frontend asks for it."""
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    client = await hass_ws_client()
    await client.send_json(
        {
            "id": 1,
            "type": "logbook/get_events",
            "start_time": start.isoformat(),
            **filters,
        }
    )
    response = await client.receive_json()
    assert response["success"], response
    entries: list[dict[str, Any]] = response["result"]
    return entries


def hoiio_lines(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the lines the integration describes, without their time."""
    return [
        {key: value for key, value in entry.items() if key != "when"}
        for entry in entries
        if entry.get("domain") == DOMAIN
    ]


def call_entity_lines(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return every line linked to the Call entity."""
    return [entry for entry in entries if entry.get("entity_id") == CALL_ENTITY]


async def test_incoming_call_is_one_linked_line(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    logbook: None,
    hass_ws_client: WebSocketGenerator,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
) -> None:
    """An incoming call is one sentence, linked to the Call entity and its device.

    Home Assistant also lists the Call entity's own state change ("detected an
    event"): the logbook writes a line for every state change of an event entity,
    and offers an integration no way to leave one out.
    """
    start = dt_util.utcnow()
    await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    entries = await logbook_entries(hass, hass_ws_client, start)

    linked = {
        "name": "Hoiio",
        "message": f"Incoming call from {CALLER}",
        "entity_id": CALL_ENTITY,
        "domain": DOMAIN,
    }
    assert hoiio_lines(entries) == [linked]
    state_lines = [
        entry for entry in call_entity_lines(entries) if "message" not in entry
    ]
    assert len(state_lines) == 1
    assert state_lines[0]["state"] == hass.states.get(CALL_ENTITY).state

    entity = er.async_get(hass).async_get(CALL_ENTITY)
    assert entity is not None
    device_entries = await logbook_entries(
        hass, hass_ws_client, start, device_ids=[entity.device_id]
    )
    assert hoiio_lines(device_entries) == [linked]


@pytest.mark.parametrize("logbook_config", [EXCLUDE_CALL_ENTITIES])
async def test_excluding_the_call_entity_leaves_one_line(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    logbook: None,
    hass_ws_client: WebSocketGenerator,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
) -> None:
    """With the Call entity excluded from the logbook, a call is a single line."""
    start = dt_util.utcnow()
    await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    entries = await logbook_entries(hass, hass_ws_client, start)

    lines = call_entity_lines(entries)
    assert [line["message"] for line in lines] == [f"Incoming call from {CALLER}"]
    assert lines[0]["domain"] == DOMAIN


async def test_transfer_that_ended_is_said_once(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    logbook: None,
    hass_ws_client: WebSocketGenerator,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
) -> None:
    """A call transferred, then ended, reads as two plain lines."""
    start = dt_util.utcnow()
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await hass.async_block_till_done()
    await act(hass, setup_integration, "transfer", session=session, dest=MOBILE)
    await simulator.settle()
    entries = await logbook_entries(hass, hass_ws_client, start)

    assert [line["message"] for line in hoiio_lines(entries)] == [
        f"Incoming call from {CALLER}",
        f"Transferred call to {MOBILE} ended",
    ]


SENTENCES: list[tuple[dict[str, Any], str]] = [
    ({"ivr_block": "answer", "from": CALLER}, f"Incoming call from {CALLER}"),
    (
        {"ivr_block": "answer", "from": CALLER, "call_state": "ringing"},
        f"Incoming call from {CALLER}",
    ),
    ({"ivr_block": "answer"}, "Incoming call from an unknown number"),
    (
        {
            "ivr_block": "transfer",
            "transfer_target": MOBILE,
            "transfer_status": "busy",
            "call_state": "ongoing",
        },
        f"Transfer to {MOBILE} failed: busy",
    ),
    (
        {
            "ivr_block": "transfer",
            "transfer_target": MOBILE,
            "transfer_status": "unanswered",
            "call_state": "ended",
        },
        f"Transfer to {MOBILE} failed: unanswered; the call ended",
    ),
    (
        {
            "ivr_block": "transfer",
            "transfer_target": MOBILE,
            "transfer_status": "answered",
            "call_state": "ended",
        },
        f"Transferred call to {MOBILE} ended",
    ),
    (
        {"ivr_block": "transfer", "room": "R12", "transfer_status": "ongoing"},
        "Call transferred to R12",
    ),
    (
        {
            "ivr_block": "dial",
            "dest": MOBILE,
            "dial_status": "busy",
            "call_state": "ended",
        },
        f"Outgoing call to {MOBILE}: busy",
    ),
    (
        {
            "ivr_block": "dial",
            "dest": MOBILE,
            "dial_status": "answered",
            "call_state": "ongoing",
        },
        f"Outgoing call to {MOBILE}: answered",
    ),
    ({"ivr_block": "gather", "digits": "12"}, "Caller entered digits"),
    ({"ivr_block": "gather"}, "Caller entered no digits"),
    ({"ivr_block": "play"}, "Message played"),
    ({"ivr_block": "play", "call_state": "ended"}, "Message played; the call ended"),
    ({"ivr_block": "record"}, "Caller recorded a message"),
    ({"ivr_block": "monitor"}, "Call recording started"),
    ({"ivr_block": "unhold"}, "Call taken off hold"),
    ({"ivr_block": "hangup", "call_state": "ended"}, "Call hung up"),
    ({"ivr_block": "conference"}, "Notification conference"),
    ({"session": "S1"}, "Notification without a block name"),
]


async def test_every_notification_reads_as_a_plain_sentence(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    logbook: None,
    hass_ws_client: WebSocketGenerator,
    setup_integration: MockConfigEntry,
) -> None:
    """Each kind of notification is one sentence that says each fact once."""
    start = dt_util.utcnow()
    for data, _ in SENTENCES:
        hass.bus.async_fire(
            EVENT_HOIIO, {**data, "config_entry_id": setup_integration.entry_id}
        )
    entries = await logbook_entries(hass, hass_ws_client, start)

    lines = hoiio_lines(entries)
    assert [line["message"] for line in lines] == [text for _, text in SENTENCES]
    assert {line["entity_id"] for line in lines} == {CALL_ENTITY}


async def test_event_of_a_removed_account_has_no_link(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    logbook: None,
    hass_ws_client: WebSocketGenerator,
    setup_integration: MockConfigEntry,
) -> None:
    """An event whose account no longer exists is described without a link."""
    start = dt_util.utcnow()
    hass.bus.async_fire(
        EVENT_HOIIO,
        {"ivr_block": "answer", "from": CALLER, "config_entry_id": "removed"},
    )
    entries = await logbook_entries(hass, hass_ws_client, start)

    assert hoiio_lines(entries) == [
        {"name": "Hoiio", "message": f"Incoming call from {CALLER}", "domain": DOMAIN}
    ]
