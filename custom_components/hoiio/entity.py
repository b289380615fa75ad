"""Base entity of the Hoiio integration."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN
from .runtime_data import HoiioConfigEntry

CALL_EVENT_KEY = "call"


def entity_unique_id(entry_unique_id: str | None, key: str) -> str:
    """Return the unique ID of an account's entity (key: call, balance, ...)."""
    return f"{entry_unique_id}_{key}"


def device_info(entry: HoiioConfigEntry) -> DeviceInfo:
    """Return the service device of an account."""
    return DeviceInfo(
        identifiers={(DOMAIN, str(entry.unique_id))},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="Hoiio",
        model="IVR application",
        name=entry.title,
    )


class HoiioEntity(Entity):
    """An entity of a Hoiio account's device, named by its description's key."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: HoiioConfigEntry, description: EntityDescription) -> None:
        """Describe the entity and attach it to the account's device."""
        self.entity_description = description
        self._attr_unique_id = entity_unique_id(entry.unique_id, description.key)
        self._attr_device_info = device_info(entry)
