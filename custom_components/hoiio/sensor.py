"""Sensors of a Hoiio account: balance, ongoing calls and the current call."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .call import CallStatus
from .calls import CallTracker
from .const import SIGNAL_CALLS_UPDATED
from .coordinator import HoiioBalanceCoordinator
from .data import HoiioConfigEntry
from .entity import HoiioEntity

PARALLEL_UPDATES = 0

CURRENT_CALL_IDLE: Final = "idle"
CURRENT_CALL_RINGING: Final = "ringing"
CURRENT_CALL_ONGOING: Final = "ongoing"
CURRENT_CALL_ON_HOLD: Final = "on_hold"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HoiioConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the account's sensors."""
    data = entry.runtime_data
    async_add_entities(
        [
            HoiioBalanceSensor(entry, data.coordinator),
            HoiioOngoingCallsSensor(entry, data.tracker),
            HoiioCurrentCallSensor(entry, data.tracker),
        ]
    )


class HoiioBalanceSensor(
    HoiioEntity, CoordinatorEntity[HoiioBalanceCoordinator], SensorEntity
):
    """The account's credit balance."""

    _attr_device_class = SensorDeviceClass.MONETARY
    _attr_state_class = SensorStateClass.TOTAL
    _attr_suggested_display_precision = 2

    def __init__(
        self, entry: HoiioConfigEntry, coordinator: HoiioBalanceCoordinator
    ) -> None:
        """Follow the balance coordinator."""
        HoiioEntity.__init__(self, entry, "balance")
        CoordinatorEntity.__init__(self, coordinator)

    @property
    def native_value(self) -> Decimal:
        """Return the balance."""
        return self.coordinator.data.balance

    @property
    def native_unit_of_measurement(self) -> str:
        """Return the currency the API reports."""
        return self.coordinator.data.currency


class HoiioCallsSensor(HoiioEntity, SensorEntity):
    """A sensor that follows the call tracker."""

    def __init__(self, entry: HoiioConfigEntry, key: str, tracker: CallTracker) -> None:
        """Follow the tracker of an entry."""
        super().__init__(entry, key)
        self._entry_id = entry.entry_id
        self._tracker = tracker
        self._shown: tuple[Any, Any] | None = None

    async def async_added_to_hass(self) -> None:
        """Listen for changes of the calls."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                SIGNAL_CALLS_UPDATED.format(self._entry_id),
                self._async_calls_updated,
            )
        )

    @callback
    def _async_calls_updated(self) -> None:
        # Most notifications change only some sensors: skip writes of nothing new.
        shown = (self.native_value, self.extra_state_attributes)
        if shown != self._shown:
            self._shown = shown
            self.async_write_ha_state()


class HoiioOngoingCallsSensor(HoiioCallsSensor):
    """How many calls are ongoing."""

    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, entry: HoiioConfigEntry, tracker: CallTracker) -> None:
        """Count the tracker's ongoing calls."""
        super().__init__(entry, "ongoing_calls", tracker)

    @property
    def native_value(self) -> int:
        """Return the number of ongoing calls."""
        return self._tracker.ongoing_count


class HoiioCurrentCallSensor(HoiioCallsSensor):
    """The most recent call in progress: ringing, ongoing, on hold, or idle."""

    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = [
        CURRENT_CALL_IDLE,
        CURRENT_CALL_RINGING,
        CURRENT_CALL_ONGOING,
        CURRENT_CALL_ON_HOLD,
    ]
    _unrecorded_attributes = frozenset({"session", "from", "to", "dest"})

    def __init__(self, entry: HoiioConfigEntry, tracker: CallTracker) -> None:
        """Show the tracker's current call."""
        super().__init__(entry, "current_call", tracker)

    @property
    def native_value(self) -> str:
        """Return the state of the current call."""
        call = self._tracker.current_call()
        if call is None:
            return CURRENT_CALL_IDLE
        if call.on_hold:
            return CURRENT_CALL_ON_HOLD
        if call.status is CallStatus.RINGING:
            return CURRENT_CALL_RINGING
        return CURRENT_CALL_ONGOING

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return who is on the current call and what it last did."""
        call = self._tracker.current_call()
        if call is None:
            return {}
        return {
            "session": call.session,
            "from": call.caller,
            "to": call.called,
            "dest": call.dest,
            "last_block": call.last_block,
            "last_outcome": call.last_outcome,
        }
