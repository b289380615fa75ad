"""Config flow of the Hoiio integration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .api import (
    DEFAULT_BASE_URL,
    AccountInfo,
    HoiioAuthenticationError,
    HoiioClient,
    HoiioError,
    HoiioRateLimitError,
    HoiioServiceError,
)
from .const import (
    CONF_ADVANCED,
    CONF_API_URL,
    CONF_APP_ID,
    CONF_BUSY_TIMEOUT,
    CONF_CLOUDHOOK_URL,
    CONF_STALE_AFTER,
    DEFAULT_BUSY_TIMEOUT,
    DEFAULT_STALE_AFTER_HOURS,
    DOMAIN,
    LOGGER,
)
from .notify_url import async_create_cloudhook, webhook_url
from .validation import HoiioInvalid, http_url

_TEXT = TextSelector()
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))

# The API of the simulator that scripts/develop runs, named in the form's help.
DEVELOPMENT_API_URL: Final = "http://127.0.0.1:8950/open/"
# Errors about the API URL: the form opens the section that holds it.
_API_URL_ERRORS: Final = frozenset({"invalid_url", "cannot_connect"})


def _user_schema(*, collapsed: bool) -> vol.Schema:
    """Return a new user form (suggested values change a section in place)."""
    return vol.Schema(
        {
            vol.Required(CONF_APP_ID): _TEXT,
            vol.Required(CONF_ACCESS_TOKEN): _PASSWORD,
            vol.Required(CONF_ADVANCED): section(
                vol.Schema(
                    {vol.Required(CONF_API_URL, default=DEFAULT_BASE_URL): _URL}
                ),
                {"collapsed": collapsed},
            ),
        }
    )


def _advanced_collapsed(
    user_input: dict[str, Any] | None, errors: dict[str, str]
) -> bool:
    """Keep the API URL hidden unless it is in error or the user changed it."""
    if user_input is None:
        return True
    api_url = str(user_input[CONF_ADVANCED][CONF_API_URL]).strip()
    return errors.get("base") not in _API_URL_ERRORS and api_url == DEFAULT_BASE_URL


REAUTH_SCHEMA = vol.Schema({vol.Required(CONF_ACCESS_TOKEN): _PASSWORD})
RECONFIGURE_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_APP_ID): _TEXT,
        vol.Required(CONF_ACCESS_TOKEN): _PASSWORD,
        vol.Required(CONF_API_URL): _URL,
    }
)


def _whole_number_box(maximum: int, unit: str) -> NumberSelector:
    """Return a box for a whole number from 1 to `maximum` in `unit`."""
    return NumberSelector(
        NumberSelectorConfig(
            min=1,
            max=maximum,
            step=1,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement=unit,
        )
    )


OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(
            CONF_BUSY_TIMEOUT, default=DEFAULT_BUSY_TIMEOUT
        ): _whole_number_box(600, "s"),
        vol.Required(
            CONF_STALE_AFTER, default=DEFAULT_STALE_AFTER_HOURS
        ): _whole_number_box(48, "h"),
    }
)


async def _async_check(
    hass: HomeAssistant, app_id: str, access_token: str, api_url: str
) -> tuple[AccountInfo | None, dict[str, str]]:
    """Ask the account API for the account; return it or the form's errors."""
    try:
        http_url(api_url)
    except HoiioInvalid:
        return None, {"base": "invalid_url"}
    client = HoiioClient(
        async_get_clientsession(hass), app_id, access_token, base_url=api_url
    )
    try:
        return await client.get_info(), {}
    except HoiioAuthenticationError:
        return None, {"base": "invalid_auth"}
    except HoiioRateLimitError:
        return None, {"base": "rate_limited"}
    except HoiioServiceError:
        return None, {"base": "cannot_connect"}
    except HoiioError:
        return None, {"base": "unknown"}
    except Exception:  # noqa: BLE001
        LOGGER.exception("Unexpected error while checking the Hoiio account")
        return None, {"base": "unknown"}


class HoiioConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add, reauthenticate and reconfigure a Hoiio application."""

    VERSION = 1
    MINOR_VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: Any) -> HoiioOptionsFlow:
        """Return the options flow."""
        return HoiioOptionsFlow()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the application's credentials and check them."""
        errors: dict[str, str] = {}
        if user_input is not None:
            app_id = user_input[CONF_APP_ID].strip()
            api_url = user_input[CONF_ADVANCED][CONF_API_URL].strip()
            await self.async_set_unique_id(app_id)
            self._abort_if_unique_id_configured()
            account, errors = await _async_check(
                self.hass, app_id, user_input[CONF_ACCESS_TOKEN], api_url
            )
            if account is not None:
                return await self._async_create(
                    app_id, user_input[CONF_ACCESS_TOKEN], api_url, account
                )
        schema = _user_schema(collapsed=_advanced_collapsed(user_input, errors))
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders={"simulator_url": DEVELOPMENT_API_URL},
        )

    async def _async_create(
        self, app_id: str, access_token: str, api_url: str, account: AccountInfo
    ) -> ConfigFlowResult:
        webhook_id = webhook.async_generate_id()
        data = {
            CONF_APP_ID: app_id,
            CONF_ACCESS_TOKEN: access_token,
            CONF_API_URL: api_url,
            CONF_WEBHOOK_ID: webhook_id,
        }
        if cloudhook := await async_create_cloudhook(self.hass, webhook_id):
            data[CONF_CLOUDHOOK_URL] = cloudhook
        url = webhook_url(self.hass, data)
        return self.async_create_entry(
            title=account.name or app_id,
            data=data,
            description=None if url else "no_url",
            description_placeholders={"webhook_url": url or ""},
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthentication after the token was refused."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new access token."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            done, errors = await self._async_update_checked(
                entry,
                entry.data[CONF_APP_ID],
                user_input[CONF_ACCESS_TOKEN],
                entry.data[CONF_API_URL],
            )
            if done is not None:
                return done
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the access token or the API URL of the application."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            app_id = user_input[CONF_APP_ID].strip()
            api_url = user_input[CONF_API_URL].strip()
            await self.async_set_unique_id(app_id)
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            done, errors = await self._async_update_checked(
                entry, app_id, user_input[CONF_ACCESS_TOKEN], api_url
            )
            if done is not None:
                return done
        suggested = user_input or {
            CONF_APP_ID: entry.data[CONF_APP_ID],
            CONF_API_URL: entry.data[CONF_API_URL],
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                RECONFIGURE_SCHEMA, suggested
            ),
            errors=errors,
        )

    async def _async_update_checked(
        self, entry: ConfigEntry, app_id: str, access_token: str, api_url: str
    ) -> tuple[ConfigFlowResult | None, dict[str, str]]:
        """Check the credentials; if the account answers, update and reload."""
        account, errors = await _async_check(self.hass, app_id, access_token, api_url)
        if account is None:
            return None, errors
        updates = {CONF_ACCESS_TOKEN: access_token, CONF_API_URL: api_url}
        return self.async_update_reload_and_abort(entry, data_updates=updates), {}


class HoiioOptionsFlow(OptionsFlow):
    """How long actions wait for a busy call, and when a silent call counts as ended."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the options."""
        if user_input is not None:
            return self.async_create_entry(
                data={key: int(value) for key, value in user_input.items()}
            )
        url = webhook_url(self.hass, dict(self.config_entry.data))
        return self.async_show_form(
            # The same form, whose description says how to get a webhook URL.
            step_id="init" if url else "init_no_url",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA, self.config_entry.options
            ),
            description_placeholders={"webhook_url": url} if url else None,
        )

    async def async_step_init_no_url(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Save the options of an entry that has no webhook URL yet."""
        return await self.async_step_init(user_input)
