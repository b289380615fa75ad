"""Webhook that receives Hoiio's notifications."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Final
from urllib.parse import unquote_to_bytes

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_send
import voluptuous as vol

from .call_tracker import Verdict
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DEVICE_ID,
    EVENT_HOIIO,
    NOTIFY_TOKEN_PARAM,
    SIGNAL_NOTIFICATION,
)
from .log_once import OnceLogger
from .notification import EVENT_TYPE_OTHER, Notification, parse_notification
from .runtime_data import HoiioConfigEntry

MAX_BODY_BYTES: Final = 64 * 1024
# aiohttp reads a missing type, and from 3.12 an invalid one, as octet-stream.
FORM_CONTENT_TYPES: Final = frozenset(
    {"application/x-www-form-urlencoded", "text/plain", "application/octet-stream", ""}
)
ATTR_TRANSFER_TARGET: Final = "transfer_target"


class RejectedError(Exception):
    """A request that is not an acceptable notification."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        """Keep the HTTP status to answer and why."""
        super().__init__(reason)
        self.status = status
        self.reason = reason


class NotificationWebhook:
    """Turns the notifications of one entry into call state, events and entities.

    It keeps what it needs from the entry when it is registered: a request
    still being read when the entry unloads finds the tracker closed.
    """

    def __init__(self, hass: HomeAssistant, entry: HoiioConfigEntry) -> None:
        """Serve one loaded config entry."""
        data = entry.runtime_data
        self._hass = hass
        self._tracker = data.tracker
        self._coordinator = data.coordinator
        self._signal = SIGNAL_NOTIFICATION.format(entry.entry_id)
        self._ids = {
            ATTR_CONFIG_ENTRY_ID: entry.entry_id,
            ATTR_DEVICE_ID: data.device_id,
        }
        self._log = OnceLogger()

    async def async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Answer a post; 200 once its work is done, 4xx for what we refuse."""
        try:
            fields, tokens = await _async_read_fields(request)
        except RejectedError as err:
            self._log.warning("malformed", "Rejected a notification: %s", err.reason)
            return web.Response(status=err.status, text=err.reason)
        status, text = await self.async_handle_fields(fields, self._token(tokens))
        return web.Response(status=status, text=text or None)

    async def async_handle_fields(
        self, fields: dict[str, str], token: str | None
    ) -> tuple[HTTPStatus, str]:
        """Apply one notification; return the HTTP answer."""
        try:
            notification = parse_notification(fields)
        except vol.Invalid as err:
            self._log.warning("malformed", "Rejected a notification: %s", err)
            return HTTPStatus.BAD_REQUEST, str(err)
        for name in notification.unparsed:
            self._log.debug(
                f"unparsed {name}",
                "Passing on the notification field %s as sent: it is not in a form"
                " the integration knows",
                name,
            )
        tracker = self._tracker
        if notification.event_type == EVENT_TYPE_OTHER:
            block = tracker.blocks.block_named(notification.session, token)
            if block is not None:
                notification = notification.with_inferred_block(block)
        verdict = tracker.async_handle_notification(notification, token)
        if verdict is Verdict.FORGED:
            self._log.warning(
                "forged",
                "Rejected a notification whose token does not match a request sent"
                " for its call",
            )
            return HTTPStatus.FORBIDDEN, "not accepted"
        if verdict is Verdict.ACCEPTED:
            self._publish(notification)
        return HTTPStatus.OK, ""

    def _token(self, tokens: list[str]) -> str | None:
        """Return the token to check: the last one we issued, else the last given."""
        issued = [token for token in tokens if self._tracker.blocks.issued(token)]
        chosen = issued or tokens
        return chosen[-1] if chosen else None

    def _publish(self, notification: Notification) -> None:
        """Tell the entities, fire the bus event, refresh the balance on an end."""
        event_data: dict[str, Any] = notification.as_event_data()
        call = self._tracker.get(notification.session)
        if call is not None and call.transfer_target:
            event_data.setdefault(ATTR_TRANSFER_TARGET, call.transfer_target)
        async_dispatcher_send(self._hass, self._signal, notification, event_data)
        event_data.update(self._ids)
        self._hass.bus.async_fire(EVENT_HOIIO, event_data)
        if notification.ended:
            self._coordinator.async_refresh_soon()


async def _async_read_fields(
    request: web.Request,
) -> tuple[dict[str, str], list[str]]:
    """Return the query and form fields and the tokens given with them.

    A field given more than once keeps its last value; the body comes after
    the query string, so it wins.
    """
    body = await _async_read_body(request)
    # Without a body (fields in the query string only) the type does not matter.
    if body and not _is_form(request):
        raise RejectedError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "expected a form")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RejectedError(HTTPStatus.BAD_REQUEST, "body is not UTF-8") from None
    fields: dict[str, str] = {}
    tokens: list[str] = []
    for key, value in (
        *_parse_form(request.rel_url.raw_query_string),
        *_parse_form(text),
    ):
        if key == NOTIFY_TOKEN_PARAM:
            tokens.append(value)
        else:
            fields[key] = value
    return fields, tokens


def _is_form(request: web.Request) -> bool:
    """Return whether the body may be form data: not declared as something else."""
    return request.content_type in FORM_CONTENT_TYPES


async def _async_read_body(request: web.Request) -> bytes:
    """Read the body, refusing it as soon as it passes the size limit."""
    length = request.content_length
    if length is not None and length <= MAX_BODY_BYTES:
        return await request.read()
    body = bytearray()
    if length is None:
        async for chunk in request.content.iter_chunked(8192):
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                break
        else:
            return bytes(body)
    raise RejectedError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")


def _parse_form(text: str) -> list[tuple[str, str]]:
    """Decode form fields strictly as UTF-8, in the order given."""
    # urllib.parse.parse_qsl(text, keep_blank_values=True, errors="strict")
    # decodes the same at about twice the cost (benchmarks/bench_parsing.py).
    pairs: list[tuple[str, str]] = []
    try:
        for pair in text.split("&"):
            if not pair:
                continue
            raw_key, _, raw_value = pair.partition("=")
            pairs.append((_unquote(raw_key), _unquote(raw_value)))
    except UnicodeDecodeError:
        raise RejectedError(HTTPStatus.BAD_REQUEST, "not UTF-8 form data") from None
    return pairs


def _unquote(text: str) -> str:
    """Decode one form-encoded part (`+` and %-escapes), strictly as UTF-8."""
    if "%" not in text and "+" not in text:
        return text
    return unquote_to_bytes(text.replace("+", " ")).decode("utf-8")
