"""The form decoder the bare and floor handlers and the plain server share."""

from __future__ import annotations

from urllib.parse import unquote_plus


def decode_form(body: bytes) -> dict[str, str]:
    """Decode a form-encoded body by hand, without checks; the last value wins."""
    fields: dict[str, str] = {}
    for pair in body.decode().split("&"):
        key, _, value = pair.partition("=")
        fields[key] = unquote_plus(value) if "%" in value or "+" in value else value
    return fields
