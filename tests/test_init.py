"""Tests of setting up, unloading and removing a Hoiio entry."""

from __future__ import annotations

from datetime import timedelta
from types import ModuleType

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.hoiio.const import (
    BALANCE_SCAN_INTERVAL,
    CONF_CLOUDHOOK_URL,
    DOMAIN,
)
from hoiio_simulator import Fault, HoiioSimulator

from .const import APP_ID, CLOUDHOOK


async def test_setup_and_unload(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """The entry loads with its device and entities, then unloads cleanly."""
    entry = setup_integration
    assert entry.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert len(devices) == 1
    device = devices[0]
    assert device.identifiers == {(DOMAIN, APP_ID)}
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert sorted(entity.entity_id for entity in entities) == [
        "event.demo_account_call",
        "sensor.demo_account_balance",
        "sensor.demo_account_current_call",
        "sensor.demo_account_ongoing_calls",
    ]
    balance = hass.states.get("sensor.demo_account_balance")
    assert balance is not None
    assert balance.state == "100.000"
    assert balance.attributes["unit_of_measurement"] == "SGD"
    assert hass.states.get("sensor.demo_account_ongoing_calls").state == "0"
    assert hass.states.get("sensor.demo_account_current_call").state == "idle"

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_setup_retries_when_service_fails(
    hass: HomeAssistant,
    ha_url: str,
    simulator: HoiioSimulator,
    config_entry: MockConfigEntry,
) -> None:
    """A failing account API makes the entry retry later."""
    simulator.add_fault(Fault(kind="http_500", path="user/get_info"))
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_starts_reauth_on_refused_token(
    hass: HomeAssistant,
    ha_url: str,
    simulator: HoiioSimulator,
    config_entry: MockConfigEntry,
) -> None:
    """Refused credentials fail setup and start a reauthentication flow."""
    simulator.add_fault(Fault(kind="status", value="error_invalid_access_token"))
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_cloudhook_created_at_setup_and_deleted_on_removal(
    hass: HomeAssistant, setup_integration: MockConfigEntry, cloud: ModuleType
) -> None:
    """With Cloud active, setup stores a cloudhook and removal deletes it."""
    entry = setup_integration
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    cloud.async_delete_cloudhook.assert_awaited_once_with(
        hass, entry.data[CONF_WEBHOOK_ID]
    )


async def test_entry_from_a_newer_release_is_refused(
    hass: HomeAssistant, ha_url: str, config_entry: MockConfigEntry
) -> None:
    """An entry of an unknown later version is not set up."""
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id=APP_ID, version=2, data=dict(config_entry.data)
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_refused_balance_starts_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
) -> None:
    """A token refused while polling the balance asks for reauthentication."""
    simulator.add_fault(
        Fault(
            kind="status", value="error_invalid_access_token", path="user/get_balance"
        )
    )
    freezer.tick(BALANCE_SCAN_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_cloudhook_removal_without_cloud(
    hass: HomeAssistant, setup_integration: MockConfigEntry, cloud: ModuleType
) -> None:
    """Removal works when Cloud is gone or cannot delete the cloudhook."""
    entry = setup_integration
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    cloud.async_delete_cloudhook.side_effect = cloud.CloudNotAvailable
    assert await hass.config_entries.async_remove(entry.entry_id)
    cloud.async_delete_cloudhook.assert_awaited_once()


async def test_cloudhook_kept_when_cloud_is_inactive(
    hass: HomeAssistant, setup_integration: MockConfigEntry, cloud: ModuleType
) -> None:
    """Without an active subscription nothing is asked of Cloud on removal."""
    entry = setup_integration
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    cloud.async_active_subscription.return_value = False
    assert await hass.config_entries.async_remove(entry.entry_id)
    cloud.async_delete_cloudhook.assert_not_awaited()
