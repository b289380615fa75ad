"""Registration and running of the actions declared in actions.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .actions import (
    ACTIONS,
    ATTR_DEST,
    ATTR_FORCE,
    ATTR_NOTIFY_URL,
    ATTR_WAIT,
    ATTR_WAIT_TIMEOUT,
    BlockAction,
)
from .api import BlockResult, HoiioError, ParamValue
from .call_tracker import BlockTicket, CallStateError, TrackerClosedError
from .const import ATTR_CONFIG_ENTRY_ID, ATTR_SESSION, DOMAIN
from .errors import block_error, is_auth_failure
from .notify_url import is_own_url, webhook_url, with_token
from .runtime_data import HoiioConfigEntry


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action of the integration."""
    for action in ACTIONS:
        hass.services.async_register(
            DOMAIN,
            action.name,
            partial(_async_handle, action),
            schema=action.schema(),
            supports_response=SupportsResponse.OPTIONAL,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingBlock:
    """The block an action call is about to send, and how to send it."""

    action: BlockAction
    session: str | None
    params: dict[str, ParamValue]
    own_url: str | None
    user_url: str | None
    wait: bool
    force: bool
    target: str | None

    def form(self, token: str | None) -> dict[str, ParamValue]:
        """Return the block's parameters with its session and notify URL."""
        form = dict(self.params)
        if self.session is not None:
            form[ATTR_SESSION] = self.session
        if self.action.notifies:
            form[ATTR_NOTIFY_URL] = (
                with_token(self.own_url, token)
                if self.own_url is not None and token is not None
                else self.user_url
            )
        return form


async def _async_handle(action: BlockAction, call: ServiceCall) -> ServiceResponse:
    """Send an action's block; return Hoiio's answer, and the outcome if waited for."""
    entry = _loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    gate = CallGate(entry)
    block = _outgoing_block(call, entry, action, gate)
    try:
        result, ticket = await gate.async_send(block)
    except HoiioError as err:
        if is_auth_failure(err):
            entry.async_start_reauth(call.hass)
        raise block_error(err, block.session or "") from err
    response: dict[str, Any] = dict(result.raw)
    if block.wait:
        outcome = await gate.async_outcome(
            ticket, float(call.data[ATTR_WAIT_TIMEOUT]), block.session
        )
        response = {**outcome, **response}
    return response


def _loaded_entry(hass: HomeAssistant, entry_id: str) -> HoiioConfigEntry:
    """Return the loaded Hoiio entry an action names."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"name": entry.title},
        )
    return entry


def _outgoing_block(
    call: ServiceCall, entry: HoiioConfigEntry, action: BlockAction, gate: CallGate
) -> OutgoingBlock:
    """Return the block an action call sends, refusing what cannot be sent."""
    session = (
        gate.session(call.data.get(ATTR_SESSION)) if action.takes_session else None
    )
    params = action.parameters(call.data)
    wait = bool(call.data.get(ATTR_WAIT))
    return OutgoingBlock(
        action=action,
        session=session,
        params=params,
        own_url=_own_notify_url(call, entry, action, wait),
        user_url=call.data.get(ATTR_NOTIFY_URL),
        wait=wait,
        force=bool(call.data.get(ATTR_FORCE)),
        target=call.data.get(ATTR_DEST),
    )


def _own_notify_url(
    call: ServiceCall, entry: HoiioConfigEntry, action: BlockAction, wait: bool
) -> str | None:
    """Return our webhook URL when the block's notification should come here."""
    if not action.notifies:
        return None
    entry_data = dict(entry.data)
    user_url = call.data.get(ATTR_NOTIFY_URL)
    if user_url is not None and not is_own_url(user_url, entry_data):
        if wait:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="wait_needs_own_notify_url"
            )
        return None
    own_url = user_url or webhook_url(call.hass, entry_data)
    if own_url is None:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="no_webhook_url"
        )
    return own_url


class CallGate:
    """All that the actions ask of an entry's call tracker, with its refusals."""

    def __init__(self, entry: HoiioConfigEntry) -> None:
        """Use the entry's tracker and client."""
        self._tracker = entry.runtime_data.tracker
        self._client = entry.runtime_data.client

    def session(self, given: str | None) -> str:
        """Return the given session, or else that of the current call."""
        if given:
            return given
        current = self._tracker.current_call()
        if current is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_current_call"
            )
        return current.session

    async def async_send(self, block: OutgoingBlock) -> tuple[BlockResult, BlockTicket]:
        """Clear the block with the call's state, send it, and return its answer."""
        with self._refusals(block.session):
            async with self._tracker.async_block(
                block.session,
                block.action.name,
                notify=block.own_url is not None,
                wait=block.wait,
                force=block.force,
                target=block.target,
            ) as ticket:
                result = await self._client.block(
                    block.action.path, block.form(ticket.token)
                )
                ticket.result = result
        return result, ticket

    async def async_outcome(
        self, ticket: BlockTicket, timeout: float, session: str | None
    ) -> dict[str, Any]:
        """Wait for the block's notification and return its fields."""
        try:
            with self._refusals(session):
                notification = await ticket.async_wait(timeout)
        except TimeoutError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="wait_timeout",
                translation_placeholders={"timeout": f"{timeout:g}"},
            ) from err
        outcome: dict[str, Any] = notification.as_event_data()
        return outcome

    @staticmethod
    @contextmanager
    def _refusals(session: str | None) -> Iterator[None]:
        """Turn the call tracker's refusals into translated errors."""
        try:
            yield
        except CallStateError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=err.translation_key,
                translation_placeholders={"session": session or ""},
            ) from err
        except TrackerClosedError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="entry_unloaded"
            ) from err
