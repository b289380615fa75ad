"""Hoiio accounts (one per application) and their money."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

_MILLS = Decimal("0.001")


def money(value: Decimal) -> str:
    """Format an amount the way Hoiio does ("54.650")."""
    return str(value.quantize(_MILLS))


@dataclass
class Account:
    """One Hoiio application and the account behind it."""

    app_id: str
    access_token: str
    name: str = "Demo Account"
    numbers: list[str] = field(default_factory=lambda: ["+6531580000"])
    balance: Decimal = Decimal("100.000")
    currency: str = "SGD"
    email: str = "demo@example.com"
    mobile_number: str = "+6591234567"
    caller_ids: list[str] = field(default_factory=lambda: ["+6591234567"])
    country: str = "SG"
    prefix: str = "65"
    time_zone: str = "GMT+0800SG"
    user_status: str = "active"
    incoming_rate: Decimal = Decimal("0.050")
    outgoing_rate: Decimal = Decimal("0.080")
    points: Decimal = Decimal("0.000")
    bonus: Decimal = Decimal("0.000")
    uid: str = ""

    def __post_init__(self) -> None:
        """Derive a user id from the app id when none is given."""
        if not self.uid:
            self.uid = f"U-{self.app_id}"

    def info(self) -> dict[str, Any]:
        """Return the fields of a `user/get_info` answer."""
        return {
            "uid": self.uid,
            "name": self.name,
            "mobile_number": self.mobile_number,
            "caller_ids": list(self.caller_ids),
            "email": self.email,
            "country": self.country,
            "prefix": self.prefix,
            "currency": self.currency,
            "time_zone": self.time_zone,
            "user_status": self.user_status,
        }

    def balance_info(self) -> dict[str, str]:
        """Return the fields of a `user/get_balance` answer."""
        return {
            "currency": self.currency,
            "balance": money(self.balance),
            "points": money(self.points),
            "bonus": money(self.bonus),
        }

    def charge(self, amount: Decimal) -> None:
        """Debit the balance."""
        self.balance -= amount
