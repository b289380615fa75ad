"""Hoiio notifications: validation and parsing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
import re
from typing import Any, Final

import voluptuous as vol

IVR_BLOCKS: Final = (
    "answer",
    "dial",
    "play",
    "gather",
    "record",
    "monitor",
    "unhold",
    "transfer",
    "hangup",
)
EVENT_TYPE_OTHER: Final = "other"
EVENT_TYPES: Final = (*IVR_BLOCKS, EVENT_TYPE_OTHER)
CALL_STATE_ONGOING: Final = "ongoing"
CALL_STATE_ENDED: Final = "ended"
GMT8: Final = timezone(timedelta(hours=8))

_SESSION = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")
_BLOCK = re.compile(r"^[a-z_]{1,32}$")
_AMOUNT = re.compile(r"^\d{1,15}(\.\d{1,10})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
_TEXT_FIELDS: Final = (
    "txn_ref",
    "tag",
    "from",
    "to",
    "dest",
    "currency",
    "transfer_status",
    "dial_status",
    "room",
    "digits",
    "record_url",
)
TEXT_MAX_LENGTH: Final = 2048


def _matching(pattern: re.Pattern[str], what: str) -> Callable[[Any], str]:
    def validate(value: Any) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise vol.Invalid(f"invalid {what}")
        return value

    return validate


def _call_state(value: Any) -> str:
    if value not in (CALL_STATE_ONGOING, CALL_STATE_ENDED):
        raise vol.Invalid("value must be one of [ended, ongoing]")
    return str(value)


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > TEXT_MAX_LENGTH:
        raise vol.Invalid(f"text longer than {TEXT_MAX_LENGTH} characters")
    return value


def _gmt8_date(value: Any) -> str:
    """Parse a `YYYY-MM-DD HH:mm:SS` time in GMT+8 into ISO 8601 with its offset."""
    if isinstance(value, str) and _DATE.match(value):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=GMT8).isoformat()
        except ValueError:
            pass
    raise vol.Invalid("invalid date")


def _amount(value: Any) -> int | float:
    """Parse a plain non-negative decimal number (a whole one as an int)."""
    if not isinstance(value, str) or not _AMOUNT.match(value):
        raise vol.Invalid("invalid number")
    amount = Decimal(value)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


# The notification schema: each known field's validator; unknown fields are kept.
# A table rather than vol.Schema: it does the same checks at a tenth of the cost
# on the webhook's hot path (see benchmarks/bench_webhook.py).
REQUIRED_FIELDS: Final = ("session", "ivr_block")
FIELD_VALIDATORS: Final[dict[str, Callable[[Any], Any]]] = {
    "session": _matching(_SESSION, "session"),
    "ivr_block": _matching(_BLOCK, "ivr_block"),
    "call_state": _call_state,
    "date": _gmt8_date,
    "duration": _amount,
    "rate": _amount,
    "debit": _amount,
    **dict.fromkeys(_TEXT_FIELDS, _text),
}


@dataclass(frozen=True, slots=True)
class Notification:
    """One validated notification from Hoiio."""

    session: str
    ivr_block: str
    call_state: str | None
    fields: Mapping[str, Any]

    @property
    def event_type(self) -> str:
        """Return the event entity's type for this notification."""
        return self.ivr_block if self.ivr_block in IVR_BLOCKS else EVENT_TYPE_OTHER

    @property
    def ended(self) -> bool:
        """Return whether the call has ended."""
        return self.call_state == CALL_STATE_ENDED

    def get(self, key: str) -> str | None:
        """Return a text field, or None."""
        value = self.fields.get(key)
        return value if isinstance(value, str) else None

    def as_event_data(self) -> dict[str, Any]:
        """Return the fields (already JSON-friendly) as a new dict."""
        return dict(self.fields)


def parse_notification(data: Mapping[str, Any]) -> Notification:
    """Validate raw notification fields; raise vol.Invalid when they are not one."""
    fields = dict(data)
    for key in REQUIRED_FIELDS:
        if key not in fields:
            raise vol.Invalid("required key not provided", path=[key])
    for key, value in data.items():
        if (validate := FIELD_VALIDATORS.get(key)) is not None:
            try:
                fields[key] = validate(value)
            except vol.Invalid as err:
                raise vol.Invalid(err.msg, path=[key]) from None
    return Notification(
        session=fields["session"],
        ivr_block=fields["ivr_block"],
        call_state=fields.get("call_state"),
        fields=fields,
    )
