"""Shared fixtures: a running simulator and a notification sink."""

from __future__ import annotations

from collections.abc import AsyncGenerator
import sys
from types import ModuleType
from unittest.mock import AsyncMock, Mock

from aiohttp import web
from aiohttp.test_utils import TestClient
from homeassistant import components
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.hoiio.const import CONF_API_URL, CONF_APP_ID, DOMAIN, EVENT_HOIIO
from hoiio_simulator import HoiioSimulator, SimulatorConfig

from .const import ACCESS_TOKEN, APP_ID, CALLER, CLOUDHOOK, HOIIO_NUMBER, WEBHOOK_ID
from .helpers import NotifySink, SinkPost


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncGenerator[HoiioSimulator]:
    """Run a simulator with no delays on 127.0.0.1."""
    sim = HoiioSimulator(
        SimulatorConfig(block_delay=0, dial_delay=0, transfer_duration=0)
    )
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def notify_sink(socket_enabled: None) -> AsyncGenerator[NotifySink]:
    """Run a notify URL on 127.0.0.1 that records every post."""
    sink = NotifySink(url="")

    async def record(request: web.Request) -> web.Response:
        form = await request.post()
        sink.posts.append(
            SinkPost(
                request.path,
                dict(request.query),
                {key: str(value) for key, value in form.items()},
            )
        )
        return web.Response(status=sink.status, text="ok")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    sink.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield sink
    await runner.cleanup()


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Compare with Home Assistant's snapshot format, kept in tests/snapshots."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture
async def ha_client(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> TestClient:
    """Serve Home Assistant's HTTP app on 127.0.0.1; return the test client."""
    # Components that add HTTP views come first: a served router is frozen.
    for component in ("http", "webhook", "diagnostics"):
        assert await async_setup_component(hass, component, {})
    return await hass_client_no_auth()


@pytest.fixture
def ha_url(hass: HomeAssistant, ha_client: TestClient) -> str:
    """Make the served HTTP app Home Assistant's internal URL; return it."""
    url = f"http://127.0.0.1:{ha_client.port}"
    hass.config.internal_url = url
    return url


@pytest.fixture
def config_entry(simulator: HoiioSimulator) -> MockConfigEntry:
    """Return an entry of the simulator's demo application."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Demo Account",
        unique_id=APP_ID,
        version=1,
        minor_version=1,
        data={
            CONF_APP_ID: APP_ID,
            CONF_ACCESS_TOKEN: ACCESS_TOKEN,
            CONF_API_URL: simulator.base_url,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
    )


@pytest.fixture(params=["body", "query"])
def notification_fields(request: pytest.FixtureRequest) -> str:
    """Where the simulator puts notification fields: the body or the query string.

    Every test that lets the simulator notify Home Assistant runs both ways;
    modules that post to the webhook themselves override this with one value.
    """
    return str(request.param)


@pytest.fixture
async def setup_integration(
    hass: HomeAssistant,
    ha_url: str,
    simulator: HoiioSimulator,
    config_entry: MockConfigEntry,
    notification_fields: str,
) -> MockConfigEntry:
    """Set up the entry against the simulator, with incoming calls reporting to it."""
    simulator.config.notify_in_query = notification_fields == "query"
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    simulator.set_number_notify_url(HOIIO_NUMBER, f"{ha_url}/api/webhook/{WEBHOOK_ID}")
    return config_entry


@pytest.fixture
def hoiio_events(hass: HomeAssistant) -> list[Event]:
    """Collect the hoiio_event bus events."""
    return async_capture_events(hass, EVENT_HOIIO)


class CloudNotAvailableError(Exception):
    """Stand-in for the cloud component's CloudNotAvailable."""


@pytest.fixture
def cloud(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Stand in for Home Assistant Cloud, an external service, with mocks.

    The real component imports voice and camera libraries the test environment
    of newer Home Assistant releases does not install.
    """
    module = ModuleType("homeassistant.components.cloud")
    module.CloudNotAvailable = CloudNotAvailableError  # type: ignore[attr-defined]
    module.async_active_subscription = Mock(return_value=True)  # type: ignore[attr-defined]
    module.async_get_or_create_cloudhook = AsyncMock(return_value=CLOUDHOOK)  # type: ignore[attr-defined]
    module.async_delete_cloudhook = AsyncMock()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(components, "cloud", module, raising=False)
    hass.config.components.add("cloud")
    return module


@pytest.fixture
async def session(
    hass: HomeAssistant, simulator: HoiioSimulator, setup_integration: MockConfigEntry
) -> str:
    """Ring the demo number and return the call's session."""
    call_session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await hass.async_block_till_done()
    return call_session
