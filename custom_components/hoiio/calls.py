"""Call tracker: what each session of an account is doing, kept across restarts."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
import secrets
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import BlockResult, HoiioError
from .call import Call, CallStatus, EndReason, PendingBlock
from .const import DOMAIN, LOGGER, SIGNAL_CALLS_UPDATED
from .models import CALL_STATE_ONGOING, CALL_STATE_RINGING, Notification

STORAGE_VERSION: Final = 1
# Minor 2: a call may have the status "ringing". Minor 3: pending blocks carry
# `unconfirmed`.
STORAGE_MINOR_VERSION: Final = 3
SAVE_DELAY: Final = 10
MAX_ONGOING: Final = 100
MAX_ENDED: Final = 100
MAX_REMEMBERED: Final = 512
ENDED_MAX_AGE: Final = timedelta(hours=24)

BLOCK_HOLD: Final = "hold"
BLOCK_UNHOLD: Final = "unhold"
BLOCK_HANGUP: Final = "hangup"
BLOCK_DIAL: Final = "dial"
BLOCK_TRANSFER: Final = "transfer"
# Dial outcomes that end the call whatever its call_state says.
DIAL_FAILURES: Final = ("unanswered", "failed", "busy")
STATUS_NOT_READY: Final = "error_session_not_ready"


class Verdict(StrEnum):
    """What the tracker made of a notification."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    FORGED = "forged"
    CLOSED = "closed"


class CallStateError(Exception):
    """The call's state forbids the block; `translation_key` says why."""

    def __init__(self, translation_key: str) -> None:
        """Keep the translation key."""
        super().__init__(translation_key)
        self.translation_key = translation_key


class TrackerClosedError(Exception):
    """The tracker was unloaded while something waited on it."""


class CallStore(Store[dict[str, Any]]):
    """Versioned storage of the tracker."""

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


@dataclass(slots=True)
class _SessionLock:
    """The lock of one session and how many requests hold or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


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


class CallTracker:
    """Sessions of one account, from the blocks sent and the notifications received."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        *,
        busy_timeout: Callable[[], float],
        stale_after: Callable[[], timedelta],
    ) -> None:
        """Set up an empty tracker; call `async_load` to restore it."""
        self._hass = hass
        self._entry_id = entry_id
        self._busy_timeout = busy_timeout
        self._stale_after = stale_after
        self._store = CallStore(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            minor_version=STORAGE_MINOR_VERSION,
        )
        self._ongoing: OrderedDict[str, Call] = OrderedDict()
        self._ended: OrderedDict[str, Call] = OrderedDict()
        self._pending: dict[str, PendingBlock] = {}
        self._consumed: OrderedDict[str, None] = OrderedDict()
        self._seen: OrderedDict[tuple[str | None, ...], None] = OrderedDict()
        self._waiters: dict[str, asyncio.Future[Notification]] = {}
        self._ready_waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._locks: dict[str, _SessionLock] = {}
        self._warned: set[str] = set()
        self._closed = False

    # Queries

    def get(self, session: str) -> Call | None:
        """Return the call of a session, if known."""
        return self._ongoing.get(session) or self._ended.get(session)

    @property
    def ongoing_count(self) -> int:
        """Return how many calls are in progress (ringing or ongoing)."""
        return sum(1 for call in self._ongoing.values() if call.in_progress)

    def current_call(self) -> Call | None:
        """Return the most recently started call that rings or is ongoing."""
        for call in reversed(self._ongoing.values()):
            if call.in_progress:
                return call
        return None

    def issued(self, token: str) -> bool:
        """Return whether a token is one of a block we sent."""
        return token in self._pending or token in self._consumed

    def pending_block(self, session: str, token: str | None) -> str | None:
        """Return the block a notification is about, if our pending blocks say so.

        That is the block whose token the notification carries or, without a
        token, the session's only pending block.
        """
        if token is not None:
            pending = self._pending.get(token)
            if pending is None or pending.session not in (None, session):
                return None
            return pending.block
        blocks = [p.block for p in self._pending.values() if p.session == session]
        return blocks[0] if len(blocks) == 1 else None

    @property
    def size(self) -> tuple[int, int, int]:
        """Return the number of ongoing calls, ended calls and pending blocks kept."""
        return len(self._ongoing), len(self._ended), len(self._pending)

    @property
    def waiting(self) -> dict[str, int]:
        """Return how many outcome waits, busy waits and session locks are open."""
        return {
            "outcome_waits": len(self._waiters),
            "busy_waits": sum(len(waiters) for waiters in self._ready_waiters.values()),
            "session_locks": len(self._locks),
        }

    def as_dict(self) -> dict[str, Any]:
        """Return everything the tracker keeps, as JSON-friendly data."""
        return {
            "calls": [call.as_dict() for call in self._calls()],
            "pending": [pending.as_dict() for pending in self._pending.values()],
            "consumed": list(self._consumed),
        }

    # Life cycle

    async def async_load(self) -> None:
        """Restore the tracker from storage."""
        data = await self._store.async_load() or {}
        for raw in data.get("calls", []):
            try:
                call = Call.from_dict(raw)
            except (TypeError, ValueError, KeyError):
                LOGGER.warning("Ignoring a stored call that cannot be read")
                continue
            (self._ended if call.ended else self._ongoing)[call.session] = call
        for raw in data.get("pending", []):
            try:
                pending = PendingBlock.from_dict(raw)
            except TypeError:
                continue
            self._pending[pending.token] = pending
        for token in data.get("consumed", []):
            self._remember(self._consumed, str(token))
        self.async_prune()

    async def async_unload(self) -> None:
        """Release everything that waits and write the state now."""
        self._closed = True
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.set_exception(TrackerClosedError())
        self._waiters.clear()
        for session in list(self._ready_waiters):
            self._wake(session)
        await self._store.async_save(self.as_dict())

    async def async_remove(self) -> None:
        """Delete the stored state."""
        await self._store.async_remove()

    @callback
    def async_prune(self, _time: datetime | None = None) -> None:
        """End calls silent for too long, forget old ended calls and old blocks."""
        if self._closed:
            return
        now = _now()
        stale_before = now - self._stale_after().total_seconds()
        stale = [c for c in self._ongoing.values() if c.updated < stale_before]
        for call in stale:
            self._end(call, EndReason.STALE, now)
        forget_before = now - ENDED_MAX_AGE.total_seconds()
        old = [s for s, c in self._ended.items() if c.updated < forget_before]
        for session in old:
            del self._ended[session]
        expired = [t for t, p in self._pending.items() if p.sent < stale_before]
        for token in expired:
            del self._pending[token]
            self._fail_waiter(token, CallStateError("call_ended"))
        if stale or old or expired:
            self._changed()

    # Notifications

    @callback
    def async_handle_notification(
        self, notification: Notification, token: str | None
    ) -> Verdict:
        """Apply a validated notification, unless forged or a duplicate."""
        if self._closed:
            return Verdict.CLOSED
        pending: PendingBlock | None = None
        if token is not None:
            pending = self._pending.get(token)
            if pending is None:
                return Verdict.DUPLICATE if token in self._consumed else Verdict.FORGED
            if pending.session not in (None, notification.session):
                return Verdict.FORGED
            del self._pending[token]
            self._remember(self._consumed, token)
        else:
            call = self.get(notification.session)
            if call is not None and call.busy:
                return Verdict.FORGED
            key = _identity(notification)
            if key in self._seen:
                return Verdict.DUPLICATE
            self._remember(self._seen, key)
        self._apply(notification, pending)
        waiter = self._waiters.pop(token, None) if token is not None else None
        if waiter is not None and not waiter.done():
            waiter.set_result(notification)
        self._wake(notification.session)
        self._changed()
        return Verdict.ACCEPTED

    def _apply(self, notification: Notification, pending: PendingBlock | None) -> None:
        now = _now()
        call = self.get(notification.session)
        if call is None:
            call = self._start(notification, now)
        elif call.ended:
            self._warn_once(
                "late",
                "Ignoring a notification that arrived after its call had ended",
            )
            return
        call.updated = now
        call.caller = notification.get("from") or call.caller
        call.called = notification.get("to") or call.called
        call.dest = notification.get("dest") or call.dest
        call.last_block = notification.ivr_block
        call.last_outcome = notification.get("transfer_status") or notification.get(
            "dial_status"
        )
        if pending is not None and pending.block == BLOCK_TRANSFER and pending.target:
            # Its answer may not have been applied yet, or may have been lost.
            call.transfer_target = pending.target
        if pending is not None and call.pending_token == pending.token:
            call.pending_block = call.pending_token = None
        if notification.ivr_block == BLOCK_UNHOLD:
            call.on_hold = False
        if notification.ended or (
            notification.ivr_block == BLOCK_DIAL
            and notification.get("dial_status") in DIAL_FAILURES
        ):
            call.cost = {
                key: value
                for key, value in notification.as_event_data().items()
                if key in ("date", "duration", "currency", "rate", "debit")
            }
            self._end(call, EndReason.NOTIFICATION, now)
        elif notification.call_state == CALL_STATE_ONGOING:
            call.status = CallStatus.ONGOING

    def _start(self, notification: Notification, now: float) -> Call:
        if notification.ivr_block not in ("answer", BLOCK_DIAL):
            self._warn_once(
                "unknown",
                "Tracking a call first seen in a %s notification",
                notification.event_type,
            )
        status = (
            CallStatus.RINGING
            if notification.call_state == CALL_STATE_RINGING
            else CallStatus.ONGOING
        )
        call = Call(notification.session, status, now, now)
        self._add_ongoing(call)
        return call

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
        async with self._session_lock(session or ""):
            overdue = session is not None and await self._async_until_ready(
                session, block, force=force
            )
            token = secrets.token_urlsafe(12) if notify else None
            previous = self._claim(session, block, token, target)
            ticket = BlockTicket(token, self._new_waiter(token) if wait else None)
            try:
                yield ticket
            except HoiioError as err:
                self._settle_failure(session, token, previous, err)
                if overdue and err.status == STATUS_NOT_READY:
                    raise CallStateError("session_busy") from err
                raise
            except asyncio.CancelledError:
                self._keep_unconfirmed(token)
                raise
            except BaseException:
                self._rollback(token, previous)
                raise
            if ticket.result is not None:
                self._apply_sent(session, block, ticket.result, token, target)
            self._changed()

    @asynccontextmanager
    async def _session_lock(self, session: str) -> AsyncIterator[None]:
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

    async def _async_until_ready(
        self, session: str, block: str, *, force: bool
    ) -> bool:
        """Wait while the call is busy; return True if the busy wait ran out."""
        call = self.get(session)
        if call is None:
            return False
        self._check_allowed(call, block, force=force)
        if force or not call.busy:
            return False
        overdue = False
        try:
            async with asyncio.timeout(self._busy_timeout()):
                while (call := self.get(session)) is not None and call.busy:
                    await self._async_next_wake(session)
        except TimeoutError:
            overdue = True
            LOGGER.debug(
                "Sending a %s block to a call still busy after the wait", block
            )
        if (call := self.get(session)) is not None:
            self._check_allowed(call, block, force=force)
        return overdue

    async def _async_next_wake(self, session: str) -> None:
        """Wait until the session may be ready; leave no waiter behind."""
        waiter: asyncio.Future[None] = self._hass.loop.create_future()
        waiters = self._ready_waiters.setdefault(session, [])
        waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in waiters:
                waiters.remove(waiter)
            if not waiters and self._ready_waiters.get(session) is waiters:
                del self._ready_waiters[session]
        if self._closed:
            raise TrackerClosedError

    @staticmethod
    def _check_allowed(call: Call, block: str, *, force: bool) -> None:
        if call.ended:
            raise CallStateError("call_ended")
        if block == BLOCK_UNHOLD and not call.on_hold:
            raise CallStateError("call_not_on_hold")
        if call.on_hold and block != BLOCK_UNHOLD and not force:
            raise CallStateError("call_on_hold")

    def _claim(
        self, session: str | None, block: str, token: str | None, target: str | None
    ) -> str | None:
        """Record a block as pending; return the token the call was busy with."""
        if token is None:
            return None
        self._pending[token] = PendingBlock(token, block, session, _now(), target)
        call = self.get(session) if session else None
        if call is None or call.ended:
            return None
        previous = call.pending_token
        call.pending_block, call.pending_token = block, token
        return previous

    def _new_waiter(self, token: str | None) -> asyncio.Future[Notification] | None:
        """Return a future of the block's notification, forgotten once done."""
        if token is None:
            return None
        waiter: asyncio.Future[Notification] = self._hass.loop.create_future()
        self._waiters[token] = waiter

        def forget(_: asyncio.Future[Notification]) -> None:
            if self._waiters.get(token) is waiter:
                del self._waiters[token]

        waiter.add_done_callback(forget)
        return waiter

    def _settle_failure(
        self,
        session: str | None,
        token: str | None,
        previous: str | None,
        err: HoiioError,
    ) -> None:
        """Forget a block the service refused; keep one that may have run."""
        if err.outcome_unknown:
            self._keep_unconfirmed(token)
        else:
            self._rollback(token, previous)
        if session is not None:
            self._apply_error(session, err)

    def _keep_unconfirmed(self, token: str | None) -> None:
        """Keep a block whose answer was lost: its notification is still accepted."""
        if token is None:
            return
        self._fail_waiter(token, None)
        if (pending := self._pending.get(token)) is None:
            return
        pending.unconfirmed = True
        LOGGER.debug(
            "No answer to a %s request; its notification is awaited", pending.block
        )
        self._changed()

    def _rollback(self, token: str | None, previous: str | None) -> None:
        """Forget a block that did not run; the call is busy as it was before."""
        if token is None:
            return
        self._fail_waiter(token, None)
        pending = self._pending.pop(token, None)
        if pending is None or pending.session is None:
            return
        call = self.get(pending.session)
        if call is None or call.pending_token != token:
            return
        earlier = self._pending.get(previous) if previous is not None else None
        call.pending_block = earlier.block if earlier else None
        call.pending_token = earlier.token if earlier else None
        if earlier is None:
            self._wake(pending.session)

    def _apply_error(self, session: str, err: HoiioError) -> None:
        call = self.get(session)
        if call is None:
            return
        if err.status in ("error_session_ended", "error_invalid_session"):
            self._end(call, EndReason.SERVICE, _now())
        elif err.status == "error_session_not_on_hold":
            call.on_hold = False
        self._changed()

    def _apply_sent(
        self,
        session: str | None,
        block: str,
        result: BlockResult,
        token: str | None,
        target: str | None,
    ) -> None:
        now = _now()
        session = session or result.session
        if session is None:
            return
        call = self.get(session)
        if call is None:
            status = CallStatus.DIALING if block == BLOCK_DIAL else CallStatus.ONGOING
            call = Call(session, status, now, now)
            if token is not None and token in self._pending:
                call.pending_block, call.pending_token = block, token
            self._add_ongoing(call)
        if token is not None and (pending := self._pending.get(token)):
            pending.session = session
        if call.ended:
            return
        call.updated = now
        if call.status is CallStatus.RINGING:
            # The first block sent for a ringing call answers it.
            call.status = CallStatus.ONGOING
        if block == BLOCK_DIAL:
            call.dest = target
        elif block == BLOCK_HOLD:
            call.on_hold = True
        elif block == BLOCK_UNHOLD:
            call.on_hold = False
        elif block == BLOCK_TRANSFER:
            call.transfer_target = target
        if block != BLOCK_DIAL and not self._notified(token):
            call.last_block = block
            call.last_outcome = None

    def _notified(self, token: str | None) -> bool:
        """Return whether a block's notification came before its answer."""
        return token is not None and token not in self._pending

    # Bookkeeping

    def _calls(self) -> list[Call]:
        return [*self._ongoing.values(), *self._ended.values()]

    def _add_ongoing(self, call: Call) -> None:
        self._ongoing[call.session] = call
        while len(self._ongoing) > MAX_ONGOING:
            oldest = next(iter(self._ongoing.values()))
            self._end(oldest, EndReason.EVICTED, call.updated)

    def _end(self, call: Call, reason: EndReason, now: float) -> None:
        call.status = CallStatus.ENDED
        call.end_reason = reason
        call.on_hold = False
        call.pending_block = call.pending_token = None
        call.updated = now
        self._ongoing.pop(call.session, None)
        self._ended[call.session] = call
        self._ended.move_to_end(call.session)
        while len(self._ended) > MAX_ENDED:
            self._ended.popitem(last=False)
        for token in [t for t, p in self._pending.items() if p.session == call.session]:
            del self._pending[token]
            self._fail_waiter(token, CallStateError("call_ended"))
        self._wake(call.session)

    def _fail_waiter(self, token: str, error: Exception | None) -> None:
        """End the wait for a block's notification with an error (None: cancel)."""
        waiter = self._waiters.pop(token, None)
        if waiter is None or waiter.done():
            return
        if error is None:
            waiter.cancel()
        else:
            waiter.set_exception(error)

    def _wake(self, session: str) -> None:
        for waiter in self._ready_waiters.pop(session, []):
            if not waiter.done():
                waiter.set_result(None)

    @staticmethod
    def _remember[K](memory: OrderedDict[K, None], key: K) -> None:
        memory[key] = None
        if len(memory) > MAX_REMEMBERED:
            memory.popitem(last=False)

    def _warn_once(self, kind: str, message: str, *args: Any) -> None:
        if kind in self._warned:
            LOGGER.debug(message, *args)
            return
        self._warned.add(kind)
        LOGGER.warning(message, *args)

    def _changed(self) -> None:
        if self._closed:
            return
        self._store.async_delay_save(self.as_dict, SAVE_DELAY)
        async_dispatcher_send(self._hass, SIGNAL_CALLS_UPDATED.format(self._entry_id))


def _identity(notification: Notification) -> tuple[str | None, ...]:
    """Return what makes a token-less notification the same as another."""
    return (
        notification.session,
        notification.ivr_block,
        notification.call_state,
        notification.get("txn_ref"),
    )


def _now() -> float:
    return dt_util.utcnow().timestamp()
