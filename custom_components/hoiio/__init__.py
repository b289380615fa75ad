"""The Hoiio integration: IVR calls as actions, events and sensors."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Final

from aiohttp.hdrs import METH_POST
from homeassistant.components.webhook import (
    async_register as async_register_webhook,
    async_unregister as async_unregister_webhook,
)
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_WEBHOOK_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import ConfigType

from .api import HoiioAuthenticationError, HoiioClient, HoiioError
from .calls import CallTracker
from .const import (
    CONF_API_URL,
    CONF_APP_ID,
    CONF_BUSY_TIMEOUT,
    CONF_CLOUDHOOK_URL,
    CONF_STALE_AFTER,
    DEFAULT_BUSY_TIMEOUT,
    DEFAULT_STALE_AFTER_HOURS,
    DOMAIN,
)
from .coordinator import HoiioBalanceCoordinator
from .data import HoiioConfigEntry, HoiioData
from .entity import device_info
from .errors import placeholders_for, translation_key_for
from .services import async_setup_services
from .url_issue import async_delete_url_issue, async_track_url_issue
from .webhook import NotificationWebhook
from .webhook_url import async_create_cloudhook, async_delete_cloudhook

PLATFORMS: Final = [Platform.EVENT, Platform.SENSOR]
PRUNE_INTERVAL: Final = timedelta(minutes=5)
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
    except HoiioAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="auth_failed"
        ) from err
    except HoiioError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key=translation_key_for(err),
            translation_placeholders=placeholders_for(err),
        ) from err
    coordinator = HoiioBalanceCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    tracker = CallTracker(
        hass,
        entry.entry_id,
        busy_timeout=partial(_busy_timeout, entry),
        stale_after=partial(_stale_after, entry),
    )
    await tracker.async_load()
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **device_info(entry)
    )
    entry.runtime_data = HoiioData(client, account, tracker, coordinator, device.id)

    webhook_id = entry.data[CONF_WEBHOOK_ID]
    if (cloudhook := await async_create_cloudhook(hass, webhook_id)) and (
        cloudhook != entry.data.get(CONF_CLOUDHOOK_URL)
    ):
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_CLOUDHOOK_URL: cloudhook}
        )
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
    entry.async_on_unload(
        async_track_time_interval(
            hass,
            tracker.async_prune,
            PRUNE_INTERVAL,
            cancel_on_shutdown=True,
        )
    )
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
    await CallTracker(
        hass,
        entry.entry_id,
        busy_timeout=partial(_busy_timeout, entry),
        stale_after=partial(_stale_after, entry),
    ).async_remove()
    async_delete_url_issue(hass, entry)
    if CONF_CLOUDHOOK_URL in entry.data:
        await async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])


async def async_migrate_entry(hass: HomeAssistant, entry: HoiioConfigEntry) -> bool:
    """Migrate an entry from an older version; refuse one from a newer release."""
    return entry.version <= 1


def _busy_timeout(entry: HoiioConfigEntry) -> float:
    return float(entry.options.get(CONF_BUSY_TIMEOUT, DEFAULT_BUSY_TIMEOUT))


def _stale_after(entry: HoiioConfigEntry) -> timedelta:
    return timedelta(
        hours=float(entry.options.get(CONF_STALE_AFTER, DEFAULT_STALE_AFTER_HOURS))
    )
