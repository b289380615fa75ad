"""Tests of the integration's metadata: services, manifest, HACS, texts and icons."""

from __future__ import annotations

import ast
from collections.abc import Iterator
import json
from pathlib import Path
import re
from typing import Any
from urllib.parse import urlparse

from awesomeversion import (
    AwesomeVersion,
    AwesomeVersionException,
    AwesomeVersionStrategy,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
    entity_registry as er,
    selector,
    service,
)
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.hoiio import errors, statuses
from custom_components.hoiio.actions import ACTIONS
from custom_components.hoiio.api import (
    HoiioConnectionError,
    HoiioError,
    HoiioServiceError,
)
from custom_components.hoiio.const import DOMAIN
from custom_components.hoiio.notification import EVENT_TYPES
from hoiio_simulator import HoiioSimulator

from .const import CALLER, HOIIO_NUMBER, MOBILE

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN
SERVICES_YAML = INTEGRATION / "services.yaml"
SCHEMAS = {action.name: action.schema() for action in ACTIONS}


def _json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def services_yaml() -> dict[str, Any]:
    """Return services.yaml as Home Assistant loads it (anchors dropped)."""
    loaded = load_yaml(SERVICES_YAML)
    assert isinstance(loaded, dict)
    validated: dict[str, Any] = service._SERVICES_SCHEMA(loaded)
    return validated


@pytest.fixture(scope="module")
def strings() -> dict[str, Any]:
    """Return translations/en.json."""
    return _json(INTEGRATION / "translations" / "en.json")


# (a) services.yaml: script/hassfest/services.py


def _exists(value: Any) -> Any:
    if value is None:
        raise vol.Invalid("value cannot be None")
    return value


# CUSTOM_INTEGRATION_NOT_TARGETED_FIELD_SCHEMA: actions without a target take no
# filter; a custom integration may give name and description inline.
FIELD_SCHEMA = vol.Schema(
    {
        vol.Optional("example"): _exists,
        vol.Optional("default"): _exists,
        vol.Optional("required"): bool,
        vol.Optional("advanced"): bool,
        vol.Optional("selector"): selector.validate_selector,
        vol.Optional("name"): str,
        vol.Optional("description"): str,
    }
)
SECTION_SCHEMA = vol.Schema(
    {
        vol.Optional("collapsed"): bool,
        vol.Required("fields"): vol.Schema({str: FIELD_SCHEMA}),
        vol.Optional("name"): str,
        vol.Optional("description"): str,
    }
)
SERVICE_SCHEMA = vol.Any(
    vol.Schema(
        {
            vol.Optional("fields"): vol.Schema(
                {str: vol.Any(FIELD_SCHEMA, SECTION_SCHEMA)}
            ),
            vol.Optional("name"): str,
            vol.Optional("description"): str,
        }
    ),
    None,
)
# CUSTOM_INTEGRATION_SERVICES_SCHEMA: only slugs; the dotted anchor keys that
# core integrations may keep are refused for a custom integration.
SERVICES_SCHEMA = vol.Schema({cv.slug: SERVICE_SCHEMA})


def test_services_yaml_follows_hassfest_rules_for_custom_integrations() -> None:
    """Only action keys, each field with known keys and a valid selector."""
    loaded = load_yaml(SERVICES_YAML)
    assert isinstance(loaded, dict)
    SERVICES_SCHEMA(loaded)
    assert loaded, "services.yaml declares no action"
    assert set(service._SERVICES_SCHEMA(loaded)) == set(loaded)


def test_services_rules_catch_mistakes() -> None:
    """The rules above refuse what hassfest refuses (so the test is not vacuous)."""
    with pytest.raises(vol.Invalid):
        SERVICES_SCHEMA({".session": {"selector": {"text": None}}, "play": None})
    with pytest.raises(vol.Invalid):
        SERVICES_SCHEMA({"play": {"fields": {"session": {"requried": True}}}})
    with pytest.raises(vol.Invalid):
        SERVICES_SCHEMA(
            {"play": {"fields": {"session": {"selector": {"no_such_selector": {}}}}}}
        )
    with pytest.raises(vol.Invalid):
        SERVICES_SCHEMA({"play": {"fields": {"tag": {"filter": {}}}}})
    with pytest.raises(vol.Invalid):
        SERVICES_SCHEMA({"Not A Slug": {}})


def test_repeated_fields_are_declared_alike(services_yaml: dict[str, Any]) -> None:
    """A field that several actions share is written the same way in each."""
    seen: dict[str, dict[str, Any]] = {}
    for name, description in services_yaml.items():
        for field, declaration in (description.get("fields") or {}).items():
            # A transfer also goes to rooms; a dial only to phone numbers.
            kind = "dial" if name == "dial" else "transfer"
            key = f"{field} of {kind}" if field in {"dest", "caller_id"} else field
            assert seen.setdefault(key, declaration) == declaration, (name, field)


def _defaults(schema: vol.Schema) -> dict[str, Any]:
    """Return the default values the action schema fills in."""
    return {
        str(marker.schema): marker.default()
        for marker in schema.schema
        if marker.default is not vol.UNDEFINED
    }


def _choices(schema: vol.Schema) -> dict[str, list[str]]:
    """Return the allowed values of fields validated by vol.In."""
    return {
        str(marker.schema): list(validator.container)
        for marker, validator in schema.schema.items()
        if isinstance(validator, vol.In)
    }


def test_services_yaml_agrees_with_the_action_schemas(
    services_yaml: dict[str, Any],
) -> None:
    """Defaults and select options in services.yaml are the schemas' own."""
    for name, schema in SCHEMAS.items():
        fields = services_yaml[name]["fields"]
        declared_defaults = {
            field: value["default"]
            for field, value in fields.items()
            if "default" in value
        }
        assert declared_defaults == _defaults(schema), name
        for field, choices in _choices(schema).items():
            assert fields[field]["selector"]["select"]["options"] == choices


def _number_fields(services_yaml: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """Yield (action, field, number selector) for every number field."""
    for name, action in services_yaml.items():
        for field, spec in (action.get("fields") or {}).items():
            if number := (spec.get("selector") or {}).get("number"):
                yield name, field, number


def test_number_selectors_have_the_schemas_bounds(
    services_yaml: dict[str, Any],
) -> None:
    """The UI's number boxes take exactly what the action schemas take."""
    required = {"transfer": {"dest": MOBILE}, "dial": {"dest": MOBILE}}
    checked = 0
    for name, field, number in _number_fields(services_yaml):
        base = {"config_entry_id": "x", **required.get(name, {})}
        for value in (number["min"], number["max"]):
            SCHEMAS[name]({**base, field: value})
        for value in (number["min"] - 1, number["max"] + 1):
            with pytest.raises(ServiceValidationError):
                SCHEMAS[name]({**base, field: value})
        checked += 1
    assert checked >= 6


def _schema_fields(schema: vol.Schema) -> dict[str, bool]:
    """Return the fields of an action schema and whether each is required."""
    return {
        str(marker.schema): isinstance(marker, vol.Required) for marker in schema.schema
    }


async def test_every_action_is_registered_and_vice_versa(
    hass: HomeAssistant, services_yaml: dict[str, Any]
) -> None:
    """services.yaml and the registered actions name the same actions and fields."""
    assert await async_setup_component(hass, DOMAIN, {})
    registered = hass.services.async_services_for_domain(DOMAIN)
    assert set(registered) == set(services_yaml)
    for name, registered_service in registered.items():
        declared = services_yaml[name].get("fields") or {}
        accepted = _schema_fields(registered_service.schema)
        assert set(accepted) == set(declared), name
        for field, required in accepted.items():
            assert bool(declared[field].get("required")) == required, (name, field)
    assert set(SCHEMAS) == set(services_yaml)


# (b) manifest.json: script/hassfest/manifest.py

IOT_CLASSES = [
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
]
INTEGRATION_TYPES = [
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
]


def _version(value: Any) -> str:
    """Mirror verify_version."""
    if not isinstance(value, str):
        raise vol.Invalid("version must be a string")
    try:
        AwesomeVersion(
            value,
            ensure_strategy=[
                AwesomeVersionStrategy.CALVER,
                AwesomeVersionStrategy.SEMVER,
                AwesomeVersionStrategy.SIMPLEVER,
                AwesomeVersionStrategy.BUILDVER,
                AwesomeVersionStrategy.PEP440,
            ],
        )
    except AwesomeVersionException:
        raise vol.Invalid(f"{value!r} is not a valid version") from None
    return value


def _custom_documentation_url(value: Any) -> str:
    """An https URL, and not Home Assistant's own integration pages."""
    url: str = vol.Url()(value)
    parsed = urlparse(url)
    if parsed.scheme != "https":
        raise vol.Invalid("documentation URL is not https")
    if parsed.netloc == "www.home-assistant.io":
        raise vol.Invalid("a custom integration documents itself elsewhere")
    return url


def _codeowner(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"@[\w.-]+(/[\w.-]+)?", value):
        raise vol.Invalid(f"{value!r} is not a GitHub @user or @org/team")
    return value


# CUSTOM_INTEGRATION_MANIFEST_SCHEMA without the discovery keys (zeroconf, ssdp,
# bluetooth, homekit, dhcp, usb, mqtt), which this cloud integration has no use
# for; unknown keys are refused, as by hassfest.
MANIFEST_SCHEMA = vol.Schema(
    {
        vol.Required("domain"): vol.All(str, vol.Match(r"^[a-z0-9_]+$")),
        vol.Required("name"): vol.All(str, vol.Length(min=1)),
        vol.Optional("integration_type", default="hub"): vol.In(INTEGRATION_TYPES),
        vol.Optional("config_flow"): bool,
        vol.Required("documentation"): _custom_documentation_url,
        vol.Optional("issue_tracker"): vol.Url(),
        vol.Optional("quality_scale"): vol.In(
            ["bronze", "silver", "gold", "platinum", "internal", "legacy"]
        ),
        vol.Optional("requirements"): [str],
        vol.Optional("dependencies"): [str],
        vol.Optional("after_dependencies"): [str],
        vol.Required("codeowners"): [_codeowner],
        vol.Optional("loggers"): [str],
        vol.Optional("disabled"): str,
        vol.Optional("iot_class"): vol.In(IOT_CLASSES),
        vol.Optional("single_config_entry"): bool,
        vol.Optional("version"): _version,
        vol.Optional("import_executor"): bool,
    }
)


def test_manifest_follows_hassfest_rules() -> None:
    """Known keys only, sorted as hassfest sorts them, with a version."""
    manifest = _json(INTEGRATION / "manifest.json")
    MANIFEST_SCHEMA(manifest)
    # validate_manifest: the domain names the folder, an IoT class and (for a
    # custom integration) a version are required.
    assert manifest["domain"] == INTEGRATION.name == DOMAIN
    assert manifest["iot_class"]
    assert manifest["version"]
    # sort_manifest: "domain, name, then alphabetical order".
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["config_flow"] is True
    for dependency in (*manifest["dependencies"], *manifest["after_dependencies"]):
        assert cv.slug(dependency) == dependency


def test_manifest_rules_catch_mistakes() -> None:
    """The manifest rules above refuse what hassfest refuses."""
    good = _json(INTEGRATION / "manifest.json")
    for broken in (
        {**good, "version": "not a version!"},
        {**good, "iot_class": "cloud_pull"},
        {**good, "integration_type": "gadget"},
        {**good, "homepage": "https://example.com"},
        {**good, "documentation": "https://www.home-assistant.io/integrations/hoiio"},
        {key: value for key, value in good.items() if key != "codeowners"},
    ):
        with pytest.raises(vol.Invalid):
            MANIFEST_SCHEMA(broken)


# (c) hacs.json

HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
    "render_readme",
}


def test_hacs_json() -> None:
    """hacs.json only has keys HACS documents, a name and a valid minimum version."""
    hacs = _json(ROOT / "hacs.json")
    assert set(hacs) <= HACS_KEYS, set(hacs) - HACS_KEYS
    assert isinstance(hacs["name"], str)
    assert hacs["name"]
    assert AwesomeVersion(hacs["homeassistant"]) >= AwesomeVersion("2025.4.0")
    assert isinstance(hacs.get("render_readme", False), bool)
    assert not hacs.get("content_in_root", False), "code is in custom_components/"


# (d) action texts


def test_every_action_field_has_a_name_and_description(
    services_yaml: dict[str, Any], strings: dict[str, Any]
) -> None:
    """en.json names and describes every action and field, and nothing else."""
    texts = strings["services"]
    assert set(texts) == set(services_yaml)
    for name, description in services_yaml.items():
        text = texts[name]
        assert text["name"].strip(), name
        assert text["description"].strip(), name
        fields = description.get("fields") or {}
        assert set(text.get("fields", {})) == set(fields), name
        for field in fields:
            assert text["fields"][field]["name"].strip(), (name, field)
            assert text["fields"][field]["description"].strip(), (name, field)


def test_select_selectors_are_translated(
    services_yaml: dict[str, Any], strings: dict[str, Any]
) -> None:
    """Every translated select selector has a text for each of its options."""
    used: set[str] = set()
    for description in services_yaml.values():
        for field in (description.get("fields") or {}).values():
            select = field.get("selector", {}).get("select")
            if not select or "translation_key" not in select:
                continue
            key = select["translation_key"]
            used.add(key)
            options = strings["selector"][key]["options"]
            assert set(options) == set(select["options"]), key
    assert set(strings.get("selector", {})) == used


# (e) exception texts

CODE_FILES = sorted(INTEGRATION.glob("*.py"))
ISSUE_CREATORS = {"async_create_issue"}
# Expressions passed as translation_key= whose values the tests below collect.
DYNAMIC_KEYS = {
    "err.translation_key": "CallStateError keys (any module)",
    "key": "validation.ActionSchema._translated: HoiioInvalid and *_field keys",
    "translation_key_for(err)": "the statuses table (statuses.py)",
    "info.translation_key": "the statuses table (statuses.py)",
}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Subscript):  # a generic class: Description[T](...)
        func = func.value
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _literal_keys(files: list[Path]) -> tuple[set[str], set[str], set[str]]:
    """Return (exception keys, issue keys, dynamic expressions) of translation_key=."""
    exceptions: set[str] = set()
    issues: set[str] = set()
    dynamic: set[str] = set()
    for path in files:
        for call in _calls(_tree(path)):
            if _call_name(call).endswith("EntityDescription"):
                continue  # entity texts: checked in (f) against the loaded entities
            for keyword in call.keywords:
                if keyword.arg != "translation_key":
                    continue
                value = keyword.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    target = (
                        issues if _call_name(call) in ISSUE_CREATORS else exceptions
                    )
                    target.add(value.value)
                else:
                    dynamic.add(ast.unparse(value))
    return exceptions, issues, dynamic


def _first_string_args(path: Path, class_name: str) -> set[str]:
    """Return the string literals given first to `class_name(...)` in a file."""
    return {
        call.args[0].value
        for call in _calls(_tree(path))
        if _call_name(call) == class_name
        and call.args
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
    }


def _call_state_error_keys() -> set[str]:
    """Return the keys given to CallStateError anywhere in the integration."""
    return set().union(*(_first_string_args(p, "CallStateError") for p in CODE_FILES))


def _assigned_strings(path: Path, function: str, variable: str) -> set[str]:
    """Return the string literals assigned to `variable` inside a function."""
    found: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Assign)
                    and any(
                        isinstance(target, ast.Name) and target.id == variable
                        for target in inner.targets
                    )
                    and isinstance(inner.value, ast.Constant)
                    and isinstance(inner.value.value, str)
                ):
                    found.add(inner.value.value)
    return found


def _mapped_keys() -> set[str]:
    """Return every key the statuses table gives errors.translation_key_for."""
    infos = [
        *statuses.STATUSES.values(),
        *(rule.info for rule in statuses.RULES),
        statuses.UNKNOWN_STATUS,
    ]
    return {info.translation_key for info in infos}


def used_exception_keys() -> set[str]:
    """Return every exception translation key the code can raise."""
    literal, _, _ = _literal_keys(CODE_FILES)
    return (
        literal
        | _mapped_keys()
        | _call_state_error_keys()
        | _first_string_args(INTEGRATION / "validation.py", "HoiioInvalid")
        | _assigned_strings(INTEGRATION / "validation.py", "_translated", "key")
    )


def test_dynamic_translation_keys_are_all_collected() -> None:
    """Every non-literal translation_key= comes from a source collected here."""
    _, _, dynamic = _literal_keys(CODE_FILES)
    assert dynamic <= set(DYNAMIC_KEYS), dynamic - set(DYNAMIC_KEYS)
    assert _call_state_error_keys()
    assert _first_string_args(INTEGRATION / "validation.py", "HoiioInvalid")
    assert _assigned_strings(INTEGRATION / "validation.py", "_translated", "key") == {
        "missing_field",
        "unknown_field",
        "invalid_field",
    }
    assert {
        "api_param_missing",
        "api_unknown_error",
        "cannot_connect",
        "invalid_response",
    } <= _mapped_keys()


def test_every_raised_key_has_a_text(strings: dict[str, Any]) -> None:
    """Every key the code raises exists in en.json exceptions with a message."""
    exceptions = strings["exceptions"]
    missing = used_exception_keys() - set(exceptions)
    assert not missing, f"missing from en.json exceptions: {sorted(missing)}"
    for key, text in exceptions.items():
        assert text["message"].strip(), key


def test_no_exception_text_is_unused(strings: dict[str, Any]) -> None:
    """Every exceptions key in en.json is raised somewhere."""
    unused = set(strings["exceptions"]) - used_exception_keys()
    assert not unused, f"unused en.json exceptions: {sorted(unused)}"


def test_issue_keys_have_texts(strings: dict[str, Any]) -> None:
    """Repair issues the code creates have a title and description, and only those."""
    _, issues, _ = _literal_keys(CODE_FILES)
    assert issues, "no repair issue found: the scan is broken"
    assert set(strings.get("issues", {})) == issues
    for key in issues:
        assert strings["issues"][key]["title"].strip()
        assert strings["issues"][key]["description"].strip()


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (HoiioError("error_session_ended"), "api_session_ended"),
        (HoiioError("error_rate_limit_exceeded"), "api_rate_limit_exceeded"),
        (HoiioError("error_dest_param_missing"), "api_param_missing"),
        (HoiioConnectionError("client_timeout"), "cannot_connect"),
        (HoiioServiceError("client_invalid_response"), "invalid_response"),
        (HoiioError("error_something_new"), "api_unknown_error"),
    ],
)
def test_mapped_keys_are_collected(
    error: HoiioError, key: str, strings: dict[str, Any]
) -> None:
    """What translation_key_for returns is among the collected keys and texts."""
    assert errors.translation_key_for(error) == key
    assert key in _mapped_keys()
    assert key in strings["exceptions"]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({}, "missing_field"),
        ({"config_entry_id": "x", "colour": "red"}, "unknown_field"),
        ({"config_entry_id": "x", "wait_timeout": "soon"}, "invalid_field"),
        ({"config_entry_id": "x", "tag": "t" * 300}, "invalid_tag"),
    ],
)
def test_schema_errors_use_collected_keys(
    data: dict[str, Any], key: str, strings: dict[str, Any]
) -> None:
    """Invalid action input raises the translated keys the scan finds."""
    with pytest.raises(ServiceValidationError) as info:
        SCHEMAS["play"](data)
    assert info.value.translation_key == key
    assert key in used_exception_keys()
    placeholders = set(re.findall(r"{(\w+)}", strings["exceptions"][key]["message"]))
    assert placeholders <= set(info.value.translation_placeholders or {})


# (f) entity texts and (g) icons


@pytest.fixture
async def entity_keys(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> set[tuple[str, str]]:
    """Return (platform, translation key) of every entity a loaded entry creates."""
    entries = er.async_entries_for_config_entry(
        er.async_get(hass), setup_integration.entry_id
    )
    assert entries
    keys = set()
    for entry in entries:
        assert entry.translation_key, entry.entity_id
        keys.add((entry.domain, entry.translation_key))
    return keys


@pytest.fixture
async def current_call_options(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> list[str]:
    """Return the states the current call sensor can take."""
    entity_id = er.async_get(hass).async_get_entity_id(
        Platform.SENSOR, DOMAIN, f"{setup_integration.unique_id}_current_call"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    options: list[str] = state.attributes["options"]
    assert state.state in options
    return options


async def test_entity_translation_keys_exist(
    entity_keys: set[tuple[str, str]], strings: dict[str, Any]
) -> None:
    """Every entity's key is named in en.json, and en.json names no other entity."""
    texts = strings["entity"]
    declared = {(platform, key) for platform, keys in texts.items() for key in keys}
    assert entity_keys == declared
    for platform, key in entity_keys:
        assert texts[platform][key]["name"].strip()
    assert {platform for platform, _ in entity_keys} <= {p.value for p in Platform}


def test_event_types_are_translated(strings: dict[str, Any]) -> None:
    """Each event type of the call event entity has a translated state."""
    states = strings["entity"][Platform.EVENT]["call"]["state_attributes"][
        "event_type"
    ]["state"]
    assert set(states) == set(EVENT_TYPES)


async def test_current_call_states_and_attributes_are_translated(
    current_call_options: list[str], strings: dict[str, Any]
) -> None:
    """The current call sensor's states and attributes have texts."""
    text = strings["entity"][Platform.SENSOR]["current_call"]
    assert set(text["state"]) == set(current_call_options)
    attributes = {"session", "from", "to", "dest", "last_block", "last_outcome"}
    assert set(text["state_attributes"]) == attributes


async def test_current_call_attributes_match_the_sensor(
    hass: HomeAssistant,
    simulator: HoiioSimulator,
    setup_integration: MockConfigEntry,
    strings: dict[str, Any],
) -> None:
    """The translated attributes are the ones the sensor shows during a call."""
    await simulator.incoming_call(CALLER, HOIIO_NUMBER)
    await hass.async_block_till_done()
    state = hass.states.get("sensor.demo_account_current_call")
    assert state is not None
    assert state.state == "ringing"
    text = strings["entity"][Platform.SENSOR]["current_call"]["state_attributes"]
    shown = set(state.attributes) - {"friendly_name", "icon", "device_class", "options"}
    assert shown == set(text)


# icons.json: script/hassfest/icons.py (the service format of Home Assistant
# 2024.10 on: {"service": icon, "sections": {...}}).


def _icon(value: Any) -> str:
    """Mirror icon_value_validator."""
    text = cv.string_with_no_html(value)
    if not text.startswith("mdi:"):
        raise vol.Invalid("icons come from Material Design Icons: mdi:...")
    return text


def _translation_key(value: Any) -> str:
    """Mirror translations.translation_key_validator."""
    if not isinstance(value, str) or not re.fullmatch(
        r"(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])", value
    ):
        raise vol.Invalid(f"invalid translation key {value!r}")
    return value


def _not_same_as_default(value: dict[str, Any]) -> dict[str, Any]:
    """Mirror ensure_not_same_as_default."""
    for key, icons in value.items():
        default = icons.get("default")
        for state, icon in (icons.get("state") or {}).items():
            if default and icon == default:
                raise vol.Invalid(f"{key}.{state} repeats the default icon")
    return value


_STATE_ICONS = cv.schema_with_slug_keys(_icon, slug_validator=_translation_key)
# As in hassfest, ensure_not_same_as_default applies to the state attributes of an
# entity and to the platform mapping as a whole.
ENTITY_ICONS = vol.All(
    cv.schema_with_slug_keys(
        cv.schema_with_slug_keys(
            {
                vol.Optional("default"): _icon,
                vol.Optional("state"): _STATE_ICONS,
                # Icons by numeric range, in releases after 2025.4.
                vol.Optional("range"): {str: _icon},
                vol.Optional("state_attributes"): vol.All(
                    cv.schema_with_slug_keys(
                        {
                            vol.Optional("default"): _icon,
                            vol.Optional("state"): _STATE_ICONS,
                        },
                        slug_validator=_translation_key,
                    ),
                    _not_same_as_default,
                ),
            },
            slug_validator=_translation_key,
        ),
        slug_validator=cv.slug,
    ),
    _not_same_as_default,
)
_DATA_ENTRY_ICONS = vol.Schema({"step": {str: {"sections": {str: _icon}}}})
ICONS_SCHEMA = vol.Schema(
    {
        vol.Optional("config"): _DATA_ENTRY_ICONS,
        vol.Optional("options"): _DATA_ENTRY_ICONS,
        vol.Optional("issues"): {str: {"fix_flow": _DATA_ENTRY_ICONS}},
        vol.Optional("services"): cv.schema_with_slug_keys(
            {
                vol.Required("service"): _icon,
                vol.Optional("sections"): _STATE_ICONS,
            },
            slug_validator=_translation_key,
        ),
        vol.Optional("entity"): ENTITY_ICONS,
    }
)


def test_icons_json_follows_hassfest_rules() -> None:
    """icons.json has the shape hassfest checks for a service integration."""
    icons = _json(INTEGRATION / "icons.json")
    ICONS_SCHEMA(icons)


def test_icon_rules_match_home_assistants_own_files() -> None:
    """The rules accept the icons.json of every built-in hub/service/device integration.

    Those files passed hassfest, so the mirror above is no stricter than it;
    and it refuses the mistakes hassfest refuses.
    """
    import homeassistant.components  # noqa: PLC0415

    checked = 0
    for folder in homeassistant.components.__path__:
        for path in Path(folder).glob("*/icons.json"):
            manifest = _json(path.parent / "manifest.json")
            if manifest.get("integration_type", "hub") not in {
                "hub",
                "service",
                "device",
            }:
                continue
            icons = _json(path)
            # Automation triggers and conditions are for core integrations only.
            icons.pop("triggers", None)
            icons.pop("conditions", None)
            ICONS_SCHEMA(icons)
            checked += 1
    assert checked > 100
    for broken in (
        {"services": {"transfer": "mdi:phone"}},
        {"services": {"transfer": {"service": "phone"}}},
        {
            "entity": {
                "sensor": {
                    "x": {
                        "state_attributes": {
                            "mode": {"default": "mdi:a", "state": {"on": "mdi:a"}}
                        }
                    }
                }
            }
        },
        {"entity_component": {"_": {"default": "mdi:a"}}},
    ):
        with pytest.raises(vol.Invalid):
            ICONS_SCHEMA(broken)


async def test_icons_cover_services_and_entities(
    services_yaml: dict[str, Any],
    strings: dict[str, Any],
    entity_keys: set[tuple[str, str]],
    current_call_options: list[str],
) -> None:
    """icons.json has an icon for every action, entity and current call state."""
    icons = _json(INTEGRATION / "icons.json")
    assert set(icons["services"]) == set(services_yaml)
    for name, icon in icons["services"].items():
        assert icon["service"].startswith("mdi:"), name
    declared = {
        (platform, key) for platform, keys in icons["entity"].items() for key in keys
    }
    assert declared == entity_keys
    for platform, key in entity_keys:
        assert icons["entity"][platform][key]["default"].startswith("mdi:")
    state_icons = icons["entity"][Platform.SENSOR]["current_call"]["state"]
    assert set(state_icons) == set(current_call_options)


# quality_scale.yaml


def _core_quality_scale_rules() -> set[str]:
    """Return every rule id used by core integrations' quality_scale.yaml files."""
    import homeassistant.components  # noqa: PLC0415

    rules: set[str] = set()
    for folder in homeassistant.components.__path__:
        for path in Path(folder).glob("*/quality_scale.yaml"):
            loaded = load_yaml(path)
            if isinstance(loaded, dict):
                rules |= set(loaded.get("rules") or {})
    return rules


# The schema of script/hassfest/quality_scale.py. hassfest skips this file for
# custom integrations ("if not integration.core: return"), so this test is the
# only check it gets.
def _quality_scale_schema(rules: set[str]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required("rules"): vol.Schema(
                {
                    vol.Optional(rule): vol.Any(
                        vol.In(["todo", "done"]),
                        vol.Schema(
                            {
                                vol.Required("status"): vol.In(["todo", "done"]),
                                vol.Optional("comment"): str,
                            }
                        ),
                        vol.Schema(
                            {
                                vol.Required("status"): "exempt",
                                vol.Required("comment"): str,
                            }
                        ),
                    )
                    for rule in rules
                }
            )
        }
    )


def test_quality_scale_lists_every_rule_honestly() -> None:
    """Every rule is listed once as done, todo or exempt; todo/exempt say why."""
    loaded = load_yaml(INTEGRATION / "quality_scale.yaml")
    assert isinstance(loaded, dict)
    rules: dict[str, Any] = loaded["rules"]
    core_rules = _core_quality_scale_rules()
    assert len(core_rules) >= 50
    # Rules that newer releases than the pinned one added; listed so the file
    # stays complete on the current release too.
    newer_rules = {"docs-conditions", "docs-triggers"}
    _quality_scale_schema(core_rules | newer_rules)(loaded)
    assert core_rules <= set(rules), core_rules - set(rules)
    assert set(rules) - core_rules <= newer_rules, set(rules) - core_rules
    for rule, value in rules.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in {"done", "todo", "exempt"}, rule
        if status != "done":
            assert isinstance(value, dict), rule
            assert value["comment"].strip(), rule
