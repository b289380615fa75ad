"""Checks of the `msg` markup: text, <speech> and <url> elements."""

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


def check_msg(msg: str, languages: frozenset[str]) -> None:
    """Raise ApiError with the `error_msg_...` status a bad msg earns."""
    fragment = _BARE_AMPERSAND.sub("&amp;", msg)
    try:
        # A fragment wrapped in our own root cannot carry a DOCTYPE, so no
        # entity can be declared: expat's defaults are safe here.
        root = ET.fromstring(f"<msg>{fragment}</msg>")  # noqa: S314
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
