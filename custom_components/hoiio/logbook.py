"""Logbook descriptions of Hoiio events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.const import Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .const import ATTR_CONFIG_ENTRY_ID, DOMAIN, EVENT_HOIIO
from .entity import CALL_EVENT_KEY, entity_unique_id
from .notification import DIAL_FAILURES


def describe_notification(data: Mapping[str, Any]) -> str:
    """Return a plain sentence for a notification."""
    block = data.get("ivr_block")
    sentence = _SENTENCES.get(str(block), _other)(data)
    if data.get("call_state") == "ended" and not _tells_the_end(data):
        sentence += "; the call ended"
    return sentence


def _tells_the_end(data: Mapping[str, Any]) -> bool:
    """Tell whether the block's own sentence already says that the call is over."""
    block = data.get("ivr_block")
    return (
        block == "hangup"
        or (block == "transfer" and data.get("transfer_status") == "answered")
        or (block == "dial" and data.get("dial_status") in DIAL_FAILURES)
    )


def _answer(data: Mapping[str, Any]) -> str:
    """Describe an incoming call."""
    return f"Incoming call from {data.get('from') or 'an unknown number'}"


def _dial(data: Mapping[str, Any]) -> str:
    """Describe an outgoing call and how it went."""
    dest = data.get("dest") or "a number"
    return f"Outgoing call to {dest}: {data.get('dial_status') or 'unknown'}"


def _transfer(data: Mapping[str, Any]) -> str:
    """Describe a transfer: ongoing, ended after it was answered, or failed."""
    target = data.get("transfer_target") or data.get("room") or "the destination"
    status = data.get("transfer_status")
    if status == "answered":
        return f"Transferred call to {target} ended"
    if status == "ongoing":
        return f"Call transferred to {target}"
    return f"Transfer to {target} failed: {status or 'unknown'}"


def _other(data: Mapping[str, Any]) -> str:
    """Describe a notification of a block the integration does not know."""
    return f"Notification {data.get('ivr_block') or 'without a block name'}"


_SENTENCES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "answer": _answer,
    "dial": _dial,
    "transfer": _transfer,
    "play": lambda _: "Message played",
    "gather": lambda data: (
        "Caller entered digits" if data.get("digits") else "Caller entered no digits"
    ),
    "record": lambda _: "Caller recorded a message",
    "monitor": lambda _: "Call recording started",
    "unhold": lambda _: "Call taken off hold",
    "hangup": lambda _: "Call hung up",
}


def call_entity_id(hass: HomeAssistant, entry_id: Any) -> str | None:
    """Return the Call event entity of a config entry, if it has one."""
    if not isinstance(entry_id, str) or not (
        entry := hass.config_entries.async_get_entry(entry_id)
    ):
        return None
    return er.async_get(hass).async_get_entity_id(
        Platform.EVENT, DOMAIN, entity_unique_id(entry.unique_id, CALL_EVENT_KEY)
    )


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe Hoiio events in the logbook, linked to the account's Call entity."""

    @callback
    def describe(event: Event) -> dict[str, str]:
        """Return the logbook line of a hoiio_event."""
        description = {
            LOGBOOK_ENTRY_NAME: "Hoiio",
            LOGBOOK_ENTRY_MESSAGE: describe_notification(event.data),
        }
        if entity_id := call_entity_id(hass, event.data.get(ATTR_CONFIG_ENTRY_ID)):
            description[LOGBOOK_ENTRY_ENTITY_ID] = entity_id
        return description

    async_describe_event(DOMAIN, EVENT_HOIIO, describe)
