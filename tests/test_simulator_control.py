"""The /_simulator/ control routes and the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from hoiio_simulator import HoiioSimulator, SimulatorConfig
from hoiio_simulator.cli import (
    ControlError,
    build_parser,
    call,
    config_from_args,
    main,
    parse_account,
    parse_number,
    run_client,
    serve,
)
from hoiio_simulator.faults import FAULT_KINDS

from .helpers import CALLER, HOIIO_NUMBER, api, incoming

if TYPE_CHECKING:
    from .helpers import NotifySink


async def control(
    simulator: HoiioSimulator, method: str, action: str, **fields: str
) -> tuple[int, Any]:
    """Call a control route and return its HTTP status and JSON answer."""
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method, f"{simulator.url}/_simulator/{action}", data=fields
        ) as response,
    ):
        return response.status, await response.json()


async def test_incoming_call_route(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    status, answer = await control(
        simulator,
        "POST",
        "incoming_call",
        **{"from": CALLER, "to": HOIIO_NUMBER, "notify_url": notify_sink.url},
    )
    assert status == 200
    assert answer["session"] in simulator.sessions
    assert notify_sink.blocks() == ["answer"]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"from": CALLER}, "missing field 'to'"),
        ({"from": CALLER, "to": HOIIO_NUMBER}, "no notify URL"),
        ({"from": "123", "to": HOIIO_NUMBER}, "E.164"),
    ],
)
async def test_incoming_call_route_refuses_bad_input(
    simulator: HoiioSimulator, fields: dict[str, str], error: str
) -> None:
    status, answer = await control(simulator, "POST", "incoming_call", **fields)
    assert status == 400
    assert error in answer["error"]


async def test_incoming_call_route_call_limit(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    for _ in range(8):
        await incoming(simulator, notify_sink.url)
    status, answer = await control(
        simulator,
        "POST",
        "incoming_call",
        **{"from": CALLER, "to": HOIIO_NUMBER, "notify_url": notify_sink.url},
    )
    assert status == 400
    assert answer["error"] == "demo_app: error_concurrent_call_limit_reached"


async def test_listing_routes(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(simulator, notify_sink.url)
    await api(simulator, "user/get_info")
    _, requests = await control(simulator, "GET", "requests")
    assert requests[-1]["path"] == "user/get_info"
    assert requests[-1]["status"] == "success_ok"
    _, notifications = await control(simulator, "GET", "notifications")
    assert notifications[0]["data"]["ivr_block"] == "answer"
    assert notifications[0]["http_status"] == 200
    _, sessions = await control(simulator, "GET", "sessions")
    assert sessions == [
        {
            "session": session,
            "app_id": "demo_app",
            "state": "ringing",
            "on_hold": False,
            "block": None,
            "from": CALLER,
            "to": HOIIO_NUMBER,
            "dest": None,
            "monitor": False,
            "tag": None,
            "room": None,
            "transfer_dest": None,
        }
    ]


async def test_number_route(simulator: HoiioSimulator, notify_sink: NotifySink) -> None:
    status, _ = await control(
        simulator, "POST", "numbers", number=HOIIO_NUMBER, notify_url=notify_sink.url
    )
    assert status == 200
    await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    assert notify_sink.blocks() == ["answer"]
    status, _ = await control(
        simulator, "POST", "numbers", number="x", notify_url=notify_sink.url
    )
    assert status == 400


async def test_outcome_and_digits_routes(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await incoming(simulator, notify_sink.url)
    hook = notify_sink.url
    assert (await control(simulator, "POST", "transfer_outcome", outcome="busy"))[
        0
    ] == 200
    assert (await control(simulator, "POST", "dial_outcome", outcome="failed"))[
        0
    ] == 200
    assert (await control(simulator, "POST", "gather_digits", digits="7"))[0] == 200
    status, _ = await control(
        simulator, "POST", "gather_digits", digits="55", session=session
    )
    assert status == 200
    status, answer = await control(simulator, "POST", "transfer_outcome", outcome="x")
    assert status == 400
    assert "outcome must be" in answer["error"]
    await api(simulator, "ivr/middle/gather", session=session, notify_url=hook)
    await simulator.settle()
    assert notify_sink.posts[-1].form["digits"] == "55"
    await api(simulator, "ivr/start/dial", dest="+6598765432", notify_url=hook)
    await simulator.settle()
    assert notify_sink.posts[-1].form["dial_status"] == "failed"
    await api(
        simulator,
        "ivr/end/transfer",
        session=session,
        dest="+6598765432",
        notify_url=hook,
    )
    await simulator.settle()
    assert notify_sink.posts[-1].form["transfer_status"] == "busy"


async def test_complete_block_and_hangup_routes(
    notify_sink: NotifySink, socket_enabled: None
) -> None:
    sim = HoiioSimulator(SimulatorConfig(manual_blocks=True))
    await sim.start()
    try:
        first = await incoming(sim, notify_sink.url)
        second = await incoming(sim, notify_sink.url)
        await api(sim, "ivr/middle/play", session=first, notify_url=notify_sink.url)
        assert (await control(sim, "POST", "complete_block", session=first))[0] == 200
        status, answer = await control(sim, "POST", "complete_block", session=first)
        assert (status, answer) == (
            400,
            {"error": f"no block is running in session {first}"},
        )
        assert (await control(sim, "POST", "hangup", session=second))[0] == 200
        assert sim.sessions[second].state == "ended"
        assert notify_sink.blocks() == ["answer", "answer", "play"]
    finally:
        await sim.stop()


async def test_fault_routes(simulator: HoiioSimulator) -> None:
    status, answer = await control(
        simulator, "POST", "faults", kind="latency", value="0.01", count="1"
    )
    assert status == 200
    assert answer["value"] == 0.01
    status, answer = await control(
        simulator,
        "POST",
        "faults",
        kind="status",
        path="user/get_info",
        value="error_internal_server_error",
    )
    assert status == 200
    _, faults = await control(simulator, "GET", "faults")
    assert [fault["kind"] for fault in faults] == ["latency", "status"]
    assert (await api(simulator, "user/get_info"))[
        "status"
    ] == "error_internal_server_error"
    for bad in ({"kind": "latency", "value": "soon"}, {"kind": "reset", "count": "x"}):
        assert (await control(simulator, "POST", "faults", **bad))[0] == 400
    status, _ = await control(
        simulator, "POST", "faults", kind="drop_notification", block="play"
    )
    assert simulator.faults[-1].block == "play"
    status, answer = await control(
        simulator, "POST", "faults", kind="slow_answer", value="2.5", path="x"
    )
    assert (status, answer["value"]) == (200, 2.5)
    status, answer = await control(simulator, "POST", "faults", kind="lose_answer")
    assert (status, answer["kind"]) == (200, "lose_answer")
    assert (await control(simulator, "DELETE", "faults"))[0] == 200
    assert simulator.faults == []


async def test_notify_in_query_route(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    """The route switches where notification fields go, both ways."""
    assert await control(simulator, "POST", "notify_in_query", enabled="true") == (
        200,
        {"ok": True},
    )
    session = await incoming(simulator, notify_sink.url)
    assert (notify_sink.posts[-1].query["session"], notify_sink.posts[-1].form) == (
        session,
        {},
    )
    assert (await control(simulator, "POST", "notify_in_query", enabled="False"))[
        0
    ] == 200
    session = await incoming(simulator, notify_sink.url)
    assert (notify_sink.posts[-1].query, notify_sink.posts[-1].form["session"]) == (
        {},
        session,
    )
    for bad in ({"enabled": "yes"}, {}):
        status, answer = await control(simulator, "POST", "notify_in_query", **bad)
        assert status == 400
        assert "enabled" in answer["error"]
    assert not simulator.config.notify_in_query


@pytest.mark.parametrize("kind", sorted(FAULT_KINDS))
async def test_fault_subcommand_adds_every_kind(
    simulator: HoiioSimulator, kind: str
) -> None:
    value = {"latency": "0.5", "slow_answer": "30", "status": "error_x"}.get(kind, "{}")
    argv = ["fault", "--kind", kind, "--path", "ivr/end/transfer", "--count", "2"]
    if kind in ("latency", "slow_answer", "status", "body"):
        argv += ["--value", value]
    printed = await run_client(
        build_parser().parse_args([*argv, "--simulator", simulator.url])
    )
    assert json.loads(printed)["kind"] == kind
    [fault] = simulator.faults
    assert (fault.kind, fault.path, fault.count) == (kind, "ivr/end/transfer", 2)


async def test_fault_subcommand_lists_and_clears(simulator: HoiioSimulator) -> None:
    parser = build_parser()

    async def run(*argv: str) -> str:
        return await run_client(
            parser.parse_args(["fault", *argv, "--simulator", simulator.url])
        )

    assert await run("--list") == ""
    await run("--kind", "lose_answer", "--path", "ivr/middle/play")
    await run("--kind", "drop_notification", "--block", "play")
    listed = [json.loads(line) for line in (await run("--list")).splitlines()]
    assert [fault["kind"] for fault in listed] == ["lose_answer", "drop_notification"]
    assert await run("--clear") == "faults cleared"
    assert simulator.faults == []
    with pytest.raises(ControlError, match="--kind"):
        await run()
    with pytest.raises(ControlError, match="needs a value of seconds"):
        await run("--kind", "slow_answer")


def test_parse_account_and_number() -> None:
    account = parse_account("app:token:My Shop")
    assert (account.app_id, account.access_token, account.name) == (
        "app",
        "token",
        "My Shop",
    )
    assert parse_account("app:token").name == "Demo Account"
    assert parse_number("+6531580000=http://127.0.0.1:8123/hook?a=b") == (
        "+6531580000",
        "http://127.0.0.1:8123/hook?a=b",
    )
    for bad in ("app", ":token", "app:"):
        with pytest.raises(argparse.ArgumentTypeError, match="APP_ID:TOKEN"):
            parse_account(bad)
    for bad in ("+6531580000", "=http://x", "+65="):
        with pytest.raises(argparse.ArgumentTypeError, match="NOTIFY_URL"):
            parse_number(bad)


def test_serve_options() -> None:
    args = build_parser().parse_args(
        [
            "serve",
            "--port", "0",
            "--account", "a:t:Shop",
            "--account", "b:u",
            "--number", "+6531580000=http://127.0.0.1/h",
            "--block-delay", "0.1",
            "--dial-delay", "0.2",
            "--transfer-duration", "3",
            "--no-rate-limits",
            "--notify-in-query",
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert [account.app_id for account in config.accounts] == ["a", "b"]
    assert config.number_notify_urls == {"+6531580000": "http://127.0.0.1/h"}
    assert (config.block_delay, config.dial_delay, config.transfer_duration) == (
        0.1,
        0.2,
        3.0,
    )
    assert config.rate_limits == {}
    assert config.notify_in_query
    defaults = config_from_args(build_parser().parse_args(["serve"]))
    assert not defaults.notify_in_query
    assert args.port == 0
    assert build_parser().parse_args(["serve"]).port == 8950
    assert [account.app_id for account in defaults.accounts] == ["demo_app"]
    assert "user/get_info" in defaults.rate_limits
    assert defaults.first_session > 60_000_000_000
    assert (
        config_from_args(
            build_parser().parse_args(["serve", "--first-session", "5000"])
        ).first_session
        == 5000
    )


async def test_a_restarted_simulator_gives_out_new_sessions(
    notify_sink: NotifySink, socket_enabled: None
) -> None:
    """A client that remembers a session as ended never sees it again."""
    seen = set()
    for _ in range(2):
        config = config_from_args(build_parser().parse_args(["serve", "--port", "0"]))
        sim = HoiioSimulator(config)
        await sim.start()
        try:
            seen.add(await incoming(sim, notify_sink.url))
        finally:
            await sim.stop()
    assert len(seen) == 2


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    for command in ("serve", "call", "hangup", "number", "outcome", "fault"):
        assert command in out


async def test_serve_until_stopped(
    capsys: pytest.CaptureFixture[str], socket_enabled: None
) -> None:
    stop = asyncio.Event()
    stop.set()
    await serve(SimulatorConfig(), "127.0.0.1", 0, stop)
    out = capsys.readouterr().out
    assert out.startswith("Hoiio simulator on http://127.0.0.1:")
    assert out.endswith("stopped\n")


async def test_call_subcommand(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    session = await call(simulator.url, CALLER, HOIIO_NUMBER, notify_sink.url)
    assert session in simulator.sessions
    assert notify_sink.blocks() == ["answer"]
    with pytest.raises(ControlError, match="no notify URL"):
        await call(simulator.url, CALLER, "+6531589999")


async def test_client_subcommands(
    simulator: HoiioSimulator, notify_sink: NotifySink
) -> None:
    parser = build_parser()

    async def run(*argv: str) -> str:
        return await run_client(
            parser.parse_args([*argv, "--simulator", simulator.url])
        )

    assert await run(
        "number", "--number", HOIIO_NUMBER, "--notify-url", notify_sink.url
    ) == (f"{HOIIO_NUMBER} -> {notify_sink.url}")
    session = await run("call", "--from", CALLER, "--to", HOIIO_NUMBER)
    assert notify_sink.blocks() == ["answer"]
    assert (
        await run("outcome", "--transfer", "busy", "--session", session)
        == "transfer=busy"
    )
    assert simulator.sessions[session].transfer_outcome == "busy"
    assert await run("outcome", "--transfer", "failed", "--dial", "busy") == (
        "transfer=failed dial=busy"
    )
    assert await run("outcome", "--dial", "answered") == "dial=answered"
    assert await run("hangup", "--session", session) == f"{session} hung up"
    assert simulator.sessions[session].state == "ended"
    with pytest.raises(ControlError, match="--transfer"):
        await run("outcome")
    with pytest.raises(ControlError, match="already ended"):
        await run("hangup", "--session", session)


async def test_main_client_exit_codes(
    simulator: HoiioSimulator,
    notify_sink: NotifySink,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [
        "call",
        "--from",
        CALLER,
        "--to",
        HOIIO_NUMBER,
        "--simulator",
        simulator.url,
    ]
    assert await asyncio.to_thread(main, [*argv, "--notify-url", notify_sink.url]) == 0
    assert capsys.readouterr().out.strip() in simulator.sessions
    assert await asyncio.to_thread(main, argv) == 1
    assert "no notify URL" in capsys.readouterr().err
    refused = ["hangup", "--session", "S1", "--simulator", "http://127.0.0.1:1"]
    assert await asyncio.to_thread(main, refused) == 1
    assert capsys.readouterr().err.startswith("error: ")


def test_module_serves_until_ctrl_c(socket_enabled: None) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    with subprocess.Popen(
        [sys.executable, "-m", "hoiio_simulator", "--port", "0", "--no-rate-limits"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Hoiio simulator on http://127.0.0.1:")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert out == "stopped\n"
    assert "Traceback" not in err
