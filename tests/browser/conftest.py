"""Fixtures of the browser checks: a real Home Assistant, the simulator, Chromium.

`hoiio_instance` (one per session) runs the simulator and a `hass` process with
a temporary configuration, the Hoiio entry and the automations of
automations.yaml; `page` is a headless Chromium logged in as demo/demo, with
helpers that read through the frontend's shadow roots; `phone_page` is another
Chromium on the simulator's phone page, which records what the page asks the
browser to say. Tests save screenshots with `screenshot(tmp_path, name)` (or
`screenshot(tmp_path, name, phone_page)`); their paths are printed at the end
of the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
import importlib.util
import os
from pathlib import Path

import pytest
import pytest_socket

from .harness import (
    CHROMEDRIVER,
    CHROMIUM,
    HomeAssistantInstance,
    Page,
    PhonePage,
    record_speech,
    start_chromium,
    start_instance,
)

# scripts/test sets this: there, a missing browser fails instead of skipping.
REQUIRE_BROWSER = os.environ.get("HOIIO_REQUIRE_BROWSER") == "1"
SCREENSHOTS = pytest.StashKey[list[Path]]()
AUTOMATIONS = Path(__file__).parent / "automations.yaml"


def _missing() -> str | None:
    """Say what the browser check lacks on this machine, if anything."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists():
            return f"{path} is missing (Debian package {package})"
    if importlib.util.find_spec("hass_frontend") is None:
        return "Home Assistant's frontend (home-assistant-frontend) is not installed"
    return None


@contextmanager
def _network_open() -> Iterator[None]:
    """Let Selenium and the harness open sockets.

    The test plugin blocks sockets, and allows only 127.0.0.1, around each
    test; chromedriver answers on `localhost`, which may resolve to ::1.
    """
    pytest_socket.enable_socket()
    pytest_socket._remove_restrictions()
    yield


@pytest.fixture(scope="session")
def browser_ready() -> None:
    """Skip (or, under scripts/test, fail) when Chromium or the frontend is absent."""
    if reason := _missing():
        if REQUIRE_BROWSER:
            pytest.fail(reason)
        pytest.skip(f"browser check not run: {reason}")


@pytest.fixture(scope="session")
def hoiio_instance(
    browser_ready: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HomeAssistantInstance]:
    """Run the simulator and Home Assistant with the Hoiio entry for the session."""
    with _network_open():
        instance = start_instance(
            tmp_path_factory.mktemp("hoiio-instance"),
            AUTOMATIONS.read_text(encoding="utf-8"),
        )
    try:
        yield instance
    finally:
        codes = instance.stop()
        assert codes == [0, 0], f"exit codes {codes}\n{instance.logs()}"


@pytest.fixture(scope="session")
def browser_session(
    hoiio_instance: HomeAssistantInstance, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Page]:
    """Start Chromium and log in as demo/demo, once for the session."""
    with _network_open():
        driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
        page = Page(driver, hoiio_instance.hass_url)
        try:
            page.log_in()
        except BaseException as err:
            err.add_note(f"page at {driver.current_url}: {page.text()[:2000]}")
            driver.quit()
            raise
    try:
        yield page
    finally:
        with _network_open():
            driver.quit()


@pytest.fixture
def page(browser_session: Page) -> Iterator[Page]:
    """Return the logged-in browser, with sockets open for this test."""
    with _network_open():
        yield browser_session


@pytest.fixture(scope="session")
def phone_browser(
    hoiio_instance: HomeAssistantInstance, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PhonePage]:
    """Start a Chromium for the simulator's phone page, once for the session."""
    with _network_open():
        driver = start_chromium(tmp_path_factory.mktemp("chromium-phone-profile"))
        record_speech(driver)
    try:
        yield PhonePage(driver, hoiio_instance.simulator_url)
    finally:
        with _network_open():
            driver.quit()


@pytest.fixture
def phone_page(phone_browser: PhonePage) -> Iterator[PhonePage]:
    """Return the browser on a freshly opened phone page, sockets open."""
    with _network_open():
        phone_browser.open()
        yield phone_browser


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """Return a function that saves a screenshot and lists it for the summary.

    It shows the logged-in Home Assistant page unless given another page.
    """

    def take(folder: Path, name: str, shown: Page | None = None) -> Path:
        shown = shown or request.getfixturevalue("page")
        path = shown.screenshot(folder / f"{name}.png")
        request.config.stash.setdefault(SCREENSHOTS, []).append(path)
        return path

    return take


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[pytest.TestReport]:
    """Take a screenshot of the page when a browser test fails."""
    report: pytest.TestReport = yield
    funcargs = getattr(item, "funcargs", {})
    page = funcargs.get("page") or funcargs.get("phone_page")
    tmp_path = funcargs.get("tmp_path")
    if report.failed and report.when == "call" and page and tmp_path:
        with _network_open():
            path = page.screenshot(tmp_path / "failure.png")
        item.config.stash.setdefault(SCREENSHOTS, []).append(path)
    return report


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print where the browser check saved its screenshots."""
    paths = config.stash.get(SCREENSHOTS, [])
    if paths:
        terminalreporter.section("browser screenshots")
        for path in paths:
            terminalreporter.write_line(str(path))
