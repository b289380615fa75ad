"""Tests of setting up, unloading and removing a Hoiio entry."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import ModuleType
from typing import Any
from unittest.mock import patch

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.storage import Store
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.hoiio.call_tracker import SAVE_DELAY, Verdict
from custom_components.hoiio.const import (
    BALANCE_SCAN_INTERVAL,
    CONF_CLOUDHOOK_URL,
    DOMAIN,
)
from custom_components.hoiio.notification import parse_notification
from hoiio_simulator import Fault, HoiioSimulator

from .const import APP_ID, CLOUDHOOK, WEBHOOK_ID
from .helpers import act, until

PLAY = "ivr/middle/play"


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


async def test_notification_during_a_reload_leaves_the_reloaded_calls_alone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    ha_url: str,
    setup_integration: MockConfigEntry,
    session: str,
    hoiio_events: list[Event],
) -> None:
    """A notification posted while the old entry saves its calls changes nothing.

    The write of the calls is held up, as a slow disk would, so that the
    notification arrives while the unloading entry saves.
    """
    key = f"{DOMAIN}.{setup_integration.entry_id}"
    saving, release = asyncio.Event(), asyncio.Event()
    write = Store._async_write_data

    async def slow_write(store: Store[Any], *args: Any) -> None:
        if store.key == key and not release.is_set():
            saving.set()
            await release.wait()
        await write(store, *args)

    hangup = {
        "ivr_block": "hangup",
        "session": session,
        "call_state": "ended",
        "txn_ref": "AA-S-1",
    }
    with patch.object(Store, "_async_write_data", slow_write):
        reload = hass.async_create_task(
            hass.config_entries.async_reload(setup_integration.entry_id)
        )
        await until(lambda: saving.is_set() or reload.done(), "the final save")
        assert saving.is_set(), reload
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{ha_url}/api/webhook/{WEBHOOK_ID}", data=hangup) as response,
        ):
            assert response.status == 200
        freezer.tick(timedelta(seconds=SAVE_DELAY / 2))
        release.set()
        assert await reload
    await hass.async_block_till_done()
    # A save the notification scheduled would be due now, one of the reloaded
    # entry not yet.
    freezer.tick(timedelta(seconds=SAVE_DELAY / 2 + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    tracker = setup_integration.runtime_data.tracker
    assert hass_storage[key]["data"] == tracker.as_dict()
    # The webhook was already unregistered: Home Assistant was not listening.
    assert hoiio_events == []
    call = tracker.get(session)
    assert call is not None
    assert not call.ended
    assert hass.states.get("sensor.demo_account_ongoing_calls").state == "1"


async def test_unloaded_tracker_changes_and_saves_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    hoiio_events: list[Event],
) -> None:
    """An answer, a notification or a prune after the unload leaves the file alone."""
    key = f"{DOMAIN}.{setup_integration.entry_id}"
    tracker = setup_integration.runtime_data.tracker
    simulator.add_fault(Fault("slow_answer", path=PLAY, value=5.0, count=1))
    action = hass.async_create_task(
        act(hass, setup_integration, "play", session=session, msg="Hi")
    )
    await until(lambda: bool(hoiio_events), "the play notification")
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    stored = hass_storage[key]
    freezer.tick(timedelta(seconds=6))
    async_fire_time_changed(hass)
    assert (await action)["status"] == "success_ok"
    hangup = {"ivr_block": "hangup", "session": session, "call_state": "ended"}
    verdict = tracker.async_handle_notification(parse_notification(hangup), None)
    freezer.tick(timedelta(days=2))
    tracker.async_prune()
    freezer.tick(timedelta(seconds=SAVE_DELAY + 1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass_storage[key] is stored
    assert verdict is Verdict.CLOSED
    assert [call["end_reason"] for call in stored["data"]["calls"]] == [None]


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
