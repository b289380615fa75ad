"""The floor handler: the least a webhook does for what the Hoiio one promises.

It decodes the form by hand and, with no validation, fires the `hoiio_event`
bus event, writes the state of a call event entity, and, when a call starts
(its first notification) or ends (`call_state=ended`), writes the states of an
ongoing-calls and a current-call sensor.

`EntityFloor` writes them through real entities (an `EventEntity` and two
`SensorEntity`s added to an entity platform): an integration must expose
entities, so it pays Home Assistant's entity layer too. `StatesFloor` writes the
same states with `hass.states.async_set`, below what an integration may do; it
shows what the entity layer costs.
"""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any, Final

from aiohttp import web
from form import decode_form
from homeassistant.components import webhook
from homeassistant.components.event import EventEntity
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import EntityPlatform
from homeassistant.util import dt as dt_util

PLATFORM_NAME: Final = "hoiio_floor"
EVENT_HOIIO: Final = "hoiio_event"
EVENT_TYPES: Final = (
    "answer",
    "dial",
    "play",
    "gather",
    "record",
    "monitor",
    "unhold",
    "transfer",
    "hangup",
    "other",
)
EVENT_TYPE_LIST: Final = list(EVENT_TYPES)
CURRENT_CALL_OPTIONS: Final = ["idle", "ringing", "ongoing", "on_hold"]
LOGGER: Final = logging.getLogger(__name__)

type Calls = dict[str, dict[str, str]]


class FloorCallEvent(EventEntity):
    """Fires with the block of each notification."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_name = "Floor call"
    _attr_unique_id = "floor_call"
    _attr_event_types = EVENT_TYPE_LIST

    @callback
    def async_notified(self, block: str, fields: dict[str, str]) -> None:
        """Show a notification as the latest event."""
        self._trigger_event(block, fields)
        self.async_write_ha_state()


class FloorOngoingCalls(SensorEntity):
    """How many calls have started and not ended."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_name = "Floor ongoing calls"
    _attr_unique_id = "floor_ongoing_calls"
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, calls: Calls) -> None:
        """Count the handler's calls."""
        self._calls = calls

    @property
    def native_value(self) -> int:
        """Return the number of ongoing calls."""
        return len(self._calls)


class FloorCurrentCall(SensorEntity):
    """The call started last that has not ended, as its first notification said."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_name = "Floor current call"
    _attr_unique_id = "floor_current_call"
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = CURRENT_CALL_OPTIONS

    def __init__(self, calls: Calls) -> None:
        """Follow the handler's calls."""
        self._calls = calls

    def _current(self) -> dict[str, str] | None:
        """Return the first notification of the current call, if any."""
        return next(reversed(self._calls.values()), None)

    @property
    def native_value(self) -> str:
        """Return idle, or ringing or ongoing."""
        if (fields := self._current()) is None:
            return "idle"
        return "ringing" if fields.get("call_state") == "ringing" else "ongoing"

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return who is on the current call."""
        if (fields := self._current()) is None:
            return {}
        return {key: fields.get(key) for key in ("session", "from", "to")}


class FloorWebhook:
    """The floor handler; subclasses say how it writes its states."""

    def __init__(self, hass: HomeAssistant, webhook_id: str) -> None:
        """Serve one webhook id."""
        self._hass = hass
        self.webhook_id = webhook_id
        self.calls: Calls = {}

    async def async_setup(self) -> None:
        """Register the webhook."""
        webhook.async_register(
            self._hass, "bench", self.webhook_id, self.webhook_id, self.async_handle
        )

    async def async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Handle a notification with the least work, then answer 200."""
        fields = decode_form(await request.read())
        block = fields.get("ivr_block", "other")
        hass.bus.async_fire(
            EVENT_HOIIO,
            {**fields, "config_entry_id": "floor", "device_id": "floor"},
        )
        self._write_event(block if block in EVENT_TYPES else "other", fields)
        session = fields.get("session", "")
        if fields.get("call_state") == "ended":
            if self.calls.pop(session, None) is not None:
                self._write_calls()
        elif session not in self.calls:
            self.calls[session] = fields
            self._write_calls()
        return web.Response(status=200)

    def _write_event(self, block: str, fields: dict[str, str]) -> None:
        """Write the call event entity's state."""
        raise NotImplementedError

    def _write_calls(self) -> None:
        """Write the ongoing-calls and current-call states."""
        raise NotImplementedError


class EntityFloor(FloorWebhook):
    """The floor writing real entities, as an integration must."""

    def __init__(self, hass: HomeAssistant, webhook_id: str) -> None:
        """Create the entities; `async_setup` adds them."""
        super().__init__(hass, webhook_id)
        self._event = FloorCallEvent()
        self._sensors = (FloorOngoingCalls(self.calls), FloorCurrentCall(self.calls))

    async def async_setup(self) -> None:
        """Add the entities to Home Assistant and register the webhook."""
        for domain, entities in (("event", [self._event]), ("sensor", self._sensors)):
            platform = EntityPlatform(
                hass=self._hass,
                logger=LOGGER,
                domain=domain,
                platform_name=PLATFORM_NAME,
                platform=None,
                scan_interval=timedelta(seconds=30),
                entity_namespace=None,
            )
            await platform.async_add_entities(entities)
        await super().async_setup()

    def _write_event(self, block: str, fields: dict[str, str]) -> None:
        """Trigger the event entity."""
        self._event.async_notified(block, fields)

    def _write_calls(self) -> None:
        """Write both sensors."""
        for sensor in self._sensors:
            sensor.async_write_ha_state()


class StatesFloor(FloorWebhook):
    """The floor writing the same states straight into the state machine."""

    def _write_event(self, block: str, fields: dict[str, str]) -> None:
        """Set an event-like state: the time, the event type and the fields."""
        self._hass.states.async_set(
            "event.floor_states_call",
            dt_util.utcnow().isoformat(timespec="milliseconds"),
            {
                "event_types": EVENT_TYPE_LIST,
                "event_type": block,
                **fields,
                "friendly_name": "Floor call",
            },
        )

    def _write_calls(self) -> None:
        """Set the two sensors' states as the entities would write them."""
        states = self._hass.states
        states.async_set(
            "sensor.floor_states_ongoing_calls",
            str(len(self.calls)),
            {"state_class": "measurement", "friendly_name": "Floor ongoing calls"},
        )
        current = next(reversed(self.calls.values()), None)
        attributes: dict[str, Any] = {
            "options": CURRENT_CALL_OPTIONS,
            "device_class": "enum",
            "friendly_name": "Floor current call",
        }
        if current is None:
            state = "idle"
        else:
            state = "ringing" if current.get("call_state") == "ringing" else "ongoing"
            attributes |= {key: current.get(key) for key in ("session", "from", "to")}
        states.async_set("sensor.floor_states_current_call", state, attributes)
