"""The Home Assistant side of the call machine: storage, signals, timers, waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from functools import partial
import secrets
import time
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store

from .api import HoiioError
from .call_machine import Call, CallMachine, CallStateError, Verdict
from .call_waits import BlockTicket, CallWaits, TrackerClosedError
from .const import (
    CONF_BUSY_TIMEOUT,
    CONF_STALE_AFTER,
    DEFAULT_BUSY_TIMEOUT,
    DEFAULT_STALE_AFTER_HOURS,
    DOMAIN,
    LOGGER,
)
from .notification import Notification
from .runtime_data import HoiioConfigEntry

__all__ = [
    "BlockTicket",
    "CallStateError",
    "CallTracker",
    "TrackerClosedError",
    "Verdict",
]

STORAGE_VERSION: Final = 1
# Minor 2: a call may have the status "ringing". Minor 3: pending blocks carry
# `unconfirmed`.
STORAGE_MINOR_VERSION: Final = 3
SAVE_DELAY: Final = 10
PRUNE_INTERVAL: Final = timedelta(minutes=5)
STATUS_NOT_READY: Final = "error_session_not_ready"


class CallStore(Store[dict[str, Any]]):
    """Versioned storage of the tracker."""

    @classmethod
    def of_entry(cls, hass: HomeAssistant, entry_id: str) -> CallStore:
        """Return the storage of an entry's calls."""
        return cls(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            minor_version=STORAGE_MINOR_VERSION,
        )

    async def _async_migrate_func(
        self,
        old_major_version: int,
        old_minor_version: int,
        old_data: dict[str, Any],
    ) -> dict[str, Any]:
        """Migrate stored data; minor versions only add keys."""
        if old_major_version > STORAGE_VERSION:
            raise NotImplementedError
        return old_data


def busy_timeout(entry: HoiioConfigEntry) -> float:
    """Return how long an action waits for a busy call, in seconds."""
    return float(entry.options.get(CONF_BUSY_TIMEOUT, DEFAULT_BUSY_TIMEOUT))


def stale_after(entry: HoiioConfigEntry) -> float:
    """Return how long a silent call counts as in progress, in seconds."""
    hours = float(entry.options.get(CONF_STALE_AFTER, DEFAULT_STALE_AFTER_HOURS))
    return hours * 3600


class CallChanges:
    """After each change of the calls: a save soon, and a call to each listener."""

    def __init__(self, store: CallStore, data: Callable[[], dict[str, Any]]) -> None:
        """Save `data()` to the store."""
        self._store = store
        self._data = data
        self._listeners: list[CALLBACK_TYPE] = []
        self._save_due = False
        self.closed = False

    @callback
    def async_add_listener(self, update_callback: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call back on every change; return what stops it."""
        self._listeners.append(update_callback)
        return partial(self._listeners.remove, update_callback)

    def changed(self) -> None:
        """Save soon and tell the listeners, unless closed."""
        if self.closed:
            return
        if not self._save_due:
            # Once per delay, not postponed by every change: calls are saved
            # even while notifications keep coming.
            self._save_due = True
            self._store.async_delay_save(self._data_to_save, SAVE_DELAY)
        for update in tuple(self._listeners):
            update()

    def _data_to_save(self) -> dict[str, Any]:
        """Return the data for the store to write now."""
        self._save_due = False
        return self._data()


class CallTracker:
    """The calls of one account, kept across restarts and waited on by actions."""

    def __init__(self, hass: HomeAssistant, entry: HoiioConfigEntry) -> None:
        """Set up an empty tracker, following the entry's options; `async_load` it."""
        self._hass = hass
        self._entry = entry
        self._store = CallStore.of_entry(hass, entry.entry_id)
        self._waits = CallWaits(hass.loop)
        self._machine = CallMachine(on_dropped=self._dropped, on_free=self._waits.wake)
        self._changes = CallChanges(self._store, self.as_dict)
        # The pending blocks, to read: tokens issued and the blocks they name.
        self.blocks = self._machine.blocks

    # Queries

    def get(self, session: str) -> Call | None:
        """Return the call of a session, if known."""
        return self._machine.calls.get(session)

    @property
    def ongoing_count(self) -> int:
        """Return how many calls are in progress (ringing or ongoing)."""
        return self._machine.calls.in_progress

    def current_call(self) -> Call | None:
        """Return the most recently started call that rings or is ongoing."""
        return self._machine.calls.current()

    @property
    def size(self) -> tuple[int, int, int]:
        """Return the number of ongoing calls, ended calls and pending blocks kept."""
        return self._machine.size

    @property
    def waiting(self) -> dict[str, int]:
        """Return how many outcome waits, busy waits and session locks are open."""
        return self._waits.counts

    def as_dict(self) -> dict[str, Any]:
        """Return everything the tracker keeps, as JSON-friendly data."""
        return self._machine.as_dict()

    @callback
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> CALLBACK_TYPE:
        """Call back on every change of the calls (as a coordinator would)."""
        return self._changes.async_add_listener(update_callback)

    # Life cycle

    async def async_load(self) -> None:
        """Restore the tracker from storage."""
        self._machine.restore(await self._store.async_load() or {})
        self.async_prune()

    @callback
    def async_start_pruning(self) -> CALLBACK_TYPE:
        """Prune now and then; return what stops it."""
        return async_track_time_interval(
            self._hass, self.async_prune, PRUNE_INTERVAL, cancel_on_shutdown=True
        )

    async def async_unload(self) -> None:
        """Release everything that waits and write the state now."""
        self._changes.closed = True
        self._waits.close()
        await self._store.async_save(self.as_dict())

    @callback
    def async_prune(self, _time: datetime | None = None) -> None:
        """End calls silent for too long, forget old ended calls and old blocks."""
        if self._changes.closed:
            return
        if self._machine.prune(time.time(), stale_after(self._entry)):
            self._changes.changed()

    # Notifications

    @callback
    def async_handle_notification(
        self, notification: Notification, token: str | None
    ) -> Verdict:
        """Apply a validated notification, unless forged or a duplicate."""
        if self._changes.closed:
            return Verdict.CLOSED
        verdict = self._machine.notification(notification, token, time.time())
        if verdict is Verdict.ACCEPTED:
            if token is not None:
                self._waits.resolve(token, notification)
            self._waits.wake(notification.session)
            self._changes.changed()
        return verdict

    # Actions

    @asynccontextmanager
    async def async_block(
        self,
        session: str | None,
        block: str,
        *,
        notify: bool,
        wait: bool = False,
        force: bool = False,
        target: str | None = None,
    ) -> AsyncIterator[BlockTicket]:
        """Clear a block with the call's state, then let the caller send it.

        Waits while the session is busy with an earlier block, at most the busy
        timeout; then the block is sent anyway and the service decides. With
        `notify` a token is issued for the notify_url; with `wait` the ticket
        can wait for the block's own notification.
        """
        async with self._waits.session_lock(session or ""):
            overdue = session is not None and await self._async_until_free(
                session, block, force=force
            )
            token = secrets.token_urlsafe(12) if notify else None
            previous = self._machine.claim(session, block, token, target, time.time())
            ticket = BlockTicket(
                token, self._waits.new_outcome(token) if wait else None
            )
            try:
                yield ticket
            except BaseException as err:
                self._settle_failure(session, token, previous, err)
                if (
                    overdue
                    and isinstance(err, HoiioError)
                    and err.status == STATUS_NOT_READY
                ):
                    raise CallStateError("session_busy") from err
                raise
            if ticket.result is not None and (
                answered := session or ticket.result.session
            ):
                self._machine.answered(answered, block, token, target, time.time())
            self._changes.changed()

    async def _async_until_free(self, session: str, block: str, *, force: bool) -> bool:
        """Wait while the call is busy; return True if the busy wait ran out."""
        if (call := self.get(session)) is None:
            return False
        call.check_allowed(block, force=force)
        if force or not call.busy:
            return False
        overdue = False
        try:
            async with asyncio.timeout(busy_timeout(self._entry)):
                while (call := self.get(session)) is not None and call.busy:
                    await self._waits.async_next_wake(session)
        except TimeoutError:
            overdue = True
            LOGGER.debug(
                "Sending a %s block to a call still busy after the wait", block
            )
        if (call := self.get(session)) is not None:
            call.check_allowed(block, force=force)
        return overdue

    def _settle_failure(
        self,
        session: str | None,
        token: str | None,
        previous: str | None,
        err: BaseException,
    ) -> None:
        """Forget a block that did not run; keep one that may have (answer lost)."""
        service_error = err if isinstance(err, HoiioError) else None
        if token is not None:
            self._waits.fail(token, None)
            if not isinstance(err, asyncio.CancelledError) and (
                service_error is None or not service_error.outcome_unknown
            ):
                self._machine.refused(token, previous)
            elif (pending := self._machine.answer_lost(token)) is not None:
                LOGGER.debug(
                    "No answer to a %s request; awaiting its notification",
                    pending.block,
                )
                self._changes.changed()
        if (
            service_error is not None
            and session is not None
            and self._machine.service_error(session, service_error.status, time.time())
        ):
            self._changes.changed()

    def _dropped(self, token: str) -> None:
        """Fail the wait for a block that will not notify: its call ended."""
        self._waits.fail(token, CallStateError("call_ended"))
