"""Benchmark 4: import time of the integration and `async_setup_entry` time.

Import: in fresh interpreters where Home Assistant is already imported as it is
when a running core loads an integration (`homeassistant.bootstrap`, the
dependencies `http` and `webhook`, and the `sensor` and `event` entity
components), the time to import the integration, its config flow and platforms;
median of several runs, plus the imports that dominate (`-X importtime`).

Setup: on a real Home Assistant with the simulator on 127.0.0.1, the time from
`hass.config_entries.async_setup(entry_id)` to a loaded entry, median of several
setup/unload cycles (the first, cold setup is shown apart).
Target: import + setup < 50 ms.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import os
from pathlib import Path
import subprocess
import sys
import tempfile
import time
from typing import Final

from harness import (
    ROOT,
    Table,
    Target,
    median,
    new_entry,
    run_benchmark,
    running_instance,
)
from homeassistant.config_entries import ConfigEntryState

MAX_TOTAL_MS: Final = 50.0
PRELOADED: Final = (
    "homeassistant.bootstrap",
    "homeassistant.components.http",
    "homeassistant.components.webhook",
    "homeassistant.components.sensor",
    "homeassistant.components.event",
)
INTEGRATION: Final = (
    "custom_components.hoiio",
    "custom_components.hoiio.config_flow",
    "custom_components.hoiio.sensor",
    "custom_components.hoiio.event",
)
MARKER: Final = "----- integration imports -----"


def _import_script(*, marker: bool) -> str:
    lines = [
        "import sys, time",
        *(f"import {module}" for module in PRELOADED),
    ]
    if marker:
        lines.append(f"print({MARKER!r}, file=sys.stderr, flush=True)")
    lines += [
        "t = time.perf_counter()",
        *(f"import {module}" for module in INTEGRATION),
        "print(time.perf_counter() - t)",
    ]
    return "\n".join(lines)


PYCACHE: Final = Path(tempfile.gettempdir()) / "hoiio-bench-pycache"


def _python(
    *options: str, script: str, bytecode: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a script in a fresh interpreter.

    With `bytecode`, compiled modules are written to and read from a cache of
    ours (as a restarted Home Assistant finds them); without, the integration is
    compiled from source on every run (as after an install or update), the way
    this machine's PYTHONDONTWRITEBYTECODE=1 leaves it.
    """
    env = {**os.environ}
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return subprocess.run(  # noqa: S603
        [sys.executable, *options, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def import_seconds(*, bytecode: bool = True) -> float:
    """Return one cold import time of the integration, in a fresh interpreter."""
    script = _import_script(marker=False)
    return float(_python(script=script, bytecode=bytecode).stdout.strip())


@dataclass
class ImportLine:
    """One line of `-X importtime`: a module and its times in microseconds."""

    module: str
    self_us: int
    cumulative_us: int


def dominant_imports(count: int) -> list[ImportLine]:
    """Return the modules the integration's import spends most time on."""
    stderr = _python("-X", "importtime", script=_import_script(marker=True)).stderr
    lines: list[ImportLine] = []
    for line in stderr.split(MARKER, 1)[1].splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, cumulative_us, module = line.removeprefix("import time:").split("|")
        if not self_us.strip().isdigit():
            continue
        lines.append(ImportLine(module.rstrip(), int(self_us), int(cumulative_us)))
    return sorted(lines, key=lambda item: item.self_us, reverse=True)[:count]


async def setup_times(cycles: int) -> tuple[float, list[float]]:
    """Return the cold setup time and the warm setup times, in seconds."""
    async with running_instance(with_entry=False) as instance:
        hass = instance.hass
        entry = new_entry(instance.simulator)
        start = time.perf_counter()
        await hass.config_entries.async_add(entry)
        cold = time.perf_counter() - start
        warm: list[float] = []
        for _ in range(cycles):
            if not await hass.config_entries.async_unload(entry.entry_id):
                raise RuntimeError("the entry did not unload")
            await hass.async_block_till_done()
            start = time.perf_counter()
            loaded = await hass.config_entries.async_setup(entry.entry_id)
            warm.append(time.perf_counter() - start)
            if not loaded or entry.state is not ConfigEntryState.LOADED:
                raise RuntimeError(f"the entry did not load: {entry.state}")
            await hass.async_block_till_done()
    return cold, warm


async def main_async(args: argparse.Namespace) -> Table:
    """Measure the imports and the setups."""
    import_seconds()  # fills the bytecode cache
    imports = [import_seconds() for _ in range(args.imports)]
    compiling = [import_seconds(bytecode=False) for _ in range(args.imports)]
    cold, warm = await setup_times(args.setups)
    import_ms = median(imports) * 1e3
    setup_ms = median(warm) * 1e3
    table = Table(
        f"start-up: import median of {args.imports} fresh interpreters, "
        f"setup median of {args.setups} setup/unload cycles"
    )
    table.add(
        "import, bytecode cached (integration, config_flow, sensor, event)",
        import_ms,
        "ms",
    )
    table.add("import fastest run", min(imports) * 1e3, "ms")
    table.add("import slowest run", max(imports) * 1e3, "ms")
    table.add(
        "import without bytecode (compiles the integration)",
        median(compiling) * 1e3,
        "ms",
    )
    table.add("async_setup_entry to loaded (warm)", setup_ms, "ms")
    table.add("first setup (cold: loads the integration too)", cold * 1e3, "ms")
    table.add(
        "import + setup",
        import_ms + setup_ms,
        "ms",
        target=Target("<", MAX_TOTAL_MS),
    )
    print(f"\npreloaded before timing: {', '.join(PRELOADED)}")
    print("imports that dominate the integration's import (-X importtime, self):")
    for line in dominant_imports(args.top):
        print(
            f"  {line.self_us / 1e3:7.2f} ms self {line.cumulative_us / 1e3:8.2f} ms"
            f" cumulative  {line.module}"
        )
    return table


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imports", type=int, default=7)
    parser.add_argument("--setups", type=int, default=15)
    parser.add_argument("--top", type=int, default=10)
    return parser.parse_args()


def main() -> None:
    """Run the benchmark and print its table."""
    run_benchmark(main_async, parse_args())


if __name__ == "__main__":
    main()
