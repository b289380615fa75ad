"""The integration in Home Assistant's real web UI, seen by a headless Chromium."""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path
from typing import Any

from .harness import ROOT, HomeAssistantInstance, Page

EN_JSON = ROOT / "custom_components" / "hoiio" / "translations" / "en.json"

# The rows of the action form: each field's name and description as shown.
FORM_ROWS_JS = """
return deepQueryAll('ha-settings-row').map((row) => ({
  heading: row.querySelector('[slot=heading]')?.textContent.trim() ?? '',
  description: row.querySelector('[slot=description]')?.textContent.trim() ?? '',
}));
"""
# The lines of the logbook: text, the name that links to the entity, the entity
# the line belongs to and the icon shown for it.
LOGBOOK_LINES_JS = """
return deepQueryAll('ha-logbook-renderer .entry, .entry').map((entry) => {
  const badge = entry.querySelector('state-badge');
  const icons = badge?.shadowRoot
    ? [...badge.shadowRoot.querySelectorAll('ha-state-icon')].map((icon) => icon.icon
        ?? icon.shadowRoot?.querySelector('ha-icon')?.icon)
    : [];
  return {
    text: entry.querySelector('.message')?.textContent.replace(/\\s+/g, ' ').trim(),
    link: entry.querySelector('.message button.link')?.textContent.trim() ?? null,
    entity: badge?.stateObj?.entity_id ?? null,
    icons: icons.filter(Boolean),
  };
});
"""


def _strings() -> dict[str, Any]:
    strings: dict[str, Any] = json.loads(EN_JSON.read_text(encoding="utf-8"))
    return strings


def test_transfer_form_shows_every_description(
    page: Page,
    hoiio_instance: HomeAssistantInstance,
    screenshot: Callable[[Path, str], Path],
    tmp_path: Path,
) -> None:
    """Developer tools > Actions renders hoiio.transfer with no translation error."""
    page.open("/developer-tools")
    page.run(
        "localStorage.setItem('panel-dev-action-state-service-data', arguments[0]);"
        "localStorage.setItem('panel-dev-action-state-yaml-mode', 'false');",
        json.dumps({"action": "hoiio.transfer", "target": {}, "data": {}}),
    )
    page.open("/developer-tools/action")
    texts = _strings()["services"]["transfer"]
    expected = {
        field["name"]: field["description"] for field in texts["fields"].values()
    }
    rows = page.wait_for(
        f"const rows = (() => {{ {FORM_ROWS_JS} }})();"
        " return rows.length >= arguments[0] && rows;",
        30,
        len(expected),
    )
    with page.tall_window():
        screenshot(tmp_path, "transfer-form")

    shown = {row["heading"]: row["description"] for row in rows}
    assert shown == expected
    text = page.text()
    assert texts["description"] in text
    assert "Translation error" not in text


def test_logbook_shows_a_call_as_one_linked_line(
    page: Page,
    hoiio_instance: HomeAssistantInstance,
    screenshot: Callable[[Path, str], Path],
    tmp_path: Path,
) -> None:
    """A call is one sentence, with the Call entity's icon and a link to it.

    Home Assistant adds its own line for the Call entity's state change; the
    integration cannot leave it out (see README, Logbook).
    """
    caller = "+6590001234"
    hoiio_instance.incoming_call(caller)
    call_entity = hoiio_instance.entity_ids["call"]
    page.open("/logbook")
    lines: list[dict[str, Any]] = page.wait_for(
        f"const lines = (() => {{ {LOGBOOK_LINES_JS} }})();"
        " return lines.some((line) => line.text?.endsWith(arguments[0])) && lines;",
        30,
        f"Incoming call from {caller}",
    )
    screenshot(tmp_path, "logbook")

    ours = [
        line for line in lines if line["text"] == f"Hoiio Incoming call from {caller}"
    ]
    assert ours == [
        {
            "text": f"Hoiio Incoming call from {caller}",
            "link": "Hoiio",
            "entity": call_entity,
            "icons": ["mdi:phone-log"],
        }
    ]
    described = [line for line in lines if line["link"] == "Hoiio"]
    state_changes = [
        line
        for line in lines
        if line["entity"] == call_entity and line["link"] != "Hoiio"
    ]
    # One line of Home Assistant's own for each notification, no more.
    assert len(state_changes) == len(described)

    page.run(
        "deepQueryAll('.entry').find((entry) => entry.textContent.includes(arguments[0]))"
        ".querySelector('.message button.link').click();",
        f"Incoming call from {caller}",
    )
    assert (
        page.wait_for(
            "return deepQueryAll('ha-more-info-dialog')"
            ".map((dialog) => dialog._entityId).find(Boolean);"
        )
        == call_entity
    )
    screenshot(tmp_path, "logbook-link")


def test_config_flow_error_shows_the_api_url(
    page: Page,
    hoiio_instance: HomeAssistantInstance,
    screenshot: Callable[[Path, str], Path],
    tmp_path: Path,
) -> None:
    """After an error about the API URL, its section is open and keeps every value."""
    page.open("/config/integrations/dashboard/add?domain=hoiio")
    page.wait_for("return deepText().includes('Do you want to set up Hoiio?')")
    page.click_button("OK")
    page.wait_for("return deepText().includes('Connect a Hoiio application')")
    assert page.run(
        "return deepQueryAll('ha-expansion-panel').map((panel) => panel.expanded);"
    ) == [False]

    page.fill("App ID", "browser_check_app")
    page.fill("Access token", "browser_check_token")
    page.fill("API URL", "ftp://not-http")
    page.click_button("Submit")
    page.wait_for(
        "return deepText().includes('The API URL must be a full http or https URL.')"
    )
    screenshot(tmp_path, "config-flow-error")

    assert page.run(
        "return deepQueryAll('ha-expansion-panel').map((panel) => panel.expanded);"
    ) == [True]
    values = page.run(
        "return Object.fromEntries(deepQueryAll('ha-textfield')"
        ".map((field) => [field.label, field.value]));"
    )
    assert values == {
        "App ID": "browser_check_app",
        "Access token": "browser_check_token",
        "API URL": "ftp://not-http",
    }
    advanced = _strings()["config"]["step"]["user"]["sections"]["advanced"]
    text = page.text()
    assert advanced["description"] in text
    assert (
        advanced["data_description"]["api_url"].replace(
            "{simulator_url}", "http://127.0.0.1:8950/open/"
        )
        in text
    )
    assert "Translation error" not in text
