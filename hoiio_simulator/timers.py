"""Background work (timers, deliveries) that settle() waits for and stop() cancels."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine

_LOGGER = logging.getLogger(__name__)


class TaskTracker:
    """Keep every background task of the simulator."""

    def __init__(self) -> None:
        """Start with nothing pending."""
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[object, object, None]) -> asyncio.Task[None]:
        """Run a coroutine in the background."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def later(
        self, delay: float, action: Callable[[], Awaitable[None]]
    ) -> asyncio.Task[None]:
        """Run an action after a delay in seconds."""

        async def run() -> None:
            await asyncio.sleep(delay)
            await action()

        return self.spawn(run())

    async def settle(self) -> None:
        """Wait until no task is left, including those started meanwhile."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    async def cancel_all(self) -> None:
        """Cancel every task and wait for them to finish."""
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            _LOGGER.error("Simulator background task failed", exc_info=error)
