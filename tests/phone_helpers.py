"""Helpers of the phone tests: control routes and the live socket over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from .const import CALLER, HOIIO_NUMBER

if TYPE_CHECKING:
    from hoiio_simulator import HoiioSimulator

WAIT = 10.0


async def post(
    simulator: HoiioSimulator, action: str, **fields: str
) -> tuple[int, dict[str, Any]]:
    """POST form fields to a control route; return the HTTP status and JSON."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{simulator.url}/_simulator/{action}", data=fields) as response,
    ):
        answer: dict[str, Any] = await response.json()
        return response.status, answer


async def call_from_phone(simulator: HoiioSimulator, caller: str = CALLER) -> str:
    """Place a call from the phone, as the page does; return its session."""
    status, answer = await post(
        simulator,
        "incoming_call",
        to=HOIIO_NUMBER,
        interactive="true",
        **{"from": caller},
    )
    assert status == 200, answer
    return str(answer["session"])


@dataclass
class Live:
    """A page's WebSocket on the simulator and every message it received."""

    http: aiohttp.ClientSession
    socket: aiohttp.ClientWebSocketResponse
    messages: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    async def connect(cls, simulator: HoiioSimulator, **headers: str) -> Live:
        """Open the live socket; its first message (hello) is read."""
        http = aiohttp.ClientSession()
        try:
            socket = await http.ws_connect(
                f"{simulator.url}/_simulator/live", headers=headers
            )
        except BaseException:
            await http.close()
            raise
        live = cls(http, socket)
        await live.next()
        return live

    @property
    def hello(self) -> dict[str, Any]:
        """Return the first message."""
        return self.messages[0]

    async def next(self) -> dict[str, Any]:
        """Read the next message."""
        message: dict[str, Any] = await self.socket.receive_json(timeout=WAIT)
        self.messages.append(message)
        return message

    async def until(self, found: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Read messages until one is found; return it."""
        async with asyncio.timeout(WAIT):
            while not found(message := await self.next()):
                pass
        return message

    async def entry(self, session: str, kind: str, **fields: Any) -> dict[str, Any]:
        """Read until a transcript line of a kind (and fields) for a call."""
        message = await self.until(
            lambda m: (
                m["type"] == "entry"
                and m["session"] == session
                and m["entry"]["kind"] == kind
                and all(m["entry"].get(key) == value for key, value in fields.items())
            )
        )
        entry: dict[str, Any] = message["entry"]
        return entry

    async def waiting(self, session: str, kind: str | None) -> dict[str, Any]:
        """Read until a call's state waits for a kind of input (None: nothing)."""
        message = await self.until(
            lambda m: (
                m["type"] == "call"
                and m["call"]["session"] == session
                and (m["call"]["waiting"] or {}).get("kind") == kind
            )
        )
        call: dict[str, Any] = message["call"]
        return call

    def kinds(self, session: str) -> list[str]:
        """Return the kinds of a call's transcript lines received so far."""
        return [
            m["entry"]["kind"]
            for m in self.messages
            if m["type"] == "entry" and m["session"] == session
        ]

    async def close(self) -> None:
        """Close the socket and its HTTP session."""
        await self.socket.close()
        await self.http.close()
