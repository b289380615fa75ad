"""The use case end to end: an automation transfers an incoming call."""

from __future__ import annotations

from homeassistant.components import automation
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from hoiio_simulator import HoiioSimulator

from .const import CALLER, HOIIO_NUMBER, MOBILE


async def test_automation_transfers_incoming_call(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    hoiio_events: list[Event],
) -> None:
    """Answer notification -> automation -> hoiio.transfer -> transfer notification."""
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
    ongoing: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            ongoing.append(event.data["new_state"].state)
            if event.data["entity_id"] == "sensor.demo_account_ongoing_calls"
            else None
        ),
    )
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await hass.async_block_till_done()
    await simulator.settle()
    await hass.async_block_till_done()

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
    assert ongoing == ["1", "0"]
