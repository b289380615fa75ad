"""The `msg` markup (text, <speech> and <url> elements): checks and parts."""

from __future__ import annotations

from pathlib import PurePosixPath
import re
from typing import Final
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from .errors import ApiError

GENDERS: Final = frozenset({"male", "female"})
AUDIO_EXTENSIONS: Final = frozenset({".mp3", ".wav", ".gsm"})
_ATTRIBUTES: Final = {"speech": frozenset({"language", "gender"}), "url": frozenset()}
_BARE_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);)")


def _parse(msg: str) -> ET.Element:
    """Parse a msg as a fragment; raise ET.ParseError when it is not one."""
    fragment = _BARE_AMPERSAND.sub("&amp;", msg)
    # A fragment wrapped in our own root cannot carry a DOCTYPE, so no entity
    # can be declared: expat's defaults are safe here.
    return ET.fromstring(f"<msg>{fragment}</msg>")  # noqa: S314


def check_msg(msg: str, languages: frozenset[str]) -> None:
    """Raise ApiError with the `error_msg_...` status a bad msg earns."""
    try:
        root = _parse(msg)
    except ET.ParseError:
        raise ApiError("error_msg_invalid_xml") from None
    supported = {language.casefold() for language in languages}
    for element in root:
        allowed = _ATTRIBUTES.get(element.tag)
        if allowed is None or len(element) or not set(element.attrib) <= allowed:
            raise ApiError("error_msg_invalid_xml")
        if element.tag == "speech":
            _check_speech(element.attrib, supported)
        else:
            _check_audio_url((element.text or "").strip())


def _check_speech(attributes: dict[str, str], languages: set[str]) -> None:
    if attributes.get("language", "en").casefold() not in languages:
        raise ApiError("error_msg_invalid_language")
    if attributes.get("gender", "female") not in GENDERS:
        raise ApiError("error_msg_invalid_gender")


def _check_audio_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise ApiError("error_msg_invalid_url") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ApiError("error_msg_invalid_url")
    if PurePosixPath(parts.path).suffix.lower() not in AUDIO_EXTENSIONS:
        raise ApiError("error_msg_invalid_file_format")


def message_parts(msg: str) -> list[dict[str, str]]:
    """Split an accepted msg into what is spoken and what is played, in order.

    Text outside the elements is spoken in the defaults (English, female).
    """
    try:
        root = _parse(msg)
    except ET.ParseError:
        return [_speech(msg, {})]
    parts: list[dict[str, str]] = []
    _add_speech(parts, root.text, {})
    for element in root:
        if element.tag == "url":
            parts.append({"kind": "audio", "url": (element.text or "").strip()})
        else:
            _add_speech(parts, element.text, element.attrib)
        _add_speech(parts, element.tail, {})
    return parts


def _add_speech(
    parts: list[dict[str, str]], text: str | None, attributes: dict[str, str]
) -> None:
    if text and text.strip():
        parts.append(_speech(text, attributes))


def _speech(text: str, attributes: dict[str, str]) -> dict[str, str]:
    return {
        "kind": "speech",
        "text": " ".join(text.split()),
        "language": attributes.get("language", "en"),
        "gender": attributes.get("gender", "female"),
    }
