"""Tests of the Hoiio config, reauth, reconfigure and options flows."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import json
from pathlib import Path
import re
import socket
from types import ModuleType
from typing import Any
from unittest.mock import patch

from aiohttp.resolver import AsyncResolver
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket
import voluptuous as vol

from custom_components.hoiio.api import DEFAULT_BASE_URL
from custom_components.hoiio.const import (
    CONF_ADVANCED,
    CONF_API_URL,
    CONF_APP_ID,
    CONF_BUSY_TIMEOUT,
    CONF_CLOUDHOOK_URL,
    CONF_STALE_AFTER,
    DEFAULT_BUSY_TIMEOUT,
    DEFAULT_STALE_AFTER_HOURS,
    DOMAIN,
)
from hoiio_simulator import Account, Fault, HoiioSimulator, SimulatorConfig

from .const import ACCESS_TOKEN, APP_ID, CLOUDHOOK, WEBHOOK_ID

COMPONENT = Path(__file__).parent.parent / "custom_components" / DOMAIN
NEW_TOKEN = "rotated_token"


def user_input(
    api_url: str, *, app_id: str = APP_ID, access_token: str = ACCESS_TOKEN
) -> dict[str, Any]:
    """Return the user step's answer, with the API URL in its section."""
    return {
        CONF_APP_ID: app_id,
        CONF_ACCESS_TOKEN: access_token,
        CONF_ADVANCED: {CONF_API_URL: api_url},
    }


async def start_user_flow(hass: HomeAssistant) -> str:
    """Start a user flow, check its empty form and return its id."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return result["flow_id"]


def get_info_requests(simulator: HoiioSimulator) -> list[dict[str, str]]:
    """Return the parameters of every account request the simulator received."""
    return [
        request.params
        for request in simulator.requests
        if request.path.endswith("user/get_info")
    ]


def assert_demo_entry(
    result: dict[str, Any], api_url: str, access_token: str = ACCESS_TOKEN
) -> None:
    """Check a created entry of the simulator's demo application."""
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Demo Account"
    assert result["result"].unique_id == APP_ID
    data = result["data"]
    assert data[CONF_APP_ID] == APP_ID
    assert data[CONF_ACCESS_TOKEN] == access_token
    assert data[CONF_API_URL] == api_url
    assert isinstance(data[CONF_WEBHOOK_ID], str)
    assert len(data[CONF_WEBHOOK_ID]) >= 32


async def test_user_creates_entry(
    hass: HomeAssistant, ha_url: str, simulator: HoiioSimulator
) -> None:
    """Valid credentials create the entry and show the webhook URL."""
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(f"  {simulator.base_url} ", app_id=f" {APP_ID} ")
    )
    await hass.async_block_till_done()

    assert_demo_entry(result, simulator.base_url)
    data = result["data"]
    assert CONF_CLOUDHOOK_URL not in data
    assert result["description"] is None
    assert result["description_placeholders"] == {
        "webhook_url": f"{ha_url}/api/webhook/{data[CONF_WEBHOOK_ID]}"
    }
    # The flow's check comes first; setting up the entry asks again.
    assert get_info_requests(simulator)[0] == {
        CONF_APP_ID: APP_ID,
        CONF_ACCESS_TOKEN: ACCESS_TOKEN,
    }
    entry = result["result"]
    assert hass.config_entries.async_entries(DOMAIN) == [entry]
    assert entry.state is ConfigEntryState.LOADED


async def test_user_webhook_ids_are_unique(
    hass: HomeAssistant, ha_url: str, simulator: HoiioSimulator
) -> None:
    """Each new entry gets its own webhook id."""
    simulator.add_account(Account("second_app", "second_token", name=""))
    first = await hass.config_entries.flow.async_configure(
        await start_user_flow(hass), user_input(simulator.base_url)
    )
    second = await hass.config_entries.flow.async_configure(
        await start_user_flow(hass),
        user_input(
            simulator.base_url, app_id="second_app", access_token="second_token"
        ),
    )
    await hass.async_block_till_done()

    assert first["type"] is FlowResultType.CREATE_ENTRY
    assert second["type"] is FlowResultType.CREATE_ENTRY
    # An account without a name is titled by its app id.
    assert second["title"] == "second_app"
    assert first["data"][CONF_WEBHOOK_ID] != second["data"][CONF_WEBHOOK_ID]


@pytest.mark.parametrize(
    ("kind", "value", "error"),
    [
        ("status", "error_invalid_access_token", "invalid_auth"),
        ("status", "error_invalid_app_id", "invalid_auth"),
        ("http_500", None, "cannot_connect"),
        ("non_json", None, "cannot_connect"),
        ("status", "error_internal_server_error", "cannot_connect"),
        ("status", "error_rate_limit_exceeded", "rate_limited"),
        ("status", "error_something_new", "unknown"),
        ("status", "error_insufficient_credit", "unknown"),
    ],
)
async def test_user_service_errors_then_retry(
    hass: HomeAssistant,
    ha_url: str,
    simulator: HoiioSimulator,
    kind: str,
    value: str | None,
    error: str,
) -> None:
    """A refused or broken answer shows an error; the next try succeeds."""
    simulator.add_fault(Fault(kind=kind, value=value, path="user/get_info", count=1))
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(simulator.base_url)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": error}
    assert not hass.config_entries.async_entries(DOMAIN)
    assert len(get_info_requests(simulator)) == 1

    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(simulator.base_url)
    )
    await hass.async_block_till_done()
    assert_demo_entry(result, simulator.base_url)
    assert simulator.faults == []


async def test_user_wrong_token_then_retry(
    hass: HomeAssistant, ha_url: str, simulator: HoiioSimulator
) -> None:
    """A token the simulator refuses gives invalid_auth, and the form keeps input."""
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(simulator.base_url, access_token="wrong")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested[CONF_APP_ID] == APP_ID

    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(simulator.base_url)
    )
    await hass.async_block_till_done()
    assert_demo_entry(result, simulator.base_url)


async def test_user_stopped_service_then_retry(
    hass: HomeAssistant, ha_url: str, simulator: HoiioSimulator
) -> None:
    """A refused connection gives cannot_connect; a reachable URL then succeeds."""
    stopped = HoiioSimulator(SimulatorConfig())
    await stopped.start()
    stopped_url = stopped.base_url
    await stopped.stop()

    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(stopped_url)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(simulator.base_url)
    )
    await hass.async_block_till_done()
    assert_demo_entry(result, simulator.base_url)


async def test_user_unexpected_exception_then_retry(
    hass: HomeAssistant,
    ha_url: str,
    simulator: HoiioSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected exception is logged and shown as unknown."""
    flow_id = await start_user_flow(hass)
    with patch(
        "custom_components.hoiio.config_flow.HoiioClient.get_info",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id, user_input(simulator.base_url)
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while checking the Hoiio account" in caplog.text

    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(simulator.base_url)
    )
    await hass.async_block_till_done()
    assert_demo_entry(result, simulator.base_url)


@pytest.mark.parametrize("api_url", ["ftp://x", "not a url", "http://"])
async def test_user_invalid_url_then_retry(
    hass: HomeAssistant, ha_url: str, simulator: HoiioSimulator, api_url: str
) -> None:
    """A URL that is not http(s) is refused before any request."""
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(api_url)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_url"}
    assert get_info_requests(simulator) == []

    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(simulator.base_url)
    )
    await hass.async_block_till_done()
    assert_demo_entry(result, simulator.base_url)


async def test_user_already_configured(
    hass: HomeAssistant, simulator: HoiioSimulator, config_entry: MockConfigEntry
) -> None:
    """An application that has an entry is not added twice, nor checked."""
    config_entry.add_to_hass(hass)
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(simulator.base_url, app_id=f"{APP_ID} ")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert get_info_requests(simulator) == []
    assert hass.config_entries.async_entries(DOMAIN) == [config_entry]


async def test_user_no_url(hass: HomeAssistant, simulator: HoiioSimulator) -> None:
    """Without any Home Assistant URL the entry is created with a hint."""
    assert hass.config.internal_url is None
    assert hass.config.external_url is None
    flow_id = await start_user_flow(hass)
    # Starting the flow set up http; its only address is loopback, which Home
    # Assistant never offers as a URL.
    assert hass.config.api is not None
    hass.config.api.local_ip = "127.0.0.1"
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(simulator.base_url)
    )
    await hass.async_block_till_done()

    assert_demo_entry(result, simulator.base_url)
    assert result["description"] == "no_url"
    assert result["description_placeholders"] == {"webhook_url": ""}


async def test_user_cloudhook(
    hass: HomeAssistant, ha_url: str, simulator: HoiioSimulator, cloud: ModuleType
) -> None:
    """With Home Assistant Cloud the entry stores and shows a cloudhook."""
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(simulator.base_url)
    )
    await hass.async_block_till_done()

    assert_demo_entry(result, simulator.base_url)
    webhook_id = result["data"][CONF_WEBHOOK_ID]
    assert result["data"][CONF_CLOUDHOOK_URL] == CLOUDHOOK
    assert result["description"] is None
    assert result["description_placeholders"] == {"webhook_url": CLOUDHOOK}
    cloud.async_get_or_create_cloudhook.assert_any_await(hass, webhook_id)


async def test_user_cloud_not_available(
    hass: HomeAssistant, ha_url: str, simulator: HoiioSimulator, cloud: ModuleType
) -> None:
    """When Cloud cannot make a cloudhook the local webhook URL is used."""
    cloud.async_get_or_create_cloudhook.side_effect = cloud.CloudNotAvailable
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(simulator.base_url)
    )
    await hass.async_block_till_done()

    assert_demo_entry(result, simulator.base_url)
    webhook_id = result["data"][CONF_WEBHOOK_ID]
    assert CONF_CLOUDHOOK_URL not in result["data"]
    assert result["description_placeholders"] == {
        "webhook_url": f"{ha_url}/api/webhook/{webhook_id}"
    }
    cloud.async_get_or_create_cloudhook.assert_any_await(hass, webhook_id)


async def test_user_cloud_without_subscription(
    hass: HomeAssistant, ha_url: str, simulator: HoiioSimulator, cloud: ModuleType
) -> None:
    """Cloud loaded without an active subscription makes no cloudhook."""
    cloud.async_active_subscription.return_value = False
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(simulator.base_url)
    )
    await hass.async_block_till_done()

    assert_demo_entry(result, simulator.base_url)
    assert CONF_CLOUDHOOK_URL not in result["data"]
    assert result["description_placeholders"]["webhook_url"].startswith(ha_url)
    cloud.async_get_or_create_cloudhook.assert_not_awaited()


async def test_reauth(
    hass: HomeAssistant, simulator: HoiioSimulator, setup_integration: MockConfigEntry
) -> None:
    """A refused token is replaced after a check with the simulator."""
    entry = setup_integration
    simulator.accounts[APP_ID].access_token = NEW_TOKEN

    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"name": "Demo Account"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: ACCESS_TOKEN}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": "invalid_auth"}
    assert entry.data[CONF_ACCESS_TOKEN] == ACCESS_TOKEN

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: NEW_TOKEN}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_ACCESS_TOKEN] == NEW_TOKEN
    assert entry.data[CONF_APP_ID] == APP_ID
    assert entry.data[CONF_API_URL] == simulator.base_url
    assert entry.state is ConfigEntryState.LOADED
    assert get_info_requests(simulator)[-1] == {
        CONF_APP_ID: APP_ID,
        CONF_ACCESS_TOKEN: NEW_TOKEN,
    }


async def test_reauth_service_down(
    hass: HomeAssistant, simulator: HoiioSimulator, config_entry: MockConfigEntry
) -> None:
    """An unreachable service during reauth shows cannot_connect."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reauth_flow(hass)
    await simulator.stop()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCESS_TOKEN: NEW_TOKEN}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert config_entry.data[CONF_ACCESS_TOKEN] == ACCESS_TOKEN


async def test_reconfigure(
    hass: HomeAssistant, simulator: HoiioSimulator, setup_integration: MockConfigEntry
) -> None:
    """Reconfiguring checks the new values and updates token and URL."""
    entry = setup_integration
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    simulator.accounts[APP_ID].access_token = NEW_TOKEN
    new_url = f"{simulator.url}/open"

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {}
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested == {CONF_APP_ID: APP_ID, CONF_API_URL: simulator.base_url}

    simulator.add_fault(Fault(kind="http_500", path="user/get_info", count=1))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_APP_ID: APP_ID, CONF_ACCESS_TOKEN: NEW_TOKEN, CONF_API_URL: new_url},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert entry.data[CONF_ACCESS_TOKEN] == ACCESS_TOKEN

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_APP_ID: f" {APP_ID}",
            CONF_ACCESS_TOKEN: NEW_TOKEN,
            CONF_API_URL: f" {new_url} ",
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {
        CONF_APP_ID: APP_ID,
        CONF_ACCESS_TOKEN: NEW_TOKEN,
        CONF_API_URL: new_url,
        CONF_WEBHOOK_ID: webhook_id,
    }
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_errors(
    hass: HomeAssistant, simulator: HoiioSimulator, config_entry: MockConfigEntry
) -> None:
    """A bad URL, then an unreachable service, keep the entry unchanged."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_APP_ID: APP_ID, CONF_ACCESS_TOKEN: NEW_TOKEN, CONF_API_URL: "ftp://x"},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_url"}

    await simulator.stop()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_APP_ID: APP_ID,
            CONF_ACCESS_TOKEN: NEW_TOKEN,
            CONF_API_URL: simulator.base_url,
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "cannot_connect"}
    assert config_entry.data[CONF_ACCESS_TOKEN] == ACCESS_TOKEN


async def test_reconfigure_wrong_account(
    hass: HomeAssistant, simulator: HoiioSimulator, config_entry: MockConfigEntry
) -> None:
    """Another app id aborts without contacting the service."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_APP_ID: "other_app",
            CONF_ACCESS_TOKEN: ACCESS_TOKEN,
            CONF_API_URL: simulator.base_url,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert get_info_requests(simulator) == []
    assert config_entry.data[CONF_APP_ID] == APP_ID


async def test_options(hass: HomeAssistant, setup_integration: MockConfigEntry) -> None:
    """The options form shows the defaults and stores whole numbers."""
    entry = setup_integration
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert result["description_placeholders"] == {
        "webhook_url": f"{hass.config.internal_url}/api/webhook/{WEBHOOK_ID}"
    }
    defaults = {str(key): key.default() for key in result["data_schema"].schema}
    assert defaults == {
        CONF_BUSY_TIMEOUT: DEFAULT_BUSY_TIMEOUT,
        CONF_STALE_AFTER: DEFAULT_STALE_AFTER_HOURS,
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_BUSY_TIMEOUT: 45.0, CONF_STALE_AFTER: 12.0}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_BUSY_TIMEOUT: 45, CONF_STALE_AFTER: 12}
    assert all(type(value) is int for value in entry.options.values())
    assert entry.state is ConfigEntryState.LOADED

    # The next options flow suggests the stored values.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
    }
    assert suggested == {CONF_BUSY_TIMEOUT: 45, CONF_STALE_AFTER: 12}


async def test_options_without_any_url(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """Without a Home Assistant URL the options say how to get one, translated."""
    entry = setup_integration
    hass.config.internal_url = None
    assert hass.config.api is not None
    hass.config.api.local_ip = "127.0.0.1"  # loopback is never offered as a URL
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init_no_url"
    assert not result["description_placeholders"]
    options = json.loads(
        (COMPONENT / "translations" / "en.json").read_text(encoding="utf-8")
    )["options"]["step"]
    assert "{" not in options["init_no_url"]["description"]
    assert options["init_no_url"]["data"] == options["init"]["data"]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_BUSY_TIMEOUT: 10, CONF_STALE_AFTER: 2}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_BUSY_TIMEOUT: 10, CONF_STALE_AFTER: 2}


def test_translations_cover_flow_keys() -> None:
    """Every error, abort and description the flows produce is translated."""
    source = (COMPONENT / "config_flow.py").read_text(encoding="utf-8")
    config = json.loads(
        (COMPONENT / "translations" / "en.json").read_text(encoding="utf-8")
    )["config"]
    errors = set(re.findall(r'\{"base": "(\w+)"\}', source))
    aborts = set(re.findall(r'reason="(\w+)"', source))
    descriptions = set(re.findall(r'description=None if url else "(\w+)"', source))
    assert errors == {
        "invalid_url",
        "invalid_auth",
        "rate_limited",
        "cannot_connect",
        "unknown",
    }
    assert aborts == {"wrong_account"}
    assert descriptions == {"no_url"}
    # Reasons Home Assistant's helpers give for the flow's calls.
    aborts |= {"already_configured", "reauth_successful", "reconfigure_successful"}
    descriptions.add("default")

    assert errors <= config["error"].keys()
    assert aborts <= config["abort"].keys()
    assert descriptions <= config["create_entry"].keys()
    for step in ("user", "reauth_confirm", "reconfigure"):
        assert step in config["step"]


def section_suggestions(schema: vol.Schema) -> dict[str, Any]:
    """Return the suggested values inside the sections of a form's schema."""
    return {
        str(key): key.description["suggested_value"]
        for value in schema.schema.values()
        if isinstance(value, section)
        for key in value.schema.schema
        if key.description and "suggested_value" in key.description
    }


async def test_rejected_api_url_does_not_leak_into_next_flow(
    hass: HomeAssistant, ha_url: str, simulator: HoiioSimulator
) -> None:
    """A new flow does not suggest the API URL typed in an earlier flow."""
    first = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        first, user_input("ftp://leaked")
    )
    assert result["errors"] == {"base": "invalid_url"}
    assert section_suggestions(result["data_schema"]) == {CONF_API_URL: "ftp://leaked"}
    hass.config_entries.flow.async_abort(first)

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert "ftp://leaked" not in section_suggestions(result["data_schema"]).values()


async def test_parallel_user_flows_abort_translated(
    hass: HomeAssistant, ha_url: str, simulator: HoiioSimulator
) -> None:
    """A second flow for an app id another flow is adding aborts with a text."""
    first = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        first, user_input(simulator.base_url, access_token="wrong")
    )
    assert result["errors"] == {"base": "invalid_auth"}

    second = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        second, user_input(simulator.base_url)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_in_progress"
    assert not hass.config_entries.async_entries(DOMAIN)
    config = json.loads(
        (COMPONENT / "translations" / "en.json").read_text(encoding="utf-8")
    )["config"]
    assert result["reason"] in config["abort"]


def advanced_section(schema: vol.Schema) -> section:
    """Return the section of the user form that holds the API URL."""
    value = schema.schema[CONF_ADVANCED]
    assert isinstance(value, section)
    return value


def top_suggestions(schema: vol.Schema) -> dict[str, Any]:
    """Return the suggested values of the fields outside sections."""
    return {
        str(key): key.description["suggested_value"]
        for key in schema.schema
        if key.description and "suggested_value" in key.description
    }


async def test_user_form_starts_with_the_api_url_hidden(hass: HomeAssistant) -> None:
    """The first form keeps the advanced section closed and names the simulator."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert advanced_section(result["data_schema"]).options["collapsed"] is True
    assert result["description_placeholders"] == {
        "simulator_url": "http://127.0.0.1:8950/open/"
    }
    strings = json.loads(
        (COMPONENT / "translations" / "en.json").read_text(encoding="utf-8")
    )
    advanced = strings["config"]["step"]["user"]["sections"]["advanced"]
    assert "{simulator_url}" in advanced["data_description"][CONF_API_URL]


@pytest.mark.parametrize(
    ("api_url", "access_token", "error"),
    [
        ("ftp://not-http", ACCESS_TOKEN, "invalid_url"),
        ("stopped", ACCESS_TOKEN, "cannot_connect"),
        ("simulator", "wrong", "invalid_auth"),
    ],
)
async def test_user_error_keeps_values_and_shows_the_api_url(
    hass: HomeAssistant,
    ha_url: str,
    simulator: HoiioSimulator,
    api_url: str,
    access_token: str,
    error: str,
) -> None:
    """After an error every field keeps its value and the API URL section is open.

    It opens for errors about the API URL, and whenever the user changed the
    URL, so the value the error may be about is in sight.
    """
    stopped = HoiioSimulator(SimulatorConfig())
    await stopped.start()
    urls = {"stopped": stopped.base_url, "simulator": simulator.base_url}
    await stopped.stop()
    url = urls.get(api_url, api_url)
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(url, access_token=access_token)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    schema = result["data_schema"]
    assert advanced_section(schema).options["collapsed"] is False
    assert top_suggestions(schema) == {
        CONF_APP_ID: APP_ID,
        CONF_ACCESS_TOKEN: access_token,
    }
    assert section_suggestions(schema) == {CONF_API_URL: url}


def own_resolver(resolver: AsyncResolver) -> Any:
    """Give Home Assistant's shared client session a resolver of this test's own.

    The test plugin shares one resolver between tests, and Home Assistant
    2026.x closes it together with the first instance that used it.
    """
    # Newer releases close the shared resolver through real_close.
    resolver.real_close = resolver.close  # type: ignore[attr-defined]
    return patch(
        "homeassistant.helpers.aiohttp_client._async_make_resolver",
        return_value=resolver,
    )


@pytest.fixture
def any_loopback(socket_enabled: None) -> None:
    """Let connections reach ::1 too, which `localhost` may also name.

    The test plugin lets tests connect to 127.0.0.1 only, and refuses ::1 with
    an error no client falls back from; the simulator listens on 127.0.0.1.
    """
    pytest_socket._remove_restrictions()


async def test_user_api_url_with_a_host_name(
    hass: HomeAssistant, ha_url: str, simulator: HoiioSimulator, any_loopback: None
) -> None:
    """A host name resolves through Home Assistant's shared client session.

    The resolver is aiodns with the machine's own settings, as in Home
    Assistant; `localhost` comes from /etc/hosts.
    """
    local_url = simulator.url.replace("127.0.0.1", "localhost")
    assert local_url != simulator.url
    resolver = AsyncResolver()
    with own_resolver(resolver):
        http = async_get_clientsession(hass)
        async with http.get(f"{local_url}/_simulator/sessions") as response:
            assert response.status == 200

        flow_id = await start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            flow_id, user_input(f"{local_url}/open/")
        )
        await hass.async_block_till_done()
    assert_demo_entry(result, f"{local_url}/open/")


@pytest.fixture
def nameserver(socket_enabled: None) -> Iterator[socket.socket]:
    """Bind a UDP port on 127.0.0.1 that receives DNS queries and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        udp.setblocking(False)
        yield udp


def resolver_asking(port: int) -> AsyncResolver:
    """Return a resolver that asks only 127.0.0.1:port, once, for 0.2 s."""
    return AsyncResolver(
        nameservers=["127.0.0.1"], udp_port=port, tcp_port=port, timeout=0.2, tries=1
    )


# aiodns before 3.5 (Home Assistant 2025.4 pins 3.2.0) has no close(): while its
# UDP socket is open it polls with a one-second timer, which the harness then
# cancels instead of failing the test.
@pytest.mark.parametrize("expected_lingering_timers", [True])
@pytest.mark.parametrize("dns", ["silent", "refused"])
async def test_user_default_api_url_unreachable(
    hass: HomeAssistant, ha_url: str, nameserver: socket.socket, dns: str
) -> None:
    """The default API URL, whose name does not resolve, cannot be reached.

    Home Assistant's shared session resolves through a name server on
    127.0.0.1 that never answers (a look-up that hangs, bounded by the
    resolver's timeout) or that refuses (the port closed): either way the form
    says cannot_connect, never unknown, and the test needs no outside DNS.
    """
    port = nameserver.getsockname()[1]
    if dns == "refused":
        nameserver.close()
    resolver = resolver_asking(port)
    flow_id = await start_user_flow(hass)
    with own_resolver(resolver):
        async with asyncio.timeout(30):
            result = await hass.config_entries.flow.async_configure(
                flow_id, user_input(DEFAULT_BASE_URL)
            )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert advanced_section(result["data_schema"]).options["collapsed"] is False
    if dns == "silent":
        query, _ = nameserver.recvfrom(512)
        assert b"secure" in query
        assert b"hoiio" in query
    await resolver.close()
