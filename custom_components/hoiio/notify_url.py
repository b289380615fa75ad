"""The URL Hoiio posts notifications to: cloudhook, external or internal."""

from __future__ import annotations

from urllib.parse import urlsplit

from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError
from yarl import URL

from .const import CONF_CLOUDHOOK_URL, NOTIFY_TOKEN_PARAM


def cloud_active(hass: HomeAssistant) -> bool:
    """Return whether Home Assistant Cloud can relay webhooks."""
    if "cloud" not in hass.config.components:
        return False
    from homeassistant.components import cloud  # noqa: PLC0415

    return cloud.async_active_subscription(hass)


async def async_create_cloudhook(hass: HomeAssistant, webhook_id: str) -> str | None:
    """Return the cloudhook of a webhook, creating it; None without Cloud."""
    if not cloud_active(hass):
        return None
    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        return await cloud.async_get_or_create_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable:
        return None


async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
    """Delete a webhook's cloudhook, if Cloud is there to do it."""
    if not cloud_active(hass):
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        await cloud.async_delete_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable:
        return


def webhook_url(hass: HomeAssistant, data: dict[str, str]) -> str | None:
    """Return the URL the service should post to, or None when there is none."""
    if (cloudhook := data.get(CONF_CLOUDHOOK_URL)) and cloud_active(hass):
        return cloudhook
    try:
        return webhook.async_generate_url(
            hass, data[CONF_WEBHOOK_ID], allow_internal=True, prefer_external=True
        )
    except NoURLAvailableError:
        return None


def with_token(url: str, token: str) -> str:
    """Return the URL with the per-request token in its query string."""
    return str(URL(url).update_query({NOTIFY_TOKEN_PARAM: token}))


def is_own_url(url: str, data: dict[str, str]) -> bool:
    """Return whether a URL (already validated) points at this entry's webhook."""
    if url == data.get(CONF_CLOUDHOOK_URL):
        return True
    path = urlsplit(url).path.rstrip("/")
    return path.endswith(f"/api/webhook/{data[CONF_WEBHOOK_ID]}")
