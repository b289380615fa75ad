"""Hoiio's statuses, each described once (no Home Assistant imports).

The client raises the exception of a status's family; the actions raise the
Home Assistant error its row asks for, with its translation key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Family(StrEnum):
    """What kind of failure a status reports; the client has one exception each."""

    REQUEST = "request"
    SESSION = "session"
    AUTHENTICATION = "authentication"
    RATE_LIMIT = "rate_limit"
    ACCOUNT = "account"
    SERVICE = "service"
    CONNECTION = "connection"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """How a status is reported.

    `user_fixable`: changing the action's input, or waiting for the call's
    state, fixes it (a ServiceValidationError); otherwise it is a failure of
    the service, the account or the integration (a HomeAssistantError).
    `outcome_unknown`: the request may have been carried out although no
    answer said so.
    """

    family: Family
    translation_key: str
    user_fixable: bool = False
    outcome_unknown: bool = False


@dataclass(frozen=True, slots=True)
class StatusRule:
    """A family of statuses named by their prefix and suffix."""

    prefix: str
    suffix: str
    info: StatusInfo

    def matches(self, status: str) -> bool:
        """Return whether a status belongs to this family."""
        return (
            len(status) > len(self.prefix) + len(self.suffix)
            and status.startswith(self.prefix)
            and status.endswith(self.suffix)
        )


STATUS_OK: Final = "success_ok"
# Statuses of the client itself, for failures that left no answer from Hoiio.
STATUS_TIMEOUT: Final = "client_timeout"
STATUS_CONNECTION_ERROR: Final = "client_connection_error"
STATUS_CONNECTION_LOST: Final = "client_connection_lost"
STATUS_INVALID_RESPONSE: Final = "client_invalid_response"


def _input(key: str) -> StatusInfo:
    """Describe a refused parameter that the action's input decides."""
    return StatusInfo(Family.REQUEST, key, user_fixable=True)


def _call(key: str) -> StatusInfo:
    """Describe a call whose state cannot take the request."""
    return StatusInfo(Family.SESSION, key, user_fixable=True)


STATUSES: Final[dict[str, StatusInfo]] = {
    "error_msg_invalid_length": _input("api_msg_invalid_length"),
    "error_msg_cannot_convert_text": _input("api_msg_cannot_convert_text"),
    "error_msg_download_failed": _input("api_msg_download_failed"),
    "error_msg_invalid_file_format": _input("api_msg_invalid_file_format"),
    "error_msg_invalid_file_size": _input("api_msg_invalid_file_size"),
    "error_msg_invalid_url": _input("api_msg_invalid_url"),
    "error_msg_invalid_language": _input("api_msg_invalid_language"),
    "error_msg_invalid_gender": _input("api_msg_invalid_gender"),
    "error_msg_invalid_xml": _input("api_msg_invalid_xml"),
    "error_tag_invalid_length": _input("api_tag_invalid_length"),
    "error_invalid_notify_url": _input("api_invalid_notify_url"),
    "error_unable_to_resolve_notify_url": _input("api_unable_to_resolve_notify_url"),
    "error_unable_to_complete_ssl_handshake_notify_url": _input("api_notify_url_ssl"),
    "error_dest_invalid": _input("api_dest_invalid"),
    "error_dest_not_supported": _input("api_dest_not_supported"),
    "error_number_not_supported": _input("api_number_not_supported"),
    "error_caller_id_invalid": _input("api_caller_id_invalid"),
    "error_invalid_max_digits": _input("api_invalid_max_digits"),
    "error_invalid_timeout": _input("api_invalid_timeout"),
    "error_invalid_attempts": _input("api_invalid_attempts"),
    "error_invalid_max_duration": _input("api_invalid_max_duration"),
    "error_on_failure_invalid": _input("api_on_failure_invalid"),
    "error_invalid_room": _input("api_invalid_room"),
    "error_invalid_session": _call("api_invalid_session"),
    "error_session_access_denied": _call("api_session_access_denied"),
    "error_session_ended": _call("api_session_ended"),
    "error_session_not_ready": _call("api_session_not_ready"),
    "error_session_not_on_hold": _call("api_session_not_on_hold"),
    "error_monitor_in_progress": _call("api_monitor_in_progress"),
    # A request the service could not read: every field is checked before it
    # is sent, so valid input cannot cause these; the log's details can help.
    "error_invalid_http_method": StatusInfo(Family.REQUEST, "api_invalid_http_method"),
    "error_malformed_params": StatusInfo(Family.REQUEST, "api_malformed_params"),
    "error_invalid_access_token": StatusInfo(
        Family.AUTHENTICATION, "api_invalid_access_token"
    ),
    "error_invalid_app_id": StatusInfo(Family.AUTHENTICATION, "api_invalid_app_id"),
    "error_rate_limit_exceeded": StatusInfo(
        Family.RATE_LIMIT, "api_rate_limit_exceeded"
    ),
    "error_insufficient_credit": StatusInfo(Family.ACCOUNT, "api_insufficient_credit"),
    "error_concurrent_call_limit_reached": StatusInfo(
        Family.ACCOUNT, "api_concurrent_call_limit_reached"
    ),
    "error_not_allowed_for_trial": StatusInfo(
        Family.ACCOUNT, "api_not_allowed_for_trial"
    ),
    "error_internal_server_error": StatusInfo(
        Family.SERVICE, "api_internal_server_error"
    ),
    STATUS_INVALID_RESPONSE: StatusInfo(
        Family.SERVICE, "invalid_response", outcome_unknown=True
    ),
    STATUS_TIMEOUT: StatusInfo(
        Family.CONNECTION, "cannot_connect", outcome_unknown=True
    ),
    # No connection was made, so nothing was sent.
    STATUS_CONNECTION_ERROR: StatusInfo(Family.CONNECTION, "cannot_connect"),
    STATUS_CONNECTION_LOST: StatusInfo(
        Family.CONNECTION, "cannot_connect", outcome_unknown=True
    ),
}
UNKNOWN_STATUS: Final = StatusInfo(Family.UNKNOWN, "api_unknown_error")
PARAM_MISSING: Final = StatusRule(
    "error_", "_param_missing", StatusInfo(Family.REQUEST, "api_param_missing")
)
# Tried in order for a status the table does not name.
RULES: Final = (
    PARAM_MISSING,
    StatusRule("error_msg_", "", StatusInfo(Family.REQUEST, "api_unknown_error")),
    # An HTTP error without an API answer: the request may have run.
    StatusRule(
        "http_",
        "",
        StatusInfo(Family.SERVICE, "invalid_response", outcome_unknown=True),
    ),
)


def describe(status: str) -> StatusInfo:
    """Return how a status is reported."""
    if (info := STATUSES.get(status)) is not None:
        return info
    for rule in RULES:
        if rule.matches(status):
            return rule.info
    return UNKNOWN_STATUS


def missing_param(status: str) -> str:
    """Return the parameter an `error_<param>_param_missing` status names, or ''."""
    if status in STATUSES or not PARAM_MISSING.matches(status):
        return ""
    return status.removeprefix(PARAM_MISSING.prefix).removesuffix(PARAM_MISSING.suffix)
