"""Benchmark 2: what the hoiio.transfer and hoiio.unhold actions add to a request.

Against the simulator (zero delays) on 127.0.0.1, each iteration times, in turn:
the action through `hass.services.async_call(..., blocking=True,
return_response=True)`, the client alone (`HoiioClient.block` with the same form)
and a raw aiohttp POST of the same form with Home Assistant's client session.
Transfers use on_failure=continue with the simulator's transfer outcome "busy",
so one session stays usable; an unhold is preceded by a hold (untimed). Before
each timed request the simulator settles and Home Assistant finishes its work,
so the session is not busy with the previous block's notification. The table
gives medians and the time the action adds over the raw POST (target <= 1 ms).
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from harness import (
    ACCESS_TOKEN,
    APP_ID,
    CALLER,
    HOIIO_NUMBER,
    MOBILE,
    Instance,
    Table,
    Target,
    median,
    percentile,
    run_benchmark,
    running_instance,
    timed,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from custom_components.hoiio.api import IvrPath
from custom_components.hoiio.const import DOMAIN

MAX_ADDED_MS: Final = 1.0
TRANSFER_PATH: Final = "ivr/end/transfer"
UNHOLD_PATH: Final = "ivr/middle/unhold"


@dataclass
class Variant:
    """One way of sending a block: an untimed preparation, then the timed send."""

    name: str
    prepare: Callable[[], Awaitable[object]] | None
    send: Callable[[], Awaitable[object]]


class Actions:
    """The three ways of sending each block, for one session."""

    def __init__(self, instance: Instance, session: str) -> None:
        """Send for the session of the instance's entry."""
        self._instance = instance
        self._entry = instance.loaded_entry
        self._session = session
        self._client = self._entry.runtime_data.client
        self._http = async_get_clientsession(instance.hass)

    async def action(self, name: str, **data: Any) -> None:
        """Call a hoiio action and check its response."""
        response = await self._instance.hass.services.async_call(
            DOMAIN,
            name,
            {"config_entry_id": self._entry.entry_id, "session": self._session, **data},
            blocking=True,
            return_response=True,
        )
        if not isinstance(response, dict) or response.get("status") != "success_ok":
            raise RuntimeError(f"{name} answered {response}")

    async def raw_post(self, path: str, **params: str) -> None:
        """POST the form of a block straight to the simulator."""
        form = {
            "app_id": APP_ID,
            "access_token": ACCESS_TOKEN,
            "session": self._session,
            "notify_url": self._instance.hoiio_webhook_url,
            **params,
        }
        url = self._instance.simulator.base_url + path
        async with self._http.post(url, data=form) as response:
            body = await response.read()
        if b"success_ok" not in body:
            raise RuntimeError(f"{path} answered {body!r}")

    def transfer_variants(self) -> list[Variant]:
        """Return the action, client and raw sends of a transfer."""
        notify_url = self._instance.hoiio_webhook_url
        return [
            Variant(
                "transfer action",
                None,
                lambda: self.action("transfer", dest=MOBILE, on_failure="continue"),
            ),
            Variant(
                "transfer client",
                None,
                lambda: self._client.block(
                    IvrPath.TRANSFER,
                    {
                        "session": self._session,
                        "dest": MOBILE,
                        "on_failure": "continue",
                        "notify_url": notify_url,
                    },
                ),
            ),
            Variant(
                "transfer raw POST",
                None,
                lambda: self.raw_post(
                    TRANSFER_PATH, dest=MOBILE, on_failure="continue"
                ),
            ),
        ]

    def unhold_variants(self) -> list[Variant]:
        """Return the action, client and raw sends of an unhold, each after a hold."""
        notify_url = self._instance.hoiio_webhook_url
        return [
            Variant("unhold action", lambda: self.action("hold"), self.unhold_action),
            Variant(
                "unhold client",
                self.client_hold,
                lambda: self._client.block(
                    IvrPath.UNHOLD, {"session": self._session, "notify_url": notify_url}
                ),
            ),
            Variant(
                "unhold raw POST",
                self.client_hold,
                lambda: self.raw_post(UNHOLD_PATH),
            ),
        ]

    async def client_hold(self) -> None:
        """Put the call on hold through the client."""
        await self._client.block(IvrPath.HOLD, {"session": self._session})

    async def unhold_action(self) -> None:
        """Unhold through the action."""
        await self.action("unhold")


async def settled(instance: Instance) -> None:
    """Wait until no notification is on its way and Home Assistant is idle."""
    await instance.simulator.settle()
    await instance.hass.async_block_till_done()


async def measure(
    instance: Instance, variants: list[Variant], iterations: int
) -> dict[str, list[float]]:
    """Time every variant once per iteration, in turn; return seconds per variant."""
    times: dict[str, list[float]] = {variant.name: [] for variant in variants}
    for _ in range(iterations):
        for variant in variants:
            await settled(instance)
            if variant.prepare is not None:
                await variant.prepare()
                await settled(instance)
            times[variant.name].append(await timed(variant.send))
    await settled(instance)
    return times


def report(table: Table, block: str, times: dict[str, list[float]]) -> None:
    """Add the medians and the added times of one block to the table."""
    medians = {name: median(values) * 1e3 for name, values in times.items()}
    for name, values in times.items():
        table.add(f"{name} median", medians[name], "ms")
        table.add(f"{name} p90", percentile(values, 0.9) * 1e3, "ms")
    action, client, raw = (
        medians[f"{block} action"],
        medians[f"{block} client"],
        medians[f"{block} raw POST"],
    )
    table.add(f"{block}: client - raw POST", client - raw, "ms")
    table.add(f"{block}: action - client", action - client, "ms")
    table.add(
        f"{block}: added by the action (action - raw POST)",
        action - raw,
        "ms",
        target=Target("<=", MAX_ADDED_MS),
    )


async def main_async(args: argparse.Namespace) -> Table:
    """Measure transfers and unholds."""
    table = Table(f"actions: {args.iterations} iterations per variant, medians")
    async with running_instance() as instance:
        instance.simulator.set_transfer_outcome("busy")
        session = await instance.simulator.incoming_call(CALLER, HOIIO_NUMBER)
        await settled(instance)
        actions = Actions(instance, session)
        await measure(instance, actions.transfer_variants(), 10)  # warm-up
        await measure(instance, actions.unhold_variants(), 10)
        report(
            table,
            "transfer",
            await measure(instance, actions.transfer_variants(), args.iterations),
        )
        report(
            table,
            "unhold",
            await measure(instance, actions.unhold_variants(), args.iterations),
        )
        call = instance.loaded_entry.runtime_data.tracker.get(session)
        if call is None or call.ended:
            raise RuntimeError("the benchmark's call ended")
    return table


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300)
    return parser.parse_args()


def main() -> None:
    """Run the benchmark and print its table."""
    run_benchmark(main_async, parse_args())


if __name__ == "__main__":
    main()
