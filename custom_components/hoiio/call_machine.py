"""The calls of one Hoiio account as a state machine, without Home Assistant.

A call rings (an incoming call's first notification) or dials (a call started
with `dial`), is ongoing once answered, may be held and taken off hold, and
ends: by a notification, by the service's answer to a block, by silence
(pruning) or to make room (eviction). A block sent with a token is pending
until its notification comes; meanwhile the call is busy and only a
notification with that token is taken for it. A block whose answer was lost
stays pending, unconfirmed, since it may have run. A notification without a
token is a duplicate when one of the same session, block, state and txn_ref
came before.

The machine is told what happened, with the time as a POSIX timestamp; it
tells its owner through two callbacks which blocks can no longer notify and
which sessions are no longer busy.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Final

from .const import LOGGER
from .log_once import OnceLogger
from .notification import CALL_STATE_ONGOING, CALL_STATE_RINGING, Notification

BLOCK_ANSWER: Final = "answer"
BLOCK_DIAL: Final = "dial"
BLOCK_HOLD: Final = "hold"
BLOCK_UNHOLD: Final = "unhold"
BLOCK_TRANSFER: Final = "transfer"
MAX_ONGOING: Final = 100
MAX_ENDED: Final = 100
MAX_REMEMBERED: Final = 512
ENDED_MAX_AGE: Final = 24 * 3600.0
# Statuses of the service's answer that say the call is over.
SESSION_GONE: Final = frozenset({"error_session_ended", "error_invalid_session"})
STATUS_NOT_ON_HOLD: Final = "error_session_not_on_hold"


class CallStatus(StrEnum):
    """Where a call is in its life."""

    DIALING = "dialing"
    RINGING = "ringing"
    ONGOING = "ongoing"
    ENDED = "ended"


class EndReason(StrEnum):
    """Why the integration considers a call ended."""

    NOTIFICATION = "notification"
    SERVICE = "service"
    STALE = "stale"
    EVICTED = "evicted"


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


@dataclass(slots=True)
class PendingBlock:
    """A block we sent whose notification has not arrived yet.

    `unconfirmed`: the request's answer was lost, so the block may or may not
    have run; its notification is accepted all the same.
    """

    token: str
    block: str
    session: str | None
    sent: float
    target: str | None = None
    unconfirmed: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the pending block as JSON-friendly data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PendingBlock:
        """Rebuild a pending block from `as_dict` output."""
        return cls(**data)


@dataclass(slots=True)
class Call:
    """One call session and its transitions."""

    session: str
    status: CallStatus
    started: float
    updated: float
    caller: str | None = None
    called: str | None = None
    dest: str | None = None
    on_hold: bool = False
    pending_block: str | None = None
    pending_token: str | None = None
    last_block: str | None = None
    last_outcome: str | None = None
    transfer_target: str | None = None
    end_reason: EndReason | None = None
    cost: dict[str, Any] = field(default_factory=dict)

    @property
    def ended(self) -> bool:
        """Return whether the call is over."""
        return self.status is CallStatus.ENDED

    @property
    def in_progress(self) -> bool:
        """Return whether the call rings or is answered (not dialling, not ended)."""
        return self.status is CallStatus.RINGING or self.status is CallStatus.ONGOING

    @property
    def busy(self) -> bool:
        """Return whether a block we sent has not notified yet."""
        return self.pending_token is not None

    def check_allowed(self, block: str, *, force: bool) -> None:
        """Raise CallStateError when the call's state forbids sending the block."""
        if self.ended:
            raise CallStateError("call_ended")
        if block == BLOCK_UNHOLD and not self.on_hold:
            raise CallStateError("call_not_on_hold")
        if self.on_hold and block != BLOCK_UNHOLD and not force:
            raise CallStateError("call_on_hold")

    def notified(
        self, notification: Notification, pending: PendingBlock | None, now: float
    ) -> bool:
        """Take in a notification of the call; return whether it ends the call."""
        fields = notification.fields  # these keys are never parsed: text as sent
        self.updated = now
        self.caller = fields.get("from") or self.caller
        self.called = fields.get("to") or self.called
        self.dest = fields.get("dest") or self.dest
        self.last_block = notification.ivr_block
        self.last_outcome = fields.get("transfer_status") or fields.get("dial_status")
        if pending is not None:
            if pending.block == BLOCK_TRANSFER and pending.target:
                # Its answer may not have been taken in yet, or may be lost.
                self.transfer_target = pending.target
            if self.pending_token == pending.token:
                self.pending_block = self.pending_token = None
        if notification.ivr_block == BLOCK_UNHOLD:
            self.on_hold = False
        if notification.ends_call:
            self.cost = notification.cost
            return True
        if notification.call_state == CALL_STATE_ONGOING:
            self.status = CallStatus.ONGOING
        return False

    def answered(
        self, block: str, target: str | None, *, notified: bool, now: float
    ) -> None:
        """Take in the service's acceptance of a block sent for the call."""
        self.updated = now
        if self.status is CallStatus.RINGING:
            # The first block sent for a ringing call answers it.
            self.status = CallStatus.ONGOING
        if block == BLOCK_DIAL:
            self.dest = target
        elif block == BLOCK_HOLD:
            self.on_hold = True
        elif block == BLOCK_UNHOLD:
            self.on_hold = False
        elif block == BLOCK_TRANSFER:
            self.transfer_target = target
        if block != BLOCK_DIAL and not notified:
            self.last_block = block
            self.last_outcome = None

    def end(self, reason: EndReason, now: float) -> None:
        """End the call, for a reason."""
        self.status = CallStatus.ENDED
        self.end_reason = reason
        self.on_hold = False
        self.pending_block = self.pending_token = None
        self.updated = now

    def as_dict(self) -> dict[str, Any]:
        """Return the call as JSON-friendly data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Call:
        """Rebuild a call from `as_dict` output; raise on malformed data."""
        values = dict(data)
        values["status"] = CallStatus(values["status"])
        if values.get("end_reason") is not None:
            values["end_reason"] = EndReason(values["end_reason"])
        return cls(**values)


class RecentKeys[K]:
    """The keys seen last, at most MAX_REMEMBERED of them, oldest forgotten first."""

    def __init__(self) -> None:
        """Start with none."""
        self._keys: dict[K, None] = {}

    def __contains__(self, key: object) -> bool:
        """Return whether the key is remembered."""
        return key in self._keys

    def __iter__(self) -> Iterator[K]:
        """Iterate over the keys, oldest first."""
        return iter(self._keys)

    def add(self, key: K) -> None:
        """Remember a key, forgetting the oldest past the bound."""
        self._keys[key] = None
        if len(self._keys) > MAX_REMEMBERED:
            del self._keys[next(iter(self._keys))]


class CallBook:
    """The calls of an account, in progress and recently ended, bounded."""

    def __init__(self) -> None:
        """Start with no calls."""
        self._ongoing: OrderedDict[str, Call] = OrderedDict()
        self._ended: OrderedDict[str, Call] = OrderedDict()
        self.in_progress = 0

    def __iter__(self) -> Iterator[Call]:
        """Iterate over the calls, those not ended first."""
        yield from self._ongoing.values()
        yield from self._ended.values()

    def get(self, session: str) -> Call | None:
        """Return the call of a session, if known."""
        return self._ongoing.get(session) or self._ended.get(session)

    def current(self) -> Call | None:
        """Return the most recently started call that rings or is ongoing."""
        for call in reversed(self._ongoing.values()):
            if call.status is not CallStatus.DIALING:  # neither dialling nor ended
                return call
        return None

    @property
    def size(self) -> tuple[int, int]:
        """Return the number of calls kept not ended and ended."""
        return len(self._ongoing), len(self._ended)

    def add(self, call: Call) -> list[Call]:
        """Keep a new call; return the oldest ones it pushed out (now ended)."""
        self._ongoing[call.session] = call
        self.in_progress += call.in_progress
        evicted: list[Call] = []
        while len(self._ongoing) > MAX_ONGOING:
            evicted.append(oldest := next(iter(self._ongoing.values())))
            self.end(oldest, EndReason.EVICTED, call.updated)
        return evicted

    def end(self, call: Call, reason: EndReason, now: float) -> None:
        """End a call and keep it among the most recently ended ones."""
        if self._ongoing.pop(call.session, None) is not None:
            self.in_progress -= call.in_progress
        call.end(reason, now)
        self._ended[call.session] = call
        self._ended.move_to_end(call.session)
        while len(self._ended) > MAX_ENDED:
            self._ended.popitem(last=False)

    def silent_since(self, before: float) -> list[Call]:
        """Return the calls not ended that have heard nothing since a time."""
        return [call for call in self._ongoing.values() if call.updated < before]

    def forget_ended(self, before: float) -> bool:
        """Forget the calls that ended before a time; return whether there were any."""
        old = [s for s, call in self._ended.items() if call.updated < before]
        for session in old:
            del self._ended[session]
        return bool(old)

    def restore(self, stored: list[dict[str, Any]]) -> None:
        """Take back stored calls as they were, skipping those that cannot be read."""
        for raw in stored:
            try:
                call = Call.from_dict(raw)
            except (TypeError, ValueError, KeyError):
                LOGGER.warning("Ignoring a stored call that cannot be read")
                continue
            if call.ended:
                self._ended[call.session] = call
            else:
                self._ongoing[call.session] = call
                self.in_progress += call.in_progress


class PendingBlocks:
    """The blocks we sent whose notification has not come, and the tokens used."""

    def __init__(self) -> None:
        """Start with none."""
        self._pending: dict[str, PendingBlock] = {}
        self._consumed = RecentKeys[str]()

    def __len__(self) -> int:
        """Return how many blocks are pending."""
        return len(self._pending)

    def get(self, token: str | None) -> PendingBlock | None:
        """Return the pending block of a token, if there is one."""
        return None if token is None else self._pending.get(token)

    def issued(self, token: str) -> bool:
        """Return whether a token is one of a block we sent."""
        return token in self._pending or token in self._consumed

    def block_named(self, session: str, token: str | None) -> str | None:
        """Return the block a notification is about, if the pending blocks say so.

        That is the block whose token the notification carries or, without a
        token, the session's only pending block.
        """
        if token is None:
            blocks = [p.block for p in self._pending.values() if p.session == session]
            return blocks[0] if len(blocks) == 1 else None
        pending = self._pending.get(token)
        if pending is None or pending.session not in (None, session):
            return None
        return pending.block

    def add(self, pending: PendingBlock) -> None:
        """Record a block about to be sent."""
        self._pending[pending.token] = pending

    def refusal(self, token: str, session: str) -> Verdict | None:
        """Return why a token's notification of a session is refused, if it is."""
        pending = self._pending.get(token)
        if pending is None:
            return Verdict.DUPLICATE if token in self._consumed else Verdict.FORGED
        if pending.session not in (None, session):
            return Verdict.FORGED
        return None

    def consume(self, token: str) -> PendingBlock:
        """Take a block whose notification came; its token counts as used."""
        self._consumed.add(token)
        return self._pending.pop(token)

    def forget(self, token: str) -> PendingBlock | None:
        """Forget a block that did not run."""
        return self._pending.pop(token, None)

    def drop_of(self, session: str) -> list[str]:
        """Forget the blocks sent for a session; return their tokens."""
        return self._drop([t for t, p in self._pending.items() if p.session == session])

    def drop_sent_before(self, time: float) -> list[str]:
        """Forget the blocks sent before a time; return their tokens."""
        return self._drop([t for t, p in self._pending.items() if p.sent < time])

    def _drop(self, tokens: list[str]) -> list[str]:
        """Forget the blocks of some tokens; return the tokens."""
        for token in tokens:
            del self._pending[token]
        return tokens

    def as_dict(self) -> dict[str, Any]:
        """Return the pending blocks and used tokens as JSON-friendly data."""
        return {
            "pending": [pending.as_dict() for pending in self._pending.values()],
            "consumed": list(self._consumed),
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        """Take back what `as_dict` returned, skipping blocks that cannot be read."""
        for raw in data.get("pending", []):
            with suppress(TypeError):
                self.add(PendingBlock.from_dict(raw))
        for token in data.get("consumed", []):
            self._consumed.add(str(token))


class CallMachine:
    """The calls of one account: their states, pending blocks and duplicates."""

    def __init__(
        self, *, on_dropped: Callable[[str], None], on_free: Callable[[str], None]
    ) -> None:
        """Start empty, with whom to tell of dropped blocks and freed sessions."""
        self._on_dropped = on_dropped
        self._on_free = on_free
        # Read them freely; change them through the machine's transitions.
        self.calls = CallBook()
        self.blocks = PendingBlocks()
        self._seen = RecentKeys[tuple[str | None, ...]]()
        self._log = OnceLogger()

    # Queries

    @property
    def size(self) -> tuple[int, int, int]:
        """Return the number of ongoing calls, ended calls and pending blocks kept."""
        return (*self.calls.size, len(self.blocks))

    def as_dict(self) -> dict[str, Any]:
        """Return everything the machine keeps, as JSON-friendly data."""
        return {
            "calls": [call.as_dict() for call in self.calls],
            **self.blocks.as_dict(),
        }

    def restore(self, data: Mapping[str, Any]) -> None:
        """Take back what `as_dict` returned, skipping what cannot be read."""
        self.calls.restore(data.get("calls", []))
        self.blocks.restore(data)

    # Transitions

    def notification(
        self, notification: Notification, token: str | None, now: float
    ) -> Verdict:
        """Take in a notification, unless forged or a duplicate."""
        call = self.calls.get(notification.session)
        pending: PendingBlock | None = None
        if token is not None:
            if refusal := self.blocks.refusal(token, notification.session):
                return refusal
            pending = self.blocks.consume(token)
        else:
            if call is not None and call.busy:
                return Verdict.FORGED
            key = (
                notification.session,
                notification.ivr_block,
                notification.call_state,
                notification.fields.get("txn_ref"),
            )
            if key in self._seen:
                return Verdict.DUPLICATE
            self._seen.add(key)
        self._apply(call, notification, pending, now)
        return Verdict.ACCEPTED

    def _apply(
        self,
        call: Call | None,
        notification: Notification,
        pending: PendingBlock | None,
        now: float,
    ) -> None:
        """Apply an accepted notification to its call, starting or ending it."""
        if call is None:
            call = self._start(notification, now)
        elif call.ended:
            self._log.warning(
                "late", "Ignoring a notification that arrived after its call had ended"
            )
            return
        was_in_progress = call.in_progress
        ends = call.notified(notification, pending, now)
        self.calls.in_progress += call.in_progress - was_in_progress
        if ends:
            self._end(call, EndReason.NOTIFICATION, now)

    def _start(self, notification: Notification, now: float) -> Call:
        """Start tracking the call of a first notification."""
        if notification.ivr_block not in (BLOCK_ANSWER, BLOCK_DIAL):
            self._log.warning(
                "unknown",
                "Tracking a call first seen in a %s notification",
                notification.event_type,
            )
        ringing = notification.call_state == CALL_STATE_RINGING
        status = CallStatus.RINGING if ringing else CallStatus.ONGOING
        return self._add(Call(notification.session, status, now, now))

    def claim(
        self,
        session: str | None,
        block: str,
        token: str | None,
        target: str | None,
        now: float,
    ) -> str | None:
        """Record a block about to be sent; return the token the call was busy with."""
        if token is None:
            return None
        self.blocks.add(PendingBlock(token, block, session, now, target))
        call = self.calls.get(session) if session else None
        if call is None or call.ended:
            return None
        previous = call.pending_token
        call.pending_block, call.pending_token = block, token
        return previous

    def answered(
        self,
        session: str,
        block: str,
        token: str | None,
        target: str | None,
        now: float,
    ) -> None:
        """Take in the service's acceptance of a block, learning an unknown call."""
        pending = self.blocks.get(token)
        call = self.calls.get(session)
        if call is None:
            status = CallStatus.DIALING if block == BLOCK_DIAL else CallStatus.ONGOING
            call = Call(session, status, now, now)
            if pending is not None:
                call.pending_block, call.pending_token = block, pending.token
            self._add(call)
        if pending is not None:
            pending.session = session
        if not call.ended:
            # Without its token pending, the block's notification came first.
            notified = token is not None and pending is None
            call.answered(block, target, notified=notified, now=now)

    def answer_lost(self, token: str) -> PendingBlock | None:
        """Keep a block whose answer was lost as unconfirmed; return it if pending."""
        if (pending := self.blocks.get(token)) is not None:
            pending.unconfirmed = True
        return pending

    def refused(self, token: str, previous: str | None) -> None:
        """Forget a block that did not run; the call is busy as it was before."""
        pending = self.blocks.forget(token)
        if pending is None or pending.session is None:
            return
        call = self.calls.get(pending.session)
        if call is None or call.pending_token != token:
            return
        earlier = self.blocks.get(previous)
        call.pending_block = earlier.block if earlier else None
        call.pending_token = earlier.token if earlier else None
        if earlier is None:
            self._on_free(pending.session)

    def service_error(self, session: str, status: str, now: float) -> bool:
        """Take in what a status the service refused a block with says of the call."""
        call = self.calls.get(session)
        if call is None:
            return False
        if status in SESSION_GONE:
            self._end(call, EndReason.SERVICE, now)
        elif status == STATUS_NOT_ON_HOLD:
            call.on_hold = False
        return True

    def prune(self, now: float, stale_after: float) -> bool:
        """End silent calls, forget old ended calls and old blocks; True if any."""
        stale_before = now - stale_after
        stale = self.calls.silent_since(stale_before)
        for call in stale:
            self._end(call, EndReason.STALE, now)
        forgot = self.calls.forget_ended(now - ENDED_MAX_AGE)
        expired = self.blocks.drop_sent_before(stale_before)
        for token in expired:
            self._on_dropped(token)
        return bool(stale or forgot or expired)

    # Bookkeeping

    def _add(self, call: Call) -> Call:
        """Keep a new call; those it pushes out are over."""
        for evicted in self.calls.add(call):
            self._ended(evicted.session)
        return call

    def _end(self, call: Call, reason: EndReason, now: float) -> None:
        """End a call and what was pending for it."""
        self.calls.end(call, reason, now)
        self._ended(call.session)

    def _ended(self, session: str) -> None:
        """Drop the pending blocks of an ended call and free its session."""
        for token in self.blocks.drop_of(session):
            self._on_dropped(token)
        self._on_free(session)
