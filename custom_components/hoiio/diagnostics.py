"""Diagnostics of a Hoiio config entry, with secrets and personal data redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .const import CONF_CLOUDHOOK_URL
from .runtime_data import HoiioConfigEntry

TO_REDACT: Final = {
    CONF_ACCESS_TOKEN,
    CONF_WEBHOOK_ID,
    CONF_CLOUDHOOK_URL,
    "uid",
    "name",
    "email",
    "mobile_number",
    "caller_ids",
    "session",
    "caller",
    "called",
    "dest",
    "transfer_target",
    "target",
    "token",
    "pending_token",
    "consumed",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HoiioConfigEntry
) -> dict[str, Any]:
    """Return what helps to debug an entry, without secrets or personal data."""
    data = entry.runtime_data
    balance = data.coordinator.data
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "account": async_redact_data(asdict(data.account), TO_REDACT),
        "balance": {"currency": balance.currency, "balance": str(balance.balance)},
        "calls": async_redact_data(data.tracker.as_dict(), TO_REDACT),
        "waiting": data.tracker.waiting,
    }
