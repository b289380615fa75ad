"""Turn Hoiio failures into Home Assistant errors with translated messages."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import HoiioAuthenticationError, HoiioError
from .const import DOMAIN
from .statuses import describe, missing_param


def translation_key_for(err: HoiioError) -> str:
    """Return the translation key that explains a Hoiio failure."""
    return describe(err.status).translation_key


def placeholders_for(err: HoiioError, session: str = "") -> dict[str, str]:
    """Return the values the translated message of a failure refers to."""
    return {
        "status": err.status,
        "session": session,
        "param": missing_param(err.status),
    }


def ha_error(err: HoiioError, session: str = "") -> HomeAssistantError:
    """Return the Home Assistant error to raise for a Hoiio failure."""
    info = describe(err.status)
    error_class = ServiceValidationError if info.user_fixable else HomeAssistantError
    return error_class(
        translation_domain=DOMAIN,
        translation_key=info.translation_key,
        translation_placeholders=placeholders_for(err, session),
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
