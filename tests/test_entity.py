"""Snapshots of the account's entities through a scripted call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from homeassistant.util.json import json_loads_object
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from hoiio_simulator import HoiioSimulator

from .const import CALLER, HOIIO_NUMBER
from .helpers import BODY_ONLY, act, call_date

CALL_ENTITY = "event.demo_account_call"


def shown(
    hass: HomeAssistant, entry: MockConfigEntry, since: datetime
) -> dict[str, dict[str, Any]]:
    """Return the state and attributes of every entity of the entry.

    The Call entity's state is the time of its last notification, and an
    ended call's date is the simulator's clock: both are checked, then named.
    """
    registered = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    states: dict[str, dict[str, Any]] = {}
    for entity_id in sorted(entity.entity_id for entity in registered):
        state = hass.states.get(entity_id)
        assert state is not None
        # As the frontend reads it: plain JSON, whatever enums a release uses.
        shown_state = json_loads_object(state.as_dict_json)
        value, attributes = shown_state["state"], shown_state["attributes"]
        if entity_id == CALL_ENTITY and value != "unknown":
            assert datetime.fromisoformat(value) >= since.replace(microsecond=0)
            value = "<time of the last notification>"
        if "date" in attributes:
            attributes["date"] = call_date(attributes["date"], since)
        states[entity_id] = {"state": value, "attributes": attributes}
    return states


@BODY_ONLY
async def test_entity_states_through_a_call(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Idle, ringing, ongoing, on hold, and idle again once the call hung up."""
    entry = setup_integration
    since = dt_util.utcnow()
    assert shown(hass, entry, since) == snapshot(name="1 idle")
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await hass.async_block_till_done()
    assert shown(hass, entry, since) == snapshot(name="2 ringing")
    await act(hass, entry, "play", session=session, msg="Welcome", wait=True)
    assert shown(hass, entry, since) == snapshot(name="3 played")
    await act(hass, entry, "hold", session=session)
    assert shown(hass, entry, since) == snapshot(name="4 on hold")
    await act(hass, entry, "hangup", session=session, force=True, wait=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert shown(hass, entry, since) == snapshot(name="5 hung up")
