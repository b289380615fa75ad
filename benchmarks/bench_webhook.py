"""Benchmark 1: the Hoiio webhook beside a floor and a bare handler, driven by wrk.

wrk (benchmarks/sender.py, a C program in its own process) posts the
notifications of one incoming call after another on each of its connections
(8 unless --connections says otherwise):
answer (ringing, empty tag), play, gather with digits, and an ended hangup with
date, duration, currency, rate and debit; every call has its own session and
every notification its own txn_ref (benchmarks/notifications.lua). The same mix
goes, in turn, to webhooks of one Home Assistant on 127.0.0.1, which runs in
this process: the Hoiio webhook of a loaded entry; the floor (benchmarks/
floor.py), which does by hand the least the product asks, through real
entities; the same floor writing its states with hass.states.async_set
(floor-states: what the entity layer costs); and a bare handler that decodes
the form and answers 200. A plain aiohttp server in a separate process, without
Home Assistant, shows that the sender can drive more than the bare handler gets.

Rounds rotate the order of the handlers; the tables give the medians of the
rounds, the ratio Hoiio/floor (target >= 0.8: the floor does by hand the least
the product asks, which includes its entities) with Hoiio's p99 latency beside
it, the ratios Hoiio/floor-states (Hoiio against a floor without the entity
layer the product needs) and Hoiio/bare, the spread of the rounds, the CPU
each side used, and the checks: every answer is a 200, each handler with calls
fired one hoiio_event per notification, and no call is left open once each
run's unfinished calls have had their hangup.

With --profile DIR, one more Hoiio run and one more floor run are sampled with
py-spy; the raw profiles go to DIR and their summary (time per
notification, by part of the work) is printed after the tables.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
import os
from pathlib import Path
import resource
import shutil
import subprocess
import sys
from typing import Final

import aiohttp
from floor import EVENT_HOIIO, EntityFloor, FloorWebhook, StatesFloor
from harness import (
    CALLER,
    HOIIO_NUMBER,
    Instance,
    Table,
    Target,
    median,
    run,
    running_instance,
)
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, callback
from profile_summary import ProfileRun, print_profiles
from sender import SenderRun, ensure_wrk, run_wrk

MIN_RATIO: Final = 0.8
# The plain server must take clearly more than the bare handler gets, or the
# sender (not Home Assistant) would be what the figures measure.
MIN_SENDER_HEADROOM: Final = 1.2
# Requests wrk had sent but Home Assistant had not finished when wrk stopped.
SETTLE_SECONDS: Final = 0.3
# Long enough for Home Assistant's delayed writes after start-up to be done.
WARM_UP_SECONDS: Final = 2
PROFILE_RATE: Final = 500
PROFILE_ATTACH_SECONDS: Final = 3
PROFILE_SECONDS: Final = 10
PROFILED: Final = ("hoiio", "floor")
HOME_ASSISTANT_HANDLERS: Final = ("hoiio", "floor", "floor-states", "bare")
EVENT_HANDLERS: Final = ("hoiio", "floor", "floor-states")
HERE: Final = Path(__file__).resolve().parent


@dataclass
class Handler:
    """A webhook under test and how to ask it about its calls."""

    name: str
    url: str
    # None: the handler keeps no calls (and fires no hoiio_event).
    open_calls: Callable[[], int] | None = None


@dataclass
class Run:
    """One wrk run against one handler."""

    sender: SenderRun
    server_user_seconds: float
    server_system_seconds: float
    events: int
    states: int

    @property
    def server_cpu_seconds(self) -> float:
        """Return the CPU seconds this process used during the run."""
        return self.server_user_seconds + self.server_system_seconds


class EventCounter:
    """Counts hoiio_event events and state changes on the bus.

    Both listeners cost every handler that fires or writes them alike; a real
    Home Assistant has such listeners too (recorder, logbook, frontend).
    """

    def __init__(self, instance: Instance) -> None:
        """Listen on the instance's bus."""
        self.events = 0
        self.states = 0
        instance.hass.bus.async_listen(EVENT_HOIIO, self._count_event)
        instance.hass.bus.async_listen(EVENT_STATE_CHANGED, self._count_state)

    def reset(self) -> None:
        """Start counting from zero."""
        self.events = self.states = 0

    @callback
    def _count_event(self, event: Event) -> None:
        """Count a hoiio_event."""
        self.events += 1

    @callback
    def _count_state(self, event: Event[EventStateChangedData]) -> None:
        """Count a state change."""
        self.states += 1


@dataclass
class Bench:
    """The running instance, the sender and what the runs left behind."""

    instance: Instance
    wrk: str
    client: aiohttp.ClientSession
    connections: int
    counter: EventCounter
    left_open: dict[str, int] = field(default_factory=dict)

    async def measure(self, handler: Handler, seconds: float, prefix: str) -> Run:
        """Drive one handler with wrk; then end the calls wrk left open."""
        self.counter.reset()
        before = resource.getrusage(resource.RUSAGE_SELF)
        sender = await run_wrk(
            self.wrk,
            handler.url,
            seconds=seconds,
            connections=self.connections,
            prefix=prefix,
        )
        after = resource.getrusage(resource.RUSAGE_SELF)
        await asyncio.sleep(SETTLE_SECONDS)
        events, states = self.counter.events, self.counter.states
        if handler.open_calls is not None:
            for session in sender.open_sessions:
                await self._hang_up(handler.url, session)
            await self.instance.hass.async_block_till_done()
            left = handler.open_calls()
            self.left_open[handler.name] = self.left_open.get(handler.name, 0) + left
        return Run(
            sender,
            after.ru_utime - before.ru_utime,
            after.ru_stime - before.ru_stime,
            events,
            states,
        )

    async def _hang_up(self, url: str, session: str) -> None:
        """Post the ended hangup of a call wrk stopped in the middle of."""
        form = {
            "ivr_block": "hangup",
            "session": session,
            "txn_ref": f"AA-end-{session}",
            "tag": "",
            "call_state": "ended",
            "from": CALLER,
            "to": HOIIO_NUMBER,
            "date": "2025-04-01 10:00:00",
            "duration": "1",
            "currency": "SGD",
            "rate": "0.050",
            "debit": "0.050",
        }
        async with self.client.post(url, data=form) as response:
            if response.status != 200:
                raise RuntimeError(f"closing hangup answered {response.status}")


@asynccontextmanager
async def plain_server() -> AsyncIterator[str]:
    """Run benchmarks/plain_server.py in its own process; yield its webhook URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "plain_server.py"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        port = int((await process.stdout.readline()).decode())
        yield f"http://127.0.0.1:{port}/api/webhook/plain"
    finally:
        process.stdin.close()
        await process.wait()


async def run_rounds(
    bench: Bench, handlers: list[Handler], args: argparse.Namespace
) -> dict[str, list[Run]]:
    """Warm every handler up, then run the rounds, rotating the handlers' order."""
    for position, handler in enumerate(handlers):
        await bench.measure(handler, WARM_UP_SECONDS, f"w{position}")
    bench.left_open.clear()
    runs: dict[str, list[Run]] = {handler.name: [] for handler in handlers}
    for index in range(args.rounds):
        shift = index % len(handlers)
        for handler in handlers[shift:] + handlers[:shift]:
            prefix = f"r{index}h{handlers.index(handler)}"
            run_ = await bench.measure(handler, args.seconds, prefix)
            runs[handler.name].append(run_)
            print(
                f"round {index + 1} {handler.name:12} {run_.sender.rate:8,.0f}/s"
                f"  p50 {run_.sender.p50_ms:5.2f} ms  p99 {run_.sender.p99_ms:6.2f} ms"
                f"  max {run_.sender.max_ms:6.1f} ms",
                flush=True,
            )
    return runs


def throughput_table(args: argparse.Namespace, runs: dict[str, list[Run]]) -> Table:
    """Return the medians of throughput, latency and CPU, and the ratios."""
    table = Table(
        f"webhook: wrk, connections: {args.connections}, calls of answer/play/"
        f"gather/hangup, {args.rounds} rounds x {args.seconds:g} s, medians"
    )
    rate = {name: median([r.sender.rate for r in rs]) for name, rs in runs.items()}
    for name in runs:
        table.add(f"{name}: throughput", rate[name], "notif/s", digits=0)
    for name in HOME_ASSISTANT_HANDLERS:
        p50 = median([r.sender.p50_ms for r in runs[name]])
        p99 = median([r.sender.p99_ms for r in runs[name]])
        table.add(f"{name}: p50 latency", p50, "ms", digits=2)
        table.add(f"{name}: p99 latency", p99, "ms", digits=2)
    p99 = median([r.sender.p99_ms for r in runs["hoiio"]])
    table.add(
        f"ratio Hoiio/floor (Hoiio p99 {p99:.2f} ms)",
        rate["hoiio"] / rate["floor"],
        target=Target(">=", MIN_RATIO),
    )
    table.add(
        "ratio Hoiio/floor-states (no entity layer)",
        rate["hoiio"] / rate["floor-states"],
    )
    table.add("ratio Hoiio/bare", rate["hoiio"] / rate["bare"])
    add_round_ratios(table, runs)
    table.add(
        "time Hoiio adds over the floor",
        (1 / rate["hoiio"] - 1 / rate["floor"]) * 1e6,
        "us/notif",
        digits=0,
    )
    add_cpu_per_notification(table, runs)
    add_state_changes(table, runs)
    return table


def add_round_ratios(table: Table, runs: dict[str, list[Run]]) -> None:
    """Add the lowest and highest Hoiio/floor ratio of a round."""
    ratios = [
        hoiio.sender.rate / floor.sender.rate
        for hoiio, floor in zip(runs["hoiio"], runs["floor"], strict=True)
    ]
    table.add("ratio Hoiio/floor, lowest round", min(ratios))
    table.add("ratio Hoiio/floor, highest round", max(ratios))


def add_cpu_per_notification(table: Table, runs: dict[str, list[Run]]) -> None:
    """Add the CPU time each handler's notifications cost Home Assistant."""
    cpu = {
        name: median([r.server_cpu_seconds / r.sender.requests * 1e6 for r in rs])
        for name, rs in runs.items()
        if name in HOME_ASSISTANT_HANDLERS
    }
    for name, value in cpu.items():
        table.add(f"{name}: CPU per notification", value, "us", digits=0)
    # It does not depend on how much CPU other programs leave to Home
    # Assistant: on a busy machine it is the steadier comparison.
    table.add(
        "ratio Hoiio/floor-states by CPU per notification",
        cpu["floor-states"] / cpu["hoiio"],
    )
    table.add("ratio Hoiio/floor by CPU per notification", cpu["floor"] / cpu["hoiio"])


def add_state_changes(table: Table, runs: dict[str, list[Run]]) -> None:
    """Add how many states each handler changed per notification."""
    for name in EVENT_HANDLERS:
        changes = sum(r.states for r in runs[name])
        answered = sum(r.sender.requests for r in runs[name])
        table.add(f"{name}: state changes per notification", changes / answered)


def checks_table(runs: dict[str, list[Run]], bench: Bench) -> Table:
    """Return the rounds' spread, the CPU of each side and the checks."""
    table = Table("webhook: spread of rounds, CPU, sender headroom, checks")
    for name, name_runs in runs.items():
        rates = [r.sender.rate for r in name_runs]
        spread = (max(rates) - min(rates)) / median(rates) * 100
        table.add(f"{name}: spread of rounds (max-min)/median", spread, "%", digits=1)
    add_cpu_figures(table, runs)
    add_checks(table, runs, bench)
    return table


def add_cpu_figures(table: Table, runs: dict[str, list[Run]]) -> None:
    """Add the CPU each side used and how far the sender is from its limit."""
    for name in HOME_ASSISTANT_HANDLERS:
        cores = median([r.server_cpu_seconds / r.sender.seconds for r in runs[name]])
        kernel = median(
            [r.server_system_seconds / r.server_cpu_seconds for r in runs[name]]
        )
        table.add(f"{name}: Home Assistant CPU", cores, "cores", digits=2)
        table.add(f"{name}: of which in the kernel", kernel * 100, "%", digits=0)
    for name in ("bare", "plain"):
        cores = median([r.sender.cpu_cores for r in runs[name]])
        table.add(f"{name}: wrk CPU", cores, "cores", digits=2)
    every_run = [r for rs in runs.values() for r in rs]
    table.add(
        "wrk: notifications per CPU second",
        median([r.sender.requests / r.sender.cpu_seconds for r in every_run]),
        digits=0,
    )
    bare = median([r.sender.rate for r in runs["bare"]])
    plain = median([r.sender.rate for r in runs["plain"]])
    table.add(
        "sender headroom: plain server / bare",
        plain / bare,
        target=Target(">=", MIN_SENDER_HEADROOM),
    )


def add_checks(table: Table, runs: dict[str, list[Run]], bench: Bench) -> None:
    """Add the checks that every notification was answered and handled."""
    every_run = [r for rs in runs.values() for r in rs]
    table.add(
        "answers other than 200 (counted by the script)",
        sum(r.sender.refused for r in every_run),
        target=Target("<=", 0),
        digits=0,
    )
    table.add(
        "answers 4xx or 5xx (wrk's summary)",
        sum(r.sender.status_errors for r in every_run),
        target=Target("<=", 0),
        digits=0,
    )
    table.add(
        "socket errors and timeouts",
        sum(r.sender.socket_errors for r in every_run),
        target=Target("<=", 0),
        digits=0,
    )
    for name in EVENT_HANDLERS:
        add_handler_checks(table, name, runs[name], bench.left_open.get(name, 0))


def add_handler_checks(
    table: Table, name: str, runs: list[Run], left_open: int
) -> None:
    """Add the checks that a handler fired one hoiio_event per notification."""
    table.add(
        f"{name}: notifications answered",
        sum(r.sender.requests for r in runs),
        digits=0,
    )
    table.add(f"{name}: hoiio_event fired", sum(r.events for r in runs), digits=0)
    # wrk stops with a notification in flight on each connection: it may be
    # handled but not answered, so events may pass the answers, never the sent.
    table.add(
        f"{name}: answered without a hoiio_event",
        sum(max(0, r.sender.requests - r.events) for r in runs),
        target=Target("<=", 0),
        digits=0,
    )
    table.add(
        f"{name}: hoiio_event beyond notifications sent",
        sum(max(0, r.events - r.sender.sent) for r in runs),
        target=Target("<=", 0),
        digits=0,
    )
    table.add(
        f"{name}: calls left open after the runs",
        left_open,
        target=Target("<=", 0),
        digits=0,
    )


async def profile(
    bench: Bench, handler: Handler, args: argparse.Namespace, py_spy: str
) -> ProfileRun:
    """Drive a handler once more while py-spy samples this process."""
    out = args.profile / f"{handler.name}.txt"
    command = [
        py_spy,
        "record",
        f"--pid={os.getpid()}",
        f"--rate={PROFILE_RATE}",
        f"--duration={PROFILE_SECONDS + PROFILE_ATTACH_SECONDS + 2}",
        # Only the thread holding the GIL: the Python work of the event loop.
        "--gil",
        "--format=raw",
        f"--output={out}",
    ]
    spy = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    await asyncio.sleep(PROFILE_ATTACH_SECONDS)
    run_ = await bench.measure(handler, PROFILE_SECONDS, f"p{handler.name}")
    _, stderr = await spy.communicate()
    if spy.returncode != 0:
        raise RuntimeError(f"py-spy failed: {stderr.decode().strip()}")
    return ProfileRun(handler.name, out, PROFILE_RATE, run_.sender.requests)


async def main_async(args: argparse.Namespace) -> None:
    """Run the rounds, print the table, then profile if asked."""
    wrk = ensure_wrk()
    py_spy = find_py_spy(args) if args.profile else None
    async with (
        running_instance() as instance,
        plain_server() as plain_url,
        aiohttp.ClientSession() as client,
    ):
        handlers = await add_handlers(instance, plain_url)
        bench = Bench(instance, wrk, client, args.connections, EventCounter(instance))
        runs = await run_rounds(bench, handlers, args)
        throughput_table(args, runs).print()
        checks_table(runs, bench).print()
        if py_spy is not None:
            args.profile.mkdir(parents=True, exist_ok=True)
            profiles = [
                await profile(bench, handler, args, py_spy)
                for handler in handlers
                if handler.name in PROFILED
            ]
            print_profiles(profiles, user_us_per_notification(runs))


def user_us_per_notification(runs: dict[str, list[Run]]) -> dict[str, float]:
    """Return each handler's median user CPU time per notification, in us."""
    return {
        name: median([r.server_user_seconds / r.sender.requests * 1e6 for r in rs])
        for name, rs in runs.items()
        if name in HOME_ASSISTANT_HANDLERS
    }


async def add_handlers(instance: Instance, plain_url: str) -> list[Handler]:
    """Register the floors; return every handler under test, in running order."""
    entity_floor = EntityFloor(instance.hass, "floor_id")
    states_floor = StatesFloor(instance.hass, "floor_states_id")
    for floor in (entity_floor, states_floor):
        await floor.async_setup()
    tracker = instance.loaded_entry.runtime_data.tracker
    return [
        Handler("hoiio", instance.hoiio_webhook_url, lambda: tracker.ongoing_count),
        Handler("floor", webhook_url(instance, entity_floor), open_calls(entity_floor)),
        Handler(
            "floor-states",
            webhook_url(instance, states_floor),
            open_calls(states_floor),
        ),
        Handler("bare", instance.bare_webhook_url),
        Handler("plain", plain_url),
    ]


def webhook_url(instance: Instance, floor: FloorWebhook) -> str:
    """Return the URL of a floor's webhook."""
    return f"{instance.url}/api/webhook/{floor.webhook_id}"


def open_calls(floor: FloorWebhook) -> Callable[[], int]:
    """Return a function that counts a floor's open calls."""
    return lambda: len(floor.calls)


def find_py_spy(args: argparse.Namespace) -> str:
    """Return the py-spy to profile with, or stop with advice."""
    found = args.py_spy or shutil.which("py-spy")
    if found is None or not Path(found).exists():
        raise SystemExit(
            "--profile needs py-spy: `pip install py-spy` into any virtual "
            "environment and pass its path with --py-spy"
        )
    return str(found)


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="length of a run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--profile", type=Path, help="folder for py-spy profiles")
    parser.add_argument("--py-spy", help="py-spy executable (default: on PATH)")
    return parser.parse_args()


def main() -> None:
    """Run the benchmark."""
    args = parse_args()
    run(lambda: main_async(args))


if __name__ == "__main__":
    main()
