"""The use case end to end: an automation transfers an incoming call."""

from __future__ import annotations

from homeassistant.components import automation
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from hoiio_simulator import HoiioSimulator

from .const import CALLER, HOIIO_NUMBER, MOBILE

ONGOING = "sensor.demo_account_ongoing_calls"
CURRENT = "sensor.demo_account_current_call"


async def test_automation_transfers_incoming_call(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    hoiio_events: list[Event],
) -> None:
    """Ringing answer notification -> automation -> hoiio.transfer -> transfer end."""
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "triggers": {
                    "trigger": "event",
                    "event_type": "hoiio_event",
                    "event_data": {"ivr_block": "answer"},
                },
                "actions": {
                    "action": "hoiio.transfer",
                    "data": {
                        "config_entry_id": "{{ trigger.event.data.config_entry_id }}",
                        "session": "{{ trigger.event.data.session }}",
                        "dest": MOBILE,
                        "msg": "Transferring you now.",
                    },
                },
            }
        },
    )
    shown: dict[str, list[str]] = {ONGOING: [], CURRENT: []}
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            shown[event.data["entity_id"]].append(event.data["new_state"].state)
            if event.data["entity_id"] in shown
            else None
        ),
    )
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await hass.async_block_till_done()
    await simulator.settle()
    await hass.async_block_till_done()

    answer = hoiio_events[0].data
    assert (answer["ivr_block"], answer["session"]) == ("answer", session)
    assert answer["call_state"] == "ringing"
    assert answer["txn_ref"]
    assert answer["tag"] == ""
    transfer = [e for e in hoiio_events if e.data["ivr_block"] == "transfer"]
    assert len(transfer) == 1
    assert transfer[0].data["session"] == session
    assert transfer[0].data["transfer_status"] == "answered"
    assert transfer[0].data["call_state"] == "ended"
    assert transfer[0].data["transfer_target"] == MOBILE
    request = next(r for r in simulator.requests if r.path == "ivr/end/transfer")
    assert request.params["session"] == session
    assert request.params["msg"] == "Transferring you now."
    state = hass.states.get("event.demo_account_call")
    assert state.attributes["event_type"] == "transfer"
    assert state.attributes["transfer_status"] == "answered"
    assert shown[ONGOING] == ["1", "0"]
    assert shown[CURRENT] == ["ringing", "ongoing", "idle"]
