"""Call sessions and the IVR state machine that drives them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
import itertools
import math
import time
from typing import TYPE_CHECKING, Any, Final

from .accounts import money
from .config import check_outcome
from .errors import ApiError
from .validation import DIAL, TRANSFER

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .accounts import Account
    from .config import SimulatorConfig
    from .notifier import Notifier
    from .timers import TaskTracker

GMT8: Final = timezone(timedelta(hours=8))
HOLD: Final = "ivr/middle/hold"
UNHOLD: Final = "ivr/middle/unhold"
HANGUP: Final = "ivr/end/hangup"
MONITOR: Final = "ivr/middle/monitor"
RINGING: Final = "ringing"
ONGOING: Final = "ongoing"
ENDED: Final = "ended"
ANSWERED: Final = "answered"
UNANSWERED: Final = "unanswered"
ROOM_PREFIX: Final = "room:"


@dataclass
class RunningBlock:
    """A block that has been accepted and has not notified yet."""

    name: str
    txn_ref: str
    tag: str | None
    notify_url: str | None
    fields: dict[str, str]
    ends_call: bool
    extra_rate: Decimal = Decimal(0)
    timer: asyncio.Task[None] | None = None
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Monitor:
    """A monitor recording the rest of a call."""

    txn_ref: str
    tag: str | None
    notify_url: str | None
    record_url: str


@dataclass
class CallSession:
    """One call: who is on it and where its IVR stands."""

    id: str
    app_id: str
    from_number: str | None = None
    to_number: str | None = None
    dest: str | None = None
    state: str = ONGOING
    on_hold: bool = False
    monitor: Monitor | None = None
    tag: str | None = None
    room: str | None = None
    transfer_dest: str | None = None
    transfer_outcome: str | None = None
    gather_digits: str | None = None
    running: RunningBlock | None = None
    started: float = field(default_factory=time.monotonic)
    # Placed from (or answered on) the phone page: its blocks wait for the page.
    interactive: bool = False

    @property
    def block(self) -> str | None:
        """Return the name of the running block, if any."""
        return None if self.running is None else self.running.name

    def party(self) -> dict[str, str]:
        """Return from/to for an incoming call or dest for a dialled one."""
        if self.dest is not None:
            return {"dest": self.dest}
        return {"from": self.from_number or "", "to": self.to_number or ""}

    def as_dict(self) -> dict[str, Any]:
        """Return the session as JSON-ready data."""
        return {
            "session": self.id,
            "app_id": self.app_id,
            "state": self.state,
            "on_hold": self.on_hold,
            "block": self.block,
            "from": self.from_number,
            "to": self.to_number,
            "dest": self.dest,
            "monitor": self.monitor is not None,
            "tag": self.tag,
            "room": self.room,
            "transfer_dest": self.transfer_dest,
        }


class CallWatcher:
    """Follows the engine's calls (the phone page does); this one ignores them."""

    def opened(self, session: CallSession) -> None:
        """A call was opened: an incoming call rings, or a dial starts."""

    def accepted(
        self, session: CallSession, path: str, params: Mapping[str, str]
    ) -> None:
        """A block was accepted for a call."""

    def takes_over(self, session: CallSession, running: RunningBlock) -> bool:
        """Tell whether the watcher, rather than a timer, finishes this block."""
        return False

    def finished(
        self, session: CallSession, running: RunningBlock, data: Mapping[str, str]
    ) -> None:
        """A block finished; data is its notification (before any cost fields)."""

    def caller_hung_up(self, session: CallSession) -> None:
        """The caller hung up."""

    def ended(self, session: CallSession, cost: Mapping[str, str]) -> None:
        """A call ended and was billed."""

    def answers_dials(self) -> bool:
        """Tell whether dialled calls ring for someone to answer them."""
        return False


def gmt8_now() -> str:
    """Return the current time as Hoiio dates it (GMT+8)."""
    return datetime.now(GMT8).strftime("%Y-%m-%d %H:%M:%S")


class CallEngine:
    """Accept blocks for sessions, run them and post their notifications."""

    def __init__(
        self,
        config: SimulatorConfig,
        accounts: Mapping[str, Account],
        notifier: Notifier,
        tasks: TaskTracker,
        recording_url: Callable[[str], str],
    ) -> None:
        """Wire the engine to the simulator's state."""
        self._config = config
        self._accounts = accounts
        self._notifier = notifier
        self._tasks = tasks
        self._recording_url = recording_url
        self.sessions: dict[str, CallSession] = {}
        self.rooms: dict[str, set[str]] = {}
        self.transfer_outcome = config.transfer_outcome
        self.dial_outcome = config.dial_outcome
        self.gather_digits = config.gather_digits
        self.watcher = CallWatcher()
        self._session_ids = itertools.count(config.first_session)
        self._txn_refs = itertools.count(100001)
        self._room_ids = itertools.count(1001)
        self._recordings = itertools.count(1)

    def open_session(self, session: CallSession) -> CallSession:
        """Register a new call under a fresh id, within its account's call limit."""
        ongoing = sum(
            1
            for other in self.sessions.values()
            if other.app_id == session.app_id and other.state != ENDED
        )
        if ongoing >= self._config.max_concurrent_calls:
            raise ApiError("error_concurrent_call_limit_reached")
        session.id = f"S{next(self._session_ids)}"
        self.sessions[session.id] = session
        self.watcher.opened(session)
        return session

    def ring(self, session: CallSession) -> dict[str, str]:
        """Open an incoming call, ringing, and return its answer notification."""
        session.state = RINGING
        self.open_session(session)
        return {
            "ivr_block": "answer",
            "session": session.id,
            "txn_ref": self._txn_ref(),
            **session.party(),
            "tag": "",
            "call_state": RINGING,
        }

    def lookup(self, session_id: str) -> CallSession:
        """Return a session by id or raise ValueError."""
        session = self.sessions.get(session_id)
        if session is None:
            raise ValueError(f"unknown session {session_id}")
        return session

    def handle(
        self, path: str, account: Account, params: Mapping[str, str]
    ) -> dict[str, str]:
        """Accept one validated IVR block and return its answer's extra fields."""
        if path == DIAL:
            return self._dial(account, params)
        session = self._ready_session(path, account, params)
        if session.state == RINGING:
            # The first block accepted for a ringing call answers it.
            session.state = ONGOING
        self.watcher.accepted(session, path, params)
        return self._run(session, path, account, params)

    def _run(
        self,
        session: CallSession,
        path: str,
        account: Account,
        params: Mapping[str, str],
    ) -> dict[str, str]:
        if path == HANGUP and "force" in params:
            return self._force_hangup(session, params)
        if path == HOLD:
            session.on_hold = True
            return {"txn_ref": self._txn_ref()}
        if path == UNHOLD:
            session.on_hold = False
        if path == TRANSFER:
            return self._transfer(session, account, params)
        fields: dict[str, str] = {}
        name = path.rsplit("/", 1)[1]
        if name == "gather":
            fields["digits"] = self._digits(session, params)
        elif name in ("record", "monitor"):
            fields["record_url"] = self._recording_url(f"{next(self._recordings)}.wav")
        running = self._start(session, name, params, fields, ends_call=name == "hangup")
        if name == "monitor":
            session.monitor = Monitor(
                running.txn_ref,
                running.tag,
                params.get("monitor_notify_url"),
                fields["record_url"],
            )
        return {"txn_ref": running.txn_ref}

    async def complete(self, session: CallSession) -> None:
        """Finish the running block now and deliver its notification."""
        running = _running_block(session)
        if running.timer is not None:
            running.timer.cancel()
        await self._finish(session, running)

    async def caller_hangs_up(self, session: CallSession) -> None:
        """End the call from the caller's side."""
        if session.state == ENDED:
            raise ValueError(f"session {session.id} has already ended")
        self.watcher.caller_hung_up(session)
        running = session.running
        if running is None:
            self._end(session, Decimal(0))
            return
        if running.timer is not None:
            running.timer.cancel()
        if running.name == "gather":
            running.fields["digits"] = ""
        await self._finish(session, running, caller_gone=True)

    def _ready_session(
        self, path: str, account: Account, params: Mapping[str, str]
    ) -> CallSession:
        session = self.sessions.get(params["session"])
        if session is None:
            raise ApiError("error_invalid_session")
        if session.app_id != account.app_id:
            raise ApiError("error_session_access_denied")
        if session.state == ENDED:
            raise ApiError("error_session_ended")
        if path == HANGUP and "force" in params:
            return session
        if path == UNHOLD:
            if not session.on_hold:
                raise ApiError("error_session_not_on_hold")
            return session
        if session.running is not None or session.on_hold:
            raise ApiError("error_session_not_ready")
        if path == MONITOR and session.monitor is not None:
            raise ApiError("error_monitor_in_progress")
        return session

    def _dial(self, account: Account, params: Mapping[str, str]) -> dict[str, str]:
        if account.balance <= 0:
            raise ApiError("error_insufficient_credit")
        session = self.open_session(
            CallSession(
                "",
                account.app_id,
                dest=params["dest"],
                interactive=self.watcher.answers_dials(),
            )
        )
        self.watcher.accepted(session, DIAL, params)
        # A dial that rings on the phone page ends as the page answers it.
        outcome = UNANSWERED if session.interactive else self.dial_outcome
        running = self._start(
            session,
            "dial",
            params,
            {"dial_status": outcome},
            ends_call=outcome != ANSWERED,
            delay=self._config.dial_delay,
        )
        return {"txn_ref": running.txn_ref, "session": session.id}

    def _transfer(
        self, session: CallSession, account: Account, params: Mapping[str, str]
    ) -> dict[str, str]:
        dest = params["dest"]
        session.transfer_dest = dest
        answer = {"session": session.id}
        fields: dict[str, str] = {}
        extra_rate = Decimal(0)
        if dest.startswith(ROOM_PREFIX):
            room = dest.removeprefix(ROOM_PREFIX) or self._new_room()
            answer["room"] = fields["room"] = room
            members = self.rooms.setdefault(room, set())
            status = "failed"
            if len(members) < self._config.max_room_size:
                members.add(session.id)
                session.room = room
                status = ANSWERED
        elif session.interactive:
            # Decided when the far end acts on the phone page.
            status = UNANSWERED
        else:
            status = session.transfer_outcome or self.transfer_outcome
            if status == ANSWERED:
                extra_rate = account.outgoing_rate
        fields["transfer_status"] = status
        answered = status == ANSWERED
        running = self._start(
            session,
            "transfer",
            params,
            fields,
            ends_call=_transfer_ends_call(params, answered=answered),
            delay=self._config.transfer_duration
            if answered
            else self._config.block_delay,
            extra_rate=extra_rate,
        )
        return {"txn_ref": running.txn_ref, **answer}

    def _force_hangup(
        self, session: CallSession, params: Mapping[str, str]
    ) -> dict[str, str]:
        if session.running is not None and session.running.timer is not None:
            session.running.timer.cancel()
        running = RunningBlock(
            "hangup",
            self._txn_ref(),
            params.get("tag"),
            params.get("notify_url"),
            {},
            ends_call=True,
        )
        session.tag = running.tag
        self._conclude_now(session, running)
        return {"txn_ref": running.txn_ref}

    def finish_now(self, session: CallSession) -> None:
        """Finish the running block at once; its notification is posted meanwhile."""
        running = _running_block(session)
        if running.timer is not None and running.timer is not asyncio.current_task():
            running.timer.cancel()
        self._conclude_now(session, running)

    def decide_transfer(
        self, session: CallSession, running: RunningBlock, status: str
    ) -> None:
        """Set how a transfer that rang on the phone page turned out."""
        answered = check_outcome(status) == ANSWERED
        running.fields["transfer_status"] = status
        account = self._accounts[session.app_id]
        running.extra_rate = account.outgoing_rate if answered else Decimal(0)
        running.ends_call = (
            _transfer_ends_call(running.params, answered=answered)
            or running.notify_url is None
        )

    @staticmethod
    def decide_dial(running: RunningBlock, status: str) -> None:
        """Set how a dial that rang on the phone page turned out."""
        running.fields["dial_status"] = check_outcome(status)
        running.ends_call = status != ANSWERED or running.notify_url is None

    def _conclude_now(self, session: CallSession, running: RunningBlock) -> None:
        data = self._conclude(session, running, caller_gone=False)
        if running.notify_url is not None:
            self._tasks.spawn(self._notifier.post(running.notify_url, data))

    def _start(
        self,
        session: CallSession,
        name: str,
        params: Mapping[str, str],
        fields: dict[str, str],
        *,
        ends_call: bool = False,
        delay: float | None = None,
        extra_rate: Decimal = Decimal(0),
    ) -> RunningBlock:
        notify_url = params.get("notify_url")
        running = RunningBlock(
            name,
            self._txn_ref(),
            params.get("tag"),
            notify_url,
            fields,
            # Without a notify URL the service plays the message and hangs up.
            ends_call=ends_call or notify_url is None,
            extra_rate=extra_rate,
            params=dict(params),
        )
        session.running = running
        session.tag = running.tag
        if self.watcher.takes_over(session, running):
            return running
        if not self._config.manual_blocks:
            running.timer = self._tasks.later(
                self._config.block_delay if delay is None else delay,
                lambda: self._finish(session, running),
            )
        return running

    async def _finish(
        self, session: CallSession, running: RunningBlock, *, caller_gone: bool = False
    ) -> None:
        data = self._conclude(session, running, caller_gone=caller_gone)
        if running.notify_url is not None:
            await self._notifier.post(running.notify_url, data)

    def _conclude(
        self, session: CallSession, running: RunningBlock, *, caller_gone: bool
    ) -> dict[str, str]:
        """Apply a finished block to the session and return its notification."""
        session.running = None
        ended = running.ends_call or caller_gone
        data = {
            "ivr_block": running.name,
            "session": session.id,
            "txn_ref": running.txn_ref,
            **session.party(),
            **running.fields,
        }
        data["tag"] = running.tag or ""
        data["call_state"] = ENDED if ended else ONGOING
        self.watcher.finished(session, running, data)
        if ended:
            data.update(self._end(session, running.extra_rate))
        return data

    def _end(self, session: CallSession, extra_rate: Decimal) -> dict[str, str]:
        """End the call, bill it and return the notification's cost fields."""
        session.state = ENDED
        session.on_hold = False
        if session.room is not None:
            self.rooms[session.room].discard(session.id)
        account = self._accounts[session.app_id]
        minutes = max(1, math.ceil((time.monotonic() - session.started) / 60))
        base = account.incoming_rate if session.dest is None else account.outgoing_rate
        rate = base + extra_rate
        debit = rate * minutes
        account.charge(debit)
        cost = {
            "date": gmt8_now(),
            "duration": str(minutes),
            "currency": account.currency,
            "rate": money(rate),
            "debit": money(debit),
        }
        self.watcher.ended(session, cost)
        monitor = session.monitor
        if monitor is not None and monitor.notify_url is not None:
            data = {
                "ivr_block": "monitor",
                "session": session.id,
                "txn_ref": monitor.txn_ref,
                **session.party(),
                "record_url": monitor.record_url,
                "tag": monitor.tag or "",
                "call_state": ENDED,
                **cost,
            }
            self._tasks.spawn(self._notifier.post(monitor.notify_url, data))
        return cost

    def _digits(self, session: CallSession, params: Mapping[str, str]) -> str:
        digits = session.gather_digits or self.gather_digits
        max_digits = int(params.get("max_digits", "0"))
        return digits[:max_digits] if max_digits else digits

    def _new_room(self) -> str:
        while (room := f"R{next(self._room_ids)}") in self.rooms:
            continue
        return room

    def _txn_ref(self) -> str:
        return f"AA-S-{next(self._txn_refs)}"

    def set_transfer_outcome(self, outcome: str, session_id: str | None) -> None:
        """Set the outcome of later transfers, for one session or all."""
        check_outcome(outcome)
        if session_id is None:
            self.transfer_outcome = outcome
        else:
            self.lookup(session_id).transfer_outcome = outcome

    def set_gather_digits(self, digits: str, session_id: str | None) -> None:
        """Set the digits later gathers collect, for one session or all."""
        if session_id is None:
            self.gather_digits = digits
        else:
            self.lookup(session_id).gather_digits = digits


def _transfer_ends_call(params: Mapping[str, str], *, answered: bool) -> bool:
    """Tell whether a transfer ends the call: answered, or failed with hangup."""
    return answered or params.get("on_failure", "hangup") == "hangup"


def _running_block(session: CallSession) -> RunningBlock:
    """Return the block a call runs, or raise ValueError."""
    if session.running is None:
        raise ValueError(f"no block is running in session {session.id}")
    return session.running
