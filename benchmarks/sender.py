"""The load generator of the webhook benchmark: `wrk` with notifications.lua.

wrk is a separate program (C, one event loop per thread), so what it costs is
not paid by the Home Assistant under test. It is installed from Debian's
registry when missing, or the benchmark stops with advice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import os
from pathlib import Path
import resource
import shutil
import subprocess
from typing import Final

HERE: Final = Path(__file__).resolve().parent
SCRIPT: Final = HERE / "notifications.lua"
PREFIX: Final = "bench."
INSTALL_ADVICE: Final = (
    "the webhook benchmark needs wrk (an HTTP load generator): install the "
    "Debian package with `apt-get install wrk` (as root) and run it again"
)


class SenderError(RuntimeError):
    """wrk is missing or did not run as asked."""


def ensure_wrk() -> str:
    """Return the path of wrk, installing Debian's package first if it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    apt_get = shutil.which("apt-get")
    if apt_get is None or os.geteuid() != 0:
        raise SenderError(f"wrk not found; {INSTALL_ADVICE}")
    print("wrk not found: installing the Debian package (apt-get install wrk)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt_get, "install", "-y", "-q", "--no-install-recommends", "wrk"]
    if _apt(install, env) != 0:
        # A fresh machine may not have the package lists yet.
        _apt([apt_get, "update", "-q"], env)
        _apt(install, env)
    found = shutil.which("wrk")
    if found is None:
        raise SenderError(f"installing wrk failed; {INSTALL_ADVICE}")
    return found


def _apt(command: list[str], env: dict[str, str]) -> int:
    """Run an apt-get command quietly; return its exit status."""
    result = subprocess.run(  # noqa: S603
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        print(result.stderr.strip())
    return result.returncode


@dataclass
class SenderRun:
    """What wrk reports of one run, and the CPU it used."""

    requests: int
    seconds: float
    sent: int
    refused: int
    socket_errors: int
    status_errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    cpu_seconds: float
    open_sessions: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Return the answered requests per second."""
        return self.requests / self.seconds

    @property
    def cpu_cores(self) -> float:
        """Return how many cores wrk kept busy on average."""
        return self.cpu_seconds / self.seconds


async def run_wrk(
    wrk: str, url: str, *, seconds: float, connections: int, prefix: str
) -> SenderRun:
    """Post notifications to `url` for `seconds` over `connections` connections."""
    command = [
        wrk,
        f"--threads={connections}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        f"--script={SCRIPT}",
        url,
        "--",
        prefix,
    ]
    before = _children_cpu()
    process = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    stdout, stderr = await process.communicate()
    cpu = _children_cpu() - before
    if process.returncode != 0:
        raise SenderError(
            f"wrk exited with {process.returncode}: {stderr.decode().strip()}"
        )
    return _parse(stdout.decode(), cpu)


def _children_cpu() -> float:
    """Return the user and system CPU seconds of the children waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _parse(output: str, cpu_seconds: float) -> SenderRun:
    """Read the bench.* lines that notifications.lua's done() prints."""
    values: dict[str, int] = {}
    open_sessions: list[str] = []
    for line in output.splitlines():
        if not line.startswith(PREFIX):
            continue
        key, _, value = line.removeprefix(PREFIX).partition(" ")
        if key == "open_session":
            open_sessions.append(value)
        else:
            values[key] = int(value)
    try:
        return SenderRun(
            requests=values["requests"],
            seconds=values["duration_us"] / 1e6,
            sent=values["sent"],
            refused=values["refused"],
            socket_errors=values["socket_errors"],
            status_errors=values["status_errors"],
            p50_ms=values["p50_us"] / 1e3,
            p99_ms=values["p99_us"] / 1e3,
            max_ms=values["max_us"] / 1e3,
            mean_ms=values["mean_us"] / 1e3,
            cpu_seconds=cpu_seconds,
            open_sessions=open_sessions,
        )
    except KeyError as err:
        raise SenderError(f"wrk printed no {err.args[0]}:\n{output}") from None
