"""Tests of translations/en.json: what the frontend can render, and hassfest's rules.

The frontend turns every string into an ICU message with the npm package
intl-messageformat and shows "Translation error: ..." for one it cannot parse.
tests/strings/check_icu.mjs parses each string with that package under Node.js
(scripts/test installs both). The rules of Home Assistant's validator, hassfest,
for a custom integration's translations are mirrored below from
script/hassfest/translations.py of home-assistant/core.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import json
import os
from pathlib import Path
import re
import shutil
import string
import subprocess
from typing import Any

from homeassistant.helpers import config_validation as cv
import pytest
import voluptuous as vol

ROOT = Path(__file__).parent.parent
EN_JSON = ROOT / "custom_components" / "hoiio" / "translations" / "en.json"
ICU_CHECK = Path(__file__).parent / "strings"
# scripts/test sets this: there, a missing Node.js fails instead of skipping.
REQUIRE_NODE = os.environ.get("HOIIO_REQUIRE_NODE") == "1"


def _strings(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """Yield (dotted key, text) for every string of a translations tree."""
    if isinstance(node, str):
        yield ".".join(path), node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*path, key))


@pytest.fixture(scope="module")
def en() -> dict[str, Any]:
    """Return translations/en.json."""
    data: dict[str, Any] = json.loads(EN_JSON.read_text(encoding="utf-8"))
    return data


# ICU messages, as the frontend parses them


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if REQUIRE_NODE:
            pytest.fail("Node.js is not installed; scripts/test installs it")
        pytest.skip("Node.js is not installed (scripts/test installs it)")
    if not (ICU_CHECK / "node_modules" / "intl-messageformat").is_dir():
        pytest.fail(f"run `npm ci --prefix {ICU_CHECK}` (scripts/test does)")
    return node


def icu_reports(path: Path) -> dict[str, dict[str, Any]]:
    """Parse each string of a JSON file with intl-messageformat; report by key."""
    completed = subprocess.run(  # noqa: S603
        [_node(), str(ICU_CHECK / "check_icu.mjs"), str(path)],
        capture_output=True,
        check=True,
        text=True,
        timeout=60,
    )
    return {report["key"]: report for report in json.loads(completed.stdout)}


@pytest.fixture(scope="module")
def icu() -> dict[str, dict[str, Any]]:
    """Return the parser's report of every string of en.json."""
    return icu_reports(EN_JSON)


def test_every_string_parses_as_an_icu_message(
    icu: dict[str, dict[str, Any]], en: dict[str, Any]
) -> None:
    """No string makes the frontend show "Translation error"."""
    assert set(icu) == {key for key, _ in _strings(en)}
    broken = {
        key: report["error"] or report["format_error"]
        for key, report in icu.items()
        if report["error"] or report["format_error"]
    }
    assert not broken, f"strings the frontend cannot render: {broken}"
    tagged = {key: report["tags"] for key, report in icu.items() if report["tags"]}
    assert not tagged, f"strings with rich-text tags: {tagged}"


# The frontend fills in no placeholders for these: action texts, section
# descriptions, select options and entity texts are localized without values.
PLAIN_KEYS = re.compile(
    r"^(services\.|selector\.|entity\.|config\.step\.\w+\.sections\.\w+\.description$)"
)


def test_placeholders_only_where_the_frontend_fills_them(
    icu: dict[str, dict[str, Any]],
) -> None:
    """Texts the frontend shows without placeholder values have none."""
    with_arguments = {
        key: report["arguments"]
        for key, report in icu.items()
        if PLAIN_KEYS.match(key) and report["arguments"]
    }
    assert not with_arguments


def test_the_icu_check_catches_what_the_frontend_refuses(tmp_path: Path) -> None:
    """The two errors users saw in the action forms are reported by the check."""
    samples = {
        "template": "Session from the trigger (`{{ trigger.event.data.session }}`).",
        "markup": 'Use `<speech language="zh-HK" gender="male">…</speech>`.',
        "unclosed": "Use an E.164 number, or room:<id>.",
        "plain": "Text to speak; speech markup can choose another voice.",
    }
    path = tmp_path / "samples.json"
    path.write_text(json.dumps(samples), encoding="utf-8")
    reports = icu_reports(path)
    assert reports["template"]["error"] == "MALFORMED_ARGUMENT"
    assert reports["markup"]["error"] == "INVALID_TAG"
    assert reports["unclosed"]["error"] == "UNCLOSED_TAG"
    assert reports["plain"]["error"] is None


# hassfest: script/hassfest/translations.py

RE_REFERENCE = re.compile(r"\[\%key:(.+)\%\]")
RE_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
RE_COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
RE_PLACEHOLDER_IN_SINGLE_QUOTES = re.compile(r"'{\w+}'")
RE_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)


def _translation_value(allow_placeholders: bool = True) -> Callable[[Any], str]:
    """Mirror validate_translation_value: no HTML, no URLs, clean placeholders."""

    def validate(value: Any) -> str:
        text = cv.string_with_no_html(value)
        if RE_PLACEHOLDER_IN_SINGLE_QUOTES.search(text):
            raise vol.Invalid("placeholders inside single quotes")
        for _, field, _, _ in string.Formatter().parse(text):
            if field and (not allow_placeholders or not field.isidentifier()):
                raise vol.Invalid(f"placeholder {field!r} is not allowed here")
        if RE_COMBINED_REFERENCE.search(text):
            raise vol.Invalid("the string should not contain combined translations")
        if text != text.strip():
            raise vol.Invalid("leading or trailing spaces")
        if RE_URL.search(text):
            raise vol.Invalid("URLs belong in description placeholders")
        return text

    return validate


def _translation_key(value: Any) -> str:
    """Mirror translation_key_validator."""
    if not isinstance(value, str) or RE_TRANSLATION_KEY.match(value) is None:
        raise vol.Invalid(f"invalid translation key {value!r}")
    return value


TEXT = _translation_value()
STATE_TEXT = _translation_value(allow_placeholders=False)


def _keyed(value_schema: Any, key: Any = _translation_key) -> Any:
    return cv.schema_with_slug_keys(value_schema, slug_validator=key)


def _data_descriptions_name_data(value: dict[str, Any]) -> dict[str, Any]:
    """Mirror data_description_validator: describe only fields the step has."""
    for step in value["step"].values():
        missing = set(step.get("data_description", {})) - set(step.get("data", {}))
        if missing:
            raise vol.Invalid(f"data_description keys {missing} are not in data")
    return value


DATA_ENTRY = vol.All(
    vol.Schema(
        {
            vol.Optional("flow_title"): TEXT,
            vol.Required("step"): {
                str: {
                    vol.Optional("title"): TEXT,
                    vol.Optional("description"): TEXT,
                    vol.Optional("data"): {str: TEXT},
                    vol.Optional("data_description"): {str: TEXT},
                    vol.Optional("menu_options"): {str: TEXT},
                    vol.Optional("menu_option_descriptions"): {str: TEXT},
                    vol.Optional("submit"): TEXT,
                    vol.Optional("sections"): {
                        str: {
                            vol.Optional("data"): {str: TEXT},
                            vol.Optional("data_description"): {str: TEXT},
                            vol.Optional("description"): TEXT,
                            vol.Optional("name"): TEXT,
                        }
                    },
                }
            },
            vol.Optional("error"): {str: TEXT},
            vol.Optional("abort"): {str: TEXT},
            vol.Optional("progress"): {str: TEXT},
            vol.Optional("create_entry"): {str: TEXT},
            vol.Optional("initiate_flow"): {vol.Required("user"): TEXT},
        }
    ),
    _data_descriptions_name_data,
)
FIELDS = _keyed(
    {
        vol.Required("name"): str,
        vol.Required("description"): TEXT,
        vol.Optional("example"): TEXT,
    }
)
# The sections of gen_strings_schema a custom integration can use; other top-level
# keys are refused (voluptuous' default).
STRINGS_SCHEMA = vol.Schema(
    {
        vol.Optional("title"): TEXT,
        vol.Optional("config"): DATA_ENTRY,
        vol.Optional("options"): DATA_ENTRY,
        vol.Optional("selector"): cv.schema_with_slug_keys(
            {
                vol.Optional("options"): _keyed(TEXT),
                vol.Optional("choices"): _keyed(TEXT),
                vol.Optional("unit_of_measurement"): _keyed(TEXT),
            },
            slug_validator=vol.Any("_", cv.slug),
        ),
        vol.Optional("issues"): {
            str: vol.All(
                cv.has_at_least_one_key("description", "fix_flow"),
                {
                    vol.Required("title"): TEXT,
                    vol.Exclusive("description", "fixable"): TEXT,
                    vol.Exclusive("fix_flow", "fixable"): DATA_ENTRY,
                },
            )
        },
        vol.Optional("entity"): cv.schema_with_slug_keys(
            _keyed(
                {
                    vol.Optional("name"): TEXT,
                    vol.Optional("state"): _keyed(STATE_TEXT),
                    vol.Optional("state_attributes"): _keyed(
                        {
                            vol.Optional("name"): STATE_TEXT,
                            vol.Optional("state"): _keyed(STATE_TEXT),
                        }
                    ),
                    vol.Optional("unit_of_measurement"): STATE_TEXT,
                }
            ),
            slug_validator=cv.slug,
        ),
        vol.Optional("device"): _keyed({vol.Optional("name"): TEXT}),
        vol.Optional("exceptions"): cv.schema_with_slug_keys(
            {vol.Optional("message"): TEXT}, slug_validator=cv.slug
        ),
        vol.Optional("services"): _keyed(
            {
                vol.Required("name"): TEXT,
                vol.Required("description"): TEXT,
                vol.Optional("fields"): FIELDS,
                vol.Optional("sections"): _keyed(
                    {vol.Required("name"): str, vol.Optional("description"): TEXT}
                ),
            }
        ),
    }
)


def test_en_json_passes_hassfests_translation_schema(en: dict[str, Any]) -> None:
    """Every section has only the keys hassfest allows, with acceptable texts."""
    STRINGS_SCHEMA(en)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("services.x.fields.msg.description", "Use <speech>markup</speech>."),
        ("exceptions.x.message", "Use room:<id>."),
        ("config.error.x", "See https://example.com/help for more."),
        ("config.error.x", " Leading space."),
        ("config.error.x", "Quoted '{name}' placeholder."),
        ("entity.sensor.x.state.idle", "Idle {name}"),
        ("config.step.user.data_description.missing", "Describes a missing field."),
        ("services.Bad-Key.name", "Key not allowed"),
        ("unknown_section.x", "Not a section hassfest knows"),
    ],
)
def test_hassfest_schema_refuses_what_hassfest_refuses(
    en: dict[str, Any], path: str, text: str
) -> None:
    """The mirrored rules do fail: tags, URLs, spaces, quoted placeholders, keys."""
    broken = json.loads(json.dumps(en))
    node = broken
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = text
    if path.startswith("services.Bad"):
        node["description"] = "x"
    with pytest.raises(vol.Invalid):
        STRINGS_SCHEMA(broken)


# Rules of this project on top of hassfest's.


def test_no_markdown_or_core_references(en: dict[str, Any]) -> None:
    """No string uses Markdown or core-only [%key:...] references."""
    markdown = re.compile(r"`|\*\*|__|\[[^\]]*\]\(")
    offending = {
        key: text
        for key, text in _strings(en)
        if markdown.search(text) or RE_REFERENCE.search(text)
    }
    assert not offending
