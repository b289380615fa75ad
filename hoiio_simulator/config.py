"""Settings of a simulator instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from .accounts import Account

OUTCOMES: Final = frozenset({"answered", "unanswered", "busy", "failed"})


def check_outcome(outcome: str) -> str:
    """Return the outcome if it is one a call can have, else raise ValueError."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(sorted(OUTCOMES))}")
    return outcome


def _default_accounts() -> list[Account]:
    return [Account("demo_app", "demo_token")]


def _default_rate_limits() -> dict[str, tuple[int, float]]:
    return {"user/get_info": (60, 60.0), "user/get_balance": (60, 60.0)}


@dataclass
class SimulatorConfig:
    """How the simulated service behaves; every delay is in seconds."""

    accounts: list[Account] = field(default_factory=_default_accounts)
    block_delay: float = 0.2
    dial_delay: float = 0.5
    transfer_duration: float = 2.0
    manual_blocks: bool = False
    rate_limits: dict[str, tuple[int, float]] = field(
        default_factory=_default_rate_limits
    )
    max_concurrent_calls: int = 8
    max_room_size: int = 8
    supported_languages: frozenset[str] = frozenset({"en", "zh-HK"})
    transfer_outcome: str = "answered"
    dial_outcome: str = "answered"
    gather_digits: str = "1"
    notify_timeout: float = 5.0
    # Notification fields in the notify URL's query string instead of the body.
    notify_in_query: bool = False
    number_notify_urls: dict[str, str] = field(default_factory=dict)
    # Calls placed from the phone page wait for the page; Hoiio's pages give no
    # defaults for these, so the simulator picks its own: a gather's `timeout`,
    # a recording's `max_duration`, and how long a transfer without `ring_time`
    # (or a dial ringing on the page) rings before it counts as unanswered.
    # Hoiio's sessions are unique: `serve` starts from the clock, so that a
    # restarted simulator never reuses a session a client remembers.
    first_session: int = 1001
    gather_timeout: float = 15.0
    record_max_duration: float = 120.0
    ring_time: float = 60.0

    def __post_init__(self) -> None:
        """Refuse outcomes no call can have."""
        check_outcome(self.transfer_outcome)
        check_outcome(self.dial_outcome)
