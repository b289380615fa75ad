"""Event entity that fires for every Hoiio notification."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SIGNAL_NOTIFICATION
from .entity import CALL_EVENT_KEY, HoiioEntity
from .notification import (
    ATTR_IVR_BLOCK_INFERRED,
    ATTR_IVR_BLOCK_SENT,
    EVENT_TYPES,
    Notification,
)
from .runtime_data import HoiioConfigEntry

PARALLEL_UPDATES = 0

# Notification fields shown as event attributes; the rest stay in the bus event.
EVENT_ATTRIBUTES: Final = (
    "ivr_block",
    ATTR_IVR_BLOCK_INFERRED,
    ATTR_IVR_BLOCK_SENT,
    "session",
    "call_state",
    "from",
    "to",
    "dest",
    "transfer_target",
    "transfer_status",
    "dial_status",
    "room",
    "digits",
    "record_url",
    "tag",
    "txn_ref",
    "date",
    "duration",
    "currency",
    "rate",
    "debit",
)
PRIVATE_ATTRIBUTES: Final = frozenset(
    {
        "session",
        "from",
        "to",
        "dest",
        "transfer_target",
        "room",
        "digits",
        "record_url",
        "tag",
        "txn_ref",
    }
)

CALL_EVENT: Final = EventEntityDescription(
    key=CALL_EVENT_KEY, translation_key=CALL_EVENT_KEY, event_types=list(EVENT_TYPES)
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HoiioConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's call event entity."""
    async_add_entities([HoiioCallEvent(entry)])


class HoiioCallEvent(HoiioEntity, EventEntity):
    """Fires with the block of each notification as its event type."""

    _unrecorded_attributes = PRIVATE_ATTRIBUTES

    def __init__(self, entry: HoiioConfigEntry) -> None:
        """Create the entity of an account."""
        super().__init__(entry, CALL_EVENT)
        self._signal = SIGNAL_NOTIFICATION.format(entry.entry_id)

    async def async_added_to_hass(self) -> None:
        """Listen for notifications."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                self._signal,
                self._async_notified,
            )
        )

    @callback
    def _async_notified(
        self, notification: Notification, event_data: dict[str, Any]
    ) -> None:
        """Show a notification as the latest event."""
        attributes: dict[str, Any] = {
            key: event_data[key] for key in EVENT_ATTRIBUTES if key in event_data
        }
        self._trigger_event(notification.event_type, attributes)
        self.async_write_ha_state()
