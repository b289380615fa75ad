"""The simulator's call state machine."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from hoiio_simulator import Account, HoiioSimulator, SimulatorConfig
from hoiio_simulator.ratelimit import RateLimiter
from hoiio_simulator.timers import TaskTracker

from .helpers import CALLER, HOIIO_NUMBER, TRANSFER_DEST, api, incoming

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from .helpers import NotifySink

PLAY = "ivr/middle/play"
HOLD = "ivr/middle/hold"
UNHOLD = "ivr/middle/unhold"
TRANSFER = "ivr/end/transfer"
HANGUP = "ivr/end/hangup"
GATHER = "ivr/middle/gather"
MONITOR = "ivr/middle/monitor"
DIAL = "ivr/start/dial"


@pytest.fixture
async def manual(socket_enabled: None) -> AsyncGenerator[HoiioSimulator]:
    """Run a simulator whose blocks only finish through complete_block()."""
    sim = HoiioSimulator(SimulatorConfig(manual_blocks=True, max_room_size=1))
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def slow(socket_enabled: None) -> AsyncGenerator[HoiioSimulator]:
    """Run a simulator whose blocks take an hour."""
    sim = HoiioSimulator(SimulatorConfig(block_delay=3600))
    await sim.start()
    yield sim
    await sim.stop()


async def test_hold_then_unhold(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    hook = notify_sink.url
    session = await incoming(simulator, hook)
    answer = await api(simulator, HOLD, session=session, msg="Hold on")
    assert answer["status"] == "success_ok"
    assert answer["txn_ref"].startswith("AA-S-")
    assert simulator.sessions[session].on_hold
    await simulator.settle()
    assert notify_sink.blocks() == ["answer"]
    for path in (PLAY, HOLD, TRANSFER, HANGUP):
        answer = await api(
            simulator, path, session=session, dest=TRANSFER_DEST, notify_url=hook
        )
        assert answer["status"] == "error_session_not_ready", path
    assert (await api(simulator, UNHOLD, session=session, notify_url=hook))[
        "status"
    ] == "success_ok"
    assert not simulator.sessions[session].on_hold
    await simulator.settle()
    assert notify_sink.posts[-1].form["ivr_block"] == "unhold"
    assert notify_sink.posts[-1].form["call_state"] == "ongoing"
    answer = await api(simulator, UNHOLD, session=session, notify_url=hook)
    assert answer["status"] == "error_session_not_on_hold"


async def test_failed_transfer_continue_then_another_block(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    hook = notify_sink.url
    session = await incoming(simulator, hook)
    simulator.set_transfer_outcome("unanswered")
    answer = await api(
        simulator,
        TRANSFER,
        session=session,
        dest=TRANSFER_DEST,
        on_failure="continue",
        notify_url=hook,
    )
    assert answer == {
        "status": "success_ok",
        "txn_ref": answer["txn_ref"],
        "session": session,
    }
    await simulator.settle()
    form = notify_sink.posts[-1].form
    assert (form["transfer_status"], form["call_state"]) == ("unanswered", "ongoing")
    assert "date" not in form
    assert simulator.sessions[session].transfer_dest == TRANSFER_DEST
    answer = await api(simulator, PLAY, session=session, notify_url=hook)
    assert answer["status"] == "success_ok"


@pytest.mark.parametrize("outcome", ["busy", "failed", "unanswered"])
async def test_failed_transfer_hangs_up_by_default(
    simulator: HoiioSimulator, notify_sink: NotifySink, outcome: str
) -> None:
    hook = notify_sink.url
    session = await incoming(simulator, hook)
    other = await incoming(simulator, hook)
    simulator.set_transfer_outcome(outcome, session=session)
    for call in (session, other):
        await api(
            simulator, TRANSFER, session=call, dest=TRANSFER_DEST, notify_url=hook
        )
    await simulator.settle()
    statuses = {
        post.form["session"]: post.form["transfer_status"]
        for post in notify_sink.posts[2:]
    }
    assert statuses == {session: outcome, other: "answered"}
    assert simulator.sessions[session].state == "ended"
    answer = await api(simulator, PLAY, session=session)
    assert answer["status"] == "error_session_ended"


async def test_not_ready_while_block_runs(
    manual: HoiioSimulator, notify_sink: NotifySink
) -> None:
    hook = notify_sink.url
    session = await incoming(manual, hook)
    await api(manual, PLAY, session=session, notify_url=hook)
    assert manual.sessions[session].block == "play"
    answer = await api(manual, PLAY, session=session, notify_url=hook)
    assert answer["status"] == "error_session_not_ready"
    answer = await api(manual, UNHOLD, session=session, notify_url=hook)
    assert answer["status"] == "error_session_not_on_hold"
    await manual.settle()
    assert notify_sink.blocks() == ["answer"]
    await manual.complete_block(session)
    assert notify_sink.blocks() == ["answer", "play"]
    assert manual.sessions[session].block is None
    with pytest.raises(ValueError, match="no block is running"):
        await manual.complete_block(session)
    answer = await api(manual, PLAY, session=session, notify_url=hook)
    assert answer["status"] == "success_ok"


async def test_complete_block_skips_the_delay(
    slow: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(slow, notify_sink.url)
    await api(slow, PLAY, session=session, notify_url=notify_sink.url)
    await slow.complete_block(session)
    assert notify_sink.blocks() == ["answer", "play"]
    await slow.settle()


async def test_forced_hangup_cancels_running_block(
    manual: HoiioSimulator, notify_sink: NotifySink
) -> None:
    hook = notify_sink.url
    session = await incoming(manual, hook)
    await api(manual, GATHER, session=session, notify_url=hook)
    answer = await api(
        manual, HANGUP, session=session, force="enabled", notify_url=hook
    )
    assert answer["status"] == "success_ok"
    assert manual.sessions[session].state == "ended"
    await manual.settle()
    assert notify_sink.blocks() == ["answer", "hangup"]
    assert notify_sink.posts[-1].form["call_state"] == "ended"


async def test_forced_hangup_with_running_timer(
    slow: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(slow, notify_sink.url)
    await api(slow, PLAY, session=session, notify_url=notify_sink.url)
    await api(slow, HANGUP, session=session, force="enabled")
    await slow.settle()
    assert notify_sink.blocks() == ["answer"]
    assert slow.sessions[session].state == "ended"


async def test_end_block_ends_the_session(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    hook = notify_sink.url
    session = await incoming(simulator, hook)
    await api(simulator, HANGUP, session=session, msg="Bye", notify_url=hook)
    await simulator.settle()
    assert notify_sink.posts[-1].form["call_state"] == "ended"
    for path in (PLAY, HOLD, UNHOLD, HANGUP):
        answer = await api(simulator, path, session=session, notify_url=hook)
        assert answer["status"] == "error_session_ended", path


async def test_block_without_notify_url_hangs_up_silently(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(simulator, notify_sink.url)
    await api(simulator, PLAY, session=session, msg="Goodbye")
    await simulator.settle()
    assert notify_sink.blocks() == ["answer"]
    assert simulator.sessions[session].state == "ended"


async def test_concurrent_call_limit(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    sessions = [await incoming(simulator, notify_sink.url) for _ in range(8)]
    answer = await api(simulator, DIAL, dest=TRANSFER_DEST)
    assert answer["status"] == "error_concurrent_call_limit_reached"
    with pytest.raises(ValueError, match="concurrent_call_limit"):
        await incoming(simulator, notify_sink.url)
    await simulator.hangup_caller(sessions[0])
    answer = await api(simulator, DIAL, dest=TRANSFER_DEST)
    assert answer["status"] == "success_ok"


async def test_session_of_another_account_is_denied(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    simulator.add_account(Account("b_app", "b_token", numbers=["+6531580001"]))
    session = await simulator.incoming_call(CALLER, "+6531580001", notify_sink.url)
    assert simulator.sessions[session].app_id == "b_app"
    answer = await api(simulator, PLAY, session=session)
    assert answer["status"] == "error_session_access_denied"
    answer = await api(
        simulator, PLAY, session=session, app_id="b_app", access_token="b_token"
    )
    assert answer["status"] == "success_ok"
    answer = await api(simulator, PLAY, session="S99")
    assert answer["status"] == "error_invalid_session"


async def test_rate_limit_per_application_and_path(socket_enabled: None) -> None:
    sim = HoiioSimulator(
        SimulatorConfig(
            accounts=[Account("a", "t"), Account("b", "t")],
            rate_limits={"user/get_info": (2, 60.0)},
        )
    )
    await sim.start()
    try:
        statuses = [
            (await api(sim, "user/get_info", app_id="a", access_token="t"))["status"]
            for _ in range(3)
        ]
        assert statuses == ["success_ok", "success_ok", "error_rate_limit_exceeded"]
        answer = await api(sim, "user/get_balance", app_id="a", access_token="t")
        assert answer["status"] == "success_ok"
        answer = await api(sim, "user/get_info", app_id="b", access_token="t")
        assert answer["status"] == "success_ok"
    finally:
        await sim.stop()


async def test_dial_outcomes(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    hook = notify_sink.url
    answer = await api(simulator, DIAL, dest=TRANSFER_DEST, notify_url=hook)
    answered = answer["session"]
    simulator.set_dial_outcome("busy")
    answer = await api(simulator, DIAL, dest=TRANSFER_DEST, notify_url=hook)
    busy = answer["session"]
    await simulator.settle()
    forms = {post.form["session"]: post.form for post in notify_sink.posts}
    assert forms[answered]["dial_status"] == "answered"
    assert forms[answered]["call_state"] == "ongoing"
    assert forms[busy]["dial_status"] == "busy"
    assert forms[busy]["call_state"] == "ended"
    assert simulator.sessions[busy].state == "ended"
    answer = await api(simulator, PLAY, session=answered, notify_url=hook)
    assert answer["status"] == "success_ok"
    with pytest.raises(ValueError, match="outcome must be"):
        simulator.set_dial_outcome("maybe")


async def test_dial_needs_credit(simulator: HoiioSimulator) -> None:
    simulator.accounts["demo_app"].balance = Decimal("-0.010")
    answer = await api(simulator, DIAL, dest=TRANSFER_DEST)
    assert answer["status"] == "error_insufficient_credit"


async def test_room_transfers(manual: HoiioSimulator, notify_sink: NotifySink) -> None:
    hook = notify_sink.url
    first = await incoming(manual, hook)
    second = await incoming(manual, hook)
    answer = await api(manual, TRANSFER, session=first, dest="room:", notify_url=hook)
    room = answer["room"]
    assert room.startswith("R")
    assert manual.sessions[first].room == room
    answer = await api(
        manual, TRANSFER, session=second, dest=f"room:{room}", notify_url=hook
    )
    assert answer["room"] == room
    await manual.complete_block(second)
    assert notify_sink.posts[-1].form["transfer_status"] == "failed"
    assert notify_sink.posts[-1].form["room"] == room
    await manual.complete_block(first)
    assert notify_sink.posts[-1].form["transfer_status"] == "answered"
    assert notify_sink.posts[-1].form["call_state"] == "ended"
    assert manual._engine.rooms[room] == set()


async def test_monitor_once_per_call(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    hook = notify_sink.url
    session = await incoming(simulator, hook)
    await api(simulator, MONITOR, session=session, notify_url=hook)
    await simulator.settle()
    assert simulator.sessions[session].monitor is not None
    answer = await api(simulator, MONITOR, session=session, notify_url=hook)
    assert answer["status"] == "error_monitor_in_progress"


async def test_caller_hangs_up(manual: HoiioSimulator, notify_sink: NotifySink) -> None:
    hook = notify_sink.url
    idle = await incoming(manual, hook)
    await manual.hangup_caller(idle)
    assert manual.sessions[idle].state == "ended"
    busy = await incoming(manual, hook)
    await api(manual, GATHER, session=busy, notify_url=hook)
    await manual.hangup_caller(busy)
    form = notify_sink.posts[-1].form
    assert (form["ivr_block"], form["call_state"], form["digits"]) == (
        "gather",
        "ended",
        "",
    )
    assert notify_sink.blocks() == ["answer", "answer", "gather"]
    with pytest.raises(ValueError, match="already ended"):
        await manual.hangup_caller(busy)
    with pytest.raises(ValueError, match="unknown session"):
        await manual.hangup_caller("S1")


async def test_caller_hangs_up_during_timed_block(
    slow: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(slow, notify_sink.url)
    await api(slow, PLAY, session=session, notify_url=notify_sink.url)
    await slow.hangup_caller(session)
    await slow.settle()
    assert notify_sink.posts[-1].form["call_state"] == "ended"


async def test_gather_digits(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    hook = notify_sink.url
    session = await incoming(simulator, hook)
    simulator.set_gather_digits("42#")
    await api(simulator, GATHER, session=session, notify_url=hook)
    await simulator.settle()
    assert notify_sink.posts[-1].form["digits"] == "42#"
    simulator.set_gather_digits("987", session=session)
    await api(simulator, GATHER, session=session, max_digits="2", notify_url=hook)
    await simulator.settle()
    assert notify_sink.posts[-1].form["digits"] == "98"
    with pytest.raises(ValueError, match="unknown session"):
        simulator.set_gather_digits("1", session="S1")
    with pytest.raises(ValueError, match="unknown session"):
        simulator.set_transfer_outcome("busy", session="S1")


async def test_incoming_call_checks(simulator: HoiioSimulator) -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        await simulator.incoming_call("12345", HOIIO_NUMBER, "http://127.0.0.1/")
    with pytest.raises(ValueError, match="no notify URL"):
        await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    with pytest.raises(ValueError, match="not an http"):
        await simulator.incoming_call(CALLER, HOIIO_NUMBER, "ftp://127.0.0.1/")
    with pytest.raises(ValueError, match=r"E\.164"):
        simulator.set_number_notify_url("65", "http://127.0.0.1/")
    with pytest.raises(ValueError, match="not an http"):
        simulator.set_number_notify_url(HOIIO_NUMBER, "hook")


async def test_unknown_number_goes_to_first_account(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    simulator.set_number_notify_url("+6531589999", notify_sink.url)
    session = await simulator.incoming_call(CALLER, "+6531589999")
    assert simulator.sessions[session].app_id == "demo_app"
    assert notify_sink.posts[0].form["to"] == "+6531589999"


async def test_lifecycle() -> None:
    sim = HoiioSimulator()
    with pytest.raises(RuntimeError, match="not started"):
        _ = sim.base_url
    await sim.stop()


async def test_start_twice(simulator: HoiioSimulator) -> None:
    assert simulator.url.startswith("http://127.0.0.1:")
    with pytest.raises(RuntimeError, match="already started"):
        await simulator.start()
    await simulator.stop()
    await simulator.stop()


def test_rate_limit_window_slides(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("hoiio_simulator.ratelimit.time.monotonic", lambda: now[0])
    limiter = RateLimiter({"user/get_info": (1, 60.0)})
    assert limiter.allow("a", "user/get_info")
    assert not limiter.allow("a", "user/get_info")
    assert limiter.allow("a", "ivr/middle/play")
    now[0] += 60.0
    assert limiter.allow("a", "user/get_info")


async def test_stop_cancels_running_blocks(
    slow: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(slow, notify_sink.url)
    await api(slow, PLAY, session=session, notify_url=notify_sink.url)
    await slow.stop()
    assert notify_sink.blocks() == ["answer"]
    assert slow.sessions[session].block == "play"


async def test_named_room_is_not_reused_for_new_rooms(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    hook = notify_sink.url
    first = await incoming(simulator, hook)
    second = await incoming(simulator, hook)
    answer = await api(simulator, TRANSFER, session=first, dest="room:R1001")
    assert answer["room"] == "R1001"
    answer = await api(simulator, TRANSFER, session=second, dest="room:")
    assert answer["room"] == "R1002"


async def test_failed_background_task_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tracker = TaskTracker()

    async def broken() -> None:
        raise RuntimeError("boom")

    tracker.later(0, broken)
    await tracker.settle()
    assert "Simulator background task failed" in caplog.text
