"""Turn Hoiio failures into Home Assistant errors with translated messages."""

from __future__ import annotations

from typing import Final

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import (
    HoiioAuthenticationError,
    HoiioConnectionError,
    HoiioError,
    HoiioServiceError,
)
from .const import DOMAIN

# Statuses a user can fix by changing the action's input or the call's state.
_USER_FIXABLE: Final[dict[str, str]] = {
    "error_msg_invalid_length": "api_msg_invalid_length",
    "error_msg_cannot_convert_text": "api_msg_cannot_convert_text",
    "error_msg_download_failed": "api_msg_download_failed",
    "error_msg_invalid_file_format": "api_msg_invalid_file_format",
    "error_msg_invalid_file_size": "api_msg_invalid_file_size",
    "error_msg_invalid_url": "api_msg_invalid_url",
    "error_msg_invalid_language": "api_msg_invalid_language",
    "error_msg_invalid_gender": "api_msg_invalid_gender",
    "error_msg_invalid_xml": "api_msg_invalid_xml",
    "error_tag_invalid_length": "api_tag_invalid_length",
    "error_invalid_notify_url": "api_invalid_notify_url",
    "error_unable_to_resolve_notify_url": "api_unable_to_resolve_notify_url",
    "error_unable_to_complete_ssl_handshake_notify_url": "api_notify_url_ssl",
    "error_invalid_session": "api_invalid_session",
    "error_session_access_denied": "api_session_access_denied",
    "error_session_ended": "api_session_ended",
    "error_session_not_ready": "api_session_not_ready",
    "error_session_not_on_hold": "api_session_not_on_hold",
    "error_monitor_in_progress": "api_monitor_in_progress",
    "error_dest_invalid": "api_dest_invalid",
    "error_dest_not_supported": "api_dest_not_supported",
    "error_number_not_supported": "api_number_not_supported",
    "error_caller_id_invalid": "api_caller_id_invalid",
    "error_invalid_max_digits": "api_invalid_max_digits",
    "error_invalid_timeout": "api_invalid_timeout",
    "error_invalid_attempts": "api_invalid_attempts",
    "error_invalid_max_duration": "api_invalid_max_duration",
    "error_on_failure_invalid": "api_on_failure_invalid",
    "error_invalid_room": "api_invalid_room",
}
# Failures of the service or the account: nothing in the action's input to fix.
_SERVICE_FAILURES: Final[dict[str, str]] = {
    "error_invalid_http_method": "api_invalid_http_method",
    "error_malformed_params": "api_malformed_params",
    "error_invalid_access_token": "api_invalid_access_token",
    "error_invalid_app_id": "api_invalid_app_id",
    "error_insufficient_credit": "api_insufficient_credit",
    "error_concurrent_call_limit_reached": "api_concurrent_call_limit_reached",
    "error_not_allowed_for_trial": "api_not_allowed_for_trial",
    "error_rate_limit_exceeded": "api_rate_limit_exceeded",
    "error_internal_server_error": "api_internal_server_error",
}
PARAM_MISSING_SUFFIX: Final = "_param_missing"


def translation_key_for(err: HoiioError) -> str:
    """Return the translation key that explains a Hoiio failure."""
    status = err.status
    if key := _USER_FIXABLE.get(status) or _SERVICE_FAILURES.get(status):
        return key
    if status.startswith("error_") and status.endswith(PARAM_MISSING_SUFFIX):
        return "api_param_missing"
    if isinstance(err, HoiioConnectionError):
        return "cannot_connect"
    if isinstance(err, HoiioServiceError):
        return "invalid_response"
    return "api_unknown_error"


def placeholders_for(err: HoiioError, session: str = "") -> dict[str, str]:
    """Return the values the translated message of a failure refers to."""
    status = err.status
    param = ""
    if status.endswith(PARAM_MISSING_SUFFIX):
        param = status.removeprefix("error_").removesuffix(PARAM_MISSING_SUFFIX)
    return {"status": status, "session": session, "param": param}


def ha_error(err: HoiioError, session: str = "") -> HomeAssistantError:
    """Return the Home Assistant error to raise for a Hoiio failure."""
    status = err.status
    placeholders = placeholders_for(err, session)
    error_class = (
        ServiceValidationError if status in _USER_FIXABLE else HomeAssistantError
    )
    return error_class(
        translation_domain=DOMAIN,
        translation_key=translation_key_for(err),
        translation_placeholders=placeholders,
    )


def block_error(err: HoiioError, session: str = "") -> HomeAssistantError:
    """Return the error to raise for a failed block, saying when it may have run."""
    if err.outcome_unknown:
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="outcome_unknown",
            translation_placeholders=placeholders_for(err, session),
        )
    return ha_error(err, session)


def is_auth_failure(err: HoiioError) -> bool:
    """Return whether the credentials were refused."""
    return isinstance(err, HoiioAuthenticationError)
