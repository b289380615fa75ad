"""Prepare a Home Assistant instance for Hoiio and configure it over the REST API.

`prepare` (before Home Assistant starts): marks onboarding done and adds the demo
user. `configure` (once it runs): logs in, adds the Hoiio entry through the real
config flow unless one exists, and points the simulator's number at its webhook.
scripts/develop uses both; scripts/demo.py imports the helpers.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
import json
from pathlib import Path
import subprocess
import sys
import time
from typing import Any, Final

import aiohttp

DOMAIN: Final = "hoiio"
USERNAME: Final = "demo"
PASSWORD: Final = "demo"  # noqa: S105
APP_ID: Final = "demo_app"
ACCESS_TOKEN: Final = "demo_token"  # noqa: S105
HOIIO_NUMBER: Final = "+6531580000"
ONBOARDING_STEPS: Final = ("user", "core_config", "analytics", "integration")
ONBOARDING_STORE_VERSION: Final = 4


class BootstrapError(Exception):
    """A step of the bootstrap did not happen."""


@dataclass(frozen=True, slots=True)
class HoiioEntry:
    """The Hoiio config entry of the instance and where its webhook is."""

    entry_id: str
    title: str
    webhook_url: str
    created: bool


def write_onboarding(config_dir: Path) -> bool:
    """Mark every onboarding step done; return False when it already was."""
    path = config_dir / ".storage" / "onboarding"
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    store = {
        "version": ONBOARDING_STORE_VERSION,
        "minor_version": 1,
        "key": "onboarding",
        "data": {"done": list(ONBOARDING_STEPS)},
    }
    path.write_text(json.dumps(store, indent=2) + "\n", encoding="utf-8")
    return True


def has_user(config_dir: Path, username: str) -> bool:
    """Tell whether the Home Assistant auth provider knows a username."""
    path = config_dir / ".storage" / "auth_provider.homeassistant"
    try:
        store = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    users: list[dict[str, Any]] = store.get("data", {}).get("users", [])
    return any(user.get("username") == username for user in users)


def ensure_user(
    hass_bin: Path, config_dir: Path, username: str = USERNAME, password: str = PASSWORD
) -> bool:
    """Add a user with Home Assistant's auth script; return False if it existed."""
    if has_user(config_dir, username):
        return False
    command = [str(hass_bin), "--script", "auth", "-c", str(config_dir)]
    subprocess.run(  # noqa: S603
        [*command, "add", username, password],
        check=True,
        capture_output=True,
        timeout=120,
    )
    if not has_user(config_dir, username):
        raise BootstrapError(f"hass --script auth did not add {username}")
    return True


def webhook_id_from_storage(config_dir: Path, entry_id: str) -> str | None:
    """Return an entry's webhook id as Home Assistant saved it, if it did."""
    path = config_dir / ".storage" / "core.config_entries"
    try:
        store = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    for entry in store.get("data", {}).get("entries", []):
        if entry.get("entry_id") == entry_id:
            webhook_id = entry.get("data", {}).get("webhook_id")
            return str(webhook_id) if webhook_id else None
    return None


class HassRest:
    """A small client of Home Assistant's auth, REST and websocket APIs."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        """Talk to the Home Assistant instance at url."""
        self.http = http
        self.url = url.rstrip("/")
        self.token: str | None = None

    @property
    def client_id(self) -> str:
        """Return the OAuth client id this script logs in as."""
        return f"{self.url}/"

    def _headers(self) -> dict[str, str]:
        if self.token is None:
            raise BootstrapError("not logged in")
        return {"Authorization": f"Bearer {self.token}"}

    async def wait_until_up(self, timeout: float, alive: Any = None) -> None:
        """Wait until the HTTP server answers; `alive()` False stops early."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if alive is not None and not alive():
                raise BootstrapError("Home Assistant exited while starting")
            try:
                # An unauthenticated probe of /api/ would warn of a failed login.
                async with self.http.get(f"{self.url}/auth/providers") as resp:
                    if resp.status in (200, 400):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
        raise BootstrapError(f"Home Assistant did not answer within {timeout:.0f} s")

    async def wait_until_running(self, timeout: float) -> None:
        """Wait until Home Assistant reports the RUNNING state."""
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = (await self.get("/api/config")).get("state")
            if state == "RUNNING":
                return
            await asyncio.sleep(0.5)
        raise BootstrapError(f"Home Assistant stayed {state} for {timeout:.0f} s")

    async def login(self, username: str = USERNAME, password: str = PASSWORD) -> str:
        """Log in through the login flow and keep the access token."""
        flow = await self._post_json(
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
        )
        step = await self._post_json(
            f"/auth/login_flow/{flow['flow_id']}",
            {"username": username, "password": password, "client_id": self.client_id},
        )
        if step.get("type") != "create_entry":
            raise BootstrapError(f"login refused: {step.get('errors')}")
        async with self.http.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": step["result"],
                "client_id": self.client_id,
            },
        ) as resp:
            tokens = await resp.json()
            if resp.status != 200:
                raise BootstrapError(f"token refused: {tokens}")
        self.token = str(tokens["access_token"])
        return self.token

    async def _post_json(
        self, path: str, data: dict[str, Any], *, auth: bool = False
    ) -> Any:
        headers = self._headers() if auth else {}
        async with self.http.post(
            f"{self.url}{path}", json=data, headers=headers
        ) as resp:
            if resp.status != 200:
                raise BootstrapError(
                    f"POST {path}: HTTP {resp.status} {await resp.text()}"
                )
            return await resp.json()

    async def get(self, path: str) -> Any:
        """GET an API path with the token and return its JSON answer."""
        async with self.http.get(f"{self.url}{path}", headers=self._headers()) as resp:
            if resp.status != 200:
                raise BootstrapError(
                    f"GET {path}: HTTP {resp.status} {await resp.text()}"
                )
            return await resp.json()

    async def post(self, path: str, data: dict[str, Any]) -> Any:
        """POST JSON to an API path with the token and return its JSON answer."""
        return await self._post_json(path, data, auth=True)

    async def post_status(self, path: str, data: dict[str, Any]) -> tuple[int, Any]:
        """POST JSON with the token; return the HTTP status and the body."""
        async with self.http.post(
            f"{self.url}{path}", json=data, headers=self._headers()
        ) as resp:
            text = await resp.text()
        try:
            return resp.status, json.loads(text)
        except json.JSONDecodeError:
            return resp.status, text

    async def state(self, entity_id: str) -> dict[str, Any]:
        """Return an entity's state object."""
        state: dict[str, Any] = await self.get(f"/api/states/{entity_id}")
        return state

    async def hoiio_entries(self) -> list[dict[str, Any]]:
        """Return the Hoiio config entries."""
        entries: list[dict[str, Any]] = await self.get(
            f"/api/config/config_entries/entry?domain={DOMAIN}"
        )
        return entries

    async def create_hoiio_entry(
        self, app_id: str, access_token: str, api_url: str
    ) -> dict[str, Any]:
        """Add a Hoiio entry through the user step of the config flow."""
        form = await self.post("/api/config/config_entries/flow", {"handler": DOMAIN})
        if form.get("type") != "form" or form.get("step_id") != "user":
            raise BootstrapError(f"unexpected first step: {form}")
        result: dict[str, Any] = await self.post(
            f"/api/config/config_entries/flow/{form['flow_id']}",
            {
                "app_id": app_id,
                "access_token": access_token,
                "advanced": {"api_url": api_url},
            },
        )
        if result.get("type") != "create_entry":
            raise BootstrapError(f"the config flow did not create an entry: {result}")
        return result


class HassWebsocket:
    """Home Assistant's websocket API: commands and event subscriptions."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap an authenticated websocket."""
        self._ws = ws
        self._ids = 0
        self._results: dict[int, asyncio.Future[Any]] = {}
        self._events: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, hass: HassRest) -> HassWebsocket:
        """Open and authenticate a websocket with the REST client's token."""
        ws = await hass.http.ws_connect(f"{hass.url}/api/websocket")
        if (await ws.receive_json()).get("type") != "auth_required":
            raise BootstrapError("the websocket did not ask for authentication")
        await ws.send_json({"type": "auth", "access_token": hass.token})
        answer = await ws.receive_json()
        if answer.get("type") != "auth_ok":
            raise BootstrapError(f"websocket authentication failed: {answer}")
        return cls(ws)

    async def _read(self) -> None:
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            for item in data if isinstance(data, list) else [data]:
                self._dispatch(item)
        for future in self._results.values():
            if not future.done():
                future.set_exception(BootstrapError("the websocket closed"))

    def _dispatch(self, item: dict[str, Any]) -> None:
        ident = item.get("id")
        if not isinstance(ident, int):
            return
        if item.get("type") == "event" and ident in self._events:
            self._events[ident].put_nowait(item["event"])
        elif (future := self._results.pop(ident, None)) and not future.done():
            if item.get("success"):
                future.set_result(item.get("result"))
            else:
                future.set_exception(BootstrapError(f"{item.get('error')}"))

    async def command(self, message: dict[str, Any], timeout: float = 30) -> Any:
        """Send a command and return its result."""
        self._ids += 1
        ident = self._ids
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._results[ident] = future
        await self._ws.send_json({**message, "id": ident})
        return await asyncio.wait_for(future, timeout)

    async def subscribe_events(self, event_type: str) -> asyncio.Queue[dict[str, Any]]:
        """Subscribe to an event type; return the queue its events arrive in."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._events[self._ids + 1] = queue
        await self.command({"type": "subscribe_events", "event_type": event_type})
        return queue

    async def hoiio_entity_ids(self, entry_id: str) -> dict[str, str]:
        """Return the entity ids of a Hoiio entry by key (call, balance, ...)."""
        entities: list[dict[str, Any]] = await self.command(
            {"type": "config/entity_registry/list"}
        )
        return {
            str(entity["translation_key"]): str(entity["entity_id"])
            for entity in entities
            if entity.get("config_entry_id") == entry_id and entity["translation_key"]
        }

    async def close(self) -> None:
        """Close the websocket."""
        await self._ws.close()
        self._reader.cancel()


async def ensure_hoiio_entry(
    hass: HassRest, config_dir: Path, api_url: str
) -> HoiioEntry:
    """Return the Hoiio entry, adding it through the config flow if there is none."""
    if entries := await hass.hoiio_entries():
        entry = entries[0]
        webhook_id = webhook_id_from_storage(config_dir, entry["entry_id"])
        if webhook_id is None:
            raise BootstrapError("no webhook id saved for the existing Hoiio entry")
        return HoiioEntry(
            entry["entry_id"],
            entry["title"],
            f"{hass.url}/api/webhook/{webhook_id}",
            created=False,
        )
    result = await hass.create_hoiio_entry(APP_ID, ACCESS_TOKEN, api_url)
    url = result.get("description_placeholders", {}).get("webhook_url")
    if not url:
        raise BootstrapError(f"the flow result has no webhook URL: {result}")
    return HoiioEntry(
        result["result"]["entry_id"], result["title"], str(url), created=True
    )


async def simulator_control(
    http: aiohttp.ClientSession, simulator: str, action: str, fields: dict[str, str]
) -> dict[str, Any]:
    """POST form fields to a simulator control route and return its answer."""
    async with http.post(
        f"{simulator.rstrip('/')}/_simulator/{action}", data=fields
    ) as resp:
        answer: dict[str, Any] = await resp.json()
        if resp.status != 200:
            raise BootstrapError(f"simulator {action}: {answer.get('error')}")
    return answer


async def wait_for_simulator(
    http: aiohttp.ClientSession, simulator: str, timeout: float
) -> None:
    """Wait until the simulator's control surface answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            async with http.get(f"{simulator.rstrip('/')}/_simulator/sessions") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise BootstrapError(f"the simulator did not answer within {timeout:.0f} s")


async def configure(args: argparse.Namespace) -> tuple[HoiioEntry, dict[str, str]]:
    """Log in, make sure the Hoiio entry exists and route the number to it."""
    async with aiohttp.ClientSession() as http:
        await wait_for_simulator(http, args.simulator, 30)
        hass = HassRest(http, args.url)
        await hass.wait_until_up(args.timeout)
        await hass.login()
        await hass.wait_until_running(args.timeout)
        entry = await ensure_hoiio_entry(
            hass, args.config, f"{args.simulator.rstrip('/')}/open/"
        )
        await simulator_control(
            http,
            args.simulator,
            "numbers",
            {"number": args.number, "notify_url": entry.webhook_url},
        )
        websocket = await HassWebsocket.connect(hass)
        try:
            entity_ids = await websocket.hoiio_entity_ids(entry.entry_id)
        finally:
            await websocket.close()
    return entry, entity_ids


def main(argv: list[str] | None = None) -> int:
    """Run `prepare` or `configure`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("prepare", "configure"))
    parser.add_argument("--config", type=Path, default=Path("config"))
    parser.add_argument("--hass", type=Path, default=Path(".venv/bin/hass"))
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--simulator", default="http://127.0.0.1:8950")
    parser.add_argument("--number", default=HOIIO_NUMBER)
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args(argv)
    args.config = args.config.resolve()
    try:
        if args.command == "prepare":
            if write_onboarding(args.config):
                print("onboarding marked done")
            if ensure_user(args.hass, args.config):
                print(f"user {USERNAME} added")
            return 0
        entry, entity_ids = asyncio.run(configure(args))
    except (BootstrapError, OSError, subprocess.SubprocessError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    action = "added through the config flow" if entry.created else "already there"
    print(f"Hoiio entry {entry.title!r} {action}")
    print(f"  config_entry_id: {entry.entry_id}")
    print(f"  {args.number} notifies {entry.webhook_url}")
    for key, entity_id in sorted(entity_ids.items()):
        print(f"  {key:<14} {entity_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
