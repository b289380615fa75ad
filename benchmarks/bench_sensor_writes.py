"""Benchmark 6: the call sensors' check for a change against an entity write.

Every change of the calls wakes both call sensors (Ongoing calls, Current
call); most wakes change neither. A sensor writes its state only when what it
shows changed (`HoiioCallSensor._handle_coordinator_update`). Without that
check, Home Assistant's entity layer would build the state and attributes and
compare them with the state machine's on every wake. On a real Home Assistant
with the simulator and a loaded entry, during a ringing call, this times both
ways for a wake that changes nothing: the sensor's own check, and
`async_write_ha_state()` (which then fires no state change). It also counts the
wakes that change nothing over the webhook benchmark's mix (answer ringing,
play, gather, hangup), posted through the real webhook for one call and for 8
calls side by side, and from both what the check saves per notification (it
costs a check on every wake and saves a write on the unchanged ones). The check
earns its place when a write takes at least 1.1 times as long as the check.
"""

from __future__ import annotations

import argparse
import time
from typing import Any, Final

import aiohttp
from harness import CALLER, HOIIO_NUMBER, Table, Target, median, run, running_instance
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_platform

from custom_components.hoiio.const import DOMAIN
from custom_components.hoiio.sensor import HoiioCallSensor

EARNS: Final = 1.1
CALL: Final = (
    {"ivr_block": "answer", "call_state": "ringing", "txn_ref": "AA-1"},
    {"ivr_block": "play", "call_state": "ongoing"},
    {"ivr_block": "gather", "call_state": "ongoing", "digits": "1"},
    {"ivr_block": "hangup", "call_state": "ended", "duration": "1", "debit": "0.1"},
)


def call_sensors(hass: HomeAssistant) -> list[HoiioCallSensor]:
    """Return the entry's call sensors."""
    sensors = [
        entity
        for platform in entity_platform.async_get_platforms(hass, DOMAIN)
        for entity in platform.entities.values()
        if isinstance(entity, HoiioCallSensor)
    ]
    if len(sensors) != 2:
        raise RuntimeError(f"expected two call sensors, found {sensors}")
    return sensors


def per_wake_us(sensors: list[HoiioCallSensor], wake: str, wakes: int) -> float:
    """Return the microseconds one wake of every sensor takes, done `wakes` times."""
    methods = [getattr(sensor, wake) for sensor in sensors]
    start = time.perf_counter()
    for _ in range(wakes):
        for method in methods:
            method()
    return (time.perf_counter() - start) / wakes / len(sensors) * 1e6


async def post(url: str, notifications: list[dict[str, str]]) -> None:
    """Post notifications to the webhook, one after the other."""
    async with aiohttp.ClientSession() as client:
        for fields in notifications:
            data = {"from": CALLER, "to": HOIIO_NUMBER, **fields}
            async with client.post(url, data=data) as response:
                if response.status != 200:
                    raise RuntimeError(f"the webhook answered {response.status}")


def interleaved_calls(prefix: str, calls: int) -> list[dict[str, str]]:
    """Return the notifications of `calls` calls, each step of every call in turn."""
    return [
        {"session": f"{prefix}-{number}", **fields}
        for fields in CALL
        for number in range(calls)
    ]


async def unchanged_wakes(
    instance: Any, sensors: list[HoiioCallSensor], calls: int
) -> int:
    """Post `calls` calls side by side; return the sensor wakes that changed nothing."""
    hass: HomeAssistant = instance.hass
    entity_ids = {sensor.entity_id for sensor in sensors}
    changes: list[Event] = []

    @callback
    def count(event: Event) -> None:
        if event.data["entity_id"] in entity_ids:
            changes.append(event)

    remove = hass.bus.async_listen("state_changed", count)
    await post(instance.hoiio_webhook_url, interleaved_calls(f"wakes{calls}", calls))
    await hass.async_block_till_done()
    remove()
    return len(CALL) * calls * len(sensors) - len(changes)


async def main_async(args: argparse.Namespace) -> None:
    """Measure, then print the table."""
    async with running_instance() as instance:
        hass = instance.hass
        sensors = call_sensors(hass)
        unchanged = {
            calls: await unchanged_wakes(instance, sensors, calls) for calls in (1, 8)
        }
        # A ringing call, so the current-call sensor has attributes to build.
        await post(instance.hoiio_webhook_url, interleaved_calls("ringing", 1)[:1])
        await hass.async_block_till_done()
        checks, writes = [], []
        for _ in range(args.rounds):
            checks.append(
                per_wake_us(sensors, "_handle_coordinator_update", args.wakes)
            )
            writes.append(per_wake_us(sensors, "async_write_ha_state", args.wakes))
    check, write = median(checks), median(writes)
    table = Table(f"call sensors, wakes that change nothing: median of {args.rounds}")
    table.add("the sensor's check for a change", check, "us a wake")
    table.add("async_write_ha_state() of an unchanged state", write, "us a wake")
    table.add("write / check", write / check, "x", Target(">=", EARNS), digits=2)
    wakes = len(CALL) * len(sensors)
    for calls, count in unchanged.items():
        side = "one call" if calls == 1 else f"{calls} calls side by side"
        share = count / (wakes * calls)
        table.add(f"{side}: wakes that change nothing", share * 100, "%", digits=0)
        # Without the check every wake writes; with it every wake checks.
        saved = len(sensors) * (share * write - check)
        table.add(f"{side}: saved by the check", saved, "us a notification", digits=1)
    table.print()


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--wakes", type=int, default=20_000)
    return parser.parse_args()


def main() -> None:
    """Run the benchmark."""
    args = parse_args()

    async def main_with_args() -> None:
        await main_async(args)

    run(main_with_args)


if __name__ == "__main__":
    main()
