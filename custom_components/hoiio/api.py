"""Async client for the Hoiio Open API (no Home Assistant imports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
import json
from typing import TYPE_CHECKING, Any, Final

import aiohttp

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_BASE_URL: Final = "https://secure.hoiio.com/open/"
DEFAULT_TIMEOUT: Final = 15.0
STATUS_OK: Final = "success_ok"

STATUS_TIMEOUT: Final = "client_timeout"
STATUS_CONNECTION_ERROR: Final = "client_connection_error"
STATUS_CONNECTION_LOST: Final = "client_connection_lost"
STATUS_INVALID_RESPONSE: Final = "client_invalid_response"

type ParamValue = str | int | None


class HoiioError(Exception):
    """A request to Hoiio failed; `status` is the raw status that said so.

    `outcome_unknown` is true when the service may have carried out the
    request although no answer said so (a timeout, a connection lost after the
    request was sent, an answer without a status).
    """

    def __init__(
        self, status: str, message: str | None = None, *, outcome_unknown: bool = False
    ) -> None:
        """Keep the raw status and whether the request may have been carried out."""
        super().__init__(message or status)
        self.status = status
        self.outcome_unknown = outcome_unknown


class HoiioAuthenticationError(HoiioError):
    """The App ID or Access Token was refused."""


class HoiioRateLimitError(HoiioError):
    """The application exceeded a request limit."""


class HoiioSessionError(HoiioError):
    """The call session cannot take this request."""


class HoiioInvalidRequestError(HoiioError):
    """A parameter of the request was refused."""


class HoiioAccountError(HoiioError):
    """The account cannot place the call (credit, concurrent calls)."""


class HoiioServiceError(HoiioError):
    """The service failed or answered something that is not an API answer."""


class HoiioConnectionError(HoiioServiceError):
    """The service could not be reached or did not answer in time."""


_FAMILY_BY_STATUS: Final[dict[str, type[HoiioError]]] = {
    "error_invalid_access_token": HoiioAuthenticationError,
    "error_invalid_app_id": HoiioAuthenticationError,
    "error_rate_limit_exceeded": HoiioRateLimitError,
    "error_invalid_session": HoiioSessionError,
    "error_session_access_denied": HoiioSessionError,
    "error_session_ended": HoiioSessionError,
    "error_session_not_ready": HoiioSessionError,
    "error_session_not_on_hold": HoiioSessionError,
    "error_monitor_in_progress": HoiioSessionError,
    "error_insufficient_credit": HoiioAccountError,
    "error_concurrent_call_limit_reached": HoiioAccountError,
    "error_not_allowed_for_trial": HoiioAccountError,
    "error_internal_server_error": HoiioServiceError,
    "error_invalid_http_method": HoiioInvalidRequestError,
    "error_malformed_params": HoiioInvalidRequestError,
    "error_tag_invalid_length": HoiioInvalidRequestError,
    "error_invalid_notify_url": HoiioInvalidRequestError,
    "error_unable_to_resolve_notify_url": HoiioInvalidRequestError,
    "error_unable_to_complete_ssl_handshake_notify_url": HoiioInvalidRequestError,
    "error_dest_invalid": HoiioInvalidRequestError,
    "error_dest_not_supported": HoiioInvalidRequestError,
    "error_caller_id_invalid": HoiioInvalidRequestError,
    "error_number_not_supported": HoiioInvalidRequestError,
    "error_invalid_max_digits": HoiioInvalidRequestError,
    "error_invalid_timeout": HoiioInvalidRequestError,
    "error_invalid_attempts": HoiioInvalidRequestError,
    "error_invalid_max_duration": HoiioInvalidRequestError,
    "error_on_failure_invalid": HoiioInvalidRequestError,
    "error_invalid_room": HoiioInvalidRequestError,
}


def error_for_status(status: str) -> HoiioError:
    """Return the exception of the family a raw `error_...` status belongs to."""
    family = _FAMILY_BY_STATUS.get(status)
    if family is None and (
        status.startswith("error_msg_") or status.endswith("_param_missing")
    ):
        family = HoiioInvalidRequestError
    return (family or HoiioError)(status)


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """The answer of `user/get_info`."""

    uid: str
    name: str
    email: str
    mobile_number: str
    caller_ids: tuple[str, ...]
    country: str
    prefix: str
    currency: str
    time_zone: str
    user_status: str


@dataclass(frozen=True, slots=True)
class Balance:
    """The answer of `user/get_balance`."""

    currency: str
    balance: Decimal
    points: Decimal
    bonus: Decimal


@dataclass(frozen=True, slots=True)
class BlockResult:
    """The answer to an IVR block request."""

    status: str
    txn_ref: str | None
    session: str | None
    room: str | None
    raw: dict[str, Any] = field(default_factory=dict)


def _text(answer: Mapping[str, Any], key: str) -> str:
    value = answer.get(key)
    return "" if value is None else str(value)


def _optional_text(answer: Mapping[str, Any], key: str) -> str | None:
    value = answer.get(key)
    return None if value in (None, "") else str(value)


def _decimal(answer: Mapping[str, Any], key: str) -> Decimal:
    raw = answer.get(key, "0")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise HoiioServiceError(
            STATUS_INVALID_RESPONSE, f"{key} is not a number"
        ) from None
    if not value.is_finite():
        raise HoiioServiceError(STATUS_INVALID_RESPONSE, f"{key} is not finite")
    return value


def _caller_ids(answer: Mapping[str, Any]) -> tuple[str, ...]:
    raw = answer.get("caller_ids")
    if isinstance(raw, list):
        return tuple(str(item) for item in raw)
    if isinstance(raw, str) and raw:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return ()


class HoiioClient:
    """One application's access to the Hoiio Open API."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        app_id: str,
        access_token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Use the given HTTP session and credentials."""
        self._session = session
        self._app_id = app_id
        self._access_token = access_token
        self.base_url = base_url if base_url.endswith("/") else f"{base_url}/"
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def request(
        self, path: str, params: Mapping[str, ParamValue] | None = None
    ) -> dict[str, Any]:
        """POST one API request and return its successful JSON answer."""
        form = {"app_id": self._app_id, "access_token": self._access_token}
        for key, value in (params or {}).items():
            if value is not None:
                form[key] = str(value)
        try:
            async with self._session.post(
                self.base_url + path, data=form, timeout=self._timeout
            ) as response:
                body = await response.read()
                http_status = response.status
        except TimeoutError as err:
            raise HoiioConnectionError(
                STATUS_TIMEOUT, "request timed out", outcome_unknown=True
            ) from err
        except aiohttp.ClientConnectorError as err:
            # No connection was made, so nothing was sent.
            raise HoiioConnectionError(STATUS_CONNECTION_ERROR, str(err)) from err
        except aiohttp.ClientError as err:
            raise HoiioConnectionError(
                STATUS_CONNECTION_LOST, str(err), outcome_unknown=True
            ) from err
        return _parse_answer(body, http_status)

    async def get_info(self) -> AccountInfo:
        """Return the account's details (`user/get_info`)."""
        answer = await self.request("user/get_info")
        return AccountInfo(
            uid=_text(answer, "uid"),
            name=_text(answer, "name"),
            email=_text(answer, "email"),
            mobile_number=_text(answer, "mobile_number"),
            caller_ids=_caller_ids(answer),
            country=_text(answer, "country"),
            prefix=_text(answer, "prefix"),
            currency=_text(answer, "currency"),
            time_zone=_text(answer, "time_zone"),
            user_status=_text(answer, "user_status"),
        )

    async def get_balance(self) -> Balance:
        """Return the account's balance (`user/get_balance`)."""
        answer = await self.request("user/get_balance")
        return Balance(
            currency=_text(answer, "currency"),
            balance=_decimal(answer, "balance"),
            points=_decimal(answer, "points"),
            bonus=_decimal(answer, "bonus"),
        )

    async def dial(
        self,
        dest: str,
        *,
        msg: str | None = None,
        caller_id: str | None = None,
        max_duration: int | None = None,
        tag: str | None = None,
        notify_url: str | None = None,
    ) -> BlockResult:
        """Start an outgoing call (`ivr/start/dial`)."""
        return await self._block(
            "ivr/start/dial",
            dest=dest,
            msg=msg,
            caller_id=caller_id,
            max_duration=max_duration,
            tag=tag,
            notify_url=notify_url,
        )

    async def play(
        self,
        session: str,
        *,
        msg: str | None = None,
        tag: str | None = None,
        notify_url: str | None = None,
    ) -> BlockResult:
        """Play a message (`ivr/middle/play`)."""
        return await self._block(
            "ivr/middle/play", session=session, msg=msg, tag=tag, notify_url=notify_url
        )

    async def gather(
        self,
        session: str,
        *,
        notify_url: str,
        msg: str | None = None,
        max_digits: int | None = None,
        timeout: int | None = None,
        attempts: int | None = None,
        tag: str | None = None,
    ) -> BlockResult:
        """Collect keypad digits (`ivr/middle/gather`)."""
        return await self._block(
            "ivr/middle/gather",
            session=session,
            msg=msg,
            max_digits=max_digits,
            timeout=timeout,
            attempts=attempts,
            tag=tag,
            notify_url=notify_url,
        )

    async def record(
        self,
        session: str,
        *,
        notify_url: str,
        msg: str | None = None,
        max_duration: int | None = None,
        tag: str | None = None,
    ) -> BlockResult:
        """Record the caller (`ivr/middle/record`)."""
        return await self._block(
            "ivr/middle/record",
            session=session,
            msg=msg,
            max_duration=max_duration,
            tag=tag,
            notify_url=notify_url,
        )

    async def monitor(
        self,
        session: str,
        *,
        notify_url: str,
        msg: str | None = None,
        tag: str | None = None,
        monitor_notify_url: str | None = None,
    ) -> BlockResult:
        """Record the rest of the call in the background (`ivr/middle/monitor`)."""
        return await self._block(
            "ivr/middle/monitor",
            session=session,
            msg=msg,
            tag=tag,
            notify_url=notify_url,
            monitor_notify_url=monitor_notify_url,
        )

    async def hold(self, session: str, *, msg: str | None = None) -> BlockResult:
        """Put the call on hold (`ivr/middle/hold`); no notification follows."""
        return await self._block("ivr/middle/hold", session=session, msg=msg)

    async def unhold(
        self,
        session: str,
        *,
        tag: str | None = None,
        notify_url: str | None = None,
    ) -> BlockResult:
        """Resume a held call (`ivr/middle/unhold`)."""
        return await self._block(
            "ivr/middle/unhold", session=session, tag=tag, notify_url=notify_url
        )

    async def transfer(
        self,
        session: str,
        dest: str,
        *,
        msg: str | None = None,
        caller_id: str | None = None,
        on_failure: str | None = None,
        ring_time: int | None = None,
        room_profile: str | None = None,
        tag: str | None = None,
        notify_url: str | None = None,
    ) -> BlockResult:
        """Transfer the call to a number or a conference room (`ivr/end/transfer`)."""
        return await self._block(
            "ivr/end/transfer",
            session=session,
            dest=dest,
            msg=msg,
            caller_id=caller_id,
            on_failure=on_failure,
            ring_time=ring_time,
            room_profile=room_profile,
            tag=tag,
            notify_url=notify_url,
        )

    async def hangup(
        self,
        session: str,
        *,
        msg: str | None = None,
        force: bool = False,
        tag: str | None = None,
        notify_url: str | None = None,
    ) -> BlockResult:
        """End the call (`ivr/end/hangup`); `force` hangs up at once."""
        return await self._block(
            "ivr/end/hangup",
            session=session,
            msg=msg,
            force="enabled" if force else None,
            tag=tag,
            notify_url=notify_url,
        )

    async def _block(self, path: str, **params: ParamValue) -> BlockResult:
        answer = await self.request(path, params)
        return BlockResult(
            status=_text(answer, "status") or STATUS_OK,
            txn_ref=_optional_text(answer, "txn_ref"),
            session=_optional_text(answer, "session"),
            room=_optional_text(answer, "room"),
            raw=answer,
        )


def _parse_answer(body: bytes, http_status: int) -> dict[str, Any]:
    """Turn a response body into a successful answer or raise its error."""
    answer = _json_object(body)
    if answer is None:
        raise _no_api_answer(http_status, "the answer is not a JSON object")
    status = answer.get("status")
    if status == STATUS_OK:
        return answer
    if isinstance(status, str) and status.startswith("error_"):
        raise error_for_status(status)
    if status is None and answer.get("txn_ref"):
        return answer
    raise _no_api_answer(http_status, f"unexpected status {status!r}")


def _no_api_answer(http_status: int, reason: str) -> HoiioServiceError:
    """Return the error of an answer without a status: the request may have run."""
    if http_status >= 400:
        return HoiioServiceError(
            f"http_{http_status}", f"HTTP {http_status}", outcome_unknown=True
        )
    return HoiioServiceError(STATUS_INVALID_RESPONSE, reason, outcome_unknown=True)


def _json_object(body: bytes) -> dict[str, Any] | None:
    """Decode a JSON object, or return None for anything else."""
    try:
        decoded = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return decoded if isinstance(decoded, dict) else None
