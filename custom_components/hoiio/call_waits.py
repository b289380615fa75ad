"""What actions wait for on calls: a block's notification, a free call, a lock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from .api import BlockResult
from .notification import Notification


class TrackerClosedError(Exception):
    """The tracker was unloaded while something waited on it."""


class BlockTicket:
    """One block request going through the tracker."""

    def __init__(self, token: str | None, waiter: asyncio.Future[Notification] | None):
        """Hold the request's token and, if asked, the future of its notification."""
        self.token = token
        self._waiter = waiter
        self.result: BlockResult | None = None

    async def async_wait(self, timeout: float) -> Notification:
        """Wait for the block's own notification; raise TimeoutError past `timeout`."""
        if self._waiter is None:
            raise RuntimeError("this block was not sent with waiting")
        try:
            async with asyncio.timeout(timeout):
                return await self._waiter
        finally:
            self._waiter.cancel()


@dataclass(slots=True)
class _SessionLock:
    """The lock of one session and how many requests hold or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class CallWaits:
    """The futures and locks of the actions that wait on an account's calls."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start with nothing waiting."""
        self._loop = loop
        self._outcomes: dict[str, asyncio.Future[Notification]] = {}
        self._ready: dict[str, list[asyncio.Future[None]]] = {}
        self._locks: dict[str, _SessionLock] = {}
        self.closed = False

    @property
    def counts(self) -> dict[str, int]:
        """Return how many outcome waits, busy waits and session locks are open."""
        return {
            "outcome_waits": len(self._outcomes),
            "busy_waits": sum(len(waiters) for waiters in self._ready.values()),
            "session_locks": len(self._locks),
        }

    @asynccontextmanager
    async def session_lock(self, session: str) -> AsyncIterator[None]:
        """Let one block of a session through at a time; drop the lock when unused."""
        entry = self._locks.setdefault(session, _SessionLock())
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if not entry.users:
                del self._locks[session]

    def new_outcome(self, token: str | None) -> asyncio.Future[Notification] | None:
        """Return a future of a block's notification, forgotten once done."""
        if token is None:
            return None
        waiter: asyncio.Future[Notification] = self._loop.create_future()
        self._outcomes[token] = waiter

        def forget(_: asyncio.Future[Notification]) -> None:
            """Drop the future once it is done, unless a newer one took its place."""
            if self._outcomes.get(token) is waiter:
                del self._outcomes[token]

        waiter.add_done_callback(forget)
        return waiter

    def resolve(self, token: str, notification: Notification) -> None:
        """Hand a block's notification to whoever waits for it."""
        waiter = self._outcomes.pop(token, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(notification)

    def fail(self, token: str, error: Exception | None) -> None:
        """End the wait for a block's notification with an error (None: cancel)."""
        waiter = self._outcomes.pop(token, None)
        if waiter is None or waiter.done():
            return
        if error is None:
            waiter.cancel()
        else:
            waiter.set_exception(error)

    async def async_next_wake(self, session: str) -> None:
        """Wait until the session may be free; leave no waiter behind."""
        waiter: asyncio.Future[None] = self._loop.create_future()
        waiters = self._ready.setdefault(session, [])
        waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in waiters:
                waiters.remove(waiter)
            if not waiters and self._ready.get(session) is waiters:
                del self._ready[session]
        if self.closed:
            raise TrackerClosedError

    def wake(self, session: str) -> None:
        """Let whoever waits for the session look at it again."""
        for waiter in self._ready.pop(session, []):
            if not waiter.done():
                waiter.set_result(None)

    def close(self) -> None:
        """Release every wait: outcome waits fail, busy waits wake and fail."""
        self.closed = True
        for waiter in self._outcomes.values():
            if not waiter.done():
                waiter.set_exception(TrackerClosedError())
        self._outcomes.clear()
        for session in list(self._ready):
            self.wake(session)
