"""Command line: serve the simulator or drive a running one."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

from .accounts import Account
from .config import SimulatorConfig
from .faults import FAULT_KINDS
from .notifier import loopback_session
from .server import HoiioSimulator

if TYPE_CHECKING:
    from collections.abc import Sequence

DEFAULT_PORT = 8950
DEFAULT_SIMULATOR = f"http://127.0.0.1:{DEFAULT_PORT}"
# Sessions are numbered from the milliseconds since this moment (2025-01-01 UTC).
SESSION_EPOCH = 1735689600
COMMANDS = ("serve", "call", "hangup", "number", "outcome", "fault")


class ControlError(Exception):
    """The simulator refused a control request."""


def parse_account(text: str) -> Account:
    """Parse APP_ID:TOKEN[:NAME]."""
    parts = text.split(":", 2)
    if len(parts) < 2 or not all(parts[:2]):
        raise argparse.ArgumentTypeError("expected APP_ID:TOKEN[:NAME]")
    if len(parts) == 3:
        return Account(parts[0], parts[1], name=parts[2])
    return Account(parts[0], parts[1])


def parse_number(text: str) -> tuple[str, str]:
    """Parse +NUMBER=NOTIFY_URL."""
    number, sep, url = text.partition("=")
    if not sep or not number or not url:
        raise argparse.ArgumentTypeError("expected +NUMBER=NOTIFY_URL")
    return number, url


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m hoiio_simulator",
        description="A local simulator of the Hoiio Open API.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _add_serve(commands.add_parser("serve", help="serve the simulator (the default)"))

    def client(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--simulator", default=DEFAULT_SIMULATOR)
        return sub

    call = client("call", "ring a Hoiio number; prints the session")
    call.add_argument("--from", dest="from_number", required=True)
    call.add_argument("--to", dest="to_number", required=True)
    call.add_argument("--notify-url")
    hangup = client("hangup", "the caller hangs up")
    hangup.add_argument("--session", required=True)
    number = client("number", "set a Hoiio number's notify URL")
    number.add_argument("--number", required=True)
    number.add_argument("--notify-url", required=True)
    outcome = client("outcome", "set how transfers or dials end")
    outcome.add_argument("--transfer")
    outcome.add_argument("--dial")
    outcome.add_argument("--session", help="only this session's transfers")
    _add_fault(client("fault", "inject a fault, or list or clear the faults"))
    return parser


def _add_serve(serve: argparse.ArgumentParser) -> None:
    """Add the options of `serve`."""
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument(
        "--account", type=parse_account, action="append", default=[],
        help="APP_ID:TOKEN[:NAME]; default demo_app:demo_token",
    )  # fmt: skip
    serve.add_argument(
        "--number", type=parse_number, action="append", default=[],
        help="+NUMBER=NOTIFY_URL for incoming calls",
    )  # fmt: skip
    serve.add_argument("--block-delay", type=float, default=0.2)
    serve.add_argument("--dial-delay", type=float, default=0.5)
    serve.add_argument("--transfer-duration", type=float, default=2.0)
    serve.add_argument(
        "--ring-time", type=float, default=60.0,
        help="seconds a transfer or dial rings on the phone page before no answer",
    )  # fmt: skip
    serve.add_argument("--gather-timeout", type=float, default=15.0)
    serve.add_argument("--record-max-duration", type=float, default=120.0)
    serve.add_argument(
        "--first-session", type=int,
        help="number of the first session (default: from the clock)",
    )  # fmt: skip
    serve.add_argument("--no-rate-limits", action="store_true")
    serve.add_argument(
        "--notify-in-query", action="store_true",
        help="send notification fields in the query string instead of the body",
    )  # fmt: skip


def _add_fault(fault: argparse.ArgumentParser) -> None:
    """Add the options of `fault`."""
    fault.add_argument("--kind", choices=sorted(FAULT_KINDS))
    fault.add_argument("--path", help="only API requests to this path")
    fault.add_argument("--block", help="only notifications of this ivr_block")
    fault.add_argument("--count", type=int, help="times to apply (default: always)")
    fault.add_argument(
        "--value",
        help="seconds (latency, slow_answer), error_... (status), text (body)",
    )
    fault.add_argument("--list", action="store_true", help="show the faults in force")
    fault.add_argument("--clear", action="store_true", help="remove every fault")


def first_session_now() -> int:
    """Return a first session number that no earlier run has given out.

    It is the milliseconds since 2025; an earlier run used numbers below it
    unless it opened more than one call per millisecond.
    """
    return int((time.time() - SESSION_EPOCH) * 1000)


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """Return the simulator settings the serve options ask for."""
    config = SimulatorConfig(
        block_delay=args.block_delay,
        dial_delay=args.dial_delay,
        transfer_duration=args.transfer_duration,
        ring_time=args.ring_time,
        gather_timeout=args.gather_timeout,
        record_max_duration=args.record_max_duration,
        first_session=args.first_session or first_session_now(),
        number_notify_urls=dict(args.number),
        notify_in_query=args.notify_in_query,
    )
    if args.account:
        config.accounts = list(args.account)
    if args.no_rate_limits:
        config.rate_limits = {}
    return config


async def serve(
    config: SimulatorConfig, host: str, port: int, stop: asyncio.Event | None = None
) -> None:
    """Serve until SIGINT or SIGTERM (or until `stop` is set)."""
    stop = stop or asyncio.Event()
    simulator = HoiioSimulator(config)
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        await simulator.start(host, port)
        print(
            f"Hoiio simulator on {simulator.url} (API {simulator.base_url},"
            f" phone {simulator.phone_url})"
        )
        sys.stdout.flush()
        await stop.wait()
    finally:
        await simulator.stop()
        for sig in signals:
            loop.remove_signal_handler(sig)
    print("stopped")


async def control(
    simulator: str, action: str, fields: dict[str, str], method: str = "POST"
) -> Any:
    """Send form fields to a control route and return its JSON answer."""
    url = f"{simulator.rstrip('/')}/_simulator/{action}"
    async with (
        loopback_session() as http,
        http.request(method, url, data=fields) as resp,
    ):
        answer = await resp.json()
    if resp.status != 200:
        raise ControlError(answer.get("error", f"HTTP {resp.status}"))
    return answer


async def call(
    simulator: str, from_number: str, to_number: str, notify_url: str | None = None
) -> str:
    """Ring a Hoiio number on a running simulator and return the session."""
    fields = {"from": from_number, "to": to_number}
    if notify_url:
        fields["notify_url"] = notify_url
    answer = await control(simulator, "incoming_call", fields)
    return str(answer["session"])


async def run_client(args: argparse.Namespace) -> str:
    """Run one client subcommand and return what to print."""
    if args.command == "call":
        return await call(
            args.simulator, args.from_number, args.to_number, args.notify_url
        )
    if args.command == "hangup":
        await control(args.simulator, "hangup", {"session": args.session})
        return f"{args.session} hung up"
    if args.command == "number":
        fields = {"number": args.number, "notify_url": args.notify_url}
        await control(args.simulator, "numbers", fields)
        return f"{args.number} -> {args.notify_url}"
    if args.command == "fault":
        return await run_fault(args)
    if not (args.transfer or args.dial):
        raise ControlError("give --transfer and/or --dial")
    done = []
    if args.transfer:
        fields = {"outcome": args.transfer}
        if args.session:
            fields["session"] = args.session
        await control(args.simulator, "transfer_outcome", fields)
        done.append(f"transfer={args.transfer}")
    if args.dial:
        await control(args.simulator, "dial_outcome", {"outcome": args.dial})
        done.append(f"dial={args.dial}")
    return " ".join(done)


async def run_fault(args: argparse.Namespace) -> str:
    """Add a fault, or list or clear the faults; return what to print."""
    if args.clear:
        await control(args.simulator, "faults", {}, method="DELETE")
        return "faults cleared"
    if args.list:
        faults = await control(args.simulator, "faults", {}, method="GET")
        return "\n".join(json.dumps(fault, sort_keys=True) for fault in faults)
    if not args.kind:
        raise ControlError("give --kind, --list or --clear")
    fields = {
        name: str(value)
        for name in ("kind", "path", "block", "count", "value")
        if (value := getattr(args, name)) is not None
    }
    return json.dumps(await control(args.simulator, "faults", fields), sort_keys=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; `serve` is the default subcommand."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] not in (*COMMANDS, "-h", "--help"):
        arguments.insert(0, "serve")
    args = build_parser().parse_args(arguments)
    if args.command == "serve":
        asyncio.run(serve(config_from_args(args), args.host, args.port))
        return 0
    try:
        print(asyncio.run(run_client(args)))
    except (ControlError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0
