"""Polling of the account balance."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import Balance, HoiioAuthenticationError, HoiioClient, HoiioError
from .const import BALANCE_REFRESH_COOLDOWN, BALANCE_SCAN_INTERVAL, DOMAIN, LOGGER
from .errors import placeholders_for, translation_key_for
from .runtime_data import HoiioConfigEntry


def entry_error(err: HoiioError, retry: type[HomeAssistantError]) -> HomeAssistantError:
    """Return what a failed account request raises: reauthentication, or `retry`."""
    if isinstance(err, HoiioAuthenticationError):
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="auth_failed"
        )
    return retry(
        translation_domain=DOMAIN,
        translation_key=translation_key_for(err),
        translation_placeholders=placeholders_for(err),
    )


class HoiioBalanceCoordinator(DataUpdateCoordinator[Balance]):
    """Fetches `user/get_balance`, well inside its 60 requests a minute."""

    config_entry: HoiioConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: HoiioConfigEntry, client: HoiioClient
    ) -> None:
        """Poll every few minutes; refresh requests are debounced."""
        self._refresh_debouncer: Debouncer[Coroutine[Any, Any, None]] = Debouncer(
            hass, LOGGER, cooldown=BALANCE_REFRESH_COOLDOWN, immediate=True
        )
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} balance",
            update_interval=BALANCE_SCAN_INTERVAL,
            request_refresh_debouncer=self._refresh_debouncer,
        )
        self.client = client

    @callback
    def async_refresh_soon(self) -> None:
        """Read the balance now, or once the cooldown of the last read is over."""
        self._refresh_debouncer.async_schedule_call()

    async def _async_update_data(self) -> Balance:
        """Fetch the balance."""
        try:
            return await self.client.get_balance()
        except HoiioError as err:
            raise entry_error(err, UpdateFailed) from err
