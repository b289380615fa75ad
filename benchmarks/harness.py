"""Shared start-up of the benchmarks: a real Home Assistant core and the simulator.

`running_instance()` starts, in this process, the Hoiio simulator on 127.0.0.1 and
a Home Assistant core with a temporary config directory (the integration is
symlinked into `<config>/custom_components/hoiio`), `http` listening on a free
port of 127.0.0.1, `webhook`, a bare webhook for comparison and, unless told
otherwise, a loaded Hoiio config entry against the simulator. It also holds the
small statistics and table helpers every benchmark prints with.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
import logging
import math
from pathlib import Path
import socket
import statistics
import sys
import tempfile
import time
from types import MappingProxyType
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402
from form import decode_form  # noqa: E402
from homeassistant import config_entries, loader  # noqa: E402
from homeassistant.bootstrap import async_load_base_functionality  # noqa: E402
from homeassistant.components import webhook  # noqa: E402
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_WEBHOOK_ID  # noqa: E402
from homeassistant.core import HomeAssistant  # noqa: E402
from homeassistant.core_config import async_process_ha_core_config  # noqa: E402
from homeassistant.runner import HassEventLoopPolicy  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402

from custom_components.hoiio.const import (  # noqa: E402
    CONF_API_URL,
    CONF_APP_ID,
    DOMAIN,
)
from custom_components.hoiio.runtime_data import HoiioConfigEntry  # noqa: E402
from hoiio_simulator import HoiioSimulator, SimulatorConfig  # noqa: E402

HOST: Final = "127.0.0.1"
APP_ID: Final = "demo_app"
ACCESS_TOKEN: Final = "demo_token"  # noqa: S105
WEBHOOK_ID: Final = "hoiio_bench_webhook_id"
BARE_WEBHOOK_ID: Final = "bare_id"
HOIIO_NUMBER: Final = "+6531580000"
CALLER: Final = "+6591234567"
MOBILE: Final = "+6598765432"


@dataclass
class Instance:
    """A running Home Assistant with the simulator next to it."""

    hass: HomeAssistant
    simulator: HoiioSimulator
    url: str
    config_dir: Path
    entry: HoiioConfigEntry | None = None

    @property
    def hoiio_webhook_url(self) -> str:
        """Return the Hoiio entry's webhook URL."""
        return f"{self.url}/api/webhook/{WEBHOOK_ID}"

    @property
    def bare_webhook_url(self) -> str:
        """Return the bare comparison webhook's URL."""
        return f"{self.url}/api/webhook/{BARE_WEBHOOK_ID}"

    @property
    def loaded_entry(self) -> HoiioConfigEntry:
        """Return the Hoiio entry; fail if the instance was started without one."""
        if self.entry is None:
            raise RuntimeError("this instance has no Hoiio entry")
        return self.entry


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 nothing listens on now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


async def bare_webhook(
    hass: HomeAssistant, webhook_id: str, request: web.Request
) -> web.Response:
    """Read and decode the form and answer 200: the least a webhook handler does."""
    decode_form(await request.read())
    return web.Response(status=200)


def new_entry(simulator: HoiioSimulator) -> HoiioConfigEntry:
    """Return a not yet added Hoiio entry of the simulator's demo application."""
    entry: HoiioConfigEntry = config_entries.ConfigEntry(
        data={
            CONF_APP_ID: APP_ID,
            CONF_ACCESS_TOKEN: ACCESS_TOKEN,
            CONF_API_URL: simulator.base_url,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
        discovery_keys=MappingProxyType({}),
        domain=DOMAIN,
        minor_version=1,
        options={},
        source=config_entries.SOURCE_USER,
        subentries_data=None,
        title="Demo Account",
        unique_id=APP_ID,
        version=1,
    )
    return entry


async def _start_home_assistant(config_dir: Path, port: int) -> HomeAssistant:
    """Bootstrap a core as `bootstrap.async_from_config_dict` does, minus YAML."""
    hass = HomeAssistant(str(config_dir))
    hass.config.skip_pip = True
    hass.config_entries = config_entries.ConfigEntries(hass, {})
    loader.async_setup(hass)
    await loader.async_get_custom_components(hass)
    await async_load_base_functionality(hass)
    url = f"http://{HOST}:{port}"
    await async_process_ha_core_config(
        hass,
        {
            "name": "Benchmark",
            "time_zone": "UTC",
            "currency": "SGD",
            "country": "SG",
            "internal_url": url,
        },
    )
    http_config = {"http": {"server_host": HOST, "server_port": port}}
    for domain, config in (("homeassistant", {}), ("http", http_config)):
        if not await async_setup_component(hass, domain, config):
            raise RuntimeError(f"{domain} did not set up")
    if not await async_setup_component(hass, "webhook", {}):
        raise RuntimeError("webhook did not set up")
    webhook.async_register(hass, "bench", "bare", BARE_WEBHOOK_ID, bare_webhook)
    return hass


def _link_integration(config_dir: Path) -> None:
    custom = config_dir / "custom_components"
    custom.mkdir()
    (custom / DOMAIN).symlink_to(ROOT / "custom_components" / DOMAIN)


@asynccontextmanager
async def running_instance(*, with_entry: bool = True) -> AsyncIterator[Instance]:
    """Run the simulator and a started Home Assistant; stop both afterwards."""
    simulator = HoiioSimulator(
        SimulatorConfig(
            block_delay=0,
            dial_delay=0,
            transfer_duration=0,
            rate_limits={},
            max_concurrent_calls=10_000,
        )
    )
    await simulator.start(HOST)
    with tempfile.TemporaryDirectory(prefix="hoiio-bench-") as tmp:
        config_dir = Path(tmp)
        _link_integration(config_dir)
        port = free_port()
        hass = await _start_home_assistant(config_dir, port)
        instance = Instance(hass, simulator, f"http://{HOST}:{port}", config_dir)
        try:
            await hass.async_start()
            if with_entry:
                entry = new_entry(simulator)
                await hass.config_entries.async_add(entry)
                if entry.state is not config_entries.ConfigEntryState.LOADED:
                    raise RuntimeError(f"the Hoiio entry did not load: {entry.state}")
                instance.entry = entry
                await hass.async_block_till_done()
            simulator.set_number_notify_url(HOIIO_NUMBER, instance.hoiio_webhook_url)
            yield instance
        finally:
            await simulator.stop()
            await hass.async_stop()


def run_benchmark(
    main_async: Callable[[argparse.Namespace], Awaitable[Table]],
    args: argparse.Namespace,
) -> None:
    """Run a benchmark and print the table it returns."""

    async def main() -> None:
        (await main_async(args)).print()

    run(main)


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a benchmark on Home Assistant's own event loop policy."""
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s %(message)s"
    )
    # "We found a custom integration hoiio which has not been tested..."
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)
    asyncio.set_event_loop_policy(HassEventLoopPolicy(debug=False))
    started = time.perf_counter()
    asyncio.run(main())
    print(f"\n(wall time {time.perf_counter() - started:.1f} s)")


# Statistics and tables


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the linearly interpolated percentile (fraction 0..1) of values."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    """Return the median of values."""
    return statistics.median(values)


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    """Return how long one awaited action took, in seconds."""
    start = time.perf_counter()
    await action()
    return time.perf_counter() - start


@dataclass
class Target:
    """A bound a figure must respect: `value <op> bound`."""

    op: str
    bound: float

    def met(self, value: float) -> bool:
        """Return whether the value respects the bound."""
        if self.op == ">=":
            return value >= self.bound
        if self.op == "<=":
            return value <= self.bound
        if self.op == "<":
            return value < self.bound
        raise ValueError(self.op)


@dataclass
class Row:
    """One printed figure, with its target if it has one."""

    name: str
    value: float
    unit: str
    target: Target | None = None
    digits: int = 3

    @property
    def verdict(self) -> str:
        """Return PASS or MISS, or nothing for a figure without a target."""
        if self.target is None:
            return ""
        return "PASS" if self.target.met(self.value) else "MISS"


@dataclass
class Table:
    """A titled table of figures."""

    title: str
    rows: list[Row] = field(default_factory=list)

    def add(
        self,
        name: str,
        value: float,
        unit: str = "",
        target: Target | None = None,
        digits: int = 3,
    ) -> Row:
        """Add a figure."""
        row = Row(name, value, unit, target, digits)
        self.rows.append(row)
        return row

    @property
    def missed(self) -> list[Row]:
        """Return the rows that missed their target."""
        return [row for row in self.rows if row.verdict == "MISS"]

    def print(self) -> None:
        """Print the table."""
        cells = [
            (
                row.name,
                f"{row.value:,.{row.digits}f} {row.unit}".rstrip(),
                ""
                if row.target is None
                else f"{row.target.op} {row.target.bound:g} {row.unit}".rstrip(),
                row.verdict,
            )
            for row in self.rows
        ]
        header = ("figure", "value", "target", "")
        widths = [max(len(c[i]) for c in [header, *cells]) for i in range(4)]
        line = "  ".join("-" * width for width in widths)
        print(f"\n== {self.title} ==")
        print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        print(line)
        for cell in cells:
            print(
                f"{cell[0].ljust(widths[0])}  {cell[1].rjust(widths[1])}  "
                f"{cell[2].ljust(widths[2])}  {cell[3]}".rstrip()
            )
        sys.stdout.flush()
