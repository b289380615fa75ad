"""Tests of the balance, ongoing-calls and current-call sensors."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.hoiio.const import BALANCE_SCAN_INTERVAL
from hoiio_simulator import Fault, HoiioSimulator

from .const import CALLER, HOIIO_NUMBER, MOBILE
from .helpers import act

BALANCE = "sensor.demo_account_balance"
CURRENT = "sensor.demo_account_current_call"
ONGOING = "sensor.demo_account_ongoing_calls"


async def test_balance_goes_unavailable_and_comes_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing balance request makes the sensor unavailable until it recovers."""
    simulator.add_fault(Fault(kind="http_500", path="user/get_balance"))
    for _ in range(2):
        freezer.tick(BALANCE_SCAN_INTERVAL + timedelta(seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert hass.states.get(BALANCE).state == STATE_UNAVAILABLE
    assert caplog.text.count("Error fetching hoiio balance data") == 1
    simulator.clear_faults()
    freezer.tick(BALANCE_SCAN_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(BALANCE).state == "100.000"


async def test_balance_refreshes_after_calls_end(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
) -> None:
    """An ended call refreshes the balance at once; a burst is debounced."""

    def balance_requests() -> int:
        return len([r for r in simulator.requests if r.path == "user/get_balance"])

    before = balance_requests()
    for caller in (CALLER, MOBILE, "+6590000001"):
        session = await simulator.incoming_call(caller, HOIIO_NUMBER)
        await act(hass, setup_integration, "hangup", session=session, wait=True)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert balance_requests() == before + 1
    assert float(hass.states.get(BALANCE).state) < 100
    freezer.tick(timedelta(seconds=20))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert balance_requests() == before + 2


async def test_current_call_follows_hold(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
) -> None:
    """The current call sensor shows the most recent call and its hold state."""
    first = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    second = await simulator.incoming_call(MOBILE, HOIIO_NUMBER)
    await hass.async_block_till_done()
    state = hass.states.get(CURRENT)
    assert state.state == "ringing"
    assert state.attributes["session"] == second
    assert state.attributes["from"] == MOBILE
    assert state.attributes["last_block"] == "answer"
    assert hass.states.get(ONGOING).state == "2"
    await act(hass, setup_integration, "hold", session=second)
    assert hass.states.get(CURRENT).state == "on_hold"
    await act(hass, setup_integration, "hangup", session=second, force=True)
    await simulator.settle()
    await hass.async_block_till_done()
    state = hass.states.get(CURRENT)
    assert state.attributes["session"] == first
    assert state.state == "ringing"
    assert hass.states.get(ONGOING).state == "1"


async def test_ringing_call_is_answered_by_the_first_block(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
) -> None:
    """Idle, ringing on the answer notification, ongoing once a block is sent."""
    shown: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            shown.append(event.data["new_state"].state)
            if event.data["entity_id"] == CURRENT
            else None
        ),
    )
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await hass.async_block_till_done()
    assert hass.states.get(CURRENT).state == "ringing"
    assert hass.states.get(ONGOING).state == "1"
    simulator.config.manual_blocks = True
    await act(hass, setup_integration, "play", session=session, msg="Hello")
    # The block is still running: sending it was enough to answer the call.
    assert simulator.sessions[session].state == "ongoing"
    assert hass.states.get(CURRENT).state == "ongoing"
    await simulator.complete_block(session)
    await hass.async_block_till_done()
    assert shown == ["ringing", "ongoing"]
    assert hass.states.get(ONGOING).state == "1"
