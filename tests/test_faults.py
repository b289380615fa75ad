"""The integration under the simulator's injected faults.

Every failure must reach the user as a translated error or one logged warning,
leave the calls as they were, and stop once the fault is gone.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
import logging
from pathlib import Path
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.hoiio.api import (
    DEFAULT_TIMEOUT,
    STATUS_TIMEOUT,
    HoiioClient,
    HoiioConnectionError,
)
from custom_components.hoiio.call_machine import CallStatus
from custom_components.hoiio.const import BALANCE_SCAN_INTERVAL, DOMAIN
from custom_components.hoiio.errors import ha_error
from hoiio_simulator import Fault, HoiioSimulator

from .const import ACCESS_TOKEN, APP_ID, MOBILE, WEBHOOK_ID
from .helpers import NOTHING_WAITING, act, outwait_busy_call, until

EXCEPTION_KEYS = frozenset(
    json.loads(
        (
            Path(__file__).parent.parent
            / "custom_components"
            / DOMAIN
            / "translations"
            / "en.json"
        ).read_text(encoding="utf-8")
    )["exceptions"]
)
BALANCE = "sensor.demo_account_balance"
ONGOING = "sensor.demo_account_ongoing_calls"
CURRENT = "sensor.demo_account_current_call"
TRANSFER = "ivr/end/transfer"
PLAY = "ivr/middle/play"
DIAL = "ivr/start/dial"


@pytest.fixture
async def post_webhook(ha_url: str, setup_integration: MockConfigEntry) -> Any:
    """Post a form to the webhook and return the HTTP status."""
    url = f"{ha_url}/api/webhook/{WEBHOOK_ID}"

    async def post(data: dict[str, str], query: str = "") -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(url + query, data=data) as response,
        ):
            return response.status

    return post


def assert_translated(err: HomeAssistantError, key: str | None = None) -> None:
    """The error names a translation of the integration that exists."""
    assert err.translation_domain == DOMAIN
    assert err.translation_key in EXCEPTION_KEYS
    if key is not None:
        assert err.translation_key == key


def assert_idle_and_ongoing(
    entry: MockConfigEntry, session: str, status: CallStatus = CallStatus.ONGOING
) -> None:
    """The call is still in progress, with nothing pending for it."""
    tracker = entry.runtime_data.tracker
    call = tracker.get(session)
    assert call is not None
    assert call.status is status
    assert not call.busy
    assert not call.on_hold
    assert tracker.as_dict()["pending"] == []


def warnings_with(caplog: pytest.LogCaptureFixture, text: str) -> int:
    """Count warnings of the integration's logger containing a text."""
    return sum(
        1
        for record in caplog.records
        if record.name.startswith("custom_components.hoiio")
        and record.levelno == logging.WARNING
        and text in record.getMessage()
    )


# The client alone: a timeout needs a short client timeout.


async def test_client_timeout_is_a_connection_error(simulator: HoiioSimulator) -> None:
    """An answer slower than the client's timeout is a translated connection error."""
    simulator.add_fault(Fault("latency", path="user/get_balance", value=5.0, count=1))
    async with aiohttp.ClientSession() as http:
        client = HoiioClient(
            http, APP_ID, ACCESS_TOKEN, base_url=simulator.base_url, timeout=0.2
        )
        with pytest.raises(HoiioConnectionError) as err:
            await client.get_balance()
        assert err.value.status == STATUS_TIMEOUT
        assert_translated(ha_error(err.value), "cannot_connect")
        assert (await client.get_balance()).currency == "SGD"


async def test_latency_fault_applies_after_a_restart(simulator: HoiioSimulator) -> None:
    """A simulator started again still delays answers as told."""
    port = int(simulator.url.rsplit(":", 1)[1])
    await simulator.stop()
    await simulator.start(port=port)
    simulator.add_fault(Fault("latency", path="user/get_balance", value=1.0, count=1))
    async with aiohttp.ClientSession() as http:
        client = HoiioClient(
            http, APP_ID, ACCESS_TOKEN, base_url=simulator.base_url, timeout=0.2
        )
        with pytest.raises(HoiioConnectionError):
            await client.get_balance()


# Actions under API faults


@pytest.mark.parametrize(
    ("fault", "error", "key"),
    [
        (
            Fault(
                "http_500",
                path=TRANSFER,
                count=1,
                value='{"status": "error_internal_server_error"}',
            ),
            HomeAssistantError,
            "api_internal_server_error",
        ),
        (
            Fault("status", path=TRANSFER, count=1, value="error_rate_limit_exceeded"),
            HomeAssistantError,
            "api_rate_limit_exceeded",
        ),
        (
            Fault("status", path=TRANSFER, count=1, value="error_session_not_ready"),
            ServiceValidationError,
            "api_session_not_ready",
        ),
    ],
    ids=["http_500_json", "rate", "busy"],
)
async def test_failed_transfer_keeps_the_call_and_the_next_works(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    hoiio_events: list[Event],
    fault: Fault,
    error: type[HomeAssistantError],
    key: str | None,
) -> None:
    """A failed transfer is a translated error; the call is intact and usable."""
    tracker = setup_integration.runtime_data.tracker
    before = tracker.as_dict()
    simulator.add_fault(fault)
    with pytest.raises(error) as err:
        await act(hass, setup_integration, "transfer", session=session, dest=MOBILE)
    assert type(err.value) is error
    assert_translated(err.value, key)
    await hass.async_block_till_done()
    assert tracker.as_dict() == before
    # No block reached the call: it still rings.
    assert_idle_and_ongoing(setup_integration, session, CallStatus.RINGING)
    assert hass.states.get(ONGOING).state == "1"
    assert simulator.faults == []
    response = await act(
        hass, setup_integration, "transfer", session=session, dest=MOBILE, wait=True
    )
    assert response["transfer_status"] == "answered"
    assert tracker.get(session).ended
    assert [e.data["ivr_block"] for e in hoiio_events] == ["transfer"]


@pytest.mark.parametrize(
    "fault",
    [
        Fault("http_500", path=TRANSFER, count=1),
        Fault("non_json", path=TRANSFER, count=1),
        Fault("reset", path=TRANSFER, count=1),
        Fault("body", path=TRANSFER, count=1, value="[1, 2]"),
    ],
    ids=["http_500", "non_json", "reset", "body"],
)
async def test_transfer_without_an_answer_is_kept_until_the_busy_wait_runs_out(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    hoiio_events: list[Event],
    fault: Fault,
) -> None:
    """No answer with a status: the transfer may have run, so it stays pending.

    Here the service did not run it: once the busy wait has run out the next
    transfer is sent anyway and replaces it.
    """
    tracker = setup_integration.runtime_data.tracker
    simulator.add_fault(fault)
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, setup_integration, "transfer", session=session, dest=MOBILE)
    assert type(err.value) is HomeAssistantError
    assert_translated(err.value, "outcome_unknown")
    [pending] = tracker.as_dict()["pending"]
    assert (pending["block"], pending["target"], pending["unconfirmed"]) == (
        "transfer",
        MOBILE,
        True,
    )
    assert tracker.get(session).busy
    retry = hass.async_create_task(
        act(hass, setup_integration, "transfer", session=session, dest=MOBILE)
    )
    await outwait_busy_call(hass, freezer, tracker)
    assert len([r for r in simulator.requests if r.path == TRANSFER]) == 1
    assert (await retry)["status"] == "success_ok"
    await simulator.settle()
    await hass.async_block_till_done()
    assert tracker.get(session).ended
    assert tracker.as_dict()["pending"] == []
    assert tracker.waiting == NOTHING_WAITING
    [event] = hoiio_events
    assert (event.data["ivr_block"], event.data["transfer_target"]) == (
        "transfer",
        MOBILE,
    )


async def test_transfer_that_ran_without_an_answer_is_applied_on_notification(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    hoiio_events: list[Event],
) -> None:
    """The service ran the transfer but its answer was lost: its notification counts."""
    simulator.config.manual_blocks = True
    simulator.add_fault(Fault("lose_answer", path=TRANSFER, count=1))
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, setup_integration, "transfer", session=session, dest=MOBILE)
    assert_translated(err.value, "outcome_unknown")
    assert err.value.translation_placeholders["status"] == "client_connection_lost"
    assert simulator.sessions[session].block == "transfer"
    tracker = setup_integration.runtime_data.tracker
    assert tracker.get(session).busy
    balance_reads = sum(r.path == "user/get_balance" for r in simulator.requests)
    await simulator.complete_block(session)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [n.http_status for n in simulator.notifications][-1] == 200
    [event] = hoiio_events
    assert event.data["ivr_block"] == "transfer"
    assert event.data["transfer_target"] == MOBILE
    assert event.data["call_state"] == "ended"
    assert tracker.get(session).ended
    assert hass.states.get(ONGOING).state == "0"
    assert sum(r.path == "user/get_balance" for r in simulator.requests) == (
        balance_reads + 1
    )
    assert tracker.waiting == NOTHING_WAITING


async def test_dial_that_ran_without_an_answer_is_tracked_on_notification(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    hoiio_events: list[Event],
) -> None:
    """A dial whose answer was lost: the user is told it may have gone out."""
    simulator.config.manual_blocks = True
    simulator.add_fault(Fault("lose_answer", path=DIAL, count=1))
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, setup_integration, "dial", dest=MOBILE, wait=True)
    assert_translated(err.value, "outcome_unknown")
    tracker = setup_integration.runtime_data.tracker
    [pending] = tracker.as_dict()["pending"]
    assert (pending["block"], pending["session"], pending["unconfirmed"]) == (
        "dial",
        None,
        True,
    )
    [session] = simulator.sessions
    await simulator.complete_block(session)
    await hass.async_block_till_done()
    assert [e.data["ivr_block"] for e in hoiio_events] == ["dial"]
    call = tracker.get(session)
    assert call is not None
    assert (call.status, call.dest, call.busy) == (CallStatus.ONGOING, MOBILE, False)
    assert tracker.as_dict()["pending"] == []
    assert tracker.waiting == NOTHING_WAITING


async def test_answer_later_than_the_timeout_after_the_notification(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    hoiio_events: list[Event],
) -> None:
    """The block notified, then its answer timed out: the call is not left busy."""
    simulator.add_fault(Fault("slow_answer", path=PLAY, value=60.0, count=1))
    action = hass.async_create_task(
        act(hass, setup_integration, "play", session=session, msg="Hi")
    )
    await until(lambda: bool(hoiio_events), "the play notification")
    freezer.tick(timedelta(seconds=DEFAULT_TIMEOUT + 1))
    async_fire_time_changed(hass)
    with pytest.raises(HomeAssistantError) as err:
        await action
    assert_translated(err.value, "outcome_unknown")
    assert err.value.translation_placeholders["status"] == STATUS_TIMEOUT
    assert [e.data["ivr_block"] for e in hoiio_events] == ["play"]
    assert_idle_and_ongoing(setup_integration, session)
    assert setup_integration.runtime_data.tracker.waiting == NOTHING_WAITING


async def test_cancelled_action_keeps_its_block_for_the_notification(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    hoiio_events: list[Event],
) -> None:
    """An action cancelled while its request is out: the block may still run."""
    simulator.add_fault(Fault("latency", path=PLAY, value=5.0, count=1))
    action = hass.async_create_task(
        act(hass, setup_integration, "play", session=session, msg="Hi")
    )
    # Once its parameters are read, the request waits out its latency.
    await until(
        lambda: any(r.path == PLAY and r.params for r in simulator.requests), "a play"
    )
    action.cancel()
    with pytest.raises(asyncio.CancelledError):
        await action
    freezer.tick(timedelta(seconds=6))
    async_fire_time_changed(hass)
    await until(lambda: bool(hoiio_events), "the play notification")
    await hass.async_block_till_done()
    assert [n.http_status for n in simulator.notifications][-1] == 200
    assert [e.data["ivr_block"] for e in hoiio_events] == ["play"]
    assert_idle_and_ongoing(setup_integration, session)


async def test_notification_that_overtakes_its_answer_is_kept(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    hoiio_events: list[Event],
) -> None:
    """A failed transfer notifies before its slow answer; the answer undoes nothing."""
    simulator.set_transfer_outcome("failed")
    simulator.add_fault(Fault("slow_answer", path=TRANSFER, value=5.0, count=1))
    action = hass.async_create_task(
        act(
            hass,
            setup_integration,
            "transfer",
            session=session,
            dest=MOBILE,
            on_failure="continue",
        )
    )
    await until(lambda: bool(hoiio_events), "the transfer notification")
    assert not action.done()
    freezer.tick(timedelta(seconds=6))
    async_fire_time_changed(hass)
    assert (await action)["status"] == "success_ok"
    await hass.async_block_till_done()
    [event] = hoiio_events
    assert event.data["transfer_status"] == "failed"
    assert event.data["transfer_target"] == MOBILE
    call = setup_integration.runtime_data.tracker.get(session)
    assert call is not None
    assert (call.last_block, call.last_outcome, call.transfer_target) == (
        "transfer",
        "failed",
        MOBILE,
    )
    assert hass.states.get(CURRENT).attributes["last_outcome"] == "failed"
    assert_idle_and_ongoing(setup_integration, session)


async def test_connection_refused_then_back(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """With the service down, actions say so; once it is back, they work again."""
    port = int(simulator.url.rsplit(":", 1)[1])
    await simulator.stop()
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, setup_integration, "play", session=session, msg="Hi")
    assert type(err.value) is HomeAssistantError
    assert_translated(err.value, "cannot_connect")
    assert err.value.translation_placeholders["status"] == "client_connection_error"
    assert_idle_and_ongoing(setup_integration, session, CallStatus.RINGING)
    await simulator.start(port=port)
    response = await act(
        hass, setup_integration, "play", session=session, msg="Hi", wait=True
    )
    assert response["ivr_block"] == "play"
    assert_idle_and_ongoing(setup_integration, session)


async def test_small_latency_is_only_slower(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """A latency well inside the client's timeout changes nothing."""
    simulator.add_fault(Fault("latency", path=PLAY, value=0.05, count=1))
    response = await act(
        hass, setup_integration, "play", session=session, msg="Hi", wait=True
    )
    assert response["status"] == "success_ok"
    assert simulator.requests[-1].path == PLAY
    assert_idle_and_ongoing(setup_integration, session)


# Lost, repeated, unknown and late notifications


async def test_dropped_notification_ends_the_wait_and_force_still_works(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """A wait for a lost notification times out; the call stays busy, not lost."""
    simulator.add_fault(Fault("drop_notification", block="play", count=1))
    with pytest.raises(HomeAssistantError) as err:
        await act(
            hass,
            setup_integration,
            "play",
            session=session,
            msg="Hi",
            wait=True,
            wait_timeout=1,
        )
    assert type(err.value) is HomeAssistantError
    assert_translated(err.value, "wait_timeout")
    tracker = setup_integration.runtime_data.tracker
    call = tracker.get(session)
    assert call is not None
    assert call.status is CallStatus.ONGOING
    assert call.pending_block == "play"
    await act(hass, setup_integration, "hangup", session=session, force=True)
    await simulator.settle()
    await hass.async_block_till_done()
    assert tracker.get(session).ended
    assert tracker.as_dict()["pending"] == []
    assert hass.states.get(ONGOING).state == "0"


async def test_duplicated_notification_counts_once(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    hoiio_events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A notification delivered twice is acknowledged twice and applied once."""
    simulator.add_fault(Fault("duplicate_notification", block="play", count=1))
    response = await act(
        hass, setup_integration, "play", session=session, msg="Hi", wait=True
    )
    assert response["ivr_block"] == "play"
    await simulator.settle()
    await hass.async_block_till_done()
    plays = [n for n in simulator.notifications if n.data["ivr_block"] == "play"]
    assert [n.http_status for n in plays] == [200, 200]
    assert [e.data["ivr_block"] for e in hoiio_events] == ["play"]
    assert_idle_and_ongoing(setup_integration, session)
    assert warnings_with(caplog, "") == 0


async def test_notifications_of_unknown_sessions_warn_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: Any,
    hoiio_events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Calls first seen mid-way are tracked; the warning comes once."""
    for number in range(3):
        data = {"ivr_block": "play", "session": f"U{number}", "call_state": "ongoing"}
        assert await post_webhook(data) == 200
    await hass.async_block_till_done()
    assert warnings_with(caplog, "first seen in a play notification") == 1
    assert len(hoiio_events) == 3
    assert hass.states.get(ONGOING).state == "3"


async def test_late_notifications_never_revive_a_call(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Out of order: an ongoing notification after the end leaves the call ended."""
    answer = {"ivr_block": "answer", "session": "L1", "call_state": "ongoing"}
    assert await post_webhook(answer) == 200
    ended = {
        "ivr_block": "hangup",
        "session": "L1",
        "call_state": "ended",
        "txn_ref": "T9",
        "date": "2026-11-25 10:00:00",
        "duration": "1",
        "currency": "SGD",
        "rate": "0.05",
        "debit": "0.05",
    }
    assert await post_webhook(ended) == 200
    tracker = setup_integration.runtime_data.tracker
    after_end = tracker.as_dict()
    for txn_ref in ("T1", "T2", "T3"):
        late = {
            "ivr_block": "play",
            "session": "L1",
            "call_state": "ongoing",
            "txn_ref": txn_ref,
        }
        assert await post_webhook(late) == 200
    await hass.async_block_till_done()
    call = tracker.get("L1")
    assert call is not None
    assert call.ended
    assert call.cost["debit"] == 0.05
    assert tracker.as_dict() == after_end
    assert hass.states.get(ONGOING).state == "0"
    assert warnings_with(caplog, "after its call had ended") == 1


async def test_malformed_and_forged_posts_warn_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    post_webhook: Any,
    hoiio_events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same bad post three times: 4xx each time, one warning per kind."""
    tracker = setup_integration.runtime_data.tracker
    before = tracker.as_dict()
    for _ in range(3):
        assert await post_webhook({"ivr_block": "answer", "session": ""}) == 400
        forged = {"ivr_block": "answer", "session": "F1"}
        assert await post_webhook(forged, query="?ha_ref=not-ours") == 403
    await hass.async_block_till_done()
    assert warnings_with(caplog, "Rejected a notification:") == 1
    assert warnings_with(caplog, "token does not match") == 1
    assert hoiio_events == []
    assert tracker.as_dict() == before


# Entities that depend on the API


@pytest.mark.parametrize(
    "fault",
    [
        Fault("reset", path="user/get_balance"),
        Fault("non_json", path="user/get_balance"),
        Fault("status", path="user/get_balance", value="error_rate_limit_exceeded"),
    ],
    ids=["reset", "non_json", "rate_limited"],
)
async def test_balance_unavailable_while_failing_then_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    fault: Fault,
) -> None:
    """The balance goes unavailable on failures (logged once) and comes back."""
    simulator.add_fault(fault)
    for _ in range(3):
        freezer.tick(BALANCE_SCAN_INTERVAL + timedelta(seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert hass.states.get(BALANCE).state == STATE_UNAVAILABLE
    errors = [
        r for r in caplog.records if "Error fetching hoiio balance" in r.getMessage()
    ]
    assert len(errors) == 1
    simulator.clear_faults()
    freezer.tick(BALANCE_SCAN_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(BALANCE).state == "100.000"


async def test_balance_unavailable_while_service_down(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
) -> None:
    """A stopped service makes the balance unavailable until it is back."""
    port = int(simulator.url.rsplit(":", 1)[1])
    await simulator.stop()
    freezer.tick(BALANCE_SCAN_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(BALANCE).state == STATE_UNAVAILABLE
    await simulator.start(port=port)
    freezer.tick(BALANCE_SCAN_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(BALANCE).state == "100.000"


# Waits pending while the entry goes away


async def test_pending_waits_end_when_the_entry_unloads(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """A wait for an outcome and a block queued behind it both end translated."""
    simulator.config.manual_blocks = True
    waiting = hass.async_create_task(
        act(hass, setup_integration, "play", session=session, msg="Hi", wait=True)
    )
    for _ in range(200):
        if [r for r in simulator.requests if r.path == PLAY]:
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("the play request never reached the simulator")
    queued = hass.async_create_task(
        act(hass, setup_integration, "play", session=session, msg="Next")
    )
    await asyncio.sleep(0.05)
    assert not waiting.done()
    assert not queued.done()
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    for task in (waiting, queued):
        with pytest.raises(HomeAssistantError) as err:
            await task
        assert type(err.value) is HomeAssistantError
        assert_translated(err.value, "entry_unloaded")
    assert len([r for r in simulator.requests if r.path == PLAY]) == 1
    await simulator.complete_block(session)
