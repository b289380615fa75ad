"""The integration in Home Assistant's real web UI, seen by a headless Chromium."""

from __future__ import annotations

from collections.abc import Callable
import contextlib
import json
from pathlib import Path
from typing import Any

from selenium.common.exceptions import TimeoutException

from .harness import ROOT, HomeAssistantInstance, Page

EN_JSON = ROOT / "custom_components" / "hoiio" / "translations" / "en.json"

# The rows of the action form: each field's name and description as shown.
FORM_ROWS_JS = """
return deepQueryAll('ha-settings-row').map((row) => ({
  heading: deepTextOf(row.querySelector('[slot=heading]')),
  description: deepTextOf(row.querySelector('[slot=description]')),
}));
"""
# The logbook as drawn: one element per line (Home Assistant 2026 draws
# <ha-logbook-entry> elements, 2025 .entry rows), with its text and icons, and the
# entries the logbook loaded (what the websocket API sent it).
LOGBOOK_JS = """
const drawn = deepQueryAll('ha-logbook-entry');
const elements = drawn.length ? drawn : deepQueryAll('.entry');
const renderer = deepQueryAll('ha-logbook-renderer')[0];
return {
  lines: elements.map((element) => ({
    text: deepTextOf(element),
    icons: [...new Set(deepQueryIn(element, 'ha-state-icon, ha-icon')
      .map((icon) => icon.icon).filter(Boolean))],
  })),
  entries: (renderer?.entries ?? []).map((entry) => ({
    entity_id: entry.entity_id ?? null, domain: entry.domain ?? null,
    message: entry.message ?? null,
  })),
};
"""
# The user form of the config flow, drawn with its three fields and its section.
FORM_READY_JS = """
return deepQueryAll('ha-expansion-panel').length === 1
  && deepQueryAll('ha-textfield, ha-input').filter((field) => field.label).length === 3;
"""
PANELS_JS = "return deepQueryAll('ha-expansion-panel').map((panel) => panel.expanded);"
# Clicks the line that contains a text, where it links to its entity.
CLICK_LINE_JS = """
const drawn = deepQueryAll('ha-logbook-entry');
const elements = drawn.length ? drawn : deepQueryAll('.entry');
const line = elements.find((element) => deepTextOf(element).includes(arguments[0]));
deepQueryIn(line, 'button.link, [role=button]')[0].click();
"""
# In an open activity details dialog, clicks the row of the entity; returns it.
OPEN_ENTITY_FROM_DETAILS_JS = """
const details = deepQueryAll('dialog-logbook-detail').find((dialog) => dialog._params);
deepQueryIn(details, 'button.interactive')[0].click();
return details._params.entry.entity_id;
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
    # Newer frontends render each description as Markdown a moment later.
    with contextlib.suppress(TimeoutException):
        page.wait_for(
            f"const rows = (() => {{ {FORM_ROWS_JS} }})();"
            " return rows.length >= arguments[0]"
            " && rows.every((row) => row.heading && row.description);",
            30,
            len(expected),
        )
    rows = page.run(FORM_ROWS_JS)
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
    integration cannot leave it out (see README, In the logbook).
    """
    caller = "+6590001234"
    sentence = f"Incoming call from {caller}"
    hoiio_instance.incoming_call(caller)
    call_entity = hoiio_instance.entity_ids["call"]
    page.open("/logbook")
    logbook: dict[str, list[dict[str, Any]]] = page.wait_for(
        f"const logbook = (() => {{ {LOGBOOK_JS} }})();"
        " return logbook.lines.some((line) => line.text.includes(arguments[0])"
        " && line.icons.length) && logbook;",
        30,
        sentence,
    )
    screenshot(tmp_path, "logbook")

    ours = [line for line in logbook["lines"] if sentence in line["text"]]
    assert len(ours) == 1
    assert ours[0]["icons"] == ["mdi:phone-log"]
    entries = logbook["entries"]
    described = [entry for entry in entries if entry["domain"] == "hoiio"]
    assert [entry["message"] for entry in described].count(sentence) == 1
    assert {entry["entity_id"] for entry in described} == {call_entity}
    # Home Assistant's own line for the Call entity: one per notification.
    state_changes = [
        entry
        for entry in entries
        if entry["entity_id"] == call_entity and entry["domain"] is None
    ]
    assert len(state_changes) == len(described)

    # The line links to the Call entity: in 2025 its name opens the entity; in
    # 2026 the line opens its details, whose entity row opens the entity.
    page.run(CLICK_LINE_JS, sentence)
    opened = page.wait_for(
        "return deepQueryAll('ha-more-info-dialog').map((d) => d._entityId)"
        ".find(Boolean) || (deepQueryAll('dialog-logbook-detail')"
        ".some((d) => d._params) && 'details');"
    )
    if opened == "details":
        screenshot(tmp_path, "logbook-details")
        assert page.run(OPEN_ENTITY_FROM_DETAILS_JS) == call_entity
        opened = page.wait_for(
            "return deepQueryAll('ha-more-info-dialog').map((d) => d._entityId)"
            ".find(Boolean);"
        )
    assert opened == call_entity
    screenshot(tmp_path, "logbook-link")


def test_config_flow_error_shows_the_api_url(
    page: Page,
    hoiio_instance: HomeAssistantInstance,
    screenshot: Callable[[Path, str], Path],
    tmp_path: Path,
) -> None:
    """After an error about the API URL, its section is open and keeps every value."""
    page.open("/config/integrations/dashboard/add?domain=hoiio")
    shown = page.wait_for(
        "const text = deepText();"
        " return (text.includes('Do you want to set up Hoiio?') && 'question')"
        " || (text.includes('Connect a Hoiio application') && 'form');"
    )
    if shown == "question":
        page.click_button("OK")
    page.wait_for(FORM_READY_JS)
    assert page.run(PANELS_JS) == [False]

    page.fill("App ID", "browser_check_app")
    page.fill("Access token", "browser_check_token")
    page.fill("API URL", "ftp://not-http")
    page.click_button("Submit")
    page.wait_for(
        "return deepText().includes('The API URL must be a full http or https URL.')"
        f" && (() => {{ {FORM_READY_JS} }})()"
    )
    screenshot(tmp_path, "config-flow-error")

    assert page.run(PANELS_JS) == [True]
    values = page.run(
        "return Object.fromEntries(deepQueryAll('ha-textfield, ha-input')"
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
