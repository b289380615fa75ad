"""Tests of the diagnostics of an entry."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from hoiio_simulator import HoiioSimulator

from .const import ACCESS_TOKEN, CALLER, HOIIO_NUMBER, MOBILE, WEBHOOK_ID
from .helpers import BODY_ONLY, act

ACCOUNT_NAME = "Demo Account"
ACCOUNT_EMAIL = "demo@example.com"


async def test_diagnostics_redact_secrets_and_numbers(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
) -> None:
    """Diagnostics show the entry and calls without token, webhook id or numbers."""
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await act(hass, setup_integration, "transfer", session=session, dest=MOBILE)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, setup_integration
    )
    text = json.dumps(diagnostics)
    for secret in (ACCESS_TOKEN, WEBHOOK_ID, CALLER, MOBILE, session):
        assert secret not in text
    assert diagnostics["entry"]["data"]["access_token"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["api_url"] == simulator.base_url
    assert diagnostics["account"]["name"] == "**REDACTED**"
    assert diagnostics["balance"]["currency"] == "SGD"
    assert diagnostics["calls"]["calls"][0]["status"] in ("ongoing", "ended")


@BODY_ONLY
@pytest.mark.freeze_time("2026-11-30 02:00:00+00:00")
async def test_diagnostics_while_a_transfer_is_pending(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """A pending transfer shows its block and time, not its target or the account."""
    simulator.config.manual_blocks = True
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await act(hass, setup_integration, "transfer", session=session, dest=MOBILE)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, setup_integration
    )
    # The API URL holds the simulator's port, which changes from run to run.
    assert diagnostics["entry"]["data"]["api_url"] == simulator.base_url
    assert diagnostics == snapshot(exclude=props("api_url"))
    text = json.dumps(diagnostics)
    for personal in (MOBILE, CALLER, HOIIO_NUMBER, ACCOUNT_NAME, ACCOUNT_EMAIL):
        assert personal not in text
    assert session not in text
