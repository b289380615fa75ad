"""A real Home Assistant with the integration and the simulator, and a Chromium.

start_instance() runs the simulator and a `hass` process on free ports of
127.0.0.1 with a temporary configuration, onboarded with the user demo
(password demo) and the Hoiio entry added through the config flow, as the
headless demo does (scripts/bootstrap.py and scripts/demo.py provide the
steps), optionally with automations. start_chromium() drives Debian's chromium
through its chromedriver; Page reads the frontend through its shadow roots and
takes screenshots; PhonePage drives the simulator's phone page, which needs no
login, and reads what the page asked the browser to say.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
import contextlib
from contextlib import contextmanager
from dataclasses import dataclass, field
import json
from pathlib import Path
import subprocess
import sys
from typing import Any, Final
import urllib.parse
import urllib.request

import aiohttp
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

ROOT: Final = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from bootstrap import (  # noqa: E402
    HOIIO_NUMBER,
    PASSWORD,
    USERNAME,
    BootstrapError,
    HassRest,
    HassWebsocket,
    ensure_hoiio_entry,
    ensure_user,
    simulator_control,
    wait_for_simulator,
    write_onboarding,
)
from demo import Process, free_port  # noqa: E402

HOST: Final = "127.0.0.1"
CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMEDRIVER: Final = Path("/usr/bin/chromedriver")
START_TIMEOUT: Final = 180.0

CONFIGURATION: Final = """\
homeassistant:
  name: Hoiio browser check
  latitude: 1.2897
  longitude: 103.8501
  elevation: 15
  unit_system: metric
  currency: SGD
  country: SG
  language: en
  time_zone: Asia/Singapore
  internal_url: http://{host}:{port}
http:
  server_host: {host}
  server_port: {port}
frontend:
config:
api:
webhook:
logbook:
history:
recorder:
  commit_interval: 0
automation: !include automations.yaml
system_log:
logger:
  default: warning
"""


@dataclass
class HomeAssistantInstance:
    """A running Home Assistant with a Hoiio entry against a running simulator."""

    config_dir: Path
    hass_url: str
    simulator_url: str
    entry_id: str
    entity_ids: dict[str, str]
    processes: list[Process] = field(default_factory=list)
    token: str = ""

    def simulator(self, action: str, fields: dict[str, str]) -> dict[str, Any]:
        """POST form fields to a control route of the simulator; return its JSON."""
        request = urllib.request.Request(  # noqa: S310
            f"{self.simulator_url}/_simulator/{action}",
            data=urllib.parse.urlencode(fields).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
        return answer

    def incoming_call(self, caller: str, number: str = HOIIO_NUMBER) -> str:
        """Ring the Hoiio number from caller; return the new call's session."""
        return str(
            self.simulator("incoming_call", {"from": caller, "to": number})["session"]
        )

    def state(self, entity_id: str) -> dict[str, Any]:
        """Return an entity's state object, read through Home Assistant's REST API."""
        request = urllib.request.Request(  # noqa: S310
            f"{self.hass_url}/api/states/{entity_id}",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            state: dict[str, Any] = json.loads(response.read())
        return state

    def act(self, action: str, data: dict[str, Any]) -> dict[str, Any]:
        """Run a hoiio action through Home Assistant's REST API; return its response."""
        request = urllib.request.Request(  # noqa: S310
            f"{self.hass_url}/api/services/hoiio/{action}?return_response",
            data=json.dumps({"config_entry_id": self.entry_id, **data}).encode(),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())["service_response"]
        return answer

    def sessions(self) -> list[dict[str, Any]]:
        """Return the simulator's call sessions."""
        url = f"{self.simulator_url}/_simulator/sessions"
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
            sessions: list[dict[str, Any]] = json.loads(response.read())
        return sessions

    def stop(self) -> list[int]:
        """Stop Home Assistant, then the simulator; return their exit codes."""
        return [process.stop() for process in reversed(self.processes)]

    def logs(self) -> str:
        """Return the end of each process's output, to explain a failure."""
        parts = []
        for process in self.processes:
            text = process.log.read_text(encoding="utf-8", errors="replace")
            parts.append(f"--- {process.log}\n" + "\n".join(text.splitlines()[-40:]))
        return "\n".join(parts)


def start_instance(workdir: Path, automations: str = "[]\n") -> HomeAssistantInstance:
    """Start the simulator and Home Assistant in workdir and add the Hoiio entry.

    `automations` is the YAML of automations.yaml.
    """
    bin_dir = Path(sys.executable).parent
    config_dir = workdir / "config"
    config_dir.mkdir(parents=True)
    hass_port = free_port()
    sim_port = free_port()
    while sim_port == hass_port:
        sim_port = free_port()
    hass_url, sim_url = f"http://{HOST}:{hass_port}", f"http://{HOST}:{sim_port}"
    (config_dir / "configuration.yaml").write_text(
        CONFIGURATION.format(host=HOST, port=hass_port), encoding="utf-8"
    )
    (config_dir / "automations.yaml").write_text(automations, encoding="utf-8")
    (config_dir / "custom_components").symlink_to(ROOT / "custom_components")
    write_onboarding(config_dir)
    ensure_user(bin_dir / "hass", config_dir)
    instance = HomeAssistantInstance(config_dir, hass_url, sim_url, "", {})
    instance.processes.append(_simulator(sim_port, workdir / "simulator.log"))
    hass = Process(
        "Home Assistant",
        [sys.executable, "-m", "homeassistant", "-c", str(config_dir)],
        workdir / "hass.log",
    )
    instance.processes.append(hass)
    try:
        instance.entry_id, instance.entity_ids, instance.token = asyncio.run(
            _configure(instance, hass.alive)
        )
    except BaseException as err:
        instance.stop()
        err.add_note(instance.logs())
        raise
    return instance


def _simulator(port: int, log: Path) -> Process:
    """Start the simulator on a port, with no delays."""
    return Process(
        "simulator",
        [
            sys.executable,
            "-m",
            "hoiio_simulator",
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--block-delay",
            "0",
            "--dial-delay",
            "0",
            "--transfer-duration",
            "0",
        ],
        log,
    )


async def _configure(
    instance: HomeAssistantInstance, hass_alive: Callable[[], bool]
) -> tuple[str, dict[str, str], str]:
    """Log in, add the Hoiio entry, route the number to it, show advanced fields.

    Returns the entry, its entity ids and a long-lived token for the REST API.
    """
    async with aiohttp.ClientSession() as http:
        await wait_for_simulator(http, instance.simulator_url, 30)
        rest = HassRest(http, instance.hass_url)
        await rest.wait_until_up(START_TIMEOUT, hass_alive)
        await rest.login()
        await rest.wait_until_running(START_TIMEOUT)
        entry = await ensure_hoiio_entry(
            rest, instance.config_dir, f"{instance.simulator_url}/open/"
        )
        await simulator_control(
            http,
            instance.simulator_url,
            "numbers",
            {"number": HOIIO_NUMBER, "notify_url": entry.webhook_url},
        )
        websocket = await HassWebsocket.connect(rest)
        try:
            # Advanced mode shows every field of an action, the advanced ones too.
            await websocket.command(
                {
                    "type": "frontend/set_user_data",
                    "key": "core",
                    "value": {"showAdvanced": True},
                }
            )
            entity_ids = await websocket.hoiio_entity_ids(entry.entry_id)
            await _confirm_http_config(websocket)
            token = await websocket.command(
                {
                    "type": "auth/long_lived_access_token",
                    "client_name": "Browser check",
                    "lifespan": 1,
                }
            )
        finally:
            await websocket.close()
    return entry.entry_id, entity_ids, str(token)


async def _confirm_http_config(websocket: HassWebsocket) -> None:
    """Keep the HTTP settings of configuration.yaml on newer releases.

    From 2026 on, Home Assistant tries new HTTP settings, asks in a dialog to
    confirm them and reverts after five minutes; older releases have no such
    command.
    """
    with contextlib.suppress(BootstrapError):
        await websocket.command({"type": "http/config/promote"})


def start_chromium(profile_dir: Path) -> webdriver.Chrome:
    """Start Debian's chromium headless, with a fresh profile, through chromedriver.

    The flags keep Chromium from reaching out to Google's services, whose
    connections the closed network of a test machine refuses.
    """
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1100",
        f"--user-data-dir={profile_dir}",
    ):
        options.add_argument(flag)
    # An explicit driver keeps Selenium Manager from downloading one.
    service = Service(executable_path=str(CHROMEDRIVER), log_output=subprocess.DEVNULL)
    return webdriver.Chrome(service=service, options=options)


# Walks the document and every shadow root below it.
_DEEP_JS: Final = """
const walk = (root, visit) => {
  visit(root);
  for (const element of root.querySelectorAll('*')) {
    if (element.shadowRoot) walk(element.shadowRoot, visit);
  }
};
const deepQueryIn = (node, selector) => {
  const found = [];
  const roots = [node, ...(node.shadowRoot ? [node.shadowRoot] : [])];
  for (const root of roots) {
    walk(root, (inner) => found.push(...inner.querySelectorAll(selector)));
  }
  return found;
};
const deepQueryAll = (selector) => deepQueryIn(document, selector);
const deepTextOf = (node) => {
  const parts = [];
  const roots = [node, ...(node.shadowRoot ? [node.shadowRoot] : [])];
  for (const start of roots) {
    walk(start, (root) => {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        const parent = walker.currentNode.parentElement;
        if (parent && !['STYLE', 'SCRIPT'].includes(parent.tagName)) {
          parts.push(walker.currentNode.textContent);
        }
      }
    });
  }
  return parts.join(' ').replace(/\\s+/g, ' ').trim();
};
const deepText = () => deepTextOf(document);
"""


class Page:
    """The browser, logged in to Home Assistant, with shadow-DOM-aware helpers."""

    def __init__(self, driver: webdriver.Chrome, hass_url: str) -> None:
        """Drive a browser against a Home Assistant URL."""
        self.driver = driver
        self.hass_url = hass_url

    def run(self, script: str, *args: Any) -> Any:
        """Run JavaScript with deepQueryAll() and deepText() defined."""
        return self.driver.execute_script(_DEEP_JS + script, *args)

    def wait_for(self, script: str, timeout: float = 30.0, *args: Any) -> Any:
        """Wait until a script returns something truthy; return it."""
        return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(
            lambda _: self.run(script, *args),
            message=f"timed out waiting for: {script.strip()[:200]}",
        )

    def open(self, path: str) -> None:
        """Open a path of Home Assistant and wait for its panel."""
        self.driver.get(f"{self.hass_url}{path}")
        self.wait_for("return deepQueryAll('ha-sidebar').length > 0")

    def text(self) -> str:
        """Return all text of the page, shadow roots included."""
        return str(self.run("return deepText();"))

    @contextmanager
    def tall_window(self, height: int = 2400) -> Iterator[None]:
        """Make the window tall, for a screenshot of a whole long page."""
        size = self.driver.get_window_size()
        self.driver.set_window_size(size["width"], height)
        try:
            yield
        finally:
            self.driver.set_window_size(size["width"], size["height"])

    def screenshot(self, path: Path) -> Path:
        """Save a screenshot of the window as PNG."""
        self.driver.save_screenshot(str(path))
        return path

    def fill(self, label: str, value: str) -> None:
        """Type a value into the text field with a label, as a user would."""
        self.run(
            """
            const field = deepQueryAll('ha-textfield, ha-input')
              .find((element) => element.label === arguments[0]);
            const input = deepQueryIn(field, 'input')[0];
            input.value = arguments[1];
            input.dispatchEvent(new Event('input', {bubbles: true, composed: true}));
            input.dispatchEvent(new Event('change', {bubbles: true, composed: true}));
            """,
            label,
            value,
        )

    def click_button(self, text: str) -> None:
        """Click the button that reads text, once it is there."""
        self.wait_for(
            """
            const button = deepQueryAll('ha-button, mwc-button, button')
              .find((element) => deepTextOf(element) === arguments[0]);
            button?.click();
            return Boolean(button);
            """,
            30,
            text,
        )

    def log_in(self, username: str = USERNAME, password: str = PASSWORD) -> None:
        """Log in through Home Assistant's login page."""
        self.driver.get(self.hass_url)
        self.wait_for(
            "return deepQueryAll('input[name=\"username\"]').length > 0"
            " && deepQueryAll('input[name=\"password\"]').length > 0"
        )
        self.run(
            """
            const fill = (name, value) => {
              const input = deepQueryAll(`input[name="${name}"]`)[0];
              input.value = value;
              input.dispatchEvent(new Event('input', {bubbles: true, composed: true}));
              input.dispatchEvent(new Event('change', {bubbles: true, composed: true}));
            };
            fill('username', arguments[0]);
            fill('password', arguments[1]);
            """,
            username,
            password,
        )
        self.wait_for(
            """
            const button = deepQueryAll('ha-button, mwc-button, button')
              .find((element) => /^log in$/i.test(deepTextOf(element)));
            button?.click();
            return Boolean(button);
            """
        )
        self.wait_for("return deepQueryAll('ha-sidebar').length > 0", 60)


# Keeps what the page asks the browser to say (a headless browser says
# nothing) and what it announces to screen readers in its live region.
PAGE_RECORDER: Final = """
window.__spoken = [];
window.__announced = [];
if (window.speechSynthesis) {
  const speak = window.speechSynthesis.speak.bind(window.speechSynthesis);
  window.speechSynthesis.speak = (utterance) => {
    window.__spoken.push({text: utterance.text, lang: utterance.lang});
    speak(utterance);
  };
}
document.addEventListener('DOMContentLoaded', () => {
  const region = document.getElementById('announcer');
  if (!region) return;
  new MutationObserver(() => {
    if (region.textContent) window.__announced.push(region.textContent);
  }).observe(region, {childList: true, characterData: true, subtree: true});
});
"""


def record_speech(driver: webdriver.Chrome) -> None:
    """Record what pages of this browser say and announce, before their scripts."""
    driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": PAGE_RECORDER}
    )


class PhonePage(Page):
    """The simulator's phone page: no login, plain DOM, speech recorded."""

    def __init__(self, driver: webdriver.Chrome, simulator_url: str) -> None:
        """Drive a browser against a simulator URL."""
        super().__init__(driver, simulator_url)
        self.simulator_url = simulator_url

    def open(self, path: str = "/") -> None:
        """Open the page and wait until it watches the simulator."""
        self.driver.get(f"{self.simulator_url}{path}")
        self.wait_for(
            "return document.getElementById('connection').dataset.state"
            " === 'connected';"
        )

    def spoken(self) -> list[dict[str, str]]:
        """Return what the page asked the browser to say: text and language."""
        spoken: list[dict[str, str]] = self.run("return window.__spoken;")
        return spoken

    def wait_for_announcement(self, text: str, timeout: float = 60) -> None:
        """Wait until the page announced a sentence to screen readers."""
        self.wait_for(
            "return window.__announced.some((said) => said.includes(arguments[0]));",
            timeout,
            text,
        )

    def click(self, selector: str) -> None:
        """Click the element a CSS selector finds, once it is shown and enabled."""
        self.wait_for(
            """
            const element = document.querySelector(arguments[0]);
            const usable = element && !element.disabled && element.offsetParent;
            if (usable) element.click();
            return Boolean(usable);
            """,
            30,
            selector,
        )

    def text_of(self, selector: str) -> str:
        """Return the text of the element a CSS selector finds ('' if none)."""
        return str(
            self.run(
                "return document.querySelector(arguments[0])?.innerText ?? '';",
                selector,
            )
        )

    def wait_for_text(self, selector: str, text: str, timeout: float = 60) -> None:
        """Wait until an element's text contains a text."""
        self.wait_for(
            "return (document.querySelector(arguments[0])?.innerText ?? '')"
            ".includes(arguments[1]);",
            timeout,
            selector,
            text,
        )
