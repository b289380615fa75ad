"""Tests of the repair issue for an unreachable webhook."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hoiio.api import DEFAULT_BASE_URL
from custom_components.hoiio.const import CONF_API_URL, DOMAIN
from custom_components.hoiio.external_url_issue import (
    async_track_url_issue,
    is_local_api,
)


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8950/open/", True),
        ("http://192.168.1.20/open/", True),
        ("http://localhost:8950/open/", True),
        ("http://hoiio-sim.local/open/", True),
        (DEFAULT_BASE_URL, False),
        ("https://8.8.8.8/open/", False),
    ],
)
def test_local_api(url: str, local: bool) -> None:
    """Simulators on this machine or the local network count as local."""
    assert is_local_api(url) is local


async def test_issue_follows_the_external_url(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """An entry of the real service without external URL raises an issue until fixed."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_API_URL: DEFAULT_BASE_URL}
    )
    registry = ir.async_get(hass)
    issue_id = f"no_external_url_{config_entry.entry_id}"
    unsubscribe = async_track_url_issue(hass, config_entry)
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "no_external_url"
    assert issue.severity is ir.IssueSeverity.WARNING
    await hass.config.async_update(external_url="https://home.example.com")
    await hass.async_block_till_done()
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    unsubscribe()


async def test_simulator_entry_raises_none(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    """An entry that talks to a local simulator needs no external URL."""
    assert (
        ir.async_get(hass).async_get_issue(
            DOMAIN, f"no_external_url_{setup_integration.entry_id}"
        )
        is None
    )
