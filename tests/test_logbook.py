"""Tests of the logbook sentences of Hoiio events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import Event, HomeAssistant
import pytest

from custom_components.hoiio.const import DOMAIN, EVENT_HOIIO
from custom_components.hoiio.logbook import async_describe_events, describe_notification

from .const import CALLER, MOBILE


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        ({"ivr_block": "answer", "from": CALLER}, f"Incoming call from {CALLER}"),
        ({"ivr_block": "answer"}, "Incoming call from an unknown number"),
        (
            {"ivr_block": "answer", "from": CALLER, "call_state": "ringing"},
            f"Incoming call from {CALLER}",
        ),
        (
            {
                "ivr_block": "transfer",
                "transfer_target": MOBILE,
                "transfer_status": "busy",
                "call_state": "ongoing",
            },
            f"Transfer to {MOBILE} failed: busy",
        ),
        (
            {
                "ivr_block": "transfer",
                "transfer_target": MOBILE,
                "transfer_status": "answered",
                "call_state": "ended",
            },
            f"Transferred call to {MOBILE} ended; the call ended",
        ),
        (
            {"ivr_block": "transfer", "room": "R12", "transfer_status": "ongoing"},
            "Call transferred to R12",
        ),
        (
            {
                "ivr_block": "dial",
                "dest": MOBILE,
                "dial_status": "busy",
                "call_state": "ended",
            },
            f"Outgoing call to {MOBILE}: busy; the call ended",
        ),
        ({"ivr_block": "gather", "digits": "12"}, "Caller entered digits"),
        ({"ivr_block": "gather"}, "Caller entered no digits"),
        ({"ivr_block": "play"}, "Message played"),
        ({"ivr_block": "record"}, "Caller recorded a message"),
        ({"ivr_block": "monitor"}, "Call recording started"),
        ({"ivr_block": "unhold"}, "Call taken off hold"),
        ({"ivr_block": "hangup", "call_state": "ended"}, "Call hung up"),
        ({"ivr_block": "conference"}, "Notification conference"),
        ({"session": "S1"}, "Notification without a block name"),
    ],
)
def test_sentences(data: dict[str, Any], sentence: str) -> None:
    """Each notification reads as a plain sentence."""
    assert describe_notification(data) == sentence


def test_describes_hoiio_events(hass: HomeAssistant) -> None:
    """The logbook platform describes hoiio_event."""
    described: dict[tuple[str, str], Callable[[Event], dict[str, str]]] = {}
    async_describe_events(
        hass,
        lambda domain, event, describe: described.update({(domain, event): describe}),
    )
    describe = described[(DOMAIN, EVENT_HOIIO)]
    entry = describe(Event(EVENT_HOIIO, {"ivr_block": "answer", "from": CALLER}))
    assert entry == {"name": "Hoiio", "message": f"Incoming call from {CALLER}"}
