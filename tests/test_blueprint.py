"""Tests of the shipped automation blueprint against the simulator."""

from __future__ import annotations

from pathlib import Path
import shutil

from homeassistant.components import automation
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from hoiio_simulator import HoiioSimulator

from .const import CALLER, HOIIO_NUMBER, MOBILE

BLUEPRINT = (
    Path(__file__).parent.parent
    / "blueprints"
    / "automation"
    / "hoiio"
    / "answer_and_transfer.yaml"
)


@pytest.fixture
async def blueprint_automation(
    hass: HomeAssistant, tmp_path: Path, setup_integration: MockConfigEntry
) -> None:
    """Import the blueprint into a config folder and use it in an automation."""
    folder = tmp_path / "blueprints" / "automation" / "hoiio"
    folder.mkdir(parents=True)
    shutil.copy(BLUEPRINT, folder)
    hass.config.config_dir = str(tmp_path)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "alias": "Hoiio reception",
                "use_blueprint": {
                    "path": "hoiio/answer_and_transfer.yaml",
                    "input": {
                        "account": setup_integration.entry_id,
                        "greeting": "Hello, connecting you.",
                        "destination": MOBILE,
                        "fallback": "Sorry, goodbye.",
                    },
                },
            }
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get("automation.hoiio_reception").state == "on"


async def run_call(hass: HomeAssistant, simulator: HoiioSimulator) -> list[str]:
    """Place a call, let everything finish, and return the API paths used."""
    await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    for _ in range(5):
        await hass.async_block_till_done()
        await simulator.settle()
    await hass.async_block_till_done()
    return [request.path for request in simulator.requests if "ivr/" in request.path]


@pytest.mark.usefixtures("blueprint_automation")
async def test_blueprint_transfers_the_call(
    hass: HomeAssistant, simulator: HoiioSimulator
) -> None:
    """A ringing call is answered by the greeting and transferred."""
    assert await run_call(hass, simulator) == ["ivr/middle/play", "ivr/end/transfer"]
    answer = simulator.notifications[0].data
    assert (answer["ivr_block"], answer["call_state"]) == ("answer", "ringing")
    play = next(
        n.data for n in simulator.notifications if n.data["ivr_block"] == "play"
    )
    assert play["call_state"] == "ongoing"
    transfer = next(r for r in simulator.requests if r.path == "ivr/end/transfer")
    assert transfer.params["dest"] == MOBILE
    assert transfer.params["ring_time"] == "30"
    assert transfer.params["on_failure"] == "continue"


@pytest.mark.usefixtures("blueprint_automation")
async def test_blueprint_hangs_up_after_failed_transfer(
    hass: HomeAssistant, simulator: HoiioSimulator
) -> None:
    """A busy destination gets the fallback message and a hang-up."""
    simulator.set_transfer_outcome("busy")
    assert await run_call(hass, simulator) == [
        "ivr/middle/play",
        "ivr/end/transfer",
        "ivr/end/hangup",
    ]
    hangup = next(r for r in simulator.requests if r.path == "ivr/end/hangup")
    assert hangup.params["msg"] == "Sorry, goodbye."
    assert hass.states.get("sensor.demo_account_ongoing_calls").state == "0"
