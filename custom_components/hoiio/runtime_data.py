"""Runtime data of a Hoiio config entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .api import AccountInfo, HoiioClient
    from .call_tracker import CallTracker
    from .coordinator import HoiioBalanceCoordinator


@dataclass(slots=True)
class HoiioData:
    """What a loaded entry keeps."""

    client: HoiioClient
    account: AccountInfo
    tracker: CallTracker
    coordinator: HoiioBalanceCoordinator
    device_id: str


type HoiioConfigEntry = ConfigEntry[HoiioData]
