"""Helpers of the tests: actions through Home Assistant, raw simulator requests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.hoiio.const import DEFAULT_BUSY_TIMEOUT, DOMAIN

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory

    from custom_components.hoiio.call_tracker import CallTracker
    from hoiio_simulator import HoiioSimulator

from .const import (
    ACCESS_TOKEN as DEMO_TOKEN,
    APP_ID as DEMO_APP,
    CALLER,
    HOIIO_NUMBER,
    MOBILE as TRANSFER_DEST,
)

__all__ = ["CALLER", "DEMO_APP", "DEMO_TOKEN", "HOIIO_NUMBER", "TRANSFER_DEST"]

# For tests of action input and API answers, where how the simulator puts the
# notification fields changes nothing: run them one way only.
BODY_ONLY = pytest.mark.parametrize("notification_fields", ["body"])


NOTHING_WAITING = {"outcome_waits": 0, "busy_waits": 0, "session_locks": 0}


@dataclass
class SinkPost:
    """One request a notify sink received."""

    path: str
    query: dict[str, str]
    form: dict[str, str]

    def fields(self) -> dict[str, str]:
        """Return the query and form fields merged, the form winning."""
        return {**self.query, **self.form}


@dataclass
class NotifySink:
    """A local notify URL that records the form posts it receives."""

    url: str
    posts: list[SinkPost] = field(default_factory=list)
    status: int = 200

    def blocks(self) -> list[str]:
        """Return the ivr_block of every post, in arrival order."""
        return [post.fields().get("ivr_block", "") for post in self.posts]


async def api(
    simulator: HoiioSimulator,
    path: str,
    *,
    method: str = "POST",
    app_id: str = DEMO_APP,
    access_token: str = DEMO_TOKEN,
    **params: str,
) -> dict[str, Any]:
    """Send one API request (form body for POST, query otherwise); return its JSON."""
    fields = {"app_id": app_id, "access_token": access_token, **params}
    url = simulator.base_url + path
    async with aiohttp.ClientSession() as http:
        if method == "POST":
            response = await http.post(url, data=fields)
        else:
            response = await http.request(method, url, params=fields)
        async with response:
            answer: dict[str, Any] = await response.json()
    return answer


async def incoming(simulator: HoiioSimulator, notify_url: str) -> str:
    """Ring the demo Hoiio number and return the new session."""
    return await simulator.incoming_call(CALLER, HOIIO_NUMBER, notify_url=notify_url)


async def act(
    hass: HomeAssistant, entry: MockConfigEntry, action: str, **data: Any
) -> dict[str, Any]:
    """Call a hoiio action of the entry and return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        action,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response


def last_request(simulator: HoiioSimulator, path: str) -> dict[str, str]:
    """Return the parameters of the last request to an API path."""
    return [r for r in simulator.requests if r.path == path][-1].params


def stored_tracker(
    entry_id: str,
    calls: dict[str, str],
    pending: list[dict[str, str]] | None = None,
    *,
    minor_version: int,
) -> dict[str, Any]:
    """Return a tracker storage file: calls by session and status, started now."""
    now = dt_util.utcnow().timestamp()
    key = f"{DOMAIN}.{entry_id}"
    return {
        "version": 1,
        "minor_version": minor_version,
        "key": key,
        "data": {
            "calls": [
                {"session": session, "status": status, "started": now, "updated": now}
                for session, status in calls.items()
            ],
            "pending": [{"sent": now, **block} for block in pending or []],
            "consumed": [],
        },
    }


async def until(condition: Callable[[], bool], what: str) -> None:
    """Let the event loop run, without a timed sleep, until a condition holds."""
    for _ in range(200_000):
        if condition():
            return
        await asyncio.sleep(0)
    pytest.fail(f"never happened: {what}")


async def outwait_busy_call(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, tracker: CallTracker
) -> None:
    """Let the clock run past the busy wait of an action waiting for a busy call."""
    await until(lambda: tracker.waiting["busy_waits"] == 1, "a busy wait")
    freezer.tick(timedelta(seconds=DEFAULT_BUSY_TIMEOUT + 1))
    async_fire_time_changed(hass)


def call_date(value: Any, since: datetime) -> str:
    """Check an ended call's date (ISO 8601, GMT+8, not before `since`); name it.

    The simulator bills calls at its real clock, so the date changes from run
    to run: snapshots show this name instead.
    """
    assert isinstance(value, str)
    date = datetime.fromisoformat(value)
    assert date.utcoffset() == timedelta(hours=8)
    assert date >= since.replace(microsecond=0)
    return "<date of the call>"
