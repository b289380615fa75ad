"""Tests of the call tracker: state, tokens, persistence and bounds."""

from __future__ import annotations

from datetime import timedelta
import json
import logging
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.hoiio.call_machine import MAX_ENDED, MAX_ONGOING
from custom_components.hoiio.call_tracker import PRUNE_INTERVAL, SAVE_DELAY
from custom_components.hoiio.const import (
    DEFAULT_STALE_AFTER_HOURS,
    DOMAIN,
)
from custom_components.hoiio.webhook_handler import NotificationWebhook
from hoiio_simulator import Fault, HoiioSimulator

from .const import CALLER, HOIIO_NUMBER, WEBHOOK_ID
from .helpers import (
    BODY_ONLY,
    NOTHING_WAITING,
    act,
    outwait_busy_call,
    stored_tracker,
    until,
)

CURRENT = "sensor.demo_account_current_call"
ONGOING = "sensor.demo_account_ongoing_calls"
PLAY = "ivr/middle/play"


async def post_form(url: str, data: dict[str, str]) -> int:
    """Post a form to a URL and return the HTTP status."""
    async with aiohttp.ClientSession() as session, session.post(url, data=data) as resp:
        return resp.status


async def test_restart_keeps_the_call(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """A held call survives a restart of the entry from its stored state."""
    await act(hass, setup_integration, "hold", session=session)
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    stored = hass_storage[f"{DOMAIN}.{setup_integration.entry_id}"]
    assert stored["version"] == 1
    assert [call["session"] for call in stored["data"]["calls"]] == [session]

    assert await hass.config_entries.async_setup(setup_integration.entry_id)
    await hass.async_block_till_done()
    current = hass.states.get(CURRENT)
    assert current.state == "on_hold"
    assert current.attributes["session"] == session
    assert current.attributes["from"] == CALLER
    assert hass.states.get(ONGOING).state == "1"
    response = await act(hass, setup_integration, "unhold", wait=True)
    assert response["ivr_block"] == "unhold"
    assert hass.states.get(CURRENT).state == "ongoing"


async def test_restored_from_storage_written_before_start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    ha_url: str,
    config_entry: MockConfigEntry,
) -> None:
    """The tracker reads the file a previous run left behind."""
    config_entry.add_to_hass(hass)
    now = 4102444800.0
    hass_storage[f"{DOMAIN}.{config_entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{config_entry.entry_id}",
        "data": {
            "calls": [
                {
                    "session": "S1",
                    "status": "ongoing",
                    "started": now,
                    "updated": now,
                    "caller": CALLER,
                    "on_hold": True,
                },
                {"session": "broken"},
            ],
            "pending": [{"token": "t1", "block": "play", "session": "S1", "sent": now}],
            "consumed": ["t0"],
        },
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "homeassistant.util.dt.utcnow",
            lambda: __import__("datetime").datetime.fromtimestamp(
                now, tz=__import__("datetime").UTC
            ),
        )
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
        tracker = config_entry.runtime_data.tracker
        call = tracker.get("S1")
        assert call is not None
        assert call.on_hold
        assert tracker.size == (1, 0, 1)


async def test_forged_notifications_are_rejected(
    hass: HomeAssistant,
    ha_url: str,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    hoiio_events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """While a block of ours runs, only its token can finish it."""
    simulator.config.manual_blocks = True
    await act(hass, setup_integration, "play", session=session, msg="Hello")
    url = f"{ha_url}/api/webhook/{WEBHOOK_ID}"
    forged = {"ivr_block": "play", "session": session, "call_state": "ended"}
    caplog.set_level(logging.WARNING)
    assert await post_form(url, forged) == 403
    assert await post_form(f"{url}?ha_ref=guessed", forged) == 403
    assert hoiio_events == []
    assert hass.states.get(ONGOING).state == "1"
    assert caplog.text.count("does not match a request") == 1
    await simulator.complete_block(session)
    await hass.async_block_till_done()
    assert [e.data["ivr_block"] for e in hoiio_events] == ["play"]


async def test_duplicated_notification_counts_once(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    hoiio_events: list[Event],
) -> None:
    """A notification the service posts twice is applied once."""
    simulator.add_fault(Fault(kind="duplicate_notification", block="play"))
    await act(hass, setup_integration, "play", session=session, msg="Hi")
    await simulator.settle()
    await hass.async_block_till_done()
    assert [e.data["ivr_block"] for e in hoiio_events] == ["play"]
    assert (
        len([n for n in simulator.notifications if n.data["ivr_block"] == "play"]) == 2
    )


async def test_lost_notification_holds_the_next_block_only_for_the_busy_wait(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    hoiio_events: list[Event],
) -> None:
    """The next block waits for a lost notification, then goes out and supersedes it."""
    tracker = setup_integration.runtime_data.tracker
    simulator.add_fault(Fault(kind="drop_notification", block="play", count=1))
    await act(hass, setup_integration, "play", session=session, msg="Hi")
    await simulator.settle()
    stale_token = tracker.get(session).pending_token
    assert stale_token is not None
    action = hass.async_create_task(
        act(hass, setup_integration, "play", session=session, msg="Again", wait=True)
    )
    await outwait_busy_call(hass, freezer, tracker)
    assert len([r for r in simulator.requests if r.path == PLAY]) == 1
    response = await action
    assert (response["status"], response["ivr_block"]) == ("success_ok", "play")
    assert last_play_status(simulator) == "success_ok"
    assert [e.data["ivr_block"] for e in hoiio_events] == ["play"]
    call = tracker.get(session)
    assert call is not None
    assert not call.busy
    assert call.status == "ongoing"
    assert tracker.waiting == NOTHING_WAITING


async def test_block_sent_after_the_busy_wait_to_a_busy_call_is_still_busy(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    hoiio_events: list[Event],
) -> None:
    """When the service says the call is not ready, the user reads "still busy"."""
    simulator.config.manual_blocks = True
    tracker = setup_integration.runtime_data.tracker
    await act(hass, setup_integration, "play", session=session, msg="Hi")
    running_token = tracker.get(session).pending_token
    action = hass.async_create_task(
        act(hass, setup_integration, "play", session=session, msg="Again")
    )
    await outwait_busy_call(hass, freezer, tracker)
    with pytest.raises(ServiceValidationError) as err:
        await action
    assert err.value.translation_key == "session_busy"
    assert err.value.translation_placeholders["session"] == session
    assert last_play_status(simulator) == "error_session_not_ready"
    assert tracker.get(session).pending_token == running_token
    await simulator.complete_block(session)
    await hass.async_block_till_done()
    assert [e.data["ivr_block"] for e in hoiio_events] == ["play"]
    assert not tracker.get(session).busy
    assert tracker.waiting == NOTHING_WAITING


def last_play_status(simulator: HoiioSimulator) -> str | None:
    """Return how the simulator answered the last play request."""
    return [r for r in simulator.requests if r.path == PLAY][-1].status


async def test_waits_and_locks_are_released(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """A wait that timed out, a request for an unknown call and pruning keep nothing."""
    tracker = setup_integration.runtime_data.tracker
    simulator.add_fault(Fault(kind="drop_notification", block="play", count=1))
    action = hass.async_create_task(
        act(
            hass,
            setup_integration,
            "play",
            session=session,
            msg="Hi",
            wait=True,
            wait_timeout=5,
        )
    )
    # The answer is applied just before the wait for the notification starts.
    await until(lambda: tracker.get(session).last_block == "play", "the answer")
    assert tracker.waiting["outcome_waits"] == 1
    freezer.tick(timedelta(seconds=6))
    async_fire_time_changed(hass)
    with pytest.raises(HomeAssistantError) as err:
        await action
    assert err.value.translation_key == "wait_timeout"
    await hass.async_block_till_done()
    assert tracker.waiting == NOTHING_WAITING
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, setup_integration, "play", session="S9999", msg="Hi")
    assert err.value.translation_key == "api_invalid_session"
    assert tracker.waiting == NOTHING_WAITING
    assert tracker.size == (1, 0, 1)
    freezer.tick(timedelta(hours=DEFAULT_STALE_AFTER_HOURS) + PRUNE_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert tracker.get(session).end_reason == "stale"
    assert tracker.size == (0, 1, 0)
    assert tracker.waiting == NOTHING_WAITING


async def test_pruning_that_changes_nothing_writes_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """Pruning saves the calls and updates the sensors only when a call changed."""
    key = f"{DOMAIN}.{setup_integration.entry_id}"
    signals: list[None] = []

    @callback
    def count() -> None:
        signals.append(None)

    setup_integration.async_on_unload(
        setup_integration.runtime_data.tracker.async_add_listener(count)
    )

    async def run_prune() -> None:
        freezer.tick(PRUNE_INTERVAL)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        freezer.tick(timedelta(seconds=SAVE_DELAY + 1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()

    await run_prune()
    stored = hass_storage[key]
    signals.clear()
    for _ in range(3):
        await run_prune()
    assert signals == []
    assert hass_storage[key] is stored
    freezer.tick(timedelta(hours=DEFAULT_STALE_AFTER_HOURS))
    await run_prune()
    assert len(signals) == 1
    assert hass_storage[key] is not stored
    assert hass_storage[key]["data"]["calls"][0]["end_reason"] == "stale"


async def test_silent_calls_count_as_ended(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """An ongoing call with no notification for hours is considered ended."""
    assert hass.states.get(ONGOING).state == "1"
    tracker = setup_integration.runtime_data.tracker
    freezer.tick(timedelta(hours=5, minutes=56))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(ONGOING).state == "1"
    freezer.tick(timedelta(minutes=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(ONGOING).state == "0"
    assert hass.states.get(CURRENT).state == "idle"
    call = tracker.get(session)
    assert call is not None
    assert call.end_reason == "stale"


async def test_late_and_unknown_notifications(
    hass: HomeAssistant,
    ha_url: str,
    setup_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unknown sessions are tracked; an ended call is never brought back."""
    url = f"{ha_url}/api/webhook/{WEBHOOK_ID}"
    assert (
        await post_form(
            url, {"ivr_block": "play", "session": "S9", "call_state": "ongoing"}
        )
        == 200
    )
    assert hass.states.get(ONGOING).state == "1"
    assert "first seen in a play notification" in caplog.text
    ended = {
        "ivr_block": "hangup",
        "session": "S9",
        "call_state": "ended",
        "txn_ref": "T2",
    }
    assert await post_form(url, ended) == 200
    late = {
        "ivr_block": "play",
        "session": "S9",
        "call_state": "ongoing",
        "txn_ref": "T1",
    }
    assert await post_form(url, late) == 200
    assert hass.states.get(ONGOING).state == "0"
    assert setup_integration.runtime_data.tracker.get("S9").ended
    assert "after its call had ended" in caplog.text


async def test_removing_the_entry_deletes_its_storage(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """Removing an entry deletes the file of its calls."""
    key = f"{DOMAIN}.{setup_integration.entry_id}"
    await hass.config_entries.async_unload(setup_integration.entry_id)
    assert key in hass_storage
    await hass.config_entries.async_remove(setup_integration.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


BLOCKS = ("play", "gather", "record", "play", "gather", "play", "record", "play")


@BODY_ONLY
async def test_many_notifications_stay_bounded(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """100,000 notifications over 10,000 sessions leave the tracker bounded."""
    handler = NotificationWebhook(hass, setup_integration)
    tracker = setup_integration.runtime_data.tracker
    sessions, per_session, concurrent = 10_000, 10, 8
    sizes = []
    for first in range(0, sessions, concurrent):
        batch = [f"S{number}" for number in range(first, first + concurrent)]
        for session in batch:
            await handler.async_handle_fields(
                {
                    "ivr_block": "answer",
                    "session": session,
                    "from": CALLER,
                    "to": HOIIO_NUMBER,
                    "call_state": "ongoing",
                },
                None,
            )
        for step, block in enumerate(BLOCKS):
            for session in batch:
                await handler.async_handle_fields(
                    {
                        "ivr_block": block,
                        "session": session,
                        "call_state": "ongoing",
                        "txn_ref": f"T{step}",
                    },
                    None,
                )
        for session in batch:
            await handler.async_handle_fields(
                {
                    "ivr_block": "hangup",
                    "session": session,
                    "call_state": "ended",
                    "txn_ref": "TE",
                    "date": "2026-11-25 10:00:00",
                    "duration": "1",
                    "currency": "SGD",
                    "rate": "0.05",
                    "debit": "0.05",
                },
                None,
            )
        if first % 2000 == 0:
            sizes.append(len(json.dumps(tracker.as_dict())))
    await hass.async_block_till_done()
    stored = len(json.dumps(tracker.as_dict()))
    ongoing, ended, pending = tracker.size
    with capsys.disabled():
        print(  # noqa: T201
            f"\n100,000 notifications / 10,000 sessions: tracker keeps {ongoing} ongoing,"
            f" {ended} ended, {pending} pending; stored JSON {stored} bytes"
            f" (samples along the way: {sizes})"
        )
    assert sessions * per_session == 100_000
    assert ongoing == 0
    assert ended == MAX_ENDED
    assert pending == 0
    assert max(sizes[1:]) <= sizes[-1] * 1.1
    assert stored < 100_000
    assert MAX_ONGOING >= 8


async def test_calls_unknown_to_the_tracker_are_learnt_from_actions(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    notify_sink,  # type: ignore[no-untyped-def]
) -> None:
    """A call answered elsewhere becomes known once an action succeeds on it."""
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER, notify_sink.url)
    tracker = setup_integration.runtime_data.tracker
    assert tracker.get(session) is None
    await act(hass, setup_integration, "hold", session=session)
    call = tracker.get(session)
    assert call is not None
    assert call.on_hold
    assert hass.states.get(CURRENT).state == "on_hold"


async def test_service_answers_correct_the_tracker(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """An ended session reported by the service is ended in the tracker too."""
    simulator.add_fault(
        Fault(kind="status", value="error_session_ended", path="ivr/middle/play")
    )
    with pytest.raises(ServiceValidationError):
        await act(hass, setup_integration, "play", session=session, msg="Hi")
    assert setup_integration.runtime_data.tracker.get(session).ended
    assert hass.states.get(ONGOING).state == "0"


async def test_token_of_another_session_is_rejected(
    hass: HomeAssistant,
    ha_url: str,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """A real token replayed for a different session does not count."""
    simulator.config.manual_blocks = True
    await act(hass, setup_integration, "play", session=session, msg="Hello")
    token = setup_integration.runtime_data.tracker.get(session).pending_token
    url = f"{ha_url}/api/webhook/{WEBHOOK_ID}?ha_ref={token}"
    assert await post_form(url, {"ivr_block": "play", "session": "S-other"}) == 403
    await simulator.complete_block(session)


async def test_old_ended_calls_are_forgotten_and_crowds_evicted(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: MockConfigEntry,
) -> None:
    """Ended calls go after a day; the oldest ongoing calls give way to new ones."""
    handler = NotificationWebhook(hass, setup_integration)
    tracker = setup_integration.runtime_data.tracker
    for number in range(MAX_ONGOING + 5):
        await handler.async_handle_fields(
            {"ivr_block": "answer", "session": f"S{number}", "call_state": "ongoing"},
            None,
        )
    assert tracker.size == (MAX_ONGOING, 5, 0)
    assert tracker.get("S0").end_reason == "evicted"
    assert tracker.current_call().session == f"S{MAX_ONGOING + 4}"
    freezer.tick(timedelta(hours=25))
    tracker.async_prune()
    assert tracker.size == (0, MAX_ENDED, 0)
    freezer.tick(timedelta(hours=25))
    tracker.async_prune()
    assert tracker.size == (0, 0, 0)


async def test_stored_data_of_an_older_minor_version_loads(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    ha_url: str,
    config_entry: MockConfigEntry,
) -> None:
    """Storage written by an earlier minor version is read as it is."""
    config_entry.add_to_hass(hass)
    hass_storage[f"{DOMAIN}.{config_entry.entry_id}"] = {
        "version": 1,
        "minor_version": 0,
        "key": f"{DOMAIN}.{config_entry.entry_id}",
        "data": {"calls": [], "pending": [{"unexpected": True}], "consumed": []},
    }
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.runtime_data.tracker.size == (0, 0, 0)


async def test_ringing_calls_are_stored_and_older_storage_loads(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: HoiioSimulator,
    ha_url: str,
    config_entry: MockConfigEntry,
) -> None:
    """A 1.1 file (no ringing status) loads; a ringing call survives a restart."""
    config_entry.add_to_hass(hass)
    key = f"{DOMAIN}.{config_entry.entry_id}"
    hass_storage[key] = stored_tracker(
        config_entry.entry_id, {"S1": "ongoing", "S2": "dialing"}, minor_version=1
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    tracker = config_entry.runtime_data.tracker
    assert [tracker.get(s).status for s in ("S1", "S2")] == ["ongoing", "dialing"]
    simulator.set_number_notify_url(HOIIO_NUMBER, f"{ha_url}/api/webhook/{WEBHOOK_ID}")
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    stored = hass_storage[key]
    assert (stored["version"], stored["minor_version"]) == (1, 3)
    statuses = {call["session"]: call["status"] for call in stored["data"]["calls"]}
    assert statuses == {"S1": "ongoing", "S2": "dialing", session: "ringing"}
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(CURRENT).state == "ringing"
    assert hass.states.get(CURRENT).attributes["session"] == session
    assert hass.states.get(ONGOING).state == "2"
