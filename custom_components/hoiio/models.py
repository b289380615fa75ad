"""Hoiio notifications: validation and parsing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
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
_DATE_FORMATS: Final = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f")


def _matching(pattern: re.Pattern[str], what: str) -> vol.All:
    return vol.All(str, vol.Match(pattern, msg=f"invalid {what}"))


def _gmt8_date(value: Any) -> datetime:
    """Parse a `YYYY-MM-DD HH:mm:SS` time in GMT+8 (microseconds allowed)."""
    if isinstance(value, str):
        for date_format in _DATE_FORMATS:
            try:
                return datetime.strptime(value, date_format).replace(tzinfo=GMT8)
            except ValueError:
                continue
    raise vol.Invalid("invalid date")


def _amount(value: Any) -> Decimal:
    """Parse a non-negative decimal number."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise vol.Invalid("invalid number") from None
    if not amount.is_finite() or amount < 0:
        raise vol.Invalid("invalid number")
    return amount


_NOTIFICATION_FIELDS: dict[vol.Marker, Any] = {
    vol.Required("session"): _matching(_SESSION, "session"),
    vol.Required("ivr_block"): _matching(_BLOCK, "ivr_block"),
    vol.Optional("call_state"): vol.In((CALL_STATE_ONGOING, CALL_STATE_ENDED)),
    vol.Optional("date"): _gmt8_date,
    vol.Optional("duration"): _amount,
    vol.Optional("rate"): _amount,
    vol.Optional("debit"): _amount,
    **{vol.Optional(key): vol.All(str, vol.Length(max=2048)) for key in _TEXT_FIELDS},
}
NOTIFICATION_SCHEMA: Final = vol.Schema(_NOTIFICATION_FIELDS, extra=vol.ALLOW_EXTRA)


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
        """Return the fields as JSON-friendly values."""
        return {key: _jsonable(value) for key, value in self.fields.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def parse_notification(data: Mapping[str, Any]) -> Notification:
    """Validate raw notification fields; raise vol.Invalid when they are not one."""
    fields: dict[str, Any] = NOTIFICATION_SCHEMA(dict(data))
    return Notification(
        session=fields["session"],
        ivr_block=fields["ivr_block"],
        call_state=fields.get("call_state"),
        fields=fields,
    )
