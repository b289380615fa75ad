"""Live events for the phone page: one WebSocket per watching page."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
import contextlib
import json
from typing import Any, Final

from aiohttp import WSCloseCode, web

from .origin import is_same_origin

LIVE_PATH: Final = "/_simulator/live"
# Messages a page may fall behind by before it is dropped (it reconnects).
BACKLOG: Final = 1000
# The page sends nothing; anything bigger than this closes its socket.
MAX_INCOMING: Final = 1024
HEARTBEAT: Final = 20.0


class Watch:
    """One page's queue of events, in the order they were published."""

    def __init__(self, limit: int) -> None:
        """Start empty; more than `limit` waiting messages drop the page."""
        self._pending: deque[str] = deque()
        self._ready = asyncio.Event()
        self._limit = limit
        self.closed = False
        self.overflowed = False

    def push(self, text: str) -> None:
        """Queue one message, or drop the page when it fell too far behind."""
        if self.closed:
            return
        if len(self._pending) >= self._limit:
            self.overflowed = True
            self.close()
            return
        self._pending.append(text)
        self._ready.set()

    def close(self) -> None:
        """Stop after the messages already queued (none if it overflowed)."""
        self.closed = True
        if self.overflowed:
            self._pending.clear()
        self._ready.set()

    async def messages(self) -> AsyncIterator[str]:
        """Yield queued messages as they come, until closed."""
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._pending:
                yield self._pending.popleft()
            if self.closed:
                return


class LiveHub:
    """Publish events to every watching page; a new page first gets `hello`."""

    def __init__(self, hello: Callable[[], dict[str, Any]]) -> None:
        """Use `hello()` for what a page gets on connect (the current calls)."""
        self._hello = hello
        self._watches: set[Watch] = set()
        self._seq = 0

    @property
    def watching(self) -> int:
        """Return how many pages watch."""
        return len(self._watches)

    def subscribe(self, limit: int = BACKLOG) -> Watch:
        """Add a page; its first message describes everything as it is now."""
        watch = Watch(limit)
        watch.push(self._encode({"type": "hello", **self._hello()}))
        self._watches.add(watch)
        return watch

    def unsubscribe(self, watch: Watch) -> None:
        """Remove a page."""
        watch.close()
        self._watches.discard(watch)

    def publish(self, event: dict[str, Any]) -> None:
        """Send an event to every page, numbered in publishing order."""
        if not self._watches:
            self._seq += 1
            return
        text = self._encode(event)
        for watch in list(self._watches):
            watch.push(text)
            if watch.overflowed:
                self._watches.discard(watch)

    def close(self) -> None:
        """Let every page go (the simulator stops)."""
        for watch in list(self._watches):
            self.unsubscribe(watch)

    def _encode(self, event: dict[str, Any]) -> str:
        self._seq += 1
        return json.dumps({**event, "seq": self._seq}, ensure_ascii=False)


def live_route(hub: LiveHub) -> web.RouteDef:
    """Return the WebSocket route that streams the hub's events to a page."""

    async def live(request: web.Request) -> web.StreamResponse:
        if not is_same_origin(request):
            return web.json_response(
                {"error": "only pages of the simulator may watch"}, status=403
            )
        socket = web.WebSocketResponse(heartbeat=HEARTBEAT, max_msg_size=MAX_INCOMING)
        if not socket.can_prepare(request).ok:
            return web.json_response(
                {"error": "expected a WebSocket upgrade"}, status=400
            )
        await socket.prepare(request)
        watch = hub.subscribe()
        sender = asyncio.create_task(_send(socket, watch))
        try:
            async for _message in socket:
                pass  # The page acts through the control routes, not here.
        finally:
            hub.unsubscribe(watch)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        return socket

    return web.get(LIVE_PATH, live)


async def _send(socket: web.WebSocketResponse, watch: Watch) -> None:
    """Forward a page's events; close its socket when the hub lets it go."""
    with contextlib.suppress(ConnectionError):
        async for text in watch.messages():
            await socket.send_str(text)
    code = WSCloseCode.TRY_AGAIN_LATER if watch.overflowed else WSCloseCode.GOING_AWAY
    await socket.close(code=code)
