"""The simulator's parameter rules and check order."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
import pytest

from hoiio_simulator import Fault
from hoiio_simulator.errors import ApiError
from hoiio_simulator.markup import check_msg

from .helpers import CALLER, HOIIO_NUMBER, TRANSFER_DEST, api, incoming

if TYPE_CHECKING:
    from hoiio_simulator import HoiioSimulator

    from .helpers import NotifySink

TRANSFER = "ivr/end/transfer"
LANGUAGES = frozenset({"en", "zh-HK"})


async def raw(
    simulator: HoiioSimulator, method: str, path: str, **kw: str | bytes
) -> dict[str, str]:
    """Send a hand-made request and return its JSON answer."""
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, simulator.base_url + path, **kw) as response,  # type: ignore[arg-type]
    ):
        assert response.status == 200
        answer: dict[str, str] = await response.json()
    return answer


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_refused(
    simulator: HoiioSimulator, method: str
) -> None:
    answer = await api(simulator, "user/get_info", method=method)
    assert answer == {"status": "error_invalid_http_method"}
    assert simulator.requests[-1].method == method


async def test_get_with_query_string(simulator: HoiioSimulator) -> None:
    answer = await api(simulator, "user/get_balance", method="GET")
    assert answer["balance"] == "100.000"
    assert simulator.requests[-1].params["app_id"] == "demo_app"


async def test_post_body_wins_over_query(simulator: HoiioSimulator) -> None:
    answer = await raw(
        simulator,
        "POST",
        "user/get_info?app_id=demo_app&access_token=wrong",
        data="access_token=demo_token",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer["status"] == "success_ok"


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("user/get_info", {"data": b"app_id=demo_app&access_token=%FF"}),
        ("user/get_info", {"data": b"app_id=demo_app&access_token=\xff"}),
        ("user/get_info?access_token=%C3%28", {"data": b"app_id=demo_app"}),
    ],
    ids=["percent_encoded", "raw_byte", "query"],
)
async def test_non_utf8_is_malformed(
    simulator: HoiioSimulator, path: str, kwargs: dict[str, bytes]
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = await raw(simulator, "POST", path, headers=headers, **kwargs)  # type: ignore[arg-type]
    assert answer == {"status": "error_malformed_params"}


@pytest.mark.parametrize(
    ("credentials", "status"),
    [
        ({}, "error_app_id_param_missing"),
        ({"app_id": "demo_app"}, "error_access_token_param_missing"),
        ({"app_id": "nope", "access_token": "demo_token"}, "error_invalid_app_id"),
        ({"app_id": "demo_app", "access_token": "x"}, "error_invalid_access_token"),
        (
            {"app_id": "demo_app", "access_token": ""},
            "error_access_token_param_missing",
        ),
    ],
)
async def test_credentials(
    simulator: HoiioSimulator, credentials: dict[str, str], status: str
) -> None:
    simulator.add_fault(Fault("status", value="error_internal_server_error"))
    answer = await raw(simulator, "POST", "user/get_info", data=credentials)  # type: ignore[arg-type]
    assert answer == {"status": status}
    assert len(simulator.faults) == 1


async def test_fault_comes_before_rate_limit_and_parameters(
    simulator: HoiioSimulator,
) -> None:
    simulator.add_fault(
        Fault("status", path=TRANSFER, value="error_dest_not_supported")
    )
    answer = await api(simulator, TRANSFER)
    assert answer["status"] == "error_dest_not_supported"


async def test_parameters_come_before_session_state(simulator: HoiioSimulator) -> None:
    answer = await api(simulator, TRANSFER, session="S1", dest="nowhere")
    assert answer["status"] == "error_dest_invalid"
    answer = await api(simulator, TRANSFER, session="S1", dest=TRANSFER_DEST)
    assert answer["status"] == "error_invalid_session"


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        (TRANSFER, {}, "error_session_param_missing"),
        (TRANSFER, {"session": "S1"}, "error_dest_param_missing"),
        ("ivr/middle/gather", {"session": "S1"}, "error_notify_url_param_missing"),
        ("ivr/middle/record", {"session": "S1"}, "error_notify_url_param_missing"),
        ("ivr/middle/monitor", {"session": "S1"}, "error_notify_url_param_missing"),
        ("ivr/start/dial", {}, "error_dest_param_missing"),
        ("ivr/middle/hold", {}, "error_session_param_missing"),
    ],
)
async def test_required_parameters(
    simulator: HoiioSimulator, path: str, params: dict[str, str], status: str
) -> None:
    assert (await api(simulator, path, **params))["status"] == status


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"msg": "x" * 1001}, "error_msg_invalid_length"),
        ({"msg": "x" * 1000}, "success_ok"),
        ({"msg": "Tom & Jerry &amp; friends &#169;"}, "success_ok"),
        ({"msg": "<b>bold</b>"}, "error_msg_invalid_xml"),
        ({"tag": "t" * 257}, "error_tag_invalid_length"),
        ({"tag": "t" * 256}, "success_ok"),
        ({"notify_url": "/relative"}, "error_invalid_notify_url"),
        ({"notify_url": "http://"}, "error_invalid_notify_url"),
        ({"notify_url": "http://[::1"}, "error_invalid_notify_url"),
        ({"notify_url": "http://127.0.0.1/" + "a" * 4000}, "error_invalid_notify_url"),
        ({"dest": "+651"}, "error_dest_invalid"),
        ({"dest": "+0651234567"}, "error_dest_invalid"),
        ({"dest": "room:bad id"}, "error_dest_invalid"),
        ({"dest": "room:Sales-1_a"}, "success_ok"),
        ({"caller_id": "private"}, "success_ok"),
        ({"caller_id": CALLER}, "success_ok"),
        ({"caller_id": HOIIO_NUMBER}, "success_ok"),
        ({"caller_id": "+6511111111"}, "error_caller_id_invalid"),
        ({"caller_id": "6591234567"}, "error_caller_id_invalid"),
        ({"on_failure": "continue"}, "success_ok"),
        ({"on_failure": "retry"}, "error_on_failure_invalid"),
        ({"room_profile": "music"}, "success_ok"),
        ({"room_profile": "jazz"}, "error_malformed_params"),
        ({"ring_time": "0"}, "error_malformed_params"),
        ({"ring_time": "-5"}, "error_malformed_params"),
        ({"ring_time": "1.5"}, "error_malformed_params"),
        ({"ring_time": "٣"}, "error_malformed_params"),
        ({"ring_time": "30"}, "success_ok"),
    ],
)
async def test_transfer_parameters(
    simulator: HoiioSimulator,
    notify_sink: NotifySink,
    params: dict[str, str],
    status: str,
) -> None:
    session = await incoming(simulator, notify_sink.url)
    fields = {"session": session, "dest": TRANSFER_DEST, "notify_url": notify_sink.url}
    answer = await api(simulator, TRANSFER, **(fields | params))
    assert answer["status"] == status


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("ivr/middle/gather", {"max_digits": "256"}, "error_invalid_max_digits"),
        ("ivr/middle/gather", {"max_digits": "x"}, "error_invalid_max_digits"),
        ("ivr/middle/gather", {"max_digits": "0"}, "success_ok"),
        ("ivr/middle/gather", {"max_digits": "255"}, "success_ok"),
        ("ivr/middle/gather", {"timeout": "0"}, "error_invalid_timeout"),
        ("ivr/middle/gather", {"attempts": "two"}, "error_invalid_attempts"),
        ("ivr/middle/record", {"max_duration": "0"}, "error_invalid_max_duration"),
        ("ivr/middle/record", {"max_duration": "60"}, "success_ok"),
        ("ivr/middle/monitor", {"monitor_notify_url": "x"}, "error_invalid_notify_url"),
        ("ivr/end/hangup", {"force": "yes"}, "error_malformed_params"),
        ("ivr/end/hangup", {"force": "enabled"}, "success_ok"),
        (
            "ivr/middle/hold",
            {"msg": "<url>https://a.example/m.wav</url>"},
            "success_ok",
        ),
    ],
)
async def test_middle_block_parameters(
    simulator: HoiioSimulator,
    notify_sink: NotifySink,
    path: str,
    params: dict[str, str],
    status: str,
) -> None:
    session = await incoming(simulator, notify_sink.url)
    fields = {"session": session, "notify_url": notify_sink.url}
    answer = await api(simulator, path, **(fields | params))
    assert answer["status"] == status


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"dest": "room:"}, "error_dest_invalid"),
        ({"max_duration": "-1"}, "error_invalid_max_duration"),
        ({"caller_id": "+6500000000"}, "error_caller_id_invalid"),
    ],
)
async def test_dial_parameters(
    simulator: HoiioSimulator, params: dict[str, str], status: str
) -> None:
    answer = await api(
        simulator, "ivr/start/dial", **({"dest": TRANSFER_DEST} | params)
    )
    assert answer["status"] == status


@pytest.mark.parametrize(
    ("msg", "status"),
    [
        ("Plain text, no markup", None),
        ('<speech language="zh-HK" gender="male">請稍等</speech> then text', None),
        ('<speech language="ZH-hk">case</speech>', None),
        ("<speech>default voice</speech><url>http://a.example/x.GSM</url>", None),
        ("<url> https://a.example/x.mp3?v=1 </url>", None),
        ("<speech>unclosed", "error_msg_invalid_xml"),
        ("a < b", "error_msg_invalid_xml"),
        ("&nbsp;", "error_msg_invalid_xml"),
        ("<speech voice='x'>hi</speech>", "error_msg_invalid_xml"),
        ("<url href='x'>http://a.example/x.mp3</url>", "error_msg_invalid_xml"),
        ("<speech><url>http://a.example/x.mp3</url></speech>", "error_msg_invalid_xml"),
        ("<audio>x</audio>", "error_msg_invalid_xml"),
        ('<speech language="fr">salut</speech>', "error_msg_invalid_language"),
        ('<speech language="">x</speech>', "error_msg_invalid_language"),
        ('<speech gender="other">x</speech>', "error_msg_invalid_gender"),
        ("<url>ftp://a.example/x.mp3</url>", "error_msg_invalid_url"),
        ("<url>http://[::1/x.mp3</url>", "error_msg_invalid_url"),
        ("<url>x.mp3</url>", "error_msg_invalid_url"),
        ("<url></url>", "error_msg_invalid_url"),
        ("<url>https://a.example/x.ogg</url>", "error_msg_invalid_file_format"),
        ("<url>https://a.example/mp3</url>", "error_msg_invalid_file_format"),
    ],
)
def test_msg_markup(msg: str, status: str | None) -> None:
    if status is None:
        check_msg(msg, LANGUAGES)
        return
    with pytest.raises(ApiError) as caught:
        check_msg(msg, LANGUAGES)
    assert caught.value.status == status


async def test_unknown_path_is_not_found(simulator: HoiioSimulator) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(simulator.base_url + "ivr/middle/dance") as response,
    ):
        assert response.status == 404
