"""Tests of the hoiio actions against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import re
from types import ModuleType
from typing import Any

from homeassistant.core import Event, HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.script import Script
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator
from syrupy.assertion import SnapshotAssertion
import voluptuous as vol

from custom_components.hoiio.actions import ACTIONS, NOT_SENT_AS_GIVEN, BlockAction
from custom_components.hoiio.const import DOMAIN
from hoiio_simulator import Fault, HoiioSimulator

from .const import APP_ID, CLOUDHOOK, MOBILE, WEBHOOK_ID
from .helpers import BODY_ONLY, NotifySink, act, last_request


async def test_transfer_with_every_parameter(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    hoiio_events: list[Event],
) -> None:
    """A transfer sends every parameter and its notification comes back."""
    response = await act(
        hass,
        setup_integration,
        "transfer",
        session=session,
        dest=MOBILE,
        msg='Please hold. <speech language="zh-HK" gender="male">請稍等</speech>',
        caller_id="private",
        on_failure="continue",
        ring_time=20,
        room_profile="ringing",
        tag="order-1",
    )
    assert response["status"] == "success_ok"
    assert response["txn_ref"]
    params = last_request(simulator, "ivr/end/transfer")
    assert params["dest"] == MOBILE
    assert params["caller_id"] == "private"
    assert params["on_failure"] == "continue"
    assert params["ring_time"] == "20"
    assert params["room_profile"] == "ringing"
    assert params["tag"] == "order-1"
    assert f"/api/webhook/{WEBHOOK_ID}?ha_ref=" in params["notify_url"]
    await simulator.settle()
    await hass.async_block_till_done()
    transfer = [e.data for e in hoiio_events if e.data["ivr_block"] == "transfer"]
    assert transfer[0]["transfer_status"] == "answered"
    assert transfer[0]["transfer_target"] == MOBILE
    assert transfer[0]["tag"] == "order-1"
    assert "ha_ref" not in transfer[0]
    assert hass.states.get("sensor.demo_account_ongoing_calls").state == "0"


async def test_transfer_to_new_room_returns_room(
    hass: HomeAssistant, setup_integration: MockConfigEntry, session: str
) -> None:
    """Transferring to `room:` creates a room named in the response."""
    response = await act(
        hass, setup_integration, "transfer", session=session, dest="room:"
    )
    assert response["room"]


async def test_hold_unhold_transfer_back_to_back(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """Hold, unhold and transfer in a row wait for each other by themselves."""
    simulator.config.manual_blocks = True
    await act(hass, setup_integration, "hold", session=session)
    assert hass.states.get("sensor.demo_account_current_call").state == "on_hold"
    await act(hass, setup_integration, "unhold", session=session)
    transfer = asyncio.create_task(
        act(hass, setup_integration, "transfer", session=session, dest=MOBILE)
    )
    await asyncio.sleep(0)
    assert not transfer.done()
    assert [r.path for r in simulator.requests][-1] == "ivr/middle/unhold"
    await simulator.complete_block(session)
    response = await transfer
    assert response["status"] == "success_ok"
    assert [r.path for r in simulator.requests][-3:] == [
        "ivr/middle/hold",
        "ivr/middle/unhold",
        "ivr/end/transfer",
    ]
    assert all(r.status == "success_ok" for r in simulator.requests)
    await simulator.complete_block(session)


async def test_session_defaults_to_current_call(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """Without a session, an action applies to the most recent ongoing call."""
    await act(hass, setup_integration, "hold")
    assert last_request(simulator, "ivr/middle/hold")["session"] == session


async def test_no_current_call(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """Without a session and without a call, the action says so."""
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, setup_integration, "unhold")
    assert err.value.translation_key == "no_current_call"


async def test_gather_waits_for_digits(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """Waiting for a gather returns the digits the caller pressed."""
    simulator.set_gather_digits("4321")
    response = await act(
        hass,
        setup_integration,
        "gather",
        session=session,
        msg="Enter your PIN",
        max_digits=4,
        timeout=10,
        attempts=2,
        wait=True,
    )
    assert response["status"] == "success_ok"
    assert response["digits"] == "4321"
    assert response["ivr_block"] == "gather"
    params = last_request(simulator, "ivr/middle/gather")
    assert (params["max_digits"], params["timeout"], params["attempts"]) == (
        "4",
        "10",
        "2",
    )


async def test_wait_times_out(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """A wait that sees no notification ends with a translated error."""
    simulator.config.manual_blocks = True
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
    assert err.value.translation_key == "wait_timeout"
    await simulator.complete_block(session)


async def test_dial_returns_new_session(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
) -> None:
    """Dial starts a call; waiting returns its dial status."""
    response = await act(hass, setup_integration, "dial", dest=MOBILE, wait=True)
    assert response["session"]
    assert response["dial_status"] == "answered"
    assert hass.states.get("sensor.demo_account_ongoing_calls").state == "1"


async def test_tracker_refuses_without_a_request(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """Blocks the call's state forbids fail before any request goes out."""
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, setup_integration, "unhold", session=session)
    assert err.value.translation_key == "call_not_on_hold"
    await act(hass, setup_integration, "hold", session=session)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, setup_integration, "play", session=session, msg="Hi")
    assert err.value.translation_key == "call_on_hold"
    await act(hass, setup_integration, "hangup", session=session, force=True)
    await simulator.settle()
    await hass.async_block_till_done()
    sent = len(simulator.requests)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, setup_integration, "transfer", session=session, dest=MOBILE)
    assert err.value.translation_key == "call_ended"
    assert len(simulator.requests) == sent


@BODY_ONLY
@pytest.mark.parametrize(
    ("action", "data", "key"),
    [
        ("transfer", {"dest": "6511111111"}, "invalid_dest"),
        ("transfer", {"dest": "room:bad room"}, "invalid_dest"),
        ("transfer", {"dest": MOBILE, "caller_id": "anonymous"}, "invalid_caller_id"),
        ("transfer", {"dest": MOBILE, "msg": "a" * 1001}, "msg_too_long"),
        ("transfer", {"dest": MOBILE, "msg": "<speech>hi"}, "msg_markup"),
        ("transfer", {"dest": MOBILE, "msg": "<b>hi</b>"}, "msg_markup"),
        (
            "transfer",
            {"dest": MOBILE, "msg": '<speech gender="robot">x</speech>'},
            "msg_gender",
        ),
        (
            "transfer",
            {"dest": MOBILE, "msg": '<speech language="!!">x</speech>'},
            "msg_language",
        ),
        (
            "transfer",
            {"dest": MOBILE, "msg": "<url>ftp://a.b/x.mp3</url>"},
            "msg_audio_url",
        ),
        (
            "transfer",
            {"dest": MOBILE, "msg": "<url>https://a.b/x.ogg</url>"},
            "msg_audio_format",
        ),
        ("transfer", {"dest": MOBILE, "tag": "t" * 257}, "invalid_tag"),
        ("transfer", {"dest": MOBILE, "notify_url": "ftp://x"}, "invalid_notify_url"),
        (
            "transfer",
            {"dest": MOBILE, "notify_url": "https://a.b/" + "x" * 4000},
            "invalid_notify_url",
        ),
        ("transfer", {"dest": MOBILE, "on_failure": "retry"}, "invalid_field"),
        ("transfer", {"dest": MOBILE, "room_profile": "jazz"}, "invalid_field"),
        ("transfer", {"dest": MOBILE, "ring_time": 0}, "invalid_field"),
        ("transfer", {"dest": MOBILE, "ring_time": 2.5}, "invalid_field"),
        ("transfer", {}, "missing_field"),
        ("transfer", {"dest": MOBILE, "colour": "red"}, "unknown_field"),
        ("unhold", {"tag": "t" * 257}, "invalid_tag"),
        ("gather", {"max_digits": 256}, "invalid_field"),
        ("dial", {"dest": "room:"}, "invalid_phone_number"),
    ],
)
async def test_invalid_input_is_refused_before_sending(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    action: str,
    data: dict[str, Any],
    key: str,
) -> None:
    """Every rule of the vendor's pages is checked before any request."""
    sent = len(simulator.requests)
    if action != "dial":
        data = {"session": "S1", **data}
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, setup_integration, action, **data)
    assert err.value.translation_key == key, err.value.translation_placeholders
    assert len(simulator.requests) == sent


HIDDEN = {
    "zero_width_space": "\u200b",
    "left_to_right_mark": "\u200e",
    "right_to_left_override": "\u202e",
    "isolate": "\u2066",
    "byte_order_mark": "\ufeff",
    "newline": "\n",
    "tab": "\t",
    "space": " ",
    "nul": "\x00",
}
HIDDEN_FIELDS = [
    ("transfer", "dest", {}, "invalid_dest"),
    ("transfer", "caller_id", {"dest": MOBILE}, "invalid_caller_id"),
    ("transfer", "notify_url", {"dest": MOBILE}, "invalid_notify_url"),
    ("monitor", "monitor_notify_url", {}, "invalid_notify_url"),
    ("dial", "dest", {}, "invalid_phone_number"),
    ("dial", "caller_id", {"dest": MOBILE}, "invalid_caller_id"),
]


@pytest.mark.parametrize("hidden", HIDDEN.values(), ids=HIDDEN.keys())
@pytest.mark.parametrize(
    ("action", "field", "data", "key"),
    HIDDEN_FIELDS,
    ids=[f"{action}-{field}" for action, field, _, _ in HIDDEN_FIELDS],
)
async def test_hidden_characters_are_refused_before_sending(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    action: str,
    field: str,
    data: dict[str, Any],
    key: str,
    hidden: str,
) -> None:
    """Invisible, control and formatting characters never reach the service."""
    good = "http://127.0.0.1/hook" if field.endswith("notify_url") else "+6511111111"
    if action != "dial":
        data = {"session": session, **data}
    sent = len(simulator.requests)
    for value in (good[:4] + hidden + good[4:], good + hidden, hidden + good):
        with pytest.raises(ServiceValidationError) as err:
            await act(hass, setup_integration, action, **data, **{field: value})
        assert err.value.translation_key == key
        assert err.value.translation_placeholders["field"] == field
    assert len(simulator.requests) == sent


async def test_wait_with_foreign_notify_url_is_refused(
    hass: HomeAssistant, setup_integration: MockConfigEntry, session: str
) -> None:
    """A notification sent elsewhere can never be waited for."""
    with pytest.raises(ServiceValidationError) as err:
        await act(
            hass,
            setup_integration,
            "unhold",
            session=session,
            notify_url="https://example.com/hook",
            wait=True,
        )
    assert err.value.translation_key == "wait_needs_own_notify_url"


async def test_foreign_notify_url_is_sent_as_given(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    notify_sink: NotifySink,
    hoiio_events: list[Event],
) -> None:
    """A user's own notify URL goes out unchanged and gets the notification."""
    url = f"{notify_sink.url}/mine?ref=1"
    await act(
        hass, setup_integration, "play", session=session, msg="Hi", notify_url=url
    )
    assert last_request(simulator, "ivr/middle/play")["notify_url"] == url
    await simulator.settle()
    await hass.async_block_till_done()
    assert notify_sink.blocks() == ["play"]
    assert notify_sink.posts[0].query["ref"] == "1"
    assert hoiio_events == []


TRANSFER_STATUSES = [
    ("error_invalid_http_method", HomeAssistantError, "api_invalid_http_method"),
    ("error_malformed_params", HomeAssistantError, "api_malformed_params"),
    ("error_session_param_missing", HomeAssistantError, "api_param_missing"),
    ("error_invalid_access_token", HomeAssistantError, "api_invalid_access_token"),
    ("error_invalid_app_id", HomeAssistantError, "api_invalid_app_id"),
    ("error_msg_invalid_length", ServiceValidationError, "api_msg_invalid_length"),
    (
        "error_msg_cannot_convert_text",
        ServiceValidationError,
        "api_msg_cannot_convert_text",
    ),
    ("error_msg_download_failed", ServiceValidationError, "api_msg_download_failed"),
    (
        "error_msg_invalid_file_format",
        ServiceValidationError,
        "api_msg_invalid_file_format",
    ),
    (
        "error_msg_invalid_file_size",
        ServiceValidationError,
        "api_msg_invalid_file_size",
    ),
    ("error_msg_invalid_url", ServiceValidationError, "api_msg_invalid_url"),
    ("error_msg_invalid_language", ServiceValidationError, "api_msg_invalid_language"),
    ("error_msg_invalid_gender", ServiceValidationError, "api_msg_invalid_gender"),
    ("error_msg_invalid_xml", ServiceValidationError, "api_msg_invalid_xml"),
    ("error_tag_invalid_length", ServiceValidationError, "api_tag_invalid_length"),
    ("error_invalid_notify_url", ServiceValidationError, "api_invalid_notify_url"),
    (
        "error_unable_to_resolve_notify_url",
        ServiceValidationError,
        "api_unable_to_resolve_notify_url",
    ),
    (
        "error_unable_to_complete_ssl_handshake_notify_url",
        ServiceValidationError,
        "api_notify_url_ssl",
    ),
    ("error_invalid_session", ServiceValidationError, "api_invalid_session"),
    (
        "error_session_access_denied",
        ServiceValidationError,
        "api_session_access_denied",
    ),
    ("error_session_ended", ServiceValidationError, "api_session_ended"),
    ("error_session_not_ready", ServiceValidationError, "api_session_not_ready"),
    ("error_dest_invalid", ServiceValidationError, "api_dest_invalid"),
    ("error_dest_not_supported", ServiceValidationError, "api_dest_not_supported"),
    ("error_caller_id_invalid", ServiceValidationError, "api_caller_id_invalid"),
    ("error_insufficient_credit", HomeAssistantError, "api_insufficient_credit"),
    (
        "error_concurrent_call_limit_reached",
        HomeAssistantError,
        "api_concurrent_call_limit_reached",
    ),
    ("error_number_not_supported", ServiceValidationError, "api_number_not_supported"),
    ("error_rate_limit_exceeded", HomeAssistantError, "api_rate_limit_exceeded"),
    ("error_internal_server_error", HomeAssistantError, "api_internal_server_error"),
    ("error_brand_new", HomeAssistantError, "api_unknown_error"),
]


@BODY_ONLY
@pytest.mark.parametrize(("status", "error", "key"), TRANSFER_STATUSES)
async def test_transfer_statuses_are_translated(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    status: str,
    error: type[HomeAssistantError],
    key: str,
) -> None:
    """Every status of the transfer page becomes its own translated error."""
    simulator.add_fault(Fault(kind="status", value=status, path="ivr/end/transfer"))
    with pytest.raises(error) as err:
        await act(hass, setup_integration, "transfer", session=session, dest=MOBILE)
    assert type(err.value) is error
    assert err.value.translation_key == key
    assert err.value.translation_placeholders["status"] == status


UNHOLD_STATUSES = [
    ("error_invalid_http_method", "api_invalid_http_method"),
    ("error_malformed_params", "api_malformed_params"),
    ("error_session_param_missing", "api_param_missing"),
    ("error_invalid_access_token", "api_invalid_access_token"),
    ("error_invalid_app_id", "api_invalid_app_id"),
    ("error_invalid_session", "api_invalid_session"),
    ("error_session_access_denied", "api_session_access_denied"),
    ("error_session_ended", "api_session_ended"),
    ("error_session_not_on_hold", "api_session_not_on_hold"),
    ("error_rate_limit_exceeded", "api_rate_limit_exceeded"),
    ("error_internal_server_error", "api_internal_server_error"),
]


@BODY_ONLY
@pytest.mark.parametrize(("status", "key"), UNHOLD_STATUSES)
async def test_unhold_statuses_are_translated(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    status: str,
    key: str,
) -> None:
    """Every status of the unhold page becomes its own translated error."""
    await act(hass, setup_integration, "hold", session=session)
    simulator.add_fault(Fault(kind="status", value=status, path="ivr/middle/unhold"))
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, setup_integration, "unhold", session=session)
    assert err.value.translation_key == key


async def test_refused_token_starts_reauth(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """An action whose token is refused asks the user to reauthenticate."""
    simulator.add_fault(
        Fault(kind="status", value="error_invalid_access_token", path="ivr/middle/play")
    )
    with pytest.raises(HomeAssistantError):
        await act(hass, setup_integration, "play", session=session, msg="Hi")
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_entry_not_loaded(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """Actions on an unloaded entry fail with a clear message."""
    await hass.config_entries.async_unload(setup_integration.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, setup_integration, "hold", session="S1")
    assert err.value.translation_key == "entry_not_loaded"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "hold", {"config_entry_id": "nope", "session": "S1"}, blocking=True
        )
    assert err.value.translation_key == "entry_not_found"


@BODY_ONLY
@pytest.mark.parametrize("ring_time", [True, "soon", None])
async def test_ring_time_must_be_a_number(
    hass: HomeAssistant, setup_integration: MockConfigEntry, ring_time: object
) -> None:
    """Booleans and text are not ring times."""
    with pytest.raises(ServiceValidationError) as err:
        await act(
            hass,
            setup_integration,
            "transfer",
            session="S1",
            dest=MOBILE,
            ring_time=ring_time,
        )
    assert err.value.translation_key == "invalid_field"


@BODY_ONLY
@pytest.mark.parametrize(
    ("msg", "key"),
    [
        (42, "invalid_msg"),
        ("<speech><url>https://a.b/x.mp3</url></speech>", "msg_markup"),
        ('<speech voice="x">hi</speech>', "msg_markup"),
        ('<url kind="x">https://a.b/x.mp3</url>', "msg_markup"),
        ("<url>http://[::1</url>", "msg_audio_url"),
    ],
)
async def test_message_markup_rules(
    hass: HomeAssistant, setup_integration: MockConfigEntry, msg: object, key: str
) -> None:
    """Markup that Hoiio would refuse is refused before sending."""
    with pytest.raises(ServiceValidationError) as err:
        await act(hass, setup_integration, "play", session="S1", msg=msg)
    assert err.value.translation_key == key


async def test_accepted_message_markup(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """Text with ampersands, speech and a recording URL goes out as written."""
    msg = 'Tom & Jerry <speech language="en" gender="male">hi</speech> <url>https://a.b/x.wav</url>'
    await act(hass, setup_integration, "play", session=session, msg=msg)
    assert last_request(simulator, "ivr/middle/play")["msg"] == msg


async def test_invalid_notify_url_host(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """A notify URL that cannot be parsed is refused."""
    with pytest.raises(ServiceValidationError) as err:
        await act(
            hass, setup_integration, "play", session="S1", notify_url="http://[::1"
        )
    assert err.value.translation_key == "invalid_notify_url"


async def test_forced_hangup_takes_no_message(
    hass: HomeAssistant, setup_integration: MockConfigEntry, session: str
) -> None:
    """A forced hang-up with a message is refused."""
    with pytest.raises(ServiceValidationError) as err:
        await act(
            hass, setup_integration, "hangup", session=session, force=True, msg="Bye"
        )
    assert err.value.translation_key == "force_with_msg"


async def test_wait_ends_when_the_call_is_hung_up(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
) -> None:
    """A wait for a block ends with an error when a forced hang-up ends the call."""
    simulator.config.manual_blocks = True
    waiting = asyncio.create_task(
        act(hass, setup_integration, "play", session=session, msg="Hi", wait=True)
    )
    while not any(r.path == "ivr/middle/play" for r in simulator.requests):  # noqa: ASYNC110
        await asyncio.sleep(0)
    simulator.config.manual_blocks = False
    await act(hass, setup_integration, "hangup", session=session, force=True)
    await simulator.settle()
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await waiting
    assert err.value.translation_key == "call_ended"


async def test_no_webhook_url(
    hass: HomeAssistant, setup_integration: MockConfigEntry, session: str
) -> None:
    """Without any URL for Hoiio to post to, blocks that notify are refused."""
    hass.config.internal_url = None
    hass.config.api = None
    with pytest.raises(HomeAssistantError) as err:
        await act(hass, setup_integration, "play", session=session, msg="Hi")
    assert err.value.translation_key == "no_webhook_url"


async def test_cloudhook_notify_url_counts_as_own(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    cloud: ModuleType,
) -> None:
    """The Cloud URL of the webhook is ours: it gets a token and allows waiting."""
    assert await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done()
    await act(
        hass, setup_integration, "play", session=session, msg="Hi", notify_url=CLOUDHOOK
    )
    assert last_request(simulator, "ivr/middle/play")["notify_url"].startswith(
        f"{CLOUDHOOK}?ha_ref="
    )


GMT8_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+08:00")
# A valid value of every field an action sends as given.
SAMPLE_FIELDS: dict[str, Any] = {
    "dest": MOBILE,
    "msg": "Hello",
    "caller_id": "private",
    "on_failure": "continue",
    "ring_time": 20,
    "room_profile": "ringing",
    "max_digits": 4,
    "timeout": 10,
    "attempts": 2,
    "max_duration": 30,
    "monitor_notify_url": "http://127.0.0.1:9/monitor",
    "force": False,
    "tag": "order-1",
}
RESPONSE_CASES = [
    *((action, False) for action in ACTIONS),
    *((action, True) for action in ACTIONS if action.notifies),
]


def _stable(simulator: HoiioSimulator) -> Callable[[Any, Any], Any]:
    """Return a snapshot matcher that replaces the date and the simulator's URL."""

    def replace(data: Any, path: Any) -> Any:
        """Replace a volatile value by what stays the same from run to run."""
        if path and path[-1][0] == "date":
            assert GMT8_DATE.fullmatch(data), data
            return "<a date in GMT+8>"
        if isinstance(data, str):
            return data.replace(simulator.url, "http://simulator")
        return data

    return replace


def _sent_fields(action: BlockAction) -> dict[str, Any]:
    """Return a sample value of each field the action's declaration sends as given."""
    fields = {str(marker.schema) for marker in action.schema().schema}
    return {
        key: value
        for key, value in SAMPLE_FIELDS.items()
        if key in fields - NOT_SENT_AS_GIVEN
    }


@BODY_ONLY
@pytest.mark.parametrize(
    ("action", "wait"),
    RESPONSE_CASES,
    ids=[f"{action.name}{'-wait' if wait else ''}" for action, wait in RESPONSE_CASES],
)
async def test_each_action_sends_its_fields_and_returns_the_answer(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    snapshot: SnapshotAssertion,
    action: BlockAction,
    wait: bool,
) -> None:
    """Every declared field goes out under its name; the response is Hoiio's answer.

    With wait, the block's notification is merged in. Sessions and txn_refs
    come from the simulator's counters, new for each test; the call's end
    date is the clock's and the recording's address names the simulator's
    port, so those two are replaced.
    """
    simulator.set_gather_digits("4321")
    if action.name == "unhold":
        await act(hass, setup_integration, "hold", session=session)
    data = _sent_fields(action)
    if action.takes_session:
        data["session"] = session
    if wait:
        data["wait"] = True
    response = await act(hass, setup_integration, action.name, **data)
    sent = last_request(simulator, action.path)
    expected = {key: str(value) for key, value in data.items() if key != "wait"}
    expected.pop("force", None)
    if action.notifies:
        assert f"/api/webhook/{WEBHOOK_ID}?ha_ref=" in sent.pop("notify_url")
    assert sent == {"app_id": APP_ID, "access_token": sent["access_token"], **expected}
    assert response == snapshot(matcher=_stable(simulator))


@pytest.mark.parametrize(("force", "sent"), [(True, "enabled"), (False, None)])
async def test_force_is_sent_as_enabled(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    session: str,
    force: bool,
    sent: str | None,
) -> None:
    """A forced hang-up sends force=enabled; an ordinary one sends no force."""
    await act(hass, setup_integration, "hangup", session=session, force=force)
    assert last_request(simulator, "ivr/end/hangup").get("force") == sent


def _plain_service(hass: HomeAssistant) -> None:
    """Register test.plain, whose schema is plain voluptuous, for comparison."""

    def accept(call: ServiceCall) -> None:
        """Do nothing with valid data."""

    hass.services.async_register(
        "test", "plain", accept, schema=vol.Schema({vol.Optional("ring_time"): int})
    )


async def test_invalid_input_reaches_the_frontend_translated(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    """The frontend gets our translated message, where plain voluptuous gives none.

    Home Assistant passes a schema's vol.Invalid on as it is: over the
    websocket, `invalid_format` with the library's English text. The actions'
    schema turns it into a translated ServiceValidationError instead.
    """
    assert await async_setup_component(hass, DOMAIN, {})
    _plain_service(hass)
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": "test",
            "service": "plain",
            "service_data": {"ring_time": "soon"},
        }
    )
    plain = (await client.receive_json())["error"]
    assert plain["code"] == "invalid_format"
    assert "translation_key" not in plain
    assert "ring_time" in plain["message"]
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": "transfer",
            "service_data": {
                "config_entry_id": "x",
                "dest": MOBILE,
                "ring_time": "soon",
            },
            "return_response": True,
        }
    )
    ours = (await client.receive_json())["error"]
    assert ours["code"] == "service_validation_error"
    assert (ours["translation_domain"], ours["translation_key"]) == (
        DOMAIN,
        "invalid_field",
    )
    # Home Assistant renders en.json's message (without its final period).
    assert ours["message"] == (
        "Validation error: Invalid value for ring_time: expected a whole number"
    )


@pytest.mark.parametrize(("domain", "continues"), [("test", False), (DOMAIN, True)])
async def test_continue_on_error_steps_past_invalid_input(
    hass: HomeAssistant, domain: str, continues: bool
) -> None:
    """A script step with continue_on_error goes on after our refusal.

    Home Assistant treats a schema's vol.Invalid as a broken script and stops
    even so; a ServiceValidationError is an error it may step past.
    """
    assert await async_setup_component(hass, DOMAIN, {})
    _plain_service(hass)
    service = "plain" if domain == "test" else "transfer"
    data = {"ring_time": "soon"}
    if domain == DOMAIN:
        data |= {"config_entry_id": "x", "dest": MOBILE}
    reached = async_capture_events(hass, "after_the_action")
    script = Script(
        hass,
        [
            {"action": f"{domain}.{service}", "data": data, "continue_on_error": True},
            {"event": "after_the_action"},
        ],
        "continue on error",
        DOMAIN,
    )
    try:
        await script.async_run(context=None)
    except vol.Invalid:
        assert not continues
    await hass.async_block_till_done()
    assert bool(reached) is continues
