"""Polling of the account balance."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import Balance, HoiioAuthenticationError, HoiioClient, HoiioError
from .const import BALANCE_REFRESH_COOLDOWN, BALANCE_SCAN_INTERVAL, DOMAIN, LOGGER
from .data import HoiioConfigEntry
from .errors import placeholders_for, translation_key_for


class HoiioBalanceCoordinator(DataUpdateCoordinator[Balance]):
    """Fetches `user/get_balance`, well inside its 60 requests a minute."""

    config_entry: HoiioConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: HoiioConfigEntry, client: HoiioClient
    ) -> None:
        """Poll every few minutes; refresh requests are debounced."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} balance",
            update_interval=BALANCE_SCAN_INTERVAL,
            request_refresh_debouncer=Debouncer(
                hass, LOGGER, cooldown=BALANCE_REFRESH_COOLDOWN, immediate=True
            ),
        )
        self.client = client

    async def _async_update_data(self) -> Balance:
        """Fetch the balance."""
        try:
            return await self.client.get_balance()
        except HoiioAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed"
            ) from err
        except HoiioError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=translation_key_for(err),
                translation_placeholders=placeholders_for(err),
            ) from err
