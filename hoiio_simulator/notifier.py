"""Posting notifications to notify URLs, on loopback hosts only."""

from __future__ import annotations

from dataclasses import dataclass
import ipaddress
import socket
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .config import SimulatorConfig
    from .faults import FaultBook

LOCALHOST = "localhost"


@dataclass
class Notification:
    """One notification post: its answer's HTTP status or why it was not made."""

    url: str
    data: dict[str, str]
    http_status: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        """Tell whether the notify URL answered at all."""
        return self.http_status is not None


class LoopbackResolver(AbstractResolver):
    """Resolve only `localhost` (to 127.0.0.1): never look a name up."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Answer 127.0.0.1 for localhost and refuse every other name."""
        if host.lower() != LOCALHOST:
            raise OSError(f"{host} is not resolved: only localhost is")
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        """Hold nothing to release."""


def loopback_session() -> aiohttp.ClientSession:
    """Return an HTTP client session that never resolves host names."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(resolver=LoopbackResolver())
    )


def is_local_host(host: str | None) -> bool:
    """Tell whether a host is an IP literal or localhost."""
    if host is None:
        return False
    if host.lower() == LOCALHOST:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def with_query_fields(url: str, fields: Mapping[str, str]) -> str:
    """Return the URL with form-encoded fields appended to its query string."""
    if "?" not in url:
        joiner = "?"
    elif url.endswith(("?", "&")):
        joiner = ""
    else:
        joiner = "&"
    return url + joiner + urlencode(fields)


class Notifier:
    """Post notifications and remember every attempt."""

    def __init__(self, faults: FaultBook, config: SimulatorConfig) -> None:
        """Apply the given notification faults, timeout and encoding."""
        self.notifications: list[Notification] = []
        self._faults = faults
        self._config = config
        self._timeout = aiohttp.ClientTimeout(total=config.notify_timeout)
        self._client: aiohttp.ClientSession | None = None
        # Told of every attempt, as it is recorded (the phone page shows them).
        self.on_record: Callable[[Notification], None] | None = None

    async def post(self, url: str, data: Mapping[str, str]) -> None:
        """Deliver one notification (as faults say); failures are only recorded."""
        fields = dict(data)
        fault = self._faults.take_notification(fields.get("ivr_block"))
        if fault is not None and fault.kind == "drop_notification":
            self._record(Notification(url, fields, error="dropped by fault"))
            return
        copies = 2 if fault is not None else 1
        for _ in range(copies):
            self._record(await self._deliver(url, fields))

    def _record(self, notification: Notification) -> None:
        self.notifications.append(notification)
        if self.on_record is not None:
            self.on_record(notification)

    async def close(self) -> None:
        """Close the HTTP client session."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def _deliver(self, url: str, data: dict[str, str]) -> Notification:
        if not is_local_host(URL(url).host):
            return Notification(
                url, data, error="not delivered: only IP literals and localhost"
            )
        if self._client is None:
            self._client = loopback_session()
        target: str | URL = url
        body: dict[str, str] | None = data
        if self._config.notify_in_query:
            # As the vendor page words it: the fields in the query string,
            # after the notify URL's own parameters.
            target = URL(with_query_fields(url, data), encoded=True)
            body = None
        try:
            async with self._client.post(
                target, data=body, timeout=self._timeout
            ) as response:
                await response.read()
        except TimeoutError:
            return Notification(url, data, error="timed out")
        except aiohttp.ClientError as err:
            return Notification(url, data, error=f"{type(err).__name__}: {err}")
        return Notification(url, data, http_status=response.status)
