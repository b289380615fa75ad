"""Run the YAML examples of README.md against the simulator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import re
from typing import Any

from homeassistant.components import automation, persistent_notification
from homeassistant.core import Context, Event, HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.script import Script
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml, parse_yaml
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.hoiio.const import DOMAIN
from hoiio_simulator import HoiioSimulator

from .const import CALLER, HOIIO_NUMBER, MOBILE

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
PLACEHOLDER = "YOUR_CONFIG_ENTRY_ID"
BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)
ACTION_PATHS = {
    "transfer": "ivr/end/transfer",
    "unhold": "ivr/middle/unhold",
    "hold": "ivr/middle/hold",
    "hangup": "ivr/end/hangup",
    "play": "ivr/middle/play",
    "gather": "ivr/middle/gather",
    "record": "ivr/middle/record",
    "monitor": "ivr/middle/monitor",
    "dial": "ivr/start/dial",
}


@dataclass(frozen=True)
class Examples:
    """The README's YAML blocks, by kind."""

    automations: dict[str, dict[str, Any]]
    cards: list[dict[str, Any]]
    actions: dict[str, dict[str, Any]]
    events: list[dict[str, Any]]
    responses: list[dict[str, Any]]
    # configuration.yaml snippets, by the component they configure
    configuration: dict[str, Any]


def _kind(block: Any) -> str:
    if isinstance(block, dict):
        if "triggers" in block:
            return "automation"
        if "tap_action" in block:
            return "card"
        if isinstance(block.get("action"), str):
            return "action"
        if block.get("event_type") == "hoiio_event" and "data" in block:
            return "event"
        if block.get("status") == "success_ok":
            return "response"
        if set(block) == {"logbook"}:
            return "configuration"
    if (
        isinstance(block, list)
        and block
        and all(_kind(b) == "automation" for b in block)
    ):
        return "automations"
    return "unknown"


def read_examples(entry_id: str = PLACEHOLDER) -> Examples:
    """Parse every ```yaml block of the README, with the entry ID filled in."""
    text = README.read_text(encoding="utf-8")
    examples = Examples({}, [], {}, [], [], {})
    for raw in BLOCK.findall(text):
        block = parse_yaml(raw.replace(PLACEHOLDER, entry_id))
        kind = _kind(block)
        if kind == "automation":
            examples.automations[block["alias"]] = block
        elif kind == "automations":
            examples.automations.update({item["alias"]: item for item in block})
        elif kind == "card":
            examples.cards.append(block)
        elif kind == "action":
            name = block["action"].removeprefix(f"{DOMAIN}.")
            assert name not in examples.actions, f"two examples of {name}"
            examples.actions[name] = block
        elif kind == "event":
            examples.events.append(block)
        elif kind == "response":
            examples.responses.append(block)
        elif kind == "configuration":
            examples.configuration.update(block)
        else:
            pytest.fail(f"README has a yaml block this test does not know:\n{raw}")
    return examples


def test_readme_has_every_example() -> None:
    """Each action has one example; the automations, card and samples are there."""
    examples = read_examples()
    services = load_yaml(ROOT / "custom_components" / DOMAIN / "services.yaml")
    assert isinstance(services, dict)
    assert set(examples.actions) == {k for k in services if not k.startswith(".")}
    for name, block in examples.actions.items():
        assert block["action"] == f"{DOMAIN}.{name}"
        cv.SCRIPT_SCHEMA([block])
    assert set(examples.automations) == {
        "Hoiio - transfer incoming calls",
        "Hoiio - transfer with fallback",
    }
    assert len(examples.cards) == 1
    assert len(examples.events) == 1
    assert len(examples.responses) == 1


async def settle(hass: HomeAssistant, simulator: HoiioSimulator) -> None:
    """Let notifications, automations and their actions run to the end."""
    for _ in range(6):
        await hass.async_block_till_done()
        await simulator.settle()
    await hass.async_block_till_done()


def ivr_paths(simulator: HoiioSimulator) -> list[str]:
    """Return the IVR API paths requested so far."""
    return [request.path for request in simulator.requests if "ivr/" in request.path]


def last_params(simulator: HoiioSimulator, path: str) -> dict[str, str]:
    """Return the parameters of the last request to a path."""
    return [r for r in simulator.requests if r.path == path][-1].params


async def load_automation(
    hass: HomeAssistant, entry: MockConfigEntry, alias: str
) -> None:
    """Set up one README automation."""
    config = read_examples(entry.entry_id).automations[alias]
    assert await async_setup_component(
        hass, automation.DOMAIN, {automation.DOMAIN: [config]}
    )
    await hass.async_block_till_done()


async def test_answer_and_transfer(
    hass: HomeAssistant, simulator: HoiioSimulator, setup_integration: MockConfigEntry
) -> None:
    """An incoming call is transferred to the number in the example."""
    await load_automation(hass, setup_integration, "Hoiio - transfer incoming calls")
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await settle(hass, simulator)
    assert ivr_paths(simulator) == ["ivr/end/transfer"]
    params = last_params(simulator, "ivr/end/transfer")
    assert params["session"] == session
    assert params["dest"] == MOBILE
    assert params["msg"] == "Please hold while we connect your call."
    assert hass.states.get("sensor.demo_account_ongoing_calls").state == "0"


@pytest.mark.parametrize("outcome", ["busy", "unanswered", "failed"])
async def test_transfer_fallback_hangs_up(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    outcome: str,
) -> None:
    """A failed transfer gets the fallback message, a hang-up and a notification."""
    assert await async_setup_component(hass, persistent_notification.DOMAIN, {})
    await load_automation(hass, setup_integration, "Hoiio - transfer with fallback")
    simulator.set_transfer_outcome(outcome)
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await settle(hass, simulator)
    assert ivr_paths(simulator) == ["ivr/end/transfer", "ivr/end/hangup"]
    transfer = last_params(simulator, "ivr/end/transfer")
    assert transfer["on_failure"] == "continue"
    assert transfer["ring_time"] == "20"
    hangup = last_params(simulator, "ivr/end/hangup")
    assert hangup["session"] == session
    assert hangup["msg"].startswith("Sorry, nobody can take your call")
    notifications = persistent_notification._async_get_or_create_notifications(hass)
    messages = [n["message"] for n in notifications.values()]
    assert any(CALLER in m and outcome in m for m in messages), messages
    assert hass.states.get("sensor.demo_account_ongoing_calls").state == "0"


async def test_transfer_fallback_not_used_when_answered(
    hass: HomeAssistant, simulator: HoiioSimulator, setup_integration: MockConfigEntry
) -> None:
    """An answered transfer needs no fallback."""
    assert await async_setup_component(hass, persistent_notification.DOMAIN, {})
    await load_automation(hass, setup_integration, "Hoiio - transfer with fallback")
    await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await settle(hass, simulator)
    assert ivr_paths(simulator) == ["ivr/end/transfer"]
    assert not persistent_notification._async_get_or_create_notifications(hass)


async def call_service(hass: HomeAssistant, action: str, data: dict[str, Any]) -> Any:
    """Call `domain.service` as the frontend does."""
    domain, service = action.split(".", 1)
    return await hass.services.async_call(domain, service, data, blocking=True)


async def test_unhold_button_unholds_the_current_call(
    hass: HomeAssistant, simulator: HoiioSimulator, setup_integration: MockConfigEntry
) -> None:
    """The button card's tap action takes the held current call off hold."""
    card = read_examples(setup_integration.entry_id).cards[0]
    tap = card["tap_action"]
    assert tap["action"] == "perform-action"
    assert tap["data"] == {"config_entry_id": setup_integration.entry_id}
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await settle(hass, simulator)
    await call_service(
        hass, "hoiio.hold", {"config_entry_id": setup_integration.entry_id}
    )
    assert hass.states.get("sensor.demo_account_current_call").state == "on_hold"

    await call_service(hass, tap["perform_action"], tap["data"])
    await settle(hass, simulator)
    assert ivr_paths(simulator) == ["ivr/middle/hold", "ivr/middle/unhold"]
    assert last_params(simulator, "ivr/middle/unhold")["session"] == session
    assert simulator.sessions[session].as_dict()["on_hold"] is False
    assert hass.states.get("sensor.demo_account_current_call").state == "ongoing"


async def run_action_example(
    hass: HomeAssistant, entry: MockConfigEntry, name: str, session: str
) -> dict[str, Any]:
    """Run one action example as a script step, as an automation would; return vars."""
    block = read_examples(entry.entry_id).actions[name]
    script = Script(hass, cv.SCRIPT_SCHEMA([block]), f"README {name}", DOMAIN)
    trigger = {
        "event": {"data": {"config_entry_id": entry.entry_id, "session": session}}
    }
    result = await script.async_run({"trigger": trigger}, Context())
    assert result is not None
    return dict(result.variables)


@pytest.mark.parametrize(
    "name", ["transfer", "hold", "hangup", "play", "gather", "record", "monitor"]
)
async def test_action_example_on_a_call(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    name: str,
) -> None:
    """Each action example sends its block for the trigger's call."""
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await settle(hass, simulator)
    variables = await run_action_example(hass, setup_integration, name, session)
    await settle(hass, simulator)
    assert ivr_paths(simulator) == [ACTION_PATHS[name]]
    params = last_params(simulator, ACTION_PATHS[name])
    assert params["session"] == session
    block = read_examples().actions[name]["data"]
    for key in ("msg", "dest", "max_digits", "max_duration", "ring_time"):
        if key in block:
            assert params[key] == str(block[key]).strip(), key
    if name == "gather":
        assert variables["choice"]["digits"] == "1"
        assert variables["choice"]["ivr_block"] == "gather"


async def test_unhold_example(
    hass: HomeAssistant, simulator: HoiioSimulator, setup_integration: MockConfigEntry
) -> None:
    """The unhold example resumes a held call."""
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await settle(hass, simulator)
    await call_service(
        hass,
        "hoiio.hold",
        {"config_entry_id": setup_integration.entry_id, "session": session},
    )
    await run_action_example(hass, setup_integration, "unhold", session)
    await settle(hass, simulator)
    assert ivr_paths(simulator) == ["ivr/middle/hold", "ivr/middle/unhold"]
    assert hass.states.get("sensor.demo_account_current_call").state == "ongoing"


async def test_dial_example(
    hass: HomeAssistant, simulator: HoiioSimulator, setup_integration: MockConfigEntry
) -> None:
    """The dial example starts a call; its response names the new session."""
    variables = await run_action_example(hass, setup_integration, "dial", "")
    await settle(hass, simulator)
    assert ivr_paths(simulator) == ["ivr/start/dial"]
    params = last_params(simulator, "ivr/start/dial")
    assert params["dest"] == MOBILE
    assert variables["call"]["session"] in simulator.sessions


async def test_event_and_response_samples_match_reality(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    hoiio_events: list[Event],
) -> None:
    """The sample event and response only show keys the integration produces."""
    examples = read_examples()
    session = await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await settle(hass, simulator)
    answer = next(e.data for e in hoiio_events if e.data["ivr_block"] == "answer")
    sample = examples.events[0]["data"]
    assert set(sample) <= set(answer)
    assert {"config_entry_id", "device_id"} <= set(answer)
    assert answer["from"] == sample["from"]

    response = await hass.services.async_call(
        DOMAIN,
        "gather",
        {
            "config_entry_id": setup_integration.entry_id,
            "session": session,
            "wait": True,
        },
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    assert set(examples.responses[0]) <= set(response)
