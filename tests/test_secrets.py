"""Secrets never reach our logs or diagnostics, whatever the scenario.

The access token goes to the simulator in every request by design; what is
checked is what the integration and the simulator log (every record of their
loggers, at DEBUG, with tracebacks) and what diagnostics show. Home Assistant's
own webhook component logs webhook ids at debug level, so only our loggers count.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
import json
import logging
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.hoiio.const import (
    CONF_ADVANCED,
    CONF_API_URL,
    CONF_APP_ID,
    DEFAULT_BUSY_TIMEOUT,
    DOMAIN,
    NOTIFY_TOKEN_PARAM,
)
from hoiio_simulator import Fault, HoiioSimulator

from .const import ACCESS_TOKEN, APP_ID, CALLER, HOIIO_NUMBER, MOBILE

OUR_LOGGERS = ("custom_components.hoiio", "hoiio_simulator")
FORMAT = logging.Formatter("%(name)s %(levelname)s %(message)s")


class Capture(logging.Handler):
    """Keep every record of our loggers."""

    def __init__(self) -> None:
        """Start empty, at DEBUG."""
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record."""
        self.records.append(record)

    def ours(self) -> list[logging.LogRecord]:
        """Return the records of the integration's and the simulator's loggers."""
        return [r for r in self.records if r.name.startswith(OUR_LOGGERS)]


@pytest.fixture
def captured() -> Iterator[Capture]:
    """Capture our loggers at DEBUG for the whole test."""
    capture = Capture()
    loggers = [logging.getLogger(name) for name in OUR_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(capture)
        logger.setLevel(logging.DEBUG)
    yield capture
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(capture)
        logger.setLevel(level)


def record_text(record: logging.LogRecord) -> str:
    """Return everything a log handler could write for a record."""
    text = FORMAT.format(record)
    return f"{text}\n{record.msg!r}\n{record.args!r}"


def leaks(texts: list[str], secrets: list[str]) -> list[str]:
    """Return each text that contains one of the secrets."""
    return [text for text in texts if any(secret in text for secret in secrets)]


def request_tokens(simulator: HoiioSimulator) -> list[str]:
    """Return the per-request tokens sent in notify URLs."""
    tokens = []
    for request in simulator.requests:
        url = request.params.get("notify_url")
        if url:
            query = dict(parse_qsl(urlsplit(url).query))
            if NOTIFY_TOKEN_PARAM in query:
                tokens.append(query[NOTIFY_TOKEN_PARAM])
    return tokens


# The checker catches what it must catch


def test_checker_catches_a_logged_secret(captured: Capture) -> None:
    """A secret in a message, an argument or a traceback is found."""
    logger = logging.getLogger("custom_components.hoiio")
    logger.debug("token is %s", ACCESS_TOKEN)
    logger.info("url %s", "http://x/api/webhook/SECRETHOOK")
    try:
        raise ValueError(f"bad {ACCESS_TOKEN}")  # noqa: TRY301
    except ValueError:
        logging.getLogger("hoiio_simulator.timers").exception("failed")
    logging.getLogger("homeassistant.components.webhook").debug("SECRETHOOK")
    texts = [record_text(r) for r in captured.ours()]
    assert len(leaks(texts, [ACCESS_TOKEN, "SECRETHOOK"])) == 3
    assert leaks(texts, ["nothing-like-this"]) == []


# The scenarios


async def test_no_secret_in_logs_or_diagnostics(
    hass: HomeAssistant,
    ha_url: str,
    hass_client: ClientSessionGenerator,
    simulator: HoiioSimulator,
    captured: Capture,
) -> None:
    """Config flow to unload, with faults and forged posts: no secret is logged."""
    diagnostics: list[dict[str, Any]] = []
    errors: list[HomeAssistantError] = []

    # Config flow: a refused token first, then the right one.
    def user(access_token: str) -> dict[str, Any]:
        return {
            CONF_APP_ID: APP_ID,
            CONF_ACCESS_TOKEN: access_token,
            CONF_ADVANCED: {CONF_API_URL: simulator.base_url},
        }

    flow = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], user("wrong_secret_value")
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], user(ACCESS_TOKEN)
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    webhook = f"{ha_url}/api/webhook/{webhook_id}"
    simulator.set_number_notify_url(HOIIO_NUMBER, webhook)

    async def act(action: str, **data: Any) -> None:
        # A fault that loses an answer leaves the call busy: let the clock run
        # past the busy wait of the next action instead of waiting for it.
        task = hass.async_create_task(
            hass.services.async_call(
                DOMAIN,
                action,
                {"config_entry_id": entry.entry_id, **data},
                blocking=True,
                return_response=True,
            )
        )
        while not task.done():
            if entry.runtime_data.tracker.waiting["busy_waits"]:
                later = dt_util.utcnow() + timedelta(seconds=DEFAULT_BUSY_TIMEOUT + 1)
                async_fire_time_changed(hass, later)
            await asyncio.sleep(0)
        try:
            task.result()
        except HomeAssistantError as err:
            errors.append(err)

    async def post(data: dict[str, str], query: str = "") -> None:
        async with (
            aiohttp.ClientSession() as http,
            http.post(webhook + query, data=data) as response,
        ):
            await response.read()

    # An incoming call, hold and unhold, waits, a gather.
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await hass.async_block_till_done()
    await act("hold", session=session, msg="Please hold")
    await act("unhold", session=session, wait=True)
    await act("play", session=session, msg="Hi", wait=True)
    await act("gather", session=session, msg="PIN", max_digits=4, wait=True)
    diagnostics.append(await get_diagnostics_for_config_entry(hass, hass_client, entry))

    # Faults on actions and on notifications.
    for fault in (
        Fault("http_500", path="ivr/middle/play", count=1),
        Fault("non_json", path="ivr/middle/play", count=1),
        Fault("reset", path="ivr/middle/play", count=1),
        Fault(
            "status", path="ivr/middle/play", count=1, value="error_malformed_params"
        ),
    ):
        simulator.add_fault(fault)
        await act("play", session=session, msg="Hi")
    simulator.add_fault(Fault("duplicate_notification", block="play", count=1))
    await act("play", session=session, msg="Hi", wait=True)
    await simulator.settle()
    await act("play", session="S-unknown", msg="Hi")
    await act("play", session=session, msg="<b>bad</b>")

    # Forged, malformed, unknown and late notifications.
    await post({"ivr_block": "play", "session": session}, f"?ha_ref={webhook_id}")
    await post({"ivr_block": "play", "session": session}, "?ha_ref=guessed")
    await post({"ivr_block": "answer", "session": "bad session!"})
    await post({"ivr_block": "answer", "session": ""})
    await post({"ivr_block": "play", "session": "S-elsewhere", "call_state": "ongoing"})

    # A refused token starts a reauth flow; the balance fails and recovers.
    simulator.add_fault(
        Fault(
            "status",
            path="ivr/middle/play",
            count=1,
            value="error_invalid_access_token",
        )
    )
    await act("play", session=session, msg="Hi")
    await hass.async_block_till_done()
    simulator.add_fault(Fault("http_500", path="user/get_balance", count=1))
    await entry.runtime_data.coordinator.async_refresh()
    await entry.runtime_data.coordinator.async_refresh()
    assert entry.runtime_data.coordinator.last_update_success

    # The transfer ends the call; a second call is still ongoing at unload.
    await act("transfer", session=session, dest=MOBILE, wait=True)
    await simulator.settle()
    await hass.async_block_till_done()
    second = await simulator.incoming_call(MOBILE, HOIIO_NUMBER)
    await hass.async_block_till_done()
    await post({"ivr_block": "hangup", "session": "S-elsewhere", "call_state": "ended"})
    await post({"ivr_block": "play", "session": "S-elsewhere", "txn_ref": "late"})
    diagnostics.append(await get_diagnostics_for_config_entry(hass, hass_client, entry))

    # Service down, then unload.
    await simulator.stop()
    await act("play", session=second, msg="Hi")
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    assert errors
    assert len(captured.ours()) > 10
    secrets = [ACCESS_TOKEN, webhook_id, *request_tokens(simulator)]
    assert len(secrets) > 5
    logged = [record_text(record) for record in captured.ours()]
    assert leaks(logged, secrets) == []
    shown = [json.dumps(item) for item in diagnostics]
    assert leaks(shown, secrets) == []
    placeholders = [
        f"{err} {err.translation_placeholders!r} {err.__cause__!s}" for err in errors
    ]
    assert leaks(placeholders, secrets) == []
