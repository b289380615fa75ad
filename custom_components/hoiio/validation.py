"""Validation of action input: Hoiio's rules, with translated errors."""

from __future__ import annotations

from collections.abc import Callable
import re
from typing import Any, Final
import unicodedata
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from homeassistant.exceptions import ServiceValidationError
import voluptuous as vol

from .const import DOMAIN

MSG_MAX_LENGTH: Final = 1000
TAG_MAX_LENGTH: Final = 256
NOTIFY_URL_MAX_LENGTH: Final = 4000
GENDERS: Final = ("male", "female")
AUDIO_EXTENSIONS: Final = (".mp3", ".wav", ".gsm")

# ASCII only and matched in full: no other digits, no trailing newline, no
# invisible or bidirectional formatting characters.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_ROOM = re.compile(r"room:[A-Za-z0-9_-]{0,64}")
_HIDDEN_CATEGORIES: Final = ("Cc", "Cf")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_BARE_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);)")


class HoiioInvalid(vol.Invalid):
    """Invalid input whose message has a translation key."""

    def __init__(self, error_key: str, message: str) -> None:
        """Keep the translation key beside voluptuous' message."""
        super().__init__(message)
        self.error_key = error_key


class ActionSchema(vol.Schema):
    """An action's schema whose errors are translated ServiceValidationErrors.

    Home Assistant passes a schema's vol.Invalid on untranslated: the frontend
    shows voluptuous' own text and `continue_on_error` cannot step past it.
    """

    def __call__(self, data: Any) -> Any:
        """Validate, turning voluptuous errors into translated errors."""
        try:
            _check_encodable(data)
            return super().__call__(data)  # type: ignore[no-untyped-call]
        except vol.Invalid as err:
            raise self._translated(err) from err

    def _translated(self, err: vol.Invalid) -> ServiceValidationError:
        """Return the translated error of the first invalid field."""
        first = err.errors[0] if isinstance(err, vol.MultipleInvalid) else err
        field = ".".join(str(part) for part in first.path) or "data"
        if isinstance(first, HoiioInvalid):
            key = first.error_key
        elif isinstance(first, vol.RequiredFieldInvalid):
            key = "missing_field"
        elif first.path and first.path[0] not in {str(k) for k in self.schema}:
            key = "unknown_field"
        else:
            key = "invalid_field"
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"field": field, "error": first.error_message},
        )


def _check_encodable(data: Any) -> None:
    """Refuse text that cannot travel as UTF-8 (lone surrogates)."""
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if isinstance(value, str):
            try:
                value.encode()
            except UnicodeEncodeError:
                raise vol.Invalid("not valid text", path=[key]) from None


def whole_number(low: int, high: int) -> Callable[[Any], int]:
    """Return a validator of a whole number from low to high, as text or number."""

    def check(value: Any) -> int:
        """Accept a whole number in range; refuse booleans and fractions."""
        if isinstance(value, bool):
            raise vol.Invalid("expected a whole number")
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise vol.Invalid("expected a whole number") from None
        if not number.is_integer() or not low <= number <= high:
            raise vol.Invalid(f"expected a whole number from {low} to {high}")
        return int(number)

    return check


def e164(value: Any) -> str:
    """Validate a phone number in E.164 format (+ and country code)."""
    if not isinstance(value, str) or not _E164.fullmatch(value):
        raise HoiioInvalid("invalid_phone_number", "not an E.164 phone number")
    return value


def transfer_dest(value: Any) -> str:
    """Validate a transfer destination: an E.164 number or room:<id>."""
    if isinstance(value, str) and (_E164.fullmatch(value) or _ROOM.fullmatch(value)):
        return value
    raise HoiioInvalid("invalid_dest", "not an E.164 number or room: URI")


def caller_id(value: Any) -> str:
    """Validate a caller ID: an E.164 number or `private`."""
    if value == "private":
        return "private"
    try:
        return e164(value)
    except HoiioInvalid:
        raise HoiioInvalid("invalid_caller_id", "not E.164 or private") from None


def tag(value: Any) -> str:
    """Validate a tag of at most 256 characters."""
    if not isinstance(value, str) or len(value) > TAG_MAX_LENGTH:
        raise HoiioInvalid("invalid_tag", "tag longer than 256 characters")
    return value


def http_url(value: Any) -> str:
    """Validate an absolute http(s) URL of at most 4000 visible characters."""
    # urlsplit drops some whitespace silently, but the raw value is what is sent.
    if (
        isinstance(value, str)
        and len(value) <= NOTIFY_URL_MAX_LENGTH
        and not _has_hidden_characters(value)
    ):
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if parts and parts.scheme in ("http", "https") and parts.hostname:
            return value
    raise HoiioInvalid("invalid_notify_url", "not an http(s) URL of 4000 or less")


def _has_hidden_characters(text: str) -> bool:
    """Return whether text holds whitespace, control or format characters."""
    return any(
        char.isspace() or unicodedata.category(char) in _HIDDEN_CATEGORIES
        for char in text
    )


def message(value: Any) -> str:
    """Validate a msg: at most 1000 characters of text, <speech> and <url>."""
    if not isinstance(value, str):
        raise HoiioInvalid("invalid_msg", "msg must be text")
    if len(value) > MSG_MAX_LENGTH:
        raise HoiioInvalid("msg_too_long", "msg longer than 1000 characters")
    try:
        root = ET.fromstring(f"<msg>{_BARE_AMPERSAND.sub('&amp;', value)}</msg>")  # noqa: S314
    except ET.ParseError:
        raise HoiioInvalid("msg_markup", "msg markup is not well-formed") from None
    for element in root:
        if element.tag == "speech":
            _check_speech(element)
        elif element.tag == "url":
            _check_audio_url(element)
        else:
            raise HoiioInvalid("msg_markup", f"unknown element <{element.tag}>")
    return value


def _check_speech(element: ET.Element) -> None:
    """Check a <speech> element: text only, a language code, a known gender."""
    if len(element) or set(element.attrib) - {"language", "gender"}:
        raise HoiioInvalid("msg_markup", "<speech> takes only text")
    language = element.get("language")
    if language is not None and not _LANGUAGE.match(language):
        raise HoiioInvalid("msg_language", "unknown language code")
    if element.get("gender", "female") not in GENDERS:
        raise HoiioInvalid("msg_gender", "gender must be male or female")


def _check_audio_url(element: ET.Element) -> None:
    """Check a <url> element: an http(s) URL of an .mp3, .wav or .gsm file."""
    if len(element) or element.attrib:
        raise HoiioInvalid("msg_markup", "<url> takes only a URL")
    try:
        parts = urlsplit((element.text or "").strip())
    except ValueError:
        parts = None
    if not parts or parts.scheme not in ("http", "https") or not parts.hostname:
        raise HoiioInvalid("msg_audio_url", "audio URL must be http or https")
    if not parts.path.lower().endswith(AUDIO_EXTENSIONS):
        raise HoiioInvalid("msg_audio_format", "audio must be .mp3, .wav or .gsm")
