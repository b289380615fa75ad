"""Benchmark 3: memory after 100,000 notifications over 10,000 sessions.

Drives `NotificationWebhook.async_handle_fields` in-process on a real Home
Assistant with a loaded Hoiio entry: per session an answer, 8 middle blocks
(play/gather) and an ended hangup, 8 sessions at a time. After a warm-up that
fills every bounded structure, it measures the resident set size (VmRSS) and the
tracker's size before and after one pass, then the Python allocations still held
(tracemalloc) before and after a second pass. Target: growth under 5 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
from pathlib import Path
import time
import tracemalloc
from typing import Final

from harness import (
    CALLER,
    HOIIO_NUMBER,
    Instance,
    Table,
    Target,
    run_benchmark,
    running_instance,
)

from custom_components.hoiio.call_tracker import CallTracker
from custom_components.hoiio.webhook_handler import NotificationWebhook

MAX_GROWTH_MB: Final = 5.0
MIDDLE_BLOCKS: Final = 8
MB: Final = 1024 * 1024
_sessions = itertools.count(1)
_txn_refs = itertools.count(700_001)


def rss_bytes() -> int:
    """Return this process's resident set size, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def call_forms(session: str) -> list[dict[str, str]]:
    """Return one session's notifications: answer, middle blocks, ended hangup."""
    party = {"from": CALLER, "to": HOIIO_NUMBER}
    forms = [
        {"ivr_block": "answer", "session": session, "call_state": "ongoing", **party}
    ]
    for index in range(MIDDLE_BLOCKS):
        form = {
            "ivr_block": "gather" if index % 2 else "play",
            "session": session,
            "txn_ref": f"AA-S-{next(_txn_refs)}",
            "call_state": "ongoing",
            **party,
        }
        if index % 2:
            form["digits"] = str(index)
        forms.append(form)
    forms.append(
        {
            "ivr_block": "hangup",
            "session": session,
            "txn_ref": f"AA-S-{next(_txn_refs)}",
            "call_state": "ended",
            "date": "2025-04-01 10:00:00",
            "duration": "2",
            "currency": "SGD",
            "rate": "0.050",
            "debit": "0.100",
            **party,
        }
    )
    return forms


async def drive(handler: NotificationWebhook, sessions: int, concurrency: int) -> int:
    """Send every session's notifications, `concurrency` sessions at a time."""
    remaining = iter(range(sessions))
    sent = 0

    async def worker() -> None:
        nonlocal sent
        for _ in remaining:
            for form in call_forms(f"MEM{next(_sessions)}"):
                status, text = await handler.async_handle_fields(form, None)
                if status != 200:
                    raise RuntimeError(f"notification refused: {status} {text}")
                sent += 1

    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())
    return sent


def tracker_size(tracker: CallTracker) -> tuple[tuple[int, int, int], int]:
    """Return the tracker's (ongoing, ended, pending) and its JSON length."""
    return tracker.size, len(json.dumps(tracker.as_dict()))


async def quiesce(instance: Instance) -> None:
    """Let Home Assistant finish its work and collect garbage."""
    await instance.hass.async_block_till_done()
    gc.collect()


async def main_async(args: argparse.Namespace) -> Table:
    """Measure RSS and tracemalloc growth over two passes."""
    notifications = args.sessions * (MIDDLE_BLOCKS + 2)
    table = Table(
        f"memory: {notifications:,} notifications over {args.sessions:,} sessions "
        f"per pass, {args.concurrency} sessions at a time"
    )
    async with running_instance() as instance:
        entry = instance.loaded_entry
        tracker = entry.runtime_data.tracker
        handler = NotificationWebhook(instance.hass, entry)
        await drive(handler, args.warmup, args.concurrency)
        await quiesce(instance)

        size_before, json_before = tracker_size(tracker)
        rss_before = rss_bytes()
        start = time.perf_counter()
        sent = await drive(handler, args.sessions, args.concurrency)
        elapsed = time.perf_counter() - start
        await quiesce(instance)
        rss_after = rss_bytes()
        size_after, json_after = tracker_size(tracker)

        tracemalloc.start(1)
        await quiesce(instance)
        traced_before = tracemalloc.get_traced_memory()[0]
        snapshot_before = tracemalloc.take_snapshot()
        await drive(handler, args.sessions, args.concurrency)
        await quiesce(instance)
        traced_after = tracemalloc.get_traced_memory()[0]
        snapshot_after = tracemalloc.take_snapshot()
        tracemalloc.stop()

    table.add("notifications per pass", sent, digits=0)
    table.add("in-process handling time", elapsed / sent * 1e6, "us/notif", digits=1)
    table.add("RSS before", rss_before / MB, "MB", digits=1)
    table.add("RSS after", rss_after / MB, "MB", digits=1)
    table.add(
        "RSS growth",
        (rss_after - rss_before) / MB,
        "MB",
        target=Target("<", MAX_GROWTH_MB),
        digits=2,
    )
    table.add(
        "tracemalloc growth (2nd pass)",
        (traced_after - traced_before) / MB,
        "MB",
        target=Target("<", MAX_GROWTH_MB),
        digits=3,
    )
    table.add("tracker ongoing/ended/pending before", float(sum(size_before)), digits=0)
    table.add("tracker ongoing/ended/pending after", float(sum(size_after)), digits=0)
    table.add("tracker JSON before", json_before / 1024, "KiB", digits=1)
    table.add("tracker JSON after", json_after / 1024, "KiB", digits=1)
    print(f"tracker.size before {size_before}, after {size_after}")
    print("largest tracemalloc growth by line (2nd pass):")
    for stat in snapshot_after.compare_to(snapshot_before, "lineno")[:5]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB  {stat.traceback[0]}")
    return table


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=300, help="sessions")
    parser.add_argument("--concurrency", type=int, default=8)
    return parser.parse_args()


def main() -> None:
    """Run the benchmark and print its table."""
    run_benchmark(main_async, parse_args())


if __name__ == "__main__":
    main()
