"""Run every benchmark, each in a fresh interpreter, and print every figure.

Usage: /tmp/venv313/bin/python benchmarks/run_all.py [--quick]

Each benchmark prints its own table (value, target, PASS/MISS); at the end this
script lists the figures that missed their target and how long everything took.
Exits 1 if a benchmark failed to run, 0 otherwise (a MISS is a finding, not a
failure of the run).
"""

from __future__ import annotations

import argparse
from pathlib import Path
import subprocess
import sys
import time
from typing import Final

HERE: Final = Path(__file__).resolve().parent
QUICK_WEBHOOK: Final = ("--seconds", "2", "--rounds", "3")
# (script, arguments, arguments added by --quick)
BENCHMARKS: Final = (
    ("bench_webhook.py", (), QUICK_WEBHOOK),
    # One call at a time: no queueing in the latencies, and every notification
    # is one of the current call, whose sensor Hoiio writes each time.
    ("bench_webhook.py", ("--connections", "1"), QUICK_WEBHOOK),
    ("bench_actions.py", (), ("--iterations", "60")),
    ("bench_memory.py", (), ("--sessions", "1000")),
    ("bench_startup.py", (), ("--imports", "3", "--setups", "5")),
    ("bench_parsing.py", (), ("--rounds", "3", "--passes", "5")),
    ("bench_sensor_writes.py", (), ("--rounds", "3")),
)


def run_one(
    script: str, args: tuple[str, ...], quick_args: tuple[str, ...], *, quick: bool
) -> list[str]:
    """Run one benchmark, echo its output and return its MISS lines."""
    label = " ".join((script, *args))
    print(f"\n######## {label}", flush=True)
    started = time.perf_counter()
    command = [sys.executable, str(HERE / script), *args]
    if quick:
        command += quick_args
    result = subprocess.run(  # noqa: S603
        command, cwd=HERE, capture_output=True, text=True, check=False
    )
    print(result.stdout, end="", flush=True)
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        raise RuntimeError(f"{label} exited with {result.returncode}")
    print(f"({label} took {time.perf_counter() - started:.1f} s)", flush=True)
    return [
        f"{label}: {line.strip()}"
        for line in result.stdout.splitlines()
        if line.rstrip().endswith("MISS")
    ]


def main() -> None:
    """Run the benchmarks in turn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer iterations (smoke test)"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    missed: list[str] = []
    try:
        for script, script_args, quick_args in BENCHMARKS:
            missed += run_one(script, script_args, quick_args, quick=args.quick)
    except RuntimeError as err:
        print(f"\nFAILED: {err}", file=sys.stderr)
        sys.exit(1)
    print(f"\n######## all benchmarks took {time.perf_counter() - started:.1f} s")
    print("targets missed:" if missed else "every target met")
    for line in missed:
        print(f"  {line}")


if __name__ == "__main__":
    main()
