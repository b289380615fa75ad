"""Sensors of a Hoiio account: balance, ongoing calls and the current call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import (
    BaseCoordinatorEntity,
    CoordinatorEntity,
)

from .api import Balance
from .call_machine import CallStatus
from .call_tracker import CallTracker
from .coordinator import HoiioBalanceCoordinator
from .entity import HoiioEntity
from .runtime_data import HoiioConfigEntry

PARALLEL_UPDATES = 0

CURRENT_CALL_IDLE: Final = "idle"
CURRENT_CALL_RINGING: Final = "ringing"
CURRENT_CALL_ONGOING: Final = "ongoing"
CURRENT_CALL_ON_HOLD: Final = "on_hold"


@dataclass(frozen=True, kw_only=True)
class HoiioSensorEntityDescription[T](SensorEntityDescription):
    """A Hoiio sensor: how its state, attributes and unit come from its source."""

    value_fn: Callable[[T], StateType | Decimal]
    attributes_fn: Callable[[T], dict[str, Any]] | None = None
    unit_fn: Callable[[T], str | None] | None = None


def current_call_state(tracker: CallTracker) -> str:
    """Return the state of the current call: idle, ringing, ongoing or on hold."""
    call = tracker.current_call()
    if call is None:
        return CURRENT_CALL_IDLE
    if call.on_hold:
        return CURRENT_CALL_ON_HOLD
    if call.status is CallStatus.RINGING:
        return CURRENT_CALL_RINGING
    return CURRENT_CALL_ONGOING


def current_call_attributes(tracker: CallTracker) -> dict[str, Any]:
    """Return who is on the current call and what it last did."""
    call = tracker.current_call()
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


BALANCE_SENSOR: Final = HoiioSensorEntityDescription[Balance](
    key="balance",
    translation_key="balance",
    device_class=SensorDeviceClass.MONETARY,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=2,
    value_fn=lambda balance: balance.balance,
    unit_fn=lambda balance: balance.currency,
)
CALL_SENSORS: Final = (
    HoiioSensorEntityDescription[CallTracker](
        key="ongoing_calls",
        translation_key="ongoing_calls",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda tracker: tracker.ongoing_count,
    ),
    HoiioSensorEntityDescription[CallTracker](
        key="current_call",
        translation_key="current_call",
        device_class=SensorDeviceClass.ENUM,
        options=[
            CURRENT_CALL_IDLE,
            CURRENT_CALL_RINGING,
            CURRENT_CALL_ONGOING,
            CURRENT_CALL_ON_HOLD,
        ],
        value_fn=current_call_state,
        attributes_fn=current_call_attributes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HoiioConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's sensors."""
    data = entry.runtime_data
    async_add_entities(
        [
            HoiioBalanceSensor(entry, data.coordinator, BALANCE_SENSOR),
            *(HoiioCallSensor(entry, data.tracker, d) for d in CALL_SENSORS),
        ]
    )


class HoiioBalanceSensor(
    HoiioEntity, CoordinatorEntity[HoiioBalanceCoordinator], SensorEntity
):
    """The account's credit balance, as the coordinator last read it."""

    entity_description: HoiioSensorEntityDescription[Balance]

    def __init__(
        self,
        entry: HoiioConfigEntry,
        coordinator: HoiioBalanceCoordinator,
        description: HoiioSensorEntityDescription[Balance],
    ) -> None:
        """Follow the balance coordinator."""
        HoiioEntity.__init__(self, entry, description)
        CoordinatorEntity.__init__(self, coordinator)

    @property
    def native_value(self) -> StateType | Decimal:
        """Return the balance."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return the currency the API reports."""
        unit_fn = self.entity_description.unit_fn
        return None if unit_fn is None else unit_fn(self.coordinator.data)


class HoiioCallSensor(HoiioEntity, BaseCoordinatorEntity[CallTracker], SensorEntity):
    """A sensor that follows the call tracker, which pushes its changes."""

    entity_description: HoiioSensorEntityDescription[CallTracker]
    _unrecorded_attributes = frozenset({"session", "from", "to", "dest"})

    def __init__(
        self,
        entry: HoiioConfigEntry,
        tracker: CallTracker,
        description: HoiioSensorEntityDescription[CallTracker],
    ) -> None:
        """Follow the tracker of an entry."""
        HoiioEntity.__init__(self, entry, description)
        BaseCoordinatorEntity.__init__(self, tracker)
        self._attr_extra_state_attributes = {}
        self._read()

    def _read(self) -> bool:
        """Read what the sensor shows from the tracker; return whether it changed."""
        description = self.entity_description
        value = description.value_fn(self.coordinator)
        attributes_fn = description.attributes_fn
        attributes = {} if attributes_fn is None else attributes_fn(self.coordinator)
        if (
            value == self._attr_native_value
            and attributes == self._attr_extra_state_attributes
        ):
            return False
        self._attr_native_value = value
        self._attr_extra_state_attributes = attributes
        return True

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state, when the calls changed what the sensor shows."""
        # Every change of the calls wakes both sensors, and most wakes change
        # nothing when calls overlap: the check costs a seventh of an unchanged
        # write (benchmarks/bench_sensor_writes.py).
        if self._read():
            self.async_write_ha_state()

    async def async_update(self) -> None:
        """Read the calls again (the update_entity action); nothing is polled."""
        self._read()
