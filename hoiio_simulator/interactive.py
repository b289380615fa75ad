"""Blocks of calls on the phone page, which wait for the person at the page.

A gather waits for keys (until `#`, `max_digits` or its timeout, asking again
for each of its `attempts` while nothing was typed), a recording for the stop
button (or its `max_duration`), a transfer for the far end's answer (or its
`ring_time`), and a dial ringing on the page for Answer or Decline.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import functools
import re
import time
from typing import TYPE_CHECKING, Any, Final, Protocol

from .config import check_outcome
from .sessions import ANSWERED, UNANSWERED
from .timers import TaskTracker

if TYPE_CHECKING:
    from collections.abc import Callable

    from .config import SimulatorConfig
    from .sessions import CallEngine, CallSession, RunningBlock

DIGITS: Final = "digits"
RECORDING: Final = "recording"
FAR_END: Final = "far_end"
CONNECTED: Final = "connected"
ROOM: Final = "room"
ANSWER: Final = "answer"
KEYS: Final = re.compile(r"[0-9*#]{1,32}")
FAR_END_HANGUP: Final = "hangup"
DIAL_ANSWERS: Final = {"answer": ANSWERED, "decline": "busy"}


class Reporter(Protocol):
    """Where the phone page hears what happened."""

    def entry(self, session: CallSession, kind: str, **fields: Any) -> None:
        """Add a line to a call's transcript."""

    def changed(self, session: CallSession) -> None:
        """Tell the page that a call's state changed."""


@dataclass
class Waiting:
    """What a call's running block waits for from the page."""

    kind: str
    running: RunningBlock
    seconds: float = 0.0
    deadline: float | None = None
    timer: asyncio.Task[None] | None = None
    keys: str = ""
    max_digits: int = 0
    attempt: int = 1
    attempts: int = 1

    def as_dict(self) -> dict[str, Any]:
        """Return what the page shows of it."""
        return {
            "kind": self.kind,
            "deadline": None if self.deadline is None else int(self.deadline * 1000),
            "digits": self.keys,
            "max_digits": self.max_digits,
            "attempt": self.attempt,
            "attempts": self.attempts,
        }


def _seconds(params: dict[str, str], name: str, default: float) -> float:
    value = params.get(name)
    return float(value) if value else default


def _cancel(timer: asyncio.Task[None] | None) -> None:
    if timer is not None and timer is not asyncio.current_task():
        timer.cancel()


class PhoneInput:
    """Run the waiting blocks of calls on the phone page on the page's input."""

    def __init__(
        self, engine: CallEngine, config: SimulatorConfig, reporter: Reporter
    ) -> None:
        """Act on the engine's calls; tell the reporter what happens."""
        self._engine = engine
        self._config = config
        self._reporter = reporter
        # Apart from the simulator's own timers: settle() does not wait for people.
        self._timers = TaskTracker()
        self.waiting: dict[str, Waiting] = {}

    def takes_over(self, session: CallSession, running: RunningBlock) -> bool:
        """Start waiting for the page if the block needs it; tell whether it does."""
        starters = {
            "gather": self._gather,
            "record": self._record,
            "transfer": self._transfer,
            "dial": self._ring,
        }
        start = starters.get(running.name)
        return session.interactive and start is not None and start(session, running)

    def forget(self, session: CallSession) -> None:
        """Stop waiting for a call whose block finished."""
        waiting = self.waiting.pop(session.id, None)
        if waiting is not None:
            _cancel(waiting.timer)

    async def close(self) -> None:
        """Cancel every wait (the simulator stops)."""
        await self._timers.cancel_all()

    def press(self, session_id: str, keys: str) -> None:
        """The caller presses keys on the keypad."""
        if not KEYS.fullmatch(keys):
            raise ValueError("keys must be 1 to 32 of 0-9, * and #")
        session, wait = self._expect(session_id, DIGITS, "no gather waits for keys")
        typed, hash_key, _ = keys.partition("#")
        room = wait.max_digits - len(wait.keys) if wait.max_digits else len(typed)
        taken = typed[:room]
        ended_by_hash = bool(hash_key) and len(typed) <= room
        wait.keys += taken
        wait.running.fields["digits"] = wait.keys
        self._reporter.entry(session, "keys", keys=taken + hash_key * ended_by_hash)
        if ended_by_hash or (wait.max_digits and len(wait.keys) >= wait.max_digits):
            self._engine.finish_now(session)
        else:
            self._reporter.changed(session)

    def stop_recording(self, session_id: str) -> None:
        """The caller stops the recording."""
        session, _ = self._expect(session_id, RECORDING, "no recording is running")
        self._reporter.entry(session, "record_stopped")
        self._engine.finish_now(session)

    def far_end(self, session_id: str, outcome: str) -> None:
        """The transfer's far end answers, is busy, does not answer, fails, hangs up."""
        if outcome == FAR_END_HANGUP:
            session, _ = self._expect(session_id, CONNECTED, "no transfer is connected")
            self._far_end_entry(session, outcome)
            self._engine.finish_now(session)
            return
        try:
            check_outcome(outcome)
        except ValueError:
            raise ValueError(
                "outcome must be one of answered, busy, failed, hangup, unanswered"
            ) from None
        session, wait = self._expect(session_id, FAR_END, "no transfer is ringing")
        self._engine.decide_transfer(session, wait.running, outcome)
        self._far_end_entry(session, outcome)
        if outcome != ANSWERED:
            self._engine.finish_now(session)
            return
        _cancel(wait.timer)
        wait.running.timer = None
        self.waiting[session.id] = Waiting(CONNECTED, wait.running)
        self._reporter.changed(session)

    def answer_dial(self, session_id: str, answer: str) -> None:
        """The called person answers or declines a dial ringing on the page."""
        status = DIAL_ANSWERS.get(answer)
        if status is None:
            raise ValueError("answer must be answer or decline")
        session, wait = self._expect(session_id, ANSWER, "no dial is ringing")
        self._engine.decide_dial(wait.running, status)
        self._reporter.entry(session, "dial_answer", answer=answer)
        self._engine.finish_now(session)

    def _expect(
        self, session_id: str, kind: str, problem: str
    ) -> tuple[CallSession, Waiting]:
        session = self._engine.lookup(session_id)
        if not session.interactive:
            raise ValueError(f"session {session.id} was not placed from the phone")
        wait = self.waiting.get(session.id)
        if wait is None or wait.kind != kind:
            raise ValueError(f"{problem} in session {session.id}")
        return session, wait

    def _gather(self, session: CallSession, running: RunningBlock) -> bool:
        params = dict(running.params)
        running.fields["digits"] = ""
        wait = Waiting(
            DIGITS,
            running,
            seconds=_seconds(params, "timeout", self._config.gather_timeout),
            max_digits=int(params.get("max_digits") or 0),
            attempts=int(params.get("attempts") or 1),
        )
        self._wait(session, wait, self._gather_timed_out)
        return True

    def _record(self, session: CallSession, running: RunningBlock) -> bool:
        seconds = _seconds(
            dict(running.params), "max_duration", self._config.record_max_duration
        )
        self._wait(session, Waiting(RECORDING, running, seconds), self._recording_full)
        return True

    def _transfer(self, session: CallSession, running: RunningBlock) -> bool:
        if "room" in running.fields:
            if running.fields["transfer_status"] != ANSWERED:
                return False  # A full room fails at once, as for any call.
            self.waiting[session.id] = Waiting(ROOM, running)
            return True
        seconds = _seconds(dict(running.params), "ring_time", self._config.ring_time)
        self._wait(session, Waiting(FAR_END, running, seconds), self._not_answered)
        return True

    def _ring(self, session: CallSession, running: RunningBlock) -> bool:
        wait = Waiting(ANSWER, running, self._config.ring_time)
        self._wait(session, wait, self._dial_not_answered)
        return True

    def _wait(
        self,
        session: CallSession,
        wait: Waiting,
        expire: Callable[[CallSession, Waiting], None],
    ) -> None:
        self.waiting[session.id] = wait
        wait.deadline = time.time() + wait.seconds
        wait.timer = wait.running.timer = self._timers.later(
            wait.seconds, functools.partial(self._expire, session, wait, expire)
        )

    async def _expire(
        self,
        session: CallSession,
        wait: Waiting,
        expire: Callable[[CallSession, Waiting], None],
    ) -> None:
        if self.waiting.get(session.id) is not wait:
            return
        wait.timer = wait.running.timer = None
        expire(session, wait)

    def _gather_timed_out(self, session: CallSession, wait: Waiting) -> None:
        if wait.keys or wait.attempt >= wait.attempts:
            self._reporter.entry(session, "gather_timeout", seconds=wait.seconds)
            self._engine.finish_now(session)
            return
        wait.attempt += 1
        self._reporter.entry(
            session,
            "gather_again",
            attempt=wait.attempt,
            attempts=wait.attempts,
            msg=wait.running.params.get("msg", ""),
        )
        self._wait(session, wait, self._gather_timed_out)
        self._reporter.changed(session)

    def _recording_full(self, session: CallSession, wait: Waiting) -> None:
        self._reporter.entry(session, "record_full", seconds=wait.seconds)
        self._engine.finish_now(session)

    def _not_answered(self, session: CallSession, wait: Waiting) -> None:
        self._engine.decide_transfer(session, wait.running, UNANSWERED)
        self._far_end_entry(session, UNANSWERED, seconds=wait.seconds)
        self._engine.finish_now(session)

    def _far_end_entry(self, session: CallSession, outcome: str, **fields: Any) -> None:
        dest = session.transfer_dest
        self._reporter.entry(session, "far_end", outcome=outcome, dest=dest, **fields)

    def _dial_not_answered(self, session: CallSession, wait: Waiting) -> None:
        self._engine.decide_dial(wait.running, UNANSWERED)
        self._reporter.entry(session, "dial_answer", answer=UNANSWERED)
        self._engine.finish_now(session)
