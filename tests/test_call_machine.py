"""Unit tests of the call machine on its own: no Home Assistant, no event loop."""

from __future__ import annotations

from dataclasses import dataclass, field
import json
import random

import pytest

from custom_components.hoiio.call_machine import (
    ENDED_MAX_AGE,
    MAX_ENDED,
    MAX_ONGOING,
    MAX_REMEMBERED,
    CallMachine,
    CallStateError,
    CallStatus,
    EndReason,
    RecentKeys,
    Verdict,
)
from custom_components.hoiio.notification import Notification, parse_notification

NOW = 1_800_000_000.0
FIRST_TOKEN = "t1"
HOUR = 3600.0


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Start no Home Assistant: the machine is tested on its own."""


@dataclass
class Machine:
    """A machine and what it told its owner."""

    machine: CallMachine = field(init=False)
    dropped: list[str] = field(default_factory=list)
    freed: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Create the machine with recording callbacks."""
        self.machine = CallMachine(
            on_dropped=self.dropped.append, on_free=self.freed.append
        )


@pytest.fixture
def m() -> Machine:
    """Return an empty machine."""
    return Machine()


def note(session: str = "S1", **fields: str) -> Notification:
    """Return a parsed notification of a session."""
    return parse_notification({"session": session, **fields})


def ring(m: Machine, session: str = "S1", at: float = NOW) -> None:
    """Let an incoming call ring, as its answer notification says."""
    answer = note(session, ivr_block="answer", call_state="ringing", txn_ref="A1")
    answer = parse_notification(
        {**answer.fields, "from": "+6591234567", "to": "+6531580000"}
    )
    assert m.machine.notification(answer, None, at) is Verdict.ACCEPTED


def send(
    m: Machine,
    block: str,
    session: str = "S1",
    token: str | None = FIRST_TOKEN,
    target: str | None = None,
    at: float = NOW,
) -> str | None:
    """Send a block the service accepts; return the token the call was busy with."""
    previous = m.machine.claim(session, block, token, target, at)
    m.machine.answered(session, block, token, target, at)
    return previous


def recount(machine: CallMachine) -> int:
    """Count the calls in progress the long way."""
    stored = machine.as_dict()["calls"]
    return sum(1 for call in stored if call["status"] in ("ringing", "ongoing"))


def test_an_incoming_call_rings_then_is_answered_by_its_first_block(
    m: Machine,
) -> None:
    """Ringing on the answer notification; ongoing and busy once a block is sent."""
    ring(m)
    call = m.machine.calls.get("S1")
    assert call is not None
    assert (call.status, call.caller, call.last_block) == (
        CallStatus.RINGING,
        "+6591234567",
        "answer",
    )
    assert m.machine.calls.in_progress == 1
    assert m.machine.calls.current() is call
    send(m, "play")
    assert call.status is CallStatus.ONGOING
    assert (call.busy, call.pending_block, call.last_block) == (True, "play", "play")
    played = note(ivr_block="play", call_state="ongoing")
    assert m.machine.notification(played, "t1", NOW + 1) is Verdict.ACCEPTED
    assert not call.busy
    assert call.updated == NOW + 1
    assert m.machine.size == (1, 0, 0)


def test_hold_and_unhold_are_checked_against_the_state(m: Machine) -> None:
    """Only a held call can be unheld; a held call takes only unhold (or force)."""
    ring(m)
    call = m.machine.calls.get("S1")
    assert call is not None
    with pytest.raises(CallStateError) as err:
        call.check_allowed("unhold", force=False)
    assert err.value.translation_key == "call_not_on_hold"
    send(m, "hold", token=None)
    assert call.on_hold
    with pytest.raises(CallStateError) as err:
        call.check_allowed("play", force=False)
    assert err.value.translation_key == "call_on_hold"
    call.check_allowed("hangup", force=True)
    call.check_allowed("unhold", force=False)
    send(m, "unhold", token="t2")
    assert not call.on_hold
    unheld = note(ivr_block="unhold", call_state="ongoing")
    assert m.machine.notification(unheld, "t2", NOW) is Verdict.ACCEPTED
    assert not call.busy


def test_an_unhold_notification_takes_a_call_off_hold(m: Machine) -> None:
    """The service may say first that the call is back."""
    ring(m)
    send(m, "hold", token=None)
    call = m.machine.calls.get("S1")
    assert call is not None
    assert call.on_hold
    unheld = note(ivr_block="unhold", call_state="ongoing", txn_ref="U1")
    assert m.machine.notification(unheld, None, NOW) is Verdict.ACCEPTED
    assert not call.on_hold


def test_a_dialled_call_counts_once_answered(m: Machine) -> None:
    """A dial is dialling (not counted) until its notification says it is ongoing."""
    m.machine.claim(None, "dial", "t1", "+6598765432", NOW)
    m.machine.answered("D1", "dial", "t1", "+6598765432", NOW)
    call = m.machine.calls.get("D1")
    assert call is not None
    assert (call.status, call.dest, call.last_block) == (
        CallStatus.DIALING,
        "+6598765432",
        None,
    )
    assert m.machine.calls.in_progress == 0
    assert m.machine.calls.current() is None
    dialled = note("D1", ivr_block="dial", dial_status="answered", call_state="ongoing")
    assert m.machine.notification(dialled, "t1", NOW) is Verdict.ACCEPTED
    assert call.status is CallStatus.ONGOING
    assert m.machine.calls.in_progress == 1


@pytest.mark.parametrize("outcome", ["unanswered", "failed", "busy"])
def test_a_failed_dial_ends_the_call_whatever_its_call_state(
    m: Machine, outcome: str
) -> None:
    """A dial that reached nobody ends the call even when call_state is ongoing."""
    m.machine.claim(None, "dial", "t1", None, NOW)
    m.machine.answered("D1", "dial", "t1", None, NOW)
    failed = note("D1", ivr_block="dial", dial_status=outcome, call_state="ongoing")
    assert m.machine.notification(failed, "t1", NOW) is Verdict.ACCEPTED
    call = m.machine.calls.get("D1")
    assert call is not None
    assert (call.status, call.end_reason, call.last_outcome) == (
        CallStatus.ENDED,
        EndReason.NOTIFICATION,
        outcome,
    )
    assert m.machine.calls.in_progress == 0
    assert m.freed == ["D1"]


def test_an_ended_call_keeps_its_cost_and_drops_its_blocks(m: Machine) -> None:
    """Ending a call fails the waits of its other blocks and frees the session."""
    ring(m)
    send(m, "play", token="t1")
    m.machine.claim(None, "dial", "t9", None, NOW)
    hangup = note(
        ivr_block="hangup",
        call_state="ended",
        date="2026-11-25 18:30:05",
        duration="2",
        currency="SGD",
        debit="0.100",
    )
    assert m.machine.notification(hangup, None, NOW) is Verdict.FORGED
    m.machine.claim("S1", "hangup", "t2", None, NOW)
    assert m.machine.notification(hangup, "t2", NOW) is Verdict.ACCEPTED
    call = m.machine.calls.get("S1")
    assert call is not None
    assert call.cost == {
        "date": "2026-11-25T18:30:05+08:00",
        "duration": 2,
        "currency": "SGD",
        "debit": 0.1,
    }
    assert (call.busy, call.on_hold, call.end_reason) == (
        False,
        False,
        EndReason.NOTIFICATION,
    )
    assert m.dropped == ["t1"]
    assert m.machine.size == (0, 1, 1)
    with pytest.raises(CallStateError) as err:
        call.check_allowed("play", force=True)
    assert err.value.translation_key == "call_ended"


def test_a_late_notification_never_brings_a_call_back(m: Machine) -> None:
    """A notification after the end is accepted but leaves the call ended."""
    ring(m)
    ended = note(ivr_block="hangup", call_state="ended", txn_ref="T2")
    assert m.machine.notification(ended, None, NOW) is Verdict.ACCEPTED
    late = note(ivr_block="play", call_state="ongoing", txn_ref="T1")
    assert m.machine.notification(late, None, NOW + 1) is Verdict.ACCEPTED
    call = m.machine.calls.get("S1")
    assert call is not None
    assert call.ended
    assert call.last_block == "hangup"
    assert m.machine.calls.in_progress == 0


def test_duplicates_and_forgeries(m: Machine) -> None:
    """Tokens and the identity of token-less notifications decide what counts."""
    ring(m)
    again = note(ivr_block="answer", call_state="ringing", txn_ref="A1")
    assert m.machine.notification(again, None, NOW) is Verdict.DUPLICATE
    other_txn = note(ivr_block="answer", call_state="ringing", txn_ref="A2")
    assert m.machine.notification(other_txn, None, NOW) is Verdict.ACCEPTED
    send(m, "play", token="t1")
    played = note(ivr_block="play", call_state="ongoing")
    assert m.machine.notification(played, None, NOW) is Verdict.FORGED
    assert m.machine.notification(played, "guessed", NOW) is Verdict.FORGED
    assert m.machine.notification(note("S2", ivr_block="play"), "t1", NOW) is (
        Verdict.FORGED
    )
    assert m.machine.blocks.issued("t1")
    assert m.machine.notification(played, "t1", NOW) is Verdict.ACCEPTED
    assert m.machine.notification(played, "t1", NOW) is Verdict.DUPLICATE
    assert m.machine.blocks.issued("t1")
    assert not m.machine.blocks.issued("guessed")


def test_a_block_whose_answer_was_lost_is_kept_unconfirmed(m: Machine) -> None:
    """The call stays busy with the block; its notification is still accepted."""
    ring(m)
    m.machine.claim("S1", "transfer", "t1", "+6598765432", NOW)
    pending = m.machine.answer_lost("t1")
    assert pending is not None
    assert pending.unconfirmed
    assert m.machine.answer_lost("unknown") is None
    call = m.machine.calls.get("S1")
    assert call is not None
    assert call.busy
    assert call.transfer_target is None
    transferred = note(ivr_block="transfer", transfer_status="answered", txn_ref="X")
    assert m.machine.notification(transferred, "t1", NOW) is Verdict.ACCEPTED
    assert call.transfer_target == "+6598765432"
    assert call.last_outcome == "answered"
    assert not call.busy


def test_a_refused_block_leaves_the_call_as_it_was(m: Machine) -> None:
    """The call is busy with the earlier block again, or free without one."""
    ring(m)
    send(m, "play", token="t1")
    previous = m.machine.claim("S1", "play", "t2", None, NOW)
    assert previous == "t1"
    m.machine.refused("t2", previous)
    call = m.machine.calls.get("S1")
    assert call is not None
    assert (call.pending_block, call.pending_token) == ("play", "t1")
    assert m.freed == []
    m.machine.refused("t1", None)
    assert not call.busy
    assert m.freed == ["S1"]
    assert m.machine.size == (1, 0, 0)
    m.machine.refused("t1", None)
    m.machine.claim(None, "dial", "t3", None, NOW)
    m.machine.refused("t3", None)
    assert m.machine.size == (1, 0, 0)


def test_service_errors_correct_the_call(m: Machine) -> None:
    """An ended session ends the call; "not on hold" takes it off hold."""
    assert not m.machine.service_error("S9", "error_session_ended", NOW)
    ring(m)
    send(m, "hold", token=None)
    call = m.machine.calls.get("S1")
    assert call is not None
    assert m.machine.service_error("S1", "error_session_not_on_hold", NOW)
    assert not call.on_hold
    assert m.machine.service_error("S1", "error_rate_limit_exceeded", NOW)
    assert not call.ended
    assert m.machine.service_error("S1", "error_invalid_session", NOW)
    assert (call.status, call.end_reason) == (CallStatus.ENDED, EndReason.SERVICE)
    assert m.machine.calls.in_progress == 0


def test_the_answer_of_a_block_that_already_notified(m: Machine) -> None:
    """A block's notification may overtake its answer: the answer changes less."""
    ring(m)
    m.machine.claim("S1", "gather", "t1", None, NOW)
    gathered = note(ivr_block="gather", call_state="ongoing", digits="5")
    assert m.machine.notification(gathered, "t1", NOW) is Verdict.ACCEPTED
    m.machine.answered("S1", "gather", "t1", None, NOW + 1)
    call = m.machine.calls.get("S1")
    assert call is not None
    assert (call.status, call.busy, call.last_block) == (
        CallStatus.ONGOING,
        False,
        "gather",
    )


def test_calls_unknown_until_a_block_is_answered(m: Machine) -> None:
    """A call answered elsewhere is learnt from a block the service accepted."""
    send(m, "hold", session="S7", token=None)
    call = m.machine.calls.get("S7")
    assert call is not None
    assert (call.status, call.on_hold) == (CallStatus.ONGOING, True)
    send(m, "transfer", session="S8", token="t2", target="+6598765432")
    learnt = m.machine.calls.get("S8")
    assert learnt is not None
    assert (learnt.pending_block, learnt.transfer_target) == ("transfer", "+6598765432")
    assert m.machine.calls.in_progress == 2


def test_the_pending_block_names_a_notification(m: Machine) -> None:
    """By its token, or as the only block pending for the call."""
    ring(m)
    ring(m, "S2")
    m.machine.claim("S1", "gather", "t1", None, NOW)
    m.machine.claim("S2", "gather", "t2", None, NOW)
    m.machine.claim("S2", "play", "t3", None, NOW)
    assert m.machine.blocks.block_named("S1", "t1") == "gather"
    assert m.machine.blocks.block_named("S2", "t1") is None
    assert m.machine.blocks.block_named("S1", "nope") is None
    assert m.machine.blocks.block_named("S1", None) == "gather"
    assert m.machine.blocks.block_named("S2", None) is None
    m.machine.claim(None, "dial", "t4", None, NOW)
    assert m.machine.blocks.block_named("D9", "t4") == "dial"


def test_pruning_ends_silent_calls_and_forgets_old_ones(m: Machine) -> None:
    """Stale calls end, expired blocks drop, day-old ended calls are forgotten."""
    ring(m, "S1")
    ring(m, "S2", at=NOW + 5 * HOUR)
    m.machine.claim(None, "dial", "t1", None, NOW)
    assert not m.machine.prune(NOW + HOUR, 6 * HOUR)
    assert m.machine.prune(NOW + 6 * HOUR + 1, 6 * HOUR)
    first = m.machine.calls.get("S1")
    assert first is not None
    assert first.end_reason is EndReason.STALE
    assert m.dropped == ["t1"]
    assert m.machine.size == (1, 1, 0)
    assert m.machine.calls.in_progress == 1
    later = NOW + 6 * HOUR + 1 + ENDED_MAX_AGE + 1
    assert m.machine.prune(later, 6 * HOUR)
    assert m.machine.calls.get("S1") is None
    assert m.machine.size == (0, 1, 0)


def test_crowds_are_bounded(m: Machine) -> None:
    """The oldest ongoing calls give way to new ones; ended calls are capped."""
    for number in range(MAX_ONGOING + MAX_ENDED + 5):
        ring(m, f"S{number}")
    assert m.machine.size == (MAX_ONGOING, MAX_ENDED, 0)
    assert m.machine.calls.in_progress == MAX_ONGOING
    assert m.machine.calls.get("S0") is None
    evicted = m.machine.calls.get("S5")
    assert evicted is not None
    assert evicted.end_reason is EndReason.EVICTED
    current = m.machine.calls.current()
    assert current is not None
    assert current.session == f"S{MAX_ONGOING + MAX_ENDED + 4}"


def test_recent_keys_forget_the_oldest() -> None:
    """Memory of tokens and notifications seen is bounded."""
    keys = RecentKeys[int]()
    for key in range(MAX_REMEMBERED + 3):
        keys.add(key)
    assert list(keys) == list(range(3, MAX_REMEMBERED + 3))
    assert 2 not in keys
    assert 3 in keys


def test_what_is_kept_survives_a_round_trip(m: Machine) -> None:
    """as_dict is JSON and restore rebuilds the same machine, skipping bad calls."""
    ring(m)
    send(m, "transfer", token="t1", target="+6598765432")
    ring(m, "S2")
    send(m, "hangup", session="S2", token="t2")
    hangup = note("S2", ivr_block="hangup", call_state="ended")
    m.machine.notification(hangup, "t2", NOW)
    stored = json.loads(json.dumps(m.machine.as_dict()))
    stored["calls"].append({"session": "broken"})
    stored["pending"].append({"unexpected": True})
    restored = Machine()
    restored.machine.restore(stored)
    assert restored.machine.as_dict() == m.machine.as_dict()
    assert restored.machine.calls.in_progress == 1
    assert restored.machine.blocks.issued("t2")
    restored.machine.restore({})
    assert restored.machine.size == (1, 1, 1)


def test_the_count_of_calls_in_progress_is_always_right() -> None:
    """Whatever happens, in any order, the kept count equals a recount."""
    rng = random.Random(12)  # noqa: S311 (a repeatable order, not a secret)
    m = Machine()
    sessions = [f"S{number}" for number in range(MAX_ONGOING + 20)]
    steps = (
        lambda s, t: m.machine.notification(
            note(s, ivr_block="answer", call_state="ringing", txn_ref=str(t)), None, t
        ),
        lambda s, t: send(m, rng.choice(["play", "hold", "unhold"]), s, None, at=t),
        lambda s, t: send(m, "dial", s, f"d{t}", at=t),
        lambda s, t: m.machine.notification(
            note(s, ivr_block="play", call_state="ongoing", txn_ref=str(t)), None, t
        ),
        lambda s, t: m.machine.notification(
            note(s, ivr_block="hangup", call_state="ended", txn_ref=str(t)), None, t
        ),
        lambda s, t: m.machine.service_error(s, "error_session_ended", t),
        lambda s, t: m.machine.prune(t, 50.0),
    )
    for step in range(2000):
        rng.choice(steps)(rng.choice(sessions), NOW + step)
        assert m.machine.calls.in_progress == recount(m.machine), step
