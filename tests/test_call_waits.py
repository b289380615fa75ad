"""Unit tests of what actions wait for, on a plain event loop: no Home Assistant."""

from __future__ import annotations

import asyncio

import pytest

from custom_components.hoiio.call_machine import CallStateError
from custom_components.hoiio.call_waits import (
    BlockTicket,
    CallWaits,
    TrackerClosedError,
)
from custom_components.hoiio.notification import parse_notification

NOTHING = {"outcome_waits": 0, "busy_waits": 0, "session_locks": 0}
PLAYED = parse_notification({"session": "S1", "ivr_block": "play"})


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Start no Home Assistant: the waits are tested on their own."""


@pytest.fixture
async def waits() -> CallWaits:
    """Return waits on the running loop."""
    return CallWaits(asyncio.get_running_loop())


async def test_a_ticket_gets_its_block_notification(waits: CallWaits) -> None:
    """The outcome future resolves with the notification, then is forgotten."""
    ticket = BlockTicket("t1", waits.new_outcome("t1"))
    assert waits.counts["outcome_waits"] == 1
    waits.resolve("t1", PLAYED)
    assert await ticket.async_wait(1) is PLAYED
    assert waits.counts == NOTHING
    waits.resolve("t1", PLAYED)
    assert waits.new_outcome(None) is None


async def test_a_wait_ends_in_error_or_cancelled(waits: CallWaits) -> None:
    """A failed wait raises the machine's error; a cancelled one is gone."""
    failed = BlockTicket("t1", waits.new_outcome("t1"))
    cancelled = waits.new_outcome("t2")
    waits.fail("t1", CallStateError("call_ended"))
    waits.fail("t2", None)
    waits.fail("t3", None)
    with pytest.raises(CallStateError):
        await failed.async_wait(1)
    assert cancelled is not None
    assert cancelled.cancelled()
    assert waits.counts == NOTHING
    with pytest.raises(RuntimeError):
        await BlockTicket(None, None).async_wait(1)


async def test_a_wait_times_out_and_leaves_nothing(waits: CallWaits) -> None:
    """Past its timeout a ticket's wait raises TimeoutError and drops its future."""
    ticket = BlockTicket("t1", waits.new_outcome("t1"))
    with pytest.raises(TimeoutError):
        await ticket.async_wait(0)
    await asyncio.sleep(0)
    assert waits.counts == NOTHING


async def test_busy_waits_wake_per_session(waits: CallWaits) -> None:
    """A wake reaches the waits of its session only."""
    first = asyncio.ensure_future(waits.async_next_wake("S1"))
    other = asyncio.ensure_future(waits.async_next_wake("S2"))
    await asyncio.sleep(0)
    assert waits.counts["busy_waits"] == 2
    waits.wake("S1")
    await first
    assert not other.done()
    other.cancel()
    with pytest.raises(asyncio.CancelledError):
        await other
    assert waits.counts == NOTHING


async def test_closing_releases_every_wait(waits: CallWaits) -> None:
    """Outcome waits and busy waits end with TrackerClosedError."""
    ticket = BlockTicket("t1", waits.new_outcome("t1"))
    busy = asyncio.ensure_future(waits.async_next_wake("S1"))
    await asyncio.sleep(0)
    waits.close()
    with pytest.raises(TrackerClosedError):
        await ticket.async_wait(1)
    with pytest.raises(TrackerClosedError):
        await busy
    assert waits.counts == NOTHING


async def test_one_block_of_a_session_at_a_time(waits: CallWaits) -> None:
    """A session's lock lets one request through and is dropped when unused."""
    order: list[str] = []

    async def request(name: str) -> None:
        async with waits.session_lock("S1"):
            order.append(f"{name} in")
            await asyncio.sleep(0)
            order.append(f"{name} out")

    await asyncio.gather(request("a"), request("b"))
    assert order == ["a in", "a out", "b in", "b out"]
    assert waits.counts == NOTHING
