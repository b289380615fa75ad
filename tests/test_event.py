"""Snapshots of the hoiio_event data of every block, from calls through the simulator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.hoiio.notification import IVR_BLOCKS
from hoiio_simulator import HoiioSimulator

from .const import CALLER, HOIIO_NUMBER, MOBILE
from .helpers import BODY_ONLY, act, call_date


def stable(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    simulator: HoiioSimulator,
    events: list[Event],
    since: datetime,
) -> list[dict[str, Any]]:
    """Return the events' data with the per-run parts checked and named.

    The entry and device IDs are new on every run, the simulator's port
    changes and it dates calls by its real clock: each is checked, then shown
    by what it is.
    """
    [device] = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    data = []
    for event in events:
        fields = dict(event.data)
        assert fields.pop("config_entry_id") == entry.entry_id
        assert fields.pop("device_id") == device.id
        if "record_url" in fields:
            url = fields["record_url"]
            assert url.startswith(simulator.url)
            fields["record_url"] = "<simulator>" + url.removeprefix(simulator.url)
        if "date" in fields:
            fields["date"] = call_date(fields["date"], since)
        data.append(fields)
    return data


@BODY_ONLY
async def test_event_data_of_every_block(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    hoiio_events: list[Event],
    snapshot: SnapshotAssertion,
) -> None:
    """An incoming call through every block, then an outgoing call."""
    entry = setup_integration
    since = dt_util.utcnow()
    simulator.set_gather_digits("42")
    simulator.set_transfer_outcome("busy")
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    steps: tuple[tuple[str, dict[str, Any]], ...] = (
        ("play", {"msg": "Welcome", "tag": "welcome"}),
        ("gather", {"msg": "Press 4 then 2", "max_digits": 2, "tag": "menu"}),
        ("record", {"msg": "Leave a message", "max_duration": 30}),
        ("monitor", {}),
        ("hold", {}),
        ("unhold", {}),
        ("transfer", {"dest": MOBILE, "on_failure": "continue"}),
        ("hangup", {"msg": "Goodbye"}),
    )
    for action, fields in steps:
        if action != "hold":  # the only block without a notification
            fields["wait"] = True
        await act(hass, entry, action, session=session, **fields)
    await act(hass, entry, "dial", dest=MOBILE, wait=True)
    await simulator.settle()
    await hass.async_block_till_done(wait_background_tasks=True)
    data = stable(hass, entry, simulator, hoiio_events, since)
    assert {fields["ivr_block"] for fields in data} == set(IVR_BLOCKS)
    assert data == snapshot
