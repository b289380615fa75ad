"""Benchmark 1: notifications per second through the Hoiio webhook over real HTTP.

Posts realistic notification forms (answer of a new session, play/gather/play
while ongoing, then an ended hangup with date, duration, currency, rate and debit)
with an aiohttp client to `/api/webhook/<id>` of a real Home Assistant on
127.0.0.1, and the same forms to a bare webhook registered in the same Home
Assistant (it reads the form and answers 200). Sequential and concurrent runs
alternate between the two handlers, several rounds each; the table gives the
medians of the rounds and the ratio Hoiio/bare (target >= 0.8).

The client runs on the same event loop as Home Assistant, so both handlers pay
the same client cost; the "added server time" row isolates what Hoiio adds.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
import itertools
import time
from typing import Final

import aiohttp
from harness import (
    CALLER,
    HOIIO_NUMBER,
    Instance,
    Table,
    Target,
    median,
    percentile,
    run_benchmark,
    running_instance,
)

MIN_RATIO: Final = 0.8
_sessions = itertools.count(1)
_txn_refs = itertools.count(500_001)

type Form = dict[str, str]


def call_notifications(middle_blocks: int = 3) -> list[Form]:
    """Return the notifications of one call: answer, middle blocks, ended hangup."""
    session = f"BENCH{next(_sessions)}"
    party = {"from": CALLER, "to": HOIIO_NUMBER}
    forms: list[Form] = [
        {"ivr_block": "answer", "session": session, "call_state": "ongoing", **party}
    ]
    for index in range(middle_blocks):
        block = "gather" if index % 2 else "play"
        form: Form = {
            "ivr_block": block,
            "session": session,
            "txn_ref": f"AA-S-{next(_txn_refs)}",
            "call_state": "ongoing",
            "tag": "bench",
            **party,
        }
        if block == "gather":
            form["digits"] = "1"
        forms.append(form)
    forms.append(
        {
            "ivr_block": "hangup",
            "session": session,
            "txn_ref": f"AA-S-{next(_txn_refs)}",
            "call_state": "ended",
            "date": "2025-04-01 10:00:00",
            "duration": "1",
            "currency": "SGD",
            "rate": "0.050",
            "debit": "0.050",
            **party,
        }
    )
    return forms


@dataclass
class RunResult:
    """One run: how many notifications in how long, and each one's latency."""

    count: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    failures: int = 0

    @property
    def rate(self) -> float:
        """Return notifications per second."""
        return self.count / self.seconds


async def _post(
    client: aiohttp.ClientSession, url: str, form: Form, result: RunResult
) -> None:
    start = time.perf_counter()
    async with client.post(url, data=form) as response:
        await response.read()
        if response.status != 200:
            result.failures += 1
    result.latencies.append(time.perf_counter() - start)


async def _post_calls(
    client: aiohttp.ClientSession,
    url: str,
    calls: Iterator[list[Form]],
    result: RunResult,
) -> None:
    for forms in calls:
        for form in forms:
            await _post(client, url, form, result)


async def run_once(
    client: aiohttp.ClientSession, url: str, calls: int, concurrency: int
) -> RunResult:
    """Post `calls` calls' notifications, `concurrency` calls at a time."""
    work = [call_notifications() for _ in range(calls)]
    shared = iter(work)
    result = RunResult(sum(len(forms) for forms in work), 0.0)
    start = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(_post_calls(client, url, shared, result))
    result.seconds = time.perf_counter() - start
    return result


async def compare(
    instance: Instance,
    client: aiohttp.ClientSession,
    calls: int,
    concurrency: int,
    rounds: int,
) -> tuple[list[RunResult], list[RunResult]]:
    """Alternate Hoiio and bare runs; return the results of each."""
    hoiio: list[RunResult] = []
    bare: list[RunResult] = []
    for _ in range(rounds):
        hoiio.append(
            await run_once(client, instance.hoiio_webhook_url, calls, concurrency)
        )
        await instance.hass.async_block_till_done()
        bare.append(
            await run_once(client, instance.bare_webhook_url, calls, concurrency)
        )
        await instance.hass.async_block_till_done()
    return hoiio, bare


def report(
    table: Table, label: str, hoiio: list[RunResult], bare: list[RunResult]
) -> None:
    """Add the medians, percentiles and ratio of one mode to the table."""
    hoiio_rate = median([r.rate for r in hoiio])
    bare_rate = median([r.rate for r in bare])
    hoiio_lat = [x for r in hoiio for x in r.latencies]
    bare_lat = [x for r in bare for x in r.latencies]
    table.add(f"{label}: Hoiio throughput", hoiio_rate, "notif/s", digits=0)
    table.add(f"{label}: bare throughput", bare_rate, "notif/s", digits=0)
    table.add(f"{label}: Hoiio p50 latency", percentile(hoiio_lat, 0.5) * 1e3, "ms")
    table.add(f"{label}: Hoiio p99 latency", percentile(hoiio_lat, 0.99) * 1e3, "ms")
    table.add(f"{label}: bare p50 latency", percentile(bare_lat, 0.5) * 1e3, "ms")
    table.add(f"{label}: bare p99 latency", percentile(bare_lat, 0.99) * 1e3, "ms")
    table.add(
        f"{label}: added server time / notification",
        (1 / hoiio_rate - 1 / bare_rate) * 1e6,
        "us",
        digits=0,
    )
    table.add(
        f"{label}: ratio Hoiio/bare throughput",
        hoiio_rate / bare_rate,
        target=Target(">=", MIN_RATIO),
    )
    failures = sum(r.failures for r in hoiio + bare)
    table.add(f"{label}: non-200 answers", failures, target=Target("<=", 0), digits=0)


async def main_async(args: argparse.Namespace) -> Table:
    """Run the sequential and concurrent comparisons."""
    table = Table(
        f"webhook: {args.calls} calls x 5 notifications per round, "
        f"{args.rounds} rounds, medians"
    )
    async with (
        running_instance() as instance,
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=args.concurrency)
        ) as client,
    ):
        await compare(instance, client, 50, 1, 1)  # warm-up
        sequential = await compare(instance, client, args.calls, 1, args.rounds)
        report(table, "sequential", *sequential)
        concurrent = await compare(
            instance, client, args.calls, args.concurrency, args.rounds
        )
        report(table, f"concurrent x{args.concurrency}", *concurrent)
        tracker = instance.loaded_entry.runtime_data.tracker
        table.add("tracker size afterwards (ongoing)", tracker.size[0], digits=0)
    return table


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400, help="calls per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    return parser.parse_args()


def main() -> None:
    """Run the benchmark and print its table."""
    run_benchmark(main_async, parse_args())


if __name__ == "__main__":
    main()
