"""Parameter rules of every endpoint, each broken rule mapped to its status."""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from .errors import ApiError
from .markup import check_msg

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

MAX_MSG: Final = 1000
MAX_TAG: Final = 256
MAX_NOTIFY_URL: Final = 4000
E164: Final = re.compile(r"^\+[1-9]\d{6,14}$")
ROOM_DEST: Final = re.compile(r"^room:[A-Za-z0-9_-]*$")

DIAL: Final = "ivr/start/dial"
TRANSFER: Final = "ivr/end/transfer"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """The parameters one API path takes."""

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


ENDPOINTS: Final[Mapping[str, Endpoint]] = {
    "user/get_info": Endpoint(),
    "user/get_balance": Endpoint(),
    DIAL: Endpoint(
        ("dest",), ("msg", "caller_id", "max_duration", "tag", "notify_url")
    ),
    "ivr/middle/play": Endpoint(("session",), ("msg", "tag", "notify_url")),
    "ivr/middle/gather": Endpoint(
        ("session", "notify_url"), ("msg", "max_digits", "timeout", "attempts", "tag")
    ),
    "ivr/middle/record": Endpoint(
        ("session", "notify_url"), ("msg", "max_duration", "tag")
    ),
    "ivr/middle/monitor": Endpoint(
        ("session", "notify_url"), ("msg", "tag", "monitor_notify_url")
    ),
    "ivr/middle/hold": Endpoint(("session",), ("msg",)),
    "ivr/middle/unhold": Endpoint(("session",), ("tag", "notify_url")),
    TRANSFER: Endpoint(
        ("session", "dest"),
        (
            "msg",
            "caller_id",
            "on_failure",
            "ring_time",
            "room_profile",
            "tag",
            "notify_url",
        ),
    ),
    "ivr/end/hangup": Endpoint(("session",), ("msg", "force", "tag", "notify_url")),
}


@dataclass(frozen=True, slots=True)
class Context:
    """What the rules need to know beyond the parameter itself."""

    path: str
    languages: frozenset[str]
    caller_ids: frozenset[str]


def is_e164(number: str) -> bool:
    """Tell whether a number is in E.164 format with its leading +."""
    return E164.match(number) is not None


def is_notify_url(url: str) -> bool:
    """Tell whether a URL is an absolute http/https URL the service accepts."""
    if len(url) > MAX_NOTIFY_URL:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(host)


def _msg(value: str, context: Context) -> None:
    if len(value) > MAX_MSG:
        raise ApiError("error_msg_invalid_length")
    check_msg(value, context.languages)


def _dest(value: str, context: Context) -> None:
    if is_e164(value):
        return
    if context.path == TRANSFER and ROOM_DEST.match(value):
        return
    raise ApiError("error_dest_invalid")


def _caller_id(value: str, context: Context) -> None:
    if value != "private" and not (is_e164(value) and value in context.caller_ids):
        raise ApiError("error_caller_id_invalid")


def _choice(status: str, *allowed: str) -> Callable[[str, Context], None]:
    def check(value: str, _context: Context) -> None:
        if value not in allowed:
            raise ApiError(status)

    return check


def _integer(
    status: str, low: int = 1, high: int | None = None
) -> Callable[[str, Context], None]:
    def check(value: str, _context: Context) -> None:
        if not value.isdecimal() or not value.isascii():
            raise ApiError(status)
        number = int(value)
        if number < low or (high is not None and number > high):
            raise ApiError(status)

    return check


def _tag(value: str, _context: Context) -> None:
    if len(value) > MAX_TAG:
        raise ApiError("error_tag_invalid_length")


def _notify_url(value: str, _context: Context) -> None:
    if not is_notify_url(value):
        raise ApiError("error_invalid_notify_url")


# Checked in this order, whatever the order of the request.
_RULES: Final[dict[str, Callable[[str, Context], None]]] = {
    "msg": _msg,
    "dest": _dest,
    "caller_id": _caller_id,
    "on_failure": _choice("error_on_failure_invalid", "hangup", "continue"),
    "ring_time": _integer("error_malformed_params"),
    "room_profile": _choice("error_malformed_params", "music", "ringing"),
    "max_digits": _integer("error_invalid_max_digits", 0, 255),
    "timeout": _integer("error_invalid_timeout"),
    "attempts": _integer("error_invalid_attempts"),
    "max_duration": _integer("error_invalid_max_duration"),
    "force": _choice("error_malformed_params", "enabled"),
    "tag": _tag,
    "notify_url": _notify_url,
    "monitor_notify_url": _notify_url,
}


def validate(params: Mapping[str, str], context: Context) -> dict[str, str]:
    """Return the endpoint's non-empty parameters, or raise the first broken rule."""
    endpoint = ENDPOINTS[context.path]
    for name in endpoint.required:
        if not params.get(name):
            raise ApiError(f"error_{name}_param_missing")
    accepted = {
        name: params[name]
        for name in (*endpoint.required, *endpoint.optional)
        if params.get(name)
    }
    for name, rule in _RULES.items():
        if name in accepted:
            rule(accepted[name], context)
    return accepted
