"""What the integration knows of one call, and how it is stored."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class CallStatus(StrEnum):
    """Where a call is in its life."""

    DIALING = "dialing"
    RINGING = "ringing"
    ONGOING = "ongoing"
    ENDED = "ended"


class EndReason(StrEnum):
    """Why the integration considers a call ended."""

    NOTIFICATION = "notification"
    SERVICE = "service"
    STALE = "stale"
    EVICTED = "evicted"


@dataclass(slots=True)
class Call:
    """One call session."""

    session: str
    status: CallStatus
    started: float
    updated: float
    caller: str | None = None
    called: str | None = None
    dest: str | None = None
    on_hold: bool = False
    pending_block: str | None = None
    pending_token: str | None = None
    last_block: str | None = None
    last_outcome: str | None = None
    transfer_target: str | None = None
    end_reason: EndReason | None = None
    cost: dict[str, Any] = field(default_factory=dict)

    @property
    def ended(self) -> bool:
        """Return whether the call is over."""
        return self.status is CallStatus.ENDED

    @property
    def in_progress(self) -> bool:
        """Return whether the call rings or is answered (not dialling, not ended)."""
        return self.status in (CallStatus.RINGING, CallStatus.ONGOING)

    @property
    def busy(self) -> bool:
        """Return whether a block we sent has not notified yet."""
        return self.pending_token is not None

    def as_dict(self) -> dict[str, Any]:
        """Return the call as JSON-friendly data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Call:
        """Rebuild a call from `as_dict` output; raise on malformed data."""
        values = dict(data)
        values["status"] = CallStatus(values["status"])
        if values.get("end_reason") is not None:
            values["end_reason"] = EndReason(values["end_reason"])
        return cls(**values)


@dataclass(slots=True)
class PendingBlock:
    """A block we sent whose notification has not arrived yet.

    `unconfirmed`: the request's answer was lost, so the block may or may not
    have run; its notification is accepted all the same.
    """

    token: str
    block: str
    session: str | None
    sent: float
    target: str | None = None
    unconfirmed: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the pending block as JSON-friendly data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PendingBlock:
        """Rebuild a pending block from `as_dict` output."""
        return cls(**data)
