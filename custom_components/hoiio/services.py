"""Actions for the IVR blocks of a Hoiio call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from . import validation as val
from .api import BlockResult, HoiioClient, HoiioError
from .call_tracker import BlockTicket, CallStateError, TrackerClosedError
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_SESSION,
    DEFAULT_WAIT_TIMEOUT,
    DOMAIN,
)
from .errors import block_error, is_auth_failure
from .notify_url import is_own_url, webhook_url, with_token
from .runtime_data import HoiioConfigEntry

ATTR_WAIT: Final = "wait"
ATTR_WAIT_TIMEOUT: Final = "wait_timeout"
ATTR_NOTIFY_URL: Final = "notify_url"
ATTR_FORCE: Final = "force"
ATTR_MSG: Final = "msg"
ATTR_DEST: Final = "dest"

type Sender = Callable[[HoiioClient, str, dict[str, Any]], Awaitable[BlockResult]]


class ActionSchema(vol.Schema):
    """A schema whose errors are translated ServiceValidationErrors."""

    def __call__(self, data: Any) -> Any:
        """Validate, turning voluptuous errors into translated errors."""
        try:
            _check_encodable(data)
            return super().__call__(data)  # type: ignore[no-untyped-call]
        except vol.Invalid as err:
            raise self._translated(err) from err

    def _translated(self, err: vol.Invalid) -> ServiceValidationError:
        first = err.errors[0] if isinstance(err, vol.MultipleInvalid) else err
        field = ".".join(str(part) for part in first.path) or "data"
        if isinstance(first, val.HoiioInvalid):
            key = first.error_key
        elif isinstance(first, vol.RequiredFieldInvalid):
            key = "missing_field"
        elif first.path and first.path[0] not in {str(k) for k in self.schema}:
            key = "unknown_field"
        else:
            key = "invalid_field"
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"field": field, "error": first.error_message},
        )


def _check_encodable(data: Any) -> None:
    """Refuse text that cannot travel as UTF-8 (lone surrogates)."""
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if isinstance(value, str):
            try:
                value.encode()
            except UnicodeEncodeError:
                raise vol.Invalid("not valid text", path=[key]) from None


def _positive_int(value: Any) -> int:
    """Accept a whole number of 1 or more (text or number)."""
    return _int_in_range(value, 1, 86400)


def _max_digits(value: Any) -> int:
    return _int_in_range(value, 0, 255)


def _int_in_range(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise vol.Invalid("expected a whole number")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise vol.Invalid("expected a whole number") from None
    if not number.is_integer() or not low <= number <= high:
        raise vol.Invalid(f"expected a whole number from {low} to {high}")
    return int(number)


type Fields = dict[vol.Marker, Any]

_SESSION: Fields = {
    vol.Optional(ATTR_SESSION): vol.All(cv.string, vol.Length(min=1, max=128))
}
_MSG: Fields = {vol.Optional(ATTR_MSG): val.message}
_NOTIFY: Fields = {
    vol.Optional("tag"): val.tag,
    vol.Optional(ATTR_NOTIFY_URL): val.http_url,
    vol.Optional(ATTR_WAIT, default=False): cv.boolean,
    vol.Optional(ATTR_WAIT_TIMEOUT, default=DEFAULT_WAIT_TIMEOUT): _positive_int,
}


def _schema(*parts: Fields) -> ActionSchema:
    """Join field groups into an action schema with the config entry field."""
    fields: Fields = {vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string}
    for part in parts:
        fields.update(part)
    return ActionSchema(fields)


SCHEMAS: Final[dict[str, ActionSchema]] = {
    "transfer": _schema(
        _SESSION,
        {vol.Required(ATTR_DEST): val.transfer_dest},
        _MSG,
        {
            vol.Optional("caller_id"): val.caller_id,
            vol.Optional("on_failure"): vol.In(("hangup", "continue")),
            vol.Optional("ring_time"): _positive_int,
            vol.Optional("room_profile"): vol.In(("music", "ringing")),
        },
        _NOTIFY,
    ),
    "unhold": _schema(_SESSION, _NOTIFY),
    "hold": _schema(_SESSION, _MSG),
    "hangup": _schema(
        _SESSION, _MSG, {vol.Optional(ATTR_FORCE, default=False): cv.boolean}, _NOTIFY
    ),
    "play": _schema(_SESSION, _MSG, _NOTIFY),
    "gather": _schema(
        _SESSION,
        _MSG,
        {
            vol.Optional("max_digits"): _max_digits,
            vol.Optional("timeout"): _positive_int,
            vol.Optional("attempts"): _positive_int,
        },
        _NOTIFY,
    ),
    "record": _schema(
        _SESSION, _MSG, {vol.Optional("max_duration"): _positive_int}, _NOTIFY
    ),
    "monitor": _schema(
        _SESSION, _MSG, {vol.Optional("monitor_notify_url"): val.http_url}, _NOTIFY
    ),
    "dial": _schema(
        {vol.Required(ATTR_DEST): val.e164},
        _MSG,
        {
            vol.Optional("caller_id"): val.caller_id,
            vol.Optional("max_duration"): _positive_int,
        },
        _NOTIFY,
    ),
}

# Fields of the action that are API parameters of the block.
_BLOCK_PARAMETERS: Final = {
    "transfer": ("msg", "caller_id", "on_failure", "ring_time", "room_profile", "tag"),
    "unhold": ("tag",),
    "hold": ("msg",),
    "hangup": ("msg", "tag"),
    "play": ("msg", "tag"),
    "gather": ("msg", "max_digits", "timeout", "attempts", "tag"),
    "record": ("msg", "max_duration", "tag"),
    "monitor": ("msg", "tag", "monitor_notify_url"),
    "dial": ("msg", "caller_id", "max_duration", "tag"),
}


@dataclass(frozen=True, slots=True)
class BlockAction:
    """How an action sends its block."""

    block: str
    send: Sender
    notifies: bool = True


def _send_session_block(method: str) -> Sender:
    async def send(
        client: HoiioClient, session: str, params: dict[str, Any]
    ) -> BlockResult:
        result: BlockResult = await getattr(client, method)(session, **params)
        return result

    return send


async def _send_transfer(
    client: HoiioClient, session: str, params: dict[str, Any]
) -> BlockResult:
    dest = params.pop(ATTR_DEST)
    return await client.transfer(session, dest, **params)


async def _send_dial(
    client: HoiioClient, _: str, params: dict[str, Any]
) -> BlockResult:
    dest = params.pop(ATTR_DEST)
    return await client.dial(dest, **params)


ACTIONS: Final = {
    "transfer": BlockAction("transfer", _send_transfer),
    "unhold": BlockAction("unhold", _send_session_block("unhold")),
    "hold": BlockAction("hold", _send_session_block("hold"), notifies=False),
    "hangup": BlockAction("hangup", _send_session_block("hangup")),
    "play": BlockAction("play", _send_session_block("play")),
    "gather": BlockAction("gather", _send_session_block("gather")),
    "record": BlockAction("record", _send_session_block("record")),
    "monitor": BlockAction("monitor", _send_session_block("monitor")),
    "dial": BlockAction("dial", _send_dial),
}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action of the integration."""
    for name, action in ACTIONS.items():
        hass.services.async_register(
            DOMAIN,
            name,
            _handler(action),
            schema=SCHEMAS[name],
            supports_response=SupportsResponse.OPTIONAL,
        )


def _handler(
    action: BlockAction,
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    async def handle(call: ServiceCall) -> ServiceResponse:
        return await _async_run(call, action)

    return handle


def _loaded_entry(hass: HomeAssistant, entry_id: str) -> HoiioConfigEntry:
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"name": entry.title},
        )
    return entry


def _session_of(call: ServiceCall, entry: HoiioConfigEntry) -> str:
    if session := call.data.get(ATTR_SESSION):
        return str(session)
    current = entry.runtime_data.tracker.current_call()
    if current is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_current_call"
        )
    return current.session


async def _async_run(call: ServiceCall, action: BlockAction) -> ServiceResponse:
    """Check the call's state, send the block, and optionally wait for its outcome."""
    entry = _loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    data = entry.runtime_data
    is_dial = action.block == "dial"
    session = "" if is_dial else _session_of(call, entry)
    params = {
        key: call.data[key]
        for key in _BLOCK_PARAMETERS[action.block]
        if key in call.data
    }
    if action.block == "hangup" and call.data[ATTR_FORCE]:
        if ATTR_MSG in call.data:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="force_with_msg"
            )
        params[ATTR_FORCE] = True
    if ATTR_DEST in call.data:
        params[ATTR_DEST] = call.data[ATTR_DEST]
    wait = bool(call.data.get(ATTR_WAIT))
    base_url = _notify_base_url(call, entry, action, wait)
    try:
        with _tracker_errors(session):
            async with data.tracker.async_block(
                session or None,
                action.block,
                notify=base_url is not None,
                wait=wait,
                force=bool(params.get(ATTR_FORCE)),
                target=call.data.get(ATTR_DEST),
            ) as ticket:
                if action.notifies:
                    user_url = call.data.get(ATTR_NOTIFY_URL)
                    params[ATTR_NOTIFY_URL] = (
                        with_token(base_url, ticket.token)
                        if base_url is not None and ticket.token is not None
                        else user_url
                    )
                result = await action.send(data.client, session, params)
                ticket.result = result
    except HoiioError as err:
        if is_auth_failure(err):
            entry.async_start_reauth(call.hass)
        raise block_error(err, session) from err
    response: dict[str, Any] = dict(result.raw)
    if wait:
        response = {**await _async_outcome(ticket, call, session), **response}
    return response


@contextmanager
def _tracker_errors(session: str) -> Iterator[None]:
    """Turn the call tracker's refusals into translated errors."""
    try:
        yield
    except CallStateError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=err.translation_key,
            translation_placeholders={"session": session},
        ) from err
    except TrackerClosedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="entry_unloaded"
        ) from err


def _notify_base_url(
    call: ServiceCall, entry: HoiioConfigEntry, action: BlockAction, wait: bool
) -> str | None:
    """Return our webhook URL when the block's notification should come here."""
    if not action.notifies:
        return None
    entry_data = dict(entry.data)
    user_url = call.data.get(ATTR_NOTIFY_URL)
    if user_url is not None and not is_own_url(user_url, entry_data):
        if wait:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="wait_needs_own_notify_url"
            )
        return None
    own_url = user_url or webhook_url(call.hass, entry_data)
    if own_url is None:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="no_webhook_url"
        )
    return own_url


async def _async_outcome(
    ticket: BlockTicket, call: ServiceCall, session: str
) -> dict[str, Any]:
    timeout = float(call.data[ATTR_WAIT_TIMEOUT])
    try:
        with _tracker_errors(session):
            notification = await ticket.async_wait(timeout)
    except TimeoutError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="wait_timeout",
            translation_placeholders={"timeout": f"{timeout:g}"},
        ) from err
    outcome: dict[str, Any] = notification.as_event_data()
    return outcome
