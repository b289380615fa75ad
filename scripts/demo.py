"""Headless demo: the Hoiio story told by a real Home Assistant process.

Starts the simulator and Home Assistant (a temporary config directory, free ports
on 127.0.0.1), adds the Hoiio entry through the config flow over REST, lets an
automation transfer one incoming call, holds, unholds and hangs up a second one
through the actions, and checks every step through the REST and websocket APIs.
Exits non-zero if a step did not happen. Run it as `scripts/develop --demo`.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
import contextlib
from decimal import Decimal, InvalidOperation
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any, Final, TextIO

import aiohttp
from bootstrap import (
    APP_ID,
    HOIIO_NUMBER,
    BootstrapError,
    HassRest,
    HassWebsocket,
    ensure_hoiio_entry,
    ensure_user,
    simulator_control,
    wait_for_simulator,
    write_onboarding,
)

ROOT: Final = Path(__file__).resolve().parent.parent
VENV: Final = Path(os.environ.get("HOIIO_VENV", ROOT / ".venv"))
HOST: Final = "127.0.0.1"
CALLER: Final = "+6591234567"
SECOND_CALLER: Final = "+6592223333"
TRANSFER_DEST: Final = "+6598765432"
AUTOMATION_ID: Final = "hoiio_demo_transfer"
# The integration reads the balance at most this long after a call ends.
BALANCE_REFRESH_COOLDOWN: Final = 15.0

CONFIGURATION: Final = """\
homeassistant:
  name: Hoiio demo
  latitude: 1.2897
  longitude: 103.8501
  elevation: 15
  unit_system: metric
  currency: SGD
  country: SG
  time_zone: Asia/Singapore
  internal_url: http://{host}:{port}
http:
  server_host: {host}
  server_port: {port}
api:
config:
webhook:
system_log:
automation: !include automations.yaml
logger:
  default: warning
  logs:
    custom_components.hoiio: debug
"""

# Calls from CALLER are transferred by this automation; other calls are left to
# the actions the demo calls itself.
AUTOMATIONS: Final = f"""\
- id: {AUTOMATION_ID}
  alias: Demo transfer of incoming Hoiio calls
  mode: parallel
  triggers:
    - trigger: event
      event_type: hoiio_event
      event_data:
        ivr_block: answer
        from: "{CALLER}"
  actions:
    - action: hoiio.transfer
      data:
        config_entry_id: "{{{{ trigger.event.data.config_entry_id }}}}"
        session: "{{{{ trigger.event.data.session }}}}"
        dest: "{TRANSFER_DEST}"
        msg: Please hold while we connect your call.
"""


class DemoFailedError(Exception):
    """A step of the story did not happen."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class Clock:
    """Prints steps with the time since the demo started."""

    def __init__(self) -> None:
        """Start the clock."""
        self.start = time.monotonic()
        self.steps = 0

    def step(self, title: str) -> None:
        """Announce a step."""
        self.steps += 1
        print(f"\n[{time.monotonic() - self.start:6.2f}s] {self.steps}. {title}")
        sys.stdout.flush()

    @staticmethod
    def show(text: str, data: Any = None) -> None:
        """Print what happened, with data as compact JSON."""
        line = f"    {text}"
        if data is not None:
            line += " " + json.dumps(data, default=str, sort_keys=True)
        print(line)
        sys.stdout.flush()


class Watcher:
    """Collects hoiio_event events and state changes from the websocket."""

    def __init__(self) -> None:
        """Start empty."""
        self.events: list[dict[str, Any]] = []
        self.states: dict[str, dict[str, Any]] = {}
        self.history: dict[str, list[str]] = {}
        self._changed = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []

    def follow(
        self,
        events: asyncio.Queue[dict[str, Any]],
        state_changes: asyncio.Queue[dict[str, Any]],
    ) -> None:
        """Consume the two subscriptions in the background."""
        self._tasks = [
            asyncio.create_task(self._consume(events, self._add_event)),
            asyncio.create_task(self._consume(state_changes, self._add_state)),
        ]

    async def _consume(
        self,
        queue: asyncio.Queue[dict[str, Any]],
        add: Callable[[dict[str, Any]], None],
    ) -> None:
        while True:
            item = await queue.get()
            async with self._changed:
                add(item)
                self._changed.notify_all()

    def _add_event(self, event: dict[str, Any]) -> None:
        self.events.append(event["data"])

    def _add_state(self, event: dict[str, Any]) -> None:
        new = event["data"].get("new_state")
        if new is not None:
            self.seed(new)

    def seed(self, state: dict[str, Any]) -> None:
        """Record a state read over REST or received as a change."""
        entity_id = state["entity_id"]
        self.states[entity_id] = state
        history = self.history.setdefault(entity_id, [])
        if not history or history[-1] != state["state"]:
            history.append(state["state"])

    async def wait_for[T](self, find: Callable[[], T | None], timeout: float) -> T:
        """Wait until find() returns something, or raise DemoFailedError."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                while (found := find()) is None:
                    await self._changed.wait()
                return found
        raise AssertionError  # unreachable: the timeout raises first

    async def event(self, block: str, session: str, timeout: float) -> dict[str, Any]:
        """Wait for the hoiio_event of a block in a session."""

        def find() -> dict[str, Any] | None:
            return next(
                (
                    data
                    for data in self.events
                    if data.get("ivr_block") == block and data.get("session") == session
                ),
                None,
            )

        try:
            return await self.wait_for(find, timeout)
        except TimeoutError:
            raise DemoFailedError(
                f"no hoiio_event {block} for {session} within {timeout:.0f} s"
            ) from None

    async def state(
        self, entity_id: str, wanted: Callable[[dict[str, Any]], bool], timeout: float
    ) -> dict[str, Any]:
        """Wait until an entity's state matches."""

        def find() -> dict[str, Any] | None:
            state = self.states.get(entity_id)
            return state if state is not None and wanted(state) else None

        try:
            return await self.wait_for(find, timeout)
        except TimeoutError:
            state = self.states.get(entity_id, {}).get("state")
            raise DemoFailedError(
                f"{entity_id} stayed {state!r} for {timeout:.0f} s"
            ) from None

    def stop(self) -> None:
        """Stop consuming."""
        for task in self._tasks:
            task.cancel()


class Process:
    """A child process whose output goes to a log file."""

    def __init__(self, name: str, command: list[str], log: Path) -> None:
        """Start the process."""
        self.name = name
        self.log = log
        self._output: TextIO = log.open("w", encoding="utf-8")
        self.popen = subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            # Out of the terminal's process group: Ctrl-C reaches the demo only,
            # which then stops each process once (a second signal kills HA).
            start_new_session=True,
        )

    def alive(self) -> bool:
        """Tell whether the process still runs."""
        return self.popen.poll() is None

    def stop(self, timeout: float = 30) -> int:
        """Ask the process to stop (SIGTERM), kill it after timeout."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            code = self.popen.wait()
        self._output.close()
        return code


def write_config(config_dir: Path, port: int) -> None:
    """Write the temporary Home Assistant configuration."""
    (config_dir / "configuration.yaml").write_text(
        CONFIGURATION.format(host=HOST, port=port), encoding="utf-8"
    )
    (config_dir / "automations.yaml").write_text(AUTOMATIONS, encoding="utf-8")
    (config_dir / "custom_components").symlink_to(ROOT / "custom_components")
    write_onboarding(config_dir)
    ensure_user(VENV / "bin" / "hass", config_dir)


async def call_action(
    hass: HassRest, action: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Call a hoiio action over REST and return its response."""
    answer = await hass.post(f"/api/services/hoiio/{action}?return_response", data)
    response: dict[str, Any] = answer["service_response"]
    return response


class Story:
    """The steps of the demo."""

    def __init__(self, args: argparse.Namespace, config_dir: Path) -> None:
        """Prepare the story in a config directory."""
        self.args = args
        self.timeout: float = args.timeout
        self.config_dir = config_dir
        self.clock = Clock()
        self.watcher = Watcher()
        self.processes: list[Process] = []
        self.hass_port = free_port()
        self.sim_port = free_port()
        self.hass_url = f"http://{HOST}:{self.hass_port}"
        self.sim_url = f"http://{HOST}:{self.sim_port}"
        self.entity: dict[str, str] = {}
        self.entry_id = ""
        self.ended_session = ""

    async def run(self) -> None:
        """Tell the whole story."""
        step = self.clock.step
        step("Start the Hoiio simulator")
        simulator = Process(
            "simulator",
            [
                str(VENV / "bin" / "python"),
                "-m",
                "hoiio_simulator",
                "serve",
                "--host",
                HOST,
                "--port",
                str(self.sim_port),
                "--block-delay",
                "0.2",
                "--dial-delay",
                "0.2",
                "--transfer-duration",
                "1",
            ],
            self.config_dir / "simulator.log",
        )
        self.processes.append(simulator)
        async with aiohttp.ClientSession() as http:
            await wait_for_simulator(http, self.sim_url, self.timeout)
            self.clock.show(f"simulator on {self.sim_url} (pid {simulator.popen.pid})")

            step("Prepare a Home Assistant config (onboarded, user demo/demo)")
            await asyncio.to_thread(write_config, self.config_dir, self.hass_port)
            self.clock.show(f"config dir {self.config_dir}")

            step("Start Home Assistant")
            hass_process = Process(
                "Home Assistant",
                [str(VENV / "bin" / "hass"), "-c", str(self.config_dir)],
                self.config_dir / "hass.out",
            )
            self.processes.append(hass_process)
            hass = HassRest(http, self.hass_url)
            await hass.wait_until_up(self.args.start_timeout, hass_process.alive)
            await hass.login()
            await hass.wait_until_running(self.args.start_timeout)
            version = (await hass.get("/api/config"))["version"]
            self.clock.show(
                f"Home Assistant {version} RUNNING on {self.hass_url}"
                f" (pid {hass_process.popen.pid}); logged in as demo"
            )
            await self._tell(http, hass)

    async def _tell(self, http: aiohttp.ClientSession, hass: HassRest) -> None:
        step, show = self.clock.step, self.clock.show
        step("Subscribe to hoiio_event and state_changed over the websocket")
        websocket = await HassWebsocket.connect(hass)
        try:
            self.watcher.follow(
                await websocket.subscribe_events("hoiio_event"),
                await websocket.subscribe_events("state_changed"),
            )
            show("subscribed")
            await self._configure(http, hass, websocket)
            await self._automated_transfer(http, hass)
            await self._hold_and_unhold(http, hass)
            await self._refused_action(websocket)
            await self._summary(http)
            await self._balance()
        finally:
            self.watcher.stop()
            await websocket.close()

    async def _configure(
        self, http: aiohttp.ClientSession, hass: HassRest, websocket: HassWebsocket
    ) -> None:
        step, show = self.clock.step, self.clock.show
        step("Add the Hoiio entry through the config flow (REST)")
        entry = await ensure_hoiio_entry(hass, self.config_dir, f"{self.sim_url}/open/")
        if not entry.created:
            raise DemoFailedError("a Hoiio entry existed before the config flow")
        if not entry.webhook_url.startswith(f"{self.hass_url}/api/webhook/"):
            raise DemoFailedError(f"unexpected webhook URL {entry.webhook_url}")
        self.entry_id = entry.entry_id
        show(f"entry {entry.title!r} {entry.entry_id}, credentials {APP_ID}")
        show("webhook URL from the flow result: .../api/webhook/<secret id>")
        entries = await hass.hoiio_entries()
        show("entry state", entries[0]["state"])
        if entries[0]["state"] != "loaded":
            raise DemoFailedError("the Hoiio entry is not loaded")

        step(f"Point the simulator's number {HOIIO_NUMBER} at the webhook")
        await simulator_control(
            http,
            self.sim_url,
            "numbers",
            {"number": HOIIO_NUMBER, "notify_url": entry.webhook_url},
        )
        show("done")

        step("Find the entities and read their states (REST /api/states)")
        self.entity = await websocket.hoiio_entity_ids(entry.entry_id)
        expected = {"call", "balance", "ongoing_calls", "current_call"}
        if not expected <= self.entity.keys():
            raise DemoFailedError(f"missing entities: {expected - self.entity.keys()}")
        for key in sorted(expected):
            state = await hass.state(self.entity[key])
            self.watcher.seed(state)
            show(f"{self.entity[key]} = {state['state']!r}")
        await self.watcher.state(
            self.entity["ongoing_calls"], lambda s: s["state"] == "0", self.timeout
        )
        await self.watcher.state(
            self.entity["current_call"], lambda s: s["state"] == "idle", self.timeout
        )
        automation = await self._automation_state(hass)
        show(f"{automation['entity_id']} = {automation['state']!r}")
        if automation["state"] != "on":
            raise DemoFailedError("the demo automation is not on")

    async def _automation_state(self, hass: HassRest) -> dict[str, Any]:
        states: list[dict[str, Any]] = await hass.get("/api/states")
        for state in states:
            if state["attributes"].get("id") == AUTOMATION_ID:
                return state
        raise DemoFailedError("the demo automation is not loaded")

    async def _automated_transfer(
        self, http: aiohttp.ClientSession, hass: HassRest
    ) -> None:
        step, show = self.clock.step, self.clock.show
        ongoing = self.entity["ongoing_calls"]
        step(f"Incoming call from {CALLER} (simulator /_simulator/incoming_call)")
        answer = await simulator_control(
            http, self.sim_url, "incoming_call", {"from": CALLER, "to": HOIIO_NUMBER}
        )
        session = str(answer["session"])
        show(f"session {session}")
        event = await self.watcher.event("answer", session, self.timeout)
        show("hoiio_event", _event_summary(event))
        if event.get("call_state") != "ringing":
            raise DemoFailedError(f"the new call is {event.get('call_state')}")
        state = await self.watcher.state(
            self.entity["call"],
            lambda s: s["attributes"].get("session") == session,
            self.timeout,
        )
        show(f"{self.entity['call']}: event_type {state['attributes']['event_type']!r}")
        state = await self.watcher.state(
            ongoing, lambda s: s["state"] == "1", self.timeout
        )
        show(f"{ongoing} = {state['state']!r}")

        step("The automation transfers the call to " + TRANSFER_DEST)
        event = await self.watcher.event("transfer", session, self.timeout)
        show("hoiio_event", _event_summary(event))
        if event.get("transfer_status") != "answered":
            raise DemoFailedError(f"the transfer ended {event.get('transfer_status')}")
        automation = await self._automation_state(hass)
        show(
            f"{automation['entity_id']} last_triggered"
            f" {automation['attributes'].get('last_triggered')}"
        )
        if not automation["attributes"].get("last_triggered"):
            raise DemoFailedError("the automation did not run")
        await self.watcher.state(ongoing, lambda s: s["state"] == "0", self.timeout)
        history = self.watcher.history[ongoing]
        show(f"{ongoing} went {' -> '.join(history)}")
        if history[-2:] != ["1", "0"]:
            raise DemoFailedError(f"{ongoing} did not go 1 -> 0")
        current = self.entity["current_call"]
        await self.watcher.state(current, lambda s: s["state"] == "idle", self.timeout)
        history = self.watcher.history[current]
        show(f"{current} went {' -> '.join(history)}")
        if history[-4:] != ["idle", "ringing", "ongoing", "idle"]:
            raise DemoFailedError(f"{current} did not ring, then go ongoing")

    async def _hold_and_unhold(
        self, http: aiohttp.ClientSession, hass: HassRest
    ) -> None:
        step, show = self.clock.step, self.clock.show
        ongoing, current = self.entity["ongoing_calls"], self.entity["current_call"]
        step(f"Second incoming call, from {SECOND_CALLER} (no automation for it)")
        answer = await simulator_control(
            http,
            self.sim_url,
            "incoming_call",
            {"from": SECOND_CALLER, "to": HOIIO_NUMBER},
        )
        session = str(answer["session"])
        show(f"session {session}")
        show("hoiio_event", _event_summary(await self._event("answer", session)))
        await self.watcher.state(ongoing, lambda s: s["state"] == "1", self.timeout)
        state = await self.watcher.state(
            current,
            lambda s: (
                s["attributes"].get("session") == session and s["state"] == "ringing"
            ),
            self.timeout,
        )
        show(f"{ongoing} = '1', {current} = {state['state']!r} (not answered yet)")

        target = {"config_entry_id": self.entry_id, "session": session}
        step("POST /api/services/hoiio/hold?return_response: answers and holds")
        response = await call_action(hass, "hold", target)
        show("response", response)
        state = await self.watcher.state(
            current, lambda s: s["state"] == "on_hold", self.timeout
        )
        show(f"{current} = {state['state']!r}")

        step("POST /api/services/hoiio/unhold?return_response with wait: true")
        response = await call_action(hass, "unhold", {**target, "wait": True})
        show("response", response)
        show("hoiio_event", _event_summary(await self._event("unhold", session)))
        state = await self.watcher.state(
            current, lambda s: s["state"] == "ongoing", self.timeout
        )
        show(f"{current} = {state['state']!r}")

        step("POST /api/services/hoiio/hangup?return_response with wait: true")
        response = await call_action(hass, "hangup", {**target, "wait": True})
        show("response", response)
        show("hoiio_event", _event_summary(await self._event("hangup", session)))
        await self.watcher.state(ongoing, lambda s: s["state"] == "0", self.timeout)
        state = await self.watcher.state(
            current, lambda s: s["state"] == "idle", self.timeout
        )
        show(f"{ongoing} went {' -> '.join(self.watcher.history[ongoing])}")
        show(f"{current} = {state['state']!r}")
        self.ended_session = session

    async def _event(self, block: str, session: str) -> dict[str, Any]:
        return await self.watcher.event(block, session, self.timeout)

    async def _refused_action(self, websocket: HassWebsocket) -> None:
        step, show = self.clock.step, self.clock.show
        step("hoiio.hold on the ended call is refused before any request goes out")
        try:
            await websocket.command(
                {
                    "type": "call_service",
                    "domain": "hoiio",
                    "service": "hold",
                    "service_data": {
                        "config_entry_id": self.entry_id,
                        "session": self.ended_session,
                    },
                }
            )
        except BootstrapError as err:
            show(f"refused: {err}")
            return
        raise DemoFailedError("holding an ended call was accepted")

    async def _summary(self, http: aiohttp.ClientSession) -> None:
        step, show = self.clock.step, self.clock.show
        step("What the simulator saw")
        async with http.get(f"{self.sim_url}/_simulator/notifications") as resp:
            notifications: list[dict[str, Any]] = await resp.json()
        async with http.get(f"{self.sim_url}/_simulator/requests") as resp:
            requests: list[dict[str, Any]] = await resp.json()
        for item in notifications:
            show(
                f"notification {item['data'].get('ivr_block'):<8}"
                f" {item['data'].get('session')} -> HTTP {item['http_status']}"
                + (f" ({item['error']})" if item["error"] else "")
            )
        paths = [str(item.get("path")) for item in requests]
        show(f"{len(requests)} API requests: {', '.join(paths)}")
        refused = [item for item in notifications if item["http_status"] != 200]
        if refused:
            raise DemoFailedError(f"{len(refused)} notifications were not accepted")
        show(f"{len(self.watcher.events)} hoiio_event events in Home Assistant")

    async def _balance(self) -> None:
        step, show = self.clock.step, self.clock.show
        step("The balance sensor follows the billed calls")
        show(f"read again at most {BALANCE_REFRESH_COOLDOWN:.0f} s after a call ends")
        debits = [
            Decimal(str(data["debit"]))
            for data in self.watcher.events
            if "debit" in data
        ]
        show(f"debits of the ended calls: {', '.join(map(str, debits))}")
        balance = self.entity["balance"]
        first = Decimal(self.watcher.history[balance][0])
        state = await self.watcher.state(
            balance,
            lambda s: _is_below(s["state"], first),
            max(self.timeout, BALANCE_REFRESH_COOLDOWN * 2),
        )
        show(f"{balance} went {' -> '.join(self.watcher.history[balance])}")
        if _is_below(state["state"], first - sum(debits)):
            raise DemoFailedError("the balance dropped by more than the debits")

    def stop(self) -> bool:
        """Stop Home Assistant, then the simulator; tell whether both went cleanly."""
        self.clock.step("Stop Home Assistant and the simulator")
        clean = True
        for process in reversed(self.processes):
            code = process.stop()
            self.clock.show(f"{process.name} exited with code {code}")
            clean = clean and code == 0
        return clean


def _amount(text: str) -> Decimal | None:
    """Return a sensor state as a number, or None when it is not one."""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _is_below(text: str, limit: Decimal) -> bool:
    amount = _amount(text)
    return amount is not None and amount < limit


def _event_summary(data: dict[str, Any]) -> dict[str, Any]:
    keys = ("ivr_block", "session", "call_state", "from", "to", "transfer_status")
    return {key: data[key] for key in keys if key in data}


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return f"({path} is missing)"
    return "\n".join(text.splitlines()[-lines:])


async def tell(story: Story) -> None:
    """Run the story within the overall time limit."""
    async with asyncio.timeout(story.args.overall_timeout):
        await story.run()


def main(argv: list[str] | None = None) -> int:
    """Run the demo; 0 when every step happened."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--timeout", type=float, default=20, help="seconds each step may take"
    )
    parser.add_argument(
        "--start-timeout", type=float, default=120, help="seconds to start HA"
    )
    parser.add_argument("--overall-timeout", type=float, default=300)
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary config directory"
    )
    args = parser.parse_args(argv)
    config_dir = Path(tempfile.mkdtemp(prefix="hoiio-demo-"))
    story = Story(args, config_dir)
    print(f"Hoiio headless demo (Home Assistant config in {config_dir})")
    ok = interrupted = False
    try:
        asyncio.run(tell(story))
        ok = True
    except (DemoFailedError, BootstrapError, aiohttp.ClientError, OSError) as err:
        print(f"\nFAILED: {err}")
    except TimeoutError:
        print(f"\nFAILED: the demo took more than {args.overall_timeout:.0f} s")
    except subprocess.SubprocessError as err:
        print(f"\nFAILED: {err}")
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted")
    finally:
        clean = story.stop()
    if not ok:
        for process in story.processes:
            print(f"\n--- last lines of {process.log}\n{_tail(process.log)}")
        log = config_dir / "home-assistant.log"
        print(f"\n--- last lines of {log}\n{_tail(log)}")
    if not clean:
        print("a process did not exit cleanly")
    elapsed = time.monotonic() - story.clock.start
    if ok and clean:
        print(f"\nOK: every step happened, in {elapsed:.1f} s")
    if args.keep or not ok:
        print(f"kept {config_dir}")
    else:
        shutil.rmtree(config_dir, ignore_errors=True)
    if interrupted:
        return 130
    return 0 if ok and clean else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
