"""Constants of the Hoiio integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "hoiio"
LOGGER = logging.getLogger(__package__)

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_DEVICE_ID: Final = "device_id"
ATTR_SESSION: Final = "session"

CONF_APP_ID: Final = "app_id"
CONF_API_URL: Final = "api_url"
CONF_ADVANCED: Final = "advanced"
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"
CONF_BUSY_TIMEOUT: Final = "busy_timeout"
CONF_STALE_AFTER: Final = "stale_after"

DEFAULT_BUSY_TIMEOUT: Final = 30
DEFAULT_STALE_AFTER_HOURS: Final = 6
DEFAULT_WAIT_TIMEOUT: Final = 60

EVENT_HOIIO: Final = "hoiio_event"
# Query parameter carrying the per-request token on the notify_url we send.
NOTIFY_TOKEN_PARAM: Final = "ha_ref"  # noqa: S105

BALANCE_SCAN_INTERVAL: Final = timedelta(minutes=5)
# After a call ends the balance is read at once, then at most once per cooldown.
BALANCE_REFRESH_COOLDOWN: Final = 15.0

SIGNAL_NOTIFICATION: Final = "hoiio_notification_{}"
