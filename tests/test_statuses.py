"""The table of Hoiio's statuses against the vendor's pages and the reference."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest

from custom_components.hoiio import statuses
from custom_components.hoiio.api import (
    HoiioAccountError,
    HoiioAuthenticationError,
    HoiioConnectionError,
    HoiioError,
    HoiioInvalidRequestError,
    HoiioRateLimitError,
    HoiioServiceError,
    HoiioSessionError,
    error_for_status,
)
from custom_components.hoiio.errors import ha_error, placeholders_for
from custom_components.hoiio.statuses import Family, describe, missing_param

ROOT = Path(__file__).parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "hoiio_statuses.txt"
EN_JSON = ROOT / "custom_components" / "hoiio" / "translations" / "en.json"
EXCEPTIONS: dict[str, Any] = json.loads(EN_JSON.read_text(encoding="utf-8"))[
    "exceptions"
]
# How the pages write a status that names a parameter, and how the fixture does.
PARAM_PATTERN = "error_<param>_param_missing"
_STATUS = re.compile(r"\b(success_ok|error_[A-Za-z<>][A-Za-z_<>]*)")
EXCEPTION_OF: dict[Family, type[HoiioError]] = {
    Family.REQUEST: HoiioInvalidRequestError,
    Family.SESSION: HoiioSessionError,
    Family.AUTHENTICATION: HoiioAuthenticationError,
    Family.RATE_LIMIT: HoiioRateLimitError,
    Family.ACCOUNT: HoiioAccountError,
    Family.SERVICE: HoiioServiceError,
    Family.CONNECTION: HoiioConnectionError,
    Family.UNKNOWN: HoiioError,
}


def extract_statuses(docs: Path) -> list[str]:
    """Return every status the vendor's pages and the reference name, sorted."""
    found: set[str] = set()
    for page in sorted([*docs.glob("*.txt"), docs / "README.md"]):
        for status in _STATUS.findall(page.read_text(encoding="utf-8")):
            found.add(
                re.sub(r"^error_(X|<param>)_param_missing$", PARAM_PATTERN, status)
            )
    return sorted(found)


def _docs_dir() -> Path | None:
    """Return ../shared/hoiio-docs of this checkout, or of the main checkout."""
    checkouts = [ROOT]
    dot_git = ROOT / ".git"
    if dot_git.is_file():  # a git worktree: "gitdir: <main>/.git/worktrees/<name>"
        gitdir = Path(dot_git.read_text(encoding="utf-8").split(":", 1)[1].strip())
        checkouts.append(gitdir.parents[2])
    for checkout in checkouts:
        docs = checkout.parent / "shared" / "hoiio-docs"
        if (docs / "README.md").is_file():
            return docs
    return None


def _fixture_statuses() -> list[str]:
    """Return the statuses of the committed fixture."""
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


DOCUMENTED = _fixture_statuses()
DOCUMENTED_ERRORS = [status for status in DOCUMENTED if status != statuses.STATUS_OK]


def test_fixture_matches_the_docs() -> None:
    """The fixture holds exactly the statuses the docs name today."""
    docs = _docs_dir()
    if docs is None:
        pytest.skip("../shared/hoiio-docs is not on this machine; the fixture stands")
    extracted = extract_statuses(docs)
    assert extracted == DOCUMENTED, "\n".join(extracted)


def test_the_docs_name_the_statuses_the_table_knows() -> None:
    """The fixture is not empty nor a subset: both pages' and the reference's lists."""
    assert statuses.STATUS_OK in DOCUMENTED
    assert PARAM_PATTERN in DOCUMENTED
    for status in ("error_session_not_on_hold", "error_invalid_room"):
        assert status in DOCUMENTED
    assert len(DOCUMENTED_ERRORS) >= 35


@pytest.mark.parametrize("status", DOCUMENTED_ERRORS)
def test_every_documented_status_is_in_the_table(status: str) -> None:
    """Each status of the docs has its own row, or the rule of its family."""
    if status == PARAM_PATTERN:
        for param in ("session", "dest", "msg"):
            concrete = status.replace("<param>", param)
            assert describe(concrete) is statuses.PARAM_MISSING.info
            assert missing_param(concrete) == param
        return
    assert status in statuses.STATUSES
    assert missing_param(status) == ""


@pytest.mark.parametrize(
    "status",
    [
        *DOCUMENTED_ERRORS,
        *statuses.STATUSES,
        "error_dest_param_missing",
        "error_msg_brand_new",
        "http_502",
        "error_brand_new",
    ],
)
def test_each_status_reaches_users_as_its_row_says(status: str) -> None:
    """The client's exception and the Home Assistant error both follow the row."""
    status = status.replace("<param>", "session")
    info = describe(status)
    err = error_for_status(status)
    assert type(err) is EXCEPTION_OF[info.family]
    assert err.status == status
    assert err.outcome_unknown is info.outcome_unknown
    translated = ha_error(err, "S1")
    expected = ServiceValidationError if info.user_fixable else HomeAssistantError
    assert type(translated) is expected
    assert translated.translation_key == info.translation_key
    message = EXCEPTIONS[info.translation_key]["message"]
    assert set(re.findall(r"{(\w+)}", message)) <= set(placeholders_for(err))


def test_every_translation_key_of_the_table_has_a_text() -> None:
    """Rows, rules and the fallback all name a message of en.json."""
    infos = [
        *statuses.STATUSES.values(),
        *(rule.info for rule in statuses.RULES),
        statuses.UNKNOWN_STATUS,
    ]
    for info in infos:
        assert EXCEPTIONS[info.translation_key]["message"].strip()


def test_the_table_keeps_its_families_apart() -> None:
    """User-fixable: refused input and call states; outcome unknown: no answer."""
    for status, info in statuses.STATUSES.items():
        if info.user_fixable:
            assert info.family in (Family.REQUEST, Family.SESSION), status
        if info.family is Family.SESSION:
            assert info.user_fixable, status
        if info.outcome_unknown:
            assert info.family in (Family.SERVICE, Family.CONNECTION), status
        assert status.startswith(("error_", "client_")), status


@pytest.mark.parametrize(
    ("status", "family", "key", "outcome_unknown"),
    [
        (statuses.STATUS_TIMEOUT, Family.CONNECTION, "cannot_connect", True),
        (statuses.STATUS_CONNECTION_ERROR, Family.CONNECTION, "cannot_connect", False),
        (statuses.STATUS_CONNECTION_LOST, Family.CONNECTION, "cannot_connect", True),
        (statuses.STATUS_INVALID_RESPONSE, Family.SERVICE, "invalid_response", True),
        ("http_500", Family.SERVICE, "invalid_response", True),
        ("http_503", Family.SERVICE, "invalid_response", True),
        (
            "error_internal_server_error",
            Family.SERVICE,
            "api_internal_server_error",
            False,
        ),
        ("error_msg_brand_new", Family.REQUEST, "api_unknown_error", False),
        ("error_brand_new", Family.UNKNOWN, "api_unknown_error", False),
        ("maybe", Family.UNKNOWN, "api_unknown_error", False),
        ("error_", Family.UNKNOWN, "api_unknown_error", False),
        ("error_param_missing", Family.UNKNOWN, "api_unknown_error", False),
    ],
)
def test_statuses_of_the_client_and_families(
    status: str, family: Family, key: str, outcome_unknown: bool
) -> None:
    """The client's own statuses and the rules for whole families of statuses."""
    info = describe(status)
    assert (info.family, info.translation_key, info.outcome_unknown) == (
        family,
        key,
        outcome_unknown,
    )
    assert not info.user_fixable


def test_malformed_params_is_a_refused_request_users_cannot_fix() -> None:
    """The request was refused (the client's family), but no valid input causes it."""
    info = describe("error_malformed_params")
    assert (info.family, info.user_fixable, info.translation_key) == (
        Family.REQUEST,
        False,
        "api_malformed_params",
    )
    assert type(error_for_status("error_malformed_params")) is HoiioInvalidRequestError
