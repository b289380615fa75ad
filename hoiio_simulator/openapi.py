"""The `/open/` API: request pipeline from method check to answer."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web

from .errors import ApiError
from .faults import ANSWER_FAULTS
from .validation import ENDPOINTS, Context, validate

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .accounts import Account
    from .faults import Fault, FaultBook
    from .ratelimit import RateLimiter
    from .sessions import CallEngine

API_PREFIX = "/open/"
STATUS_OK = "success_ok"


@dataclass
class RecordedRequest:
    """One API request as received, with the status it was answered."""

    method: str
    path: str
    params: dict[str, str]
    status: str | None = None
    fault: str | None = None


async def read_params(request: web.Request) -> dict[str, str]:
    """Return query and (for POST) form parameters, the body winning.

    Raises UnicodeError when a value is not UTF-8 once percent-decoded.
    """
    params = _parse(request.rel_url.raw_query_string)
    if request.method == "POST":
        params.update(_parse((await request.read()).decode()))
    return params


def _parse(encoded: str) -> dict[str, str]:
    return dict(parse_qsl(encoded, keep_blank_values=True, errors="strict"))


class OpenApi:
    """Answer the Hoiio Open API requests."""

    def __init__(
        self,
        accounts: Mapping[str, Account],
        *,
        faults: FaultBook,
        limiter: RateLimiter,
        engine: CallEngine,
        languages: frozenset[str],
        closing: asyncio.Event,
    ) -> None:
        """Use the simulator's state."""
        self.requests: list[RecordedRequest] = []
        self._accounts = accounts
        self._faults = faults
        self._limiter = limiter
        self._engine = engine
        self._languages = languages
        self._closing = closing

    def routes(self) -> list[web.RouteDef]:
        """Return one route per API path, for every HTTP method."""
        return [web.route("*", API_PREFIX + path, self.handle) for path in ENDPOINTS]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Run the checks in the service's order and answer."""
        record = RecordedRequest(
            request.method, request.path.removeprefix(API_PREFIX), {}
        )
        self.requests.append(record)
        if request.method not in ("GET", "POST"):
            return _answer(record, {"status": "error_invalid_http_method"})
        try:
            record.params = await read_params(request)
        except UnicodeError:
            return _answer(record, {"status": "error_malformed_params"})
        params = {key: value for key, value in record.params.items() if value}
        fault: Fault | None = None
        try:
            account = self._authenticate(params)
            fault = await self._apply_faults(record.path)
            if fault is not None and fault.kind not in ANSWER_FAULTS:
                return _fault_answer(request, record, fault)
            self._check_rate(account, record.path)
            context = Context(
                record.path,
                self._languages,
                frozenset(account.caller_ids + account.numbers),
            )
            fields = self._process(record.path, account, validate(params, context))
            answer = {"status": STATUS_OK, **fields}
        except ApiError as err:
            answer = {"status": err.status}
        if fault is not None:
            return await self._spoil_answer(request, record, fault, answer)
        return _answer(record, answer)

    def _authenticate(self, params: Mapping[str, str]) -> Account:
        for name in ("app_id", "access_token"):
            if name not in params:
                raise ApiError(f"error_{name}_param_missing")
        account = self._accounts.get(params["app_id"])
        if account is None:
            raise ApiError("error_invalid_app_id")
        if params["access_token"] != account.access_token:
            raise ApiError("error_invalid_access_token")
        return account

    def _check_rate(self, account: Account, path: str) -> None:
        if not self._limiter.allow(account.app_id, path):
            raise ApiError("error_rate_limit_exceeded")

    async def _apply_faults(self, path: str) -> Fault | None:
        latency, fault = self._faults.take_api(path)
        await self._delay(latency)
        return fault

    async def _delay(self, seconds: float) -> None:
        if seconds:
            # Stopping the simulator cuts the wait short.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), seconds)

    async def _spoil_answer(
        self,
        request: web.Request,
        record: RecordedRequest,
        fault: Fault,
        answer: dict[str, Any],
    ) -> web.StreamResponse:
        """Give the answer of a request carried out late, or lose it."""
        record.fault = fault.kind
        if fault.kind == "slow_answer":
            await self._delay(float(fault.value or 0))
            return _answer(record, answer)
        record.status = answer["status"]
        return _drop_connection(request)

    def _process(
        self, path: str, account: Account, params: Mapping[str, str]
    ) -> Mapping[str, Any]:
        if path == "user/get_info":
            return account.info()
        if path == "user/get_balance":
            return account.balance_info()
        return self._engine.handle(path, account, params)


def _answer(record: RecordedRequest, answer: dict[str, Any]) -> web.Response:
    record.status = answer["status"]
    return web.json_response(answer)


def _fault_answer(
    request: web.Request, record: RecordedRequest, fault: Fault
) -> web.StreamResponse:
    record.fault = fault.kind
    if fault.kind == "status":
        return _answer(record, {"status": fault.value})
    if fault.kind == "http_500":
        if isinstance(fault.value, str):
            return web.Response(
                status=500, text=fault.value, content_type="application/json"
            )
        return web.Response(status=500, text="500 Internal Server Error")
    if fault.kind == "non_json":
        return web.Response(
            text="<html>Service Unavailable</html>", content_type="text/html"
        )
    if fault.kind == "body":
        return web.Response(text=str(fault.value), content_type="application/json")
    # "reset"
    return _drop_connection(request)


def _drop_connection(request: web.Request) -> web.StreamResponse:
    """Drop the connection without a word."""
    if request.transport is not None:
        request.transport.abort()
    raise web.HTTPInternalServerError
