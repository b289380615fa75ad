"""Summaries of the py-spy profiles the webhook benchmark takes with --profile.

A raw py-spy profile has one line per distinct stack: its frames from the
outermost to the innermost, `function (file:line)` separated by `;`, then the
number of samples. Each sample goes to one part of the work: that of the
innermost frame a rule of PARTS names (a state write made from the tracker's
change signal counts as a state write), or the HTTP stack when no rule matches.

A profiled run is slower than an unprofiled one (py-spy pauses the process to
sample it), so the time of each part is its share of the samples times the
user CPU time per notification measured in the unprofiled rounds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Final

HTTP_STACK: Final = "HTTP: aiohttp, middlewares, webhook lookup, response"
# (function as py-spy names it, end of its file path) -> part of the work.
PARTS: Final[dict[tuple[str, str], str]] = {
    ("NotificationWebhook.async_handle", "hoiio/webhook_handler.py"): (
        "handler, other"
    ),
    ("FloorWebhook.async_handle", "floor.py"): "handler, other",
    ("bare_webhook", "harness.py"): "handler, other",
    ("_async_read_fields", "hoiio/webhook_handler.py"): "read and decode the form",
    ("BaseRequest.read", "aiohttp/web_request.py"): "read and decode the form",
    ("decode_form", "form.py"): "read and decode the form",
    ("parse_notification", "hoiio/notification.py"): "parse the notification",
    ("NotificationWebhook._token", "hoiio/webhook_handler.py"): (
        "parse the notification"
    ),
    ("PendingBlocks.block_named", "hoiio/call_machine.py"): "parse the notification",
    ("CallTracker.async_handle_notification", "hoiio/call_tracker.py"): (
        "call tracker"
    ),
    ("NotificationWebhook._publish", "hoiio/webhook_handler.py"): (
        "publish: event data"
    ),
    ("Store.async_delay_save", "helpers/storage.py"): "schedule the tracker's save",
    ("async_dispatcher_send", "helpers/dispatcher.py"): "dispatcher",
    ("HoiioCallSensor._handle_coordinator_update", "hoiio/sensor.py"): (
        "sensors: is there a change"
    ),
    ("HoiioCallEvent._async_notified", "hoiio/event.py"): "event entity: trigger",
    ("FloorCallEvent.async_notified", "floor.py"): "event entity: trigger",
    ("Entity.async_write_ha_state", "helpers/entity.py"): "state writes",
    ("StateMachine.async_set", "homeassistant/core.py"): "state writes",
    ("EventBus.async_fire", "homeassistant/core.py"): "bus event hoiio_event",
    ("HoiioBalanceCoordinator.async_refresh_soon", "hoiio/coordinator.py"): (
        "balance refresh request"
    ),
}


@dataclass
class ProfileRun:
    """A raw profile and the run it sampled."""

    name: str
    path: Path
    rate: int
    requests: int


@dataclass
class Profile:
    """The samples of a profile, by part of the work and by innermost frame."""

    samples: int
    parts: Counter[str]
    leaves: Counter[str]


def read_profile(path: Path) -> Profile:
    """Read a raw py-spy profile."""
    parts: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        parts[part_of(frames)] += int(count)
        leaves[frames[-1]] += int(count)
    return Profile(sum(parts.values()), parts, leaves)


def part_of(frames: list[str]) -> str:
    """Return the part of the work of a stack, from its innermost known frame."""
    for frame in reversed(frames):
        function, _, place = frame.partition(" (")
        file = place.rpartition(":")[0]
        for (name, file_end), part in PARTS.items():
            if function == name and file.endswith(file_end):
                return part
    return HTTP_STACK


def print_profiles(runs: list[ProfileRun], user_us: dict[str, float]) -> None:
    """Print each part's time per notification, side by side, and the top frames.

    `user_us` maps a handler to its user CPU time per notification (in us) in
    the unprofiled rounds.
    """
    profiles = {run.name: read_profile(run.path) for run in runs}
    names = list(profiles)
    order = [HTTP_STACK, *dict.fromkeys(PARTS.values())]
    header = f"{'part of the work (us per notification)':56}" + "".join(
        f"{name:>10}" for name in names
    )
    print("\n== webhook profile (py-spy --gil, share x user CPU per notification) ==")
    print(header + ("   difference" if len(names) == 2 else ""))
    totals = dict.fromkeys(names, 0.0)
    for part in order:
        values = [_us(profiles[name], part, user_us[name]) for name in names]
        if not any(values):
            continue
        for name, value in zip(names, values, strict=True):
            totals[name] += value
        print(_row(part, values))
    print(_row("total", list(totals.values())))
    for run in runs:
        print(
            f"({run.name}: {profiles[run.name].samples} samples at {run.rate} Hz "
            f"over {run.requests} notifications; raw profile {run.path})"
        )
    for name in names:
        print_top_frames(name, profiles[name])


def _us(profile: Profile, part: str, user_us: float) -> float:
    """Return the time per notification of a part of a profile."""
    return profile.parts[part] / profile.samples * user_us


def _row(label: str, values: list[float]) -> str:
    """Format a row of the side-by-side table."""
    cells = "".join(f"{value:10.1f}" for value in values)
    if len(values) == 2:
        cells += f"{values[0] - values[1]:13.1f}"
    return f"{label:56}{cells}"


def print_top_frames(name: str, profile: Profile, count: int = 12) -> None:
    """Print the innermost frames that took the most samples."""
    print(f"\n{name}: top innermost frames (share of samples)")
    for frame, samples in profile.leaves.most_common(count):
        print(f"  {samples / profile.samples * 100:5.1f}%  {frame}")
