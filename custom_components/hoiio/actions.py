"""The actions, each declared once: its fields, its IVR block and what it sends."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from . import validation as val
from .api import IvrPath, ParamValue
from .const import ATTR_CONFIG_ENTRY_ID, ATTR_SESSION, DEFAULT_WAIT_TIMEOUT, DOMAIN

ATTR_WAIT: Final = "wait"
ATTR_WAIT_TIMEOUT: Final = "wait_timeout"
ATTR_NOTIFY_URL: Final = "notify_url"
ATTR_FORCE: Final = "force"
ATTR_DEST: Final = "dest"
# Fields of the integration's own, and the two it fills in itself when sending.
NOT_SENT_AS_GIVEN: Final = frozenset(
    {ATTR_CONFIG_ENTRY_ID, ATTR_WAIT, ATTR_WAIT_TIMEOUT, ATTR_SESSION, ATTR_NOTIFY_URL}
)
MAX_SECONDS: Final = 86400
# Hoiio's pages give no bound for a gather's attempts; the form offers 1 to 100.
MAX_ATTEMPTS: Final = 100

type Fields = dict[vol.Marker, Any]
type Encoder = Callable[[Any], ParamValue]
type Check = Callable[[Mapping[str, Any]], None]

_seconds = val.whole_number(1, MAX_SECONDS)
_SESSION: Fields = {
    vol.Optional(ATTR_SESSION): vol.All(cv.string, vol.Length(min=1, max=128))
}
_MSG: Fields = {vol.Optional("msg"): val.message}
# What a block that rings a number takes besides the number.
_RINGING: Fields = {**_MSG, vol.Optional("caller_id"): val.caller_id}
_NOTIFY: Fields = {
    vol.Optional("tag"): val.tag,
    vol.Optional(ATTR_NOTIFY_URL): val.http_url,
    vol.Optional(ATTR_WAIT, default=False): cv.boolean,
    vol.Optional(ATTR_WAIT_TIMEOUT, default=DEFAULT_WAIT_TIMEOUT): _seconds,
}


def _no_check(data: Mapping[str, Any]) -> None:
    """Accept any combination of valid fields."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockAction:
    """An action that sends one IVR block, and is named after it.

    Each of its `fields` is sent as the block's parameter of the same name,
    through its encoder if it has one; `notifies` blocks also take a tag, a
    notify URL and can wait for their notification. `check` refuses
    combinations of valid fields that the block cannot take.
    """

    path: IvrPath
    fields: Fields = field(default_factory=dict)
    takes_session: bool = True
    notifies: bool = True
    encoders: Mapping[str, Encoder] = field(default_factory=dict)
    check: Check = _no_check

    @property
    def name(self) -> str:
        """Return the name of the action and of its block."""
        return self.path.rsplit("/", 1)[1]

    def schema(self) -> val.ActionSchema:
        """Return the schema of the action's data."""
        fields: Fields = {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string}
        if self.takes_session:
            fields |= _SESSION
        fields |= self.fields
        if self.notifies:
            fields |= _NOTIFY
        return val.ActionSchema(fields)

    def parameters(self, data: Mapping[str, Any]) -> dict[str, ParamValue]:
        """Return the block's parameters from the action's validated data."""
        self.check(data)
        return {
            key: self.encoders[key](value) if key in self.encoders else value
            for key, value in data.items()
            if key not in NOT_SENT_AS_GIVEN
        }


def _enabled(flag: Any) -> ParamValue:
    """Send a true flag as `enabled`, leave a false one out."""
    return "enabled" if flag else None


def _no_msg_when_forced(data: Mapping[str, Any]) -> None:
    """Refuse a message with a forced hang-up, which plays none."""
    if data[ATTR_FORCE] and "msg" in data:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="force_with_msg"
        )


ACTIONS: Final = (
    BlockAction(
        path=IvrPath.TRANSFER,
        fields={
            vol.Required(ATTR_DEST): val.transfer_dest,
            **_RINGING,
            vol.Optional("on_failure"): vol.In(("hangup", "continue")),
            vol.Optional("ring_time"): _seconds,
            vol.Optional("room_profile"): vol.In(("music", "ringing")),
        },
    ),
    BlockAction(path=IvrPath.UNHOLD),
    BlockAction(path=IvrPath.HOLD, fields=_MSG, notifies=False),
    BlockAction(
        path=IvrPath.HANGUP,
        fields={**_MSG, vol.Optional(ATTR_FORCE, default=False): cv.boolean},
        encoders={ATTR_FORCE: _enabled},
        check=_no_msg_when_forced,
    ),
    BlockAction(path=IvrPath.PLAY, fields=_MSG),
    BlockAction(
        path=IvrPath.GATHER,
        fields={
            **_MSG,
            vol.Optional("max_digits"): val.whole_number(0, 255),
            vol.Optional("timeout"): _seconds,
            vol.Optional("attempts"): val.whole_number(1, MAX_ATTEMPTS),
        },
    ),
    BlockAction(
        path=IvrPath.RECORD,
        fields={**_MSG, vol.Optional("max_duration"): _seconds},
    ),
    BlockAction(
        path=IvrPath.MONITOR,
        fields={**_MSG, vol.Optional("monitor_notify_url"): val.http_url},
    ),
    BlockAction(
        path=IvrPath.DIAL,
        fields={
            vol.Required(ATTR_DEST): val.e164,
            **_RINGING,
            vol.Optional("max_duration"): _seconds,
        },
        takes_session=False,
    ),
)
