"""The Hoiio integration: IVR calls as actions, events and sensors."""

from __future__ import annotations

from functools import partial
from typing import Final

from aiohttp.hdrs import METH_POST
from homeassistant.components.webhook import (
    async_register as async_register_webhook,
    async_unregister as async_unregister_webhook,
)
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_WEBHOOK_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import HoiioClient, HoiioError
from .call_tracker import CallStore, CallTracker
from .const import CONF_API_URL, CONF_APP_ID, CONF_CLOUDHOOK_URL, DOMAIN
from .coordinator import HoiioBalanceCoordinator, entry_error
from .entity import device_info
from .external_url_issue import async_delete_url_issue, async_track_url_issue
from .notify_url import async_create_cloudhook, async_delete_cloudhook
from .runtime_data import HoiioConfigEntry, HoiioData
from .services import async_setup_services
from .webhook_handler import NotificationWebhook

PLATFORMS: Final = [Platform.EVENT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: HoiioConfigEntry) -> bool:
    """Check the account, restore its calls and start listening for notifications."""
    client = HoiioClient(
        async_get_clientsession(hass),
        entry.data[CONF_APP_ID],
        entry.data[CONF_ACCESS_TOKEN],
        base_url=entry.data[CONF_API_URL],
    )
    try:
        account = await client.get_info()
    except HoiioError as err:
        raise entry_error(err, ConfigEntryNotReady) from err
    coordinator = HoiioBalanceCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    tracker = CallTracker(hass, entry)
    await tracker.async_load()
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **device_info(entry)
    )
    entry.runtime_data = HoiioData(client, account, tracker, coordinator, device.id)
    await _async_update_cloudhook(hass, entry)
    _register_webhook(hass, entry)
    entry.async_on_unload(tracker.async_start_pruning())
    entry.async_on_unload(async_track_url_issue(hass, entry))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: HoiioConfigEntry) -> bool:
    """Stop listening, then save the calls."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        # No notification may reach the tracker once it has saved: a reloaded
        # entry's tracker writes the same file.
        async_unregister_webhook(hass, entry.data[CONF_WEBHOOK_ID])
        await entry.runtime_data.tracker.async_unload()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: HoiioConfigEntry) -> None:
    """Delete the stored calls and the cloudhook of a removed entry."""
    await CallStore.of_entry(hass, entry.entry_id).async_remove()
    async_delete_url_issue(hass, entry)
    if CONF_CLOUDHOOK_URL in entry.data:
        await async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])


async def async_migrate_entry(hass: HomeAssistant, entry: HoiioConfigEntry) -> bool:
    """Migrate an entry from an older version; refuse one from a newer release."""
    return entry.version <= 1


async def _async_update_cloudhook(hass: HomeAssistant, entry: HoiioConfigEntry) -> None:
    """Create the cloudhook when Cloud is active; keep its URL in the entry."""
    cloudhook = await async_create_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
    if cloudhook and cloudhook != entry.data.get(CONF_CLOUDHOOK_URL):
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_CLOUDHOOK_URL: cloudhook}
        )


def _register_webhook(hass: HomeAssistant, entry: HoiioConfigEntry) -> None:
    """Take notifications from the internet until the entry unloads."""
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    async_register_webhook(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        NotificationWebhook(hass, entry).async_handle,
        local_only=False,
        allowed_methods=[METH_POST],
    )
    entry.async_on_unload(partial(async_unregister_webhook, hass, webhook_id))
