"""Repair issue raised when the real service could not reach the webhook."""

from __future__ import annotations

from ipaddress import ip_address
from urllib.parse import urlsplit

from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .const import CONF_API_URL, CONF_CLOUDHOOK_URL, DOMAIN
from .notify_url import cloud_active
from .runtime_data import HoiioConfigEntry


def is_local_api(api_url: str) -> bool:
    """Return whether the API is on this machine or the local network."""
    host = urlsplit(api_url).hostname or ""
    if host == "localhost" or host.endswith((".local", ".localhost")):
        return True
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def _reachable_from_internet(hass: HomeAssistant, entry: HoiioConfigEntry) -> bool:
    """Return whether the service can reach the webhook: cloudhook or external URL."""
    if CONF_CLOUDHOOK_URL in entry.data and cloud_active(hass):
        return True
    try:
        get_url(hass, allow_internal=False, allow_cloud=False, prefer_external=True)
    except NoURLAvailableError:
        return False
    return True


def _issue_id(entry: HoiioConfigEntry) -> str:
    """Return the ID of an entry's issue."""
    return f"no_external_url_{entry.entry_id}"


@callback
def async_check_url_issue(hass: HomeAssistant, entry: HoiioConfigEntry) -> None:
    """Raise or clear the issue for an entry, as its situation is now."""
    if is_local_api(entry.data[CONF_API_URL]) or _reachable_from_internet(hass, entry):
        async_delete_url_issue(hass, entry)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="no_external_url",
        translation_placeholders={"name": entry.title},
    )


@callback
def async_delete_url_issue(hass: HomeAssistant, entry: HoiioConfigEntry) -> None:
    """Remove the issue of an entry."""
    ir.async_delete_issue(hass, DOMAIN, _issue_id(entry))


@callback
def async_track_url_issue(
    hass: HomeAssistant, entry: HoiioConfigEntry
) -> CALLBACK_TYPE:
    """Check now and whenever the core configuration (external URL) changes."""
    async_check_url_issue(hass, entry)

    @callback
    def _core_config_updated(_: Event) -> None:
        """Check again: the external URL may have changed."""
        async_check_url_issue(hass, entry)

    return hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, _core_config_updated)
