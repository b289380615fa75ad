"""Async client for the Hoiio Open API (no Home Assistant imports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
import json
from typing import TYPE_CHECKING, Any, Final

import aiohttp

from .statuses import (
    STATUS_CONNECTION_ERROR,
    STATUS_CONNECTION_LOST,
    STATUS_INVALID_RESPONSE,
    STATUS_OK,
    STATUS_TIMEOUT,
    Family,
    describe,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_BASE_URL: Final = "https://secure.hoiio.com/open/"
DEFAULT_TIMEOUT: Final = 15.0

type ParamValue = str | int | None


class IvrPath(StrEnum):
    """The path of each IVR block Hoiio accepts."""

    DIAL = "ivr/start/dial"
    PLAY = "ivr/middle/play"
    GATHER = "ivr/middle/gather"
    RECORD = "ivr/middle/record"
    MONITOR = "ivr/middle/monitor"
    HOLD = "ivr/middle/hold"
    UNHOLD = "ivr/middle/unhold"
    TRANSFER = "ivr/end/transfer"
    HANGUP = "ivr/end/hangup"


class HoiioError(Exception):
    """A request to Hoiio failed; `status` is the raw status that said so."""

    def __init__(self, status: str, message: str | None = None) -> None:
        """Keep the raw status."""
        super().__init__(message or status)
        self.status = status

    @property
    def outcome_unknown(self) -> bool:
        """Return whether the service may have carried out the request anyway.

        True for a timeout, a connection lost after the request was sent, or
        an answer without a status.
        """
        return describe(self.status).outcome_unknown


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


_EXCEPTIONS: Final[dict[Family, type[HoiioError]]] = {
    Family.REQUEST: HoiioInvalidRequestError,
    Family.SESSION: HoiioSessionError,
    Family.AUTHENTICATION: HoiioAuthenticationError,
    Family.RATE_LIMIT: HoiioRateLimitError,
    Family.ACCOUNT: HoiioAccountError,
    Family.SERVICE: HoiioServiceError,
    Family.CONNECTION: HoiioConnectionError,
    Family.UNKNOWN: HoiioError,
}


def error_for_status(status: str, message: str | None = None) -> HoiioError:
    """Return the exception of the family a status belongs to."""
    return _EXCEPTIONS[describe(status).family](status, message)


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
    """Return a field of an answer as text, empty when absent."""
    value = answer.get(key)
    return "" if value is None else str(value)


def _optional_text(answer: Mapping[str, Any], key: str) -> str | None:
    """Return a field of an answer as text, None when absent or empty."""
    value = answer.get(key)
    return None if value in (None, "") else str(value)


def _decimal(answer: Mapping[str, Any], key: str) -> Decimal:
    """Return a finite decimal field of an answer (0 when absent)."""
    try:
        value = Decimal(str(answer.get(key, "0")))
    except InvalidOperation:
        raise error_for_status(
            STATUS_INVALID_RESPONSE, f"{key} is not a number"
        ) from None
    if not value.is_finite():
        raise error_for_status(STATUS_INVALID_RESPONSE, f"{key} is not finite")
    return value


def _caller_ids(answer: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the caller IDs of an answer, given as a list or as text."""
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
            raise error_for_status(STATUS_TIMEOUT, "request timed out") from err
        except aiohttp.ClientConnectorError as err:
            raise error_for_status(STATUS_CONNECTION_ERROR, str(err)) from err
        except aiohttp.ClientError as err:
            raise error_for_status(STATUS_CONNECTION_LOST, str(err)) from err
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
        amounts = [_decimal(answer, key) for key in ("balance", "points", "bonus")]
        return Balance(_text(answer, "currency"), *amounts)

    async def block(
        self, path: IvrPath, params: Mapping[str, ParamValue]
    ) -> BlockResult:
        """Send one IVR block with Hoiio's parameters (None values are left out).

        The parameters are the vendor's, as named there: for example `session`,
        `dest`, `msg`, `notify_url`, and `force="enabled"` for a forced hangup.
        """
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


def _no_api_answer(http_status: int, reason: str) -> HoiioError:
    """Return the error of an answer without a status: the request may have run."""
    if http_status >= 400:
        return error_for_status(f"http_{http_status}", f"HTTP {http_status}")
    return error_for_status(STATUS_INVALID_RESPONSE, reason)


def _json_object(body: bytes) -> dict[str, Any] | None:
    """Decode a JSON object, or return None for anything else."""
    try:
        decoded = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return decoded if isinstance(decoded, dict) else None
