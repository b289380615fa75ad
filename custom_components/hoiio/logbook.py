"""Logbook descriptions of Hoiio events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN, EVENT_HOIIO


def describe_notification(data: Mapping[str, Any]) -> str:
    """Return a plain sentence for a notification."""
    block = data.get("ivr_block")
    sentence = _SENTENCES.get(str(block), _other)(data)
    if data.get("call_state") == "ended" and block not in ("hangup",):
        sentence += "; the call ended"
    return sentence


def _answer(data: Mapping[str, Any]) -> str:
    return f"Incoming call from {data.get('from') or 'an unknown number'}"


def _dial(data: Mapping[str, Any]) -> str:
    dest = data.get("dest") or "a number"
    return f"Outgoing call to {dest}: {data.get('dial_status') or 'unknown'}"


def _transfer(data: Mapping[str, Any]) -> str:
    target = data.get("transfer_target") or data.get("room") or "the destination"
    status = data.get("transfer_status")
    if status == "answered":
        return f"Transferred call to {target} ended"
    if status == "ongoing":
        return f"Call transferred to {target}"
    return f"Transfer to {target} failed: {status or 'unknown'}"


def _other(data: Mapping[str, Any]) -> str:
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


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe Hoiio events in the logbook."""

    @callback
    def describe(event: Event) -> dict[str, str]:
        return {
            LOGBOOK_ENTRY_NAME: "Hoiio",
            LOGBOOK_ENTRY_MESSAGE: describe_notification(event.data),
        }

    async_describe_event(DOMAIN, EVENT_HOIIO, describe)
