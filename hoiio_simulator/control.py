"""The `/_simulator/` routes: the Python controls over HTTP, answering JSON."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import MultiDictProxy

from .faults import TIMED_FAULTS, Fault

if TYPE_CHECKING:
    from .server import HoiioSimulator

type Form = MultiDictProxy[str]
type Action = Callable[[Form], Awaitable[dict[str, Any]]]

MAX_SESSION = 64


def _field(form: Form, name: str) -> str:
    value = _optional(form, name)
    if value is None:
        raise ValueError(f"missing field {name!r}")
    return value


def _optional(form: Form, name: str) -> str | None:
    value = form.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"field {name!r} must be text, not a file")
    return value or None


def _session(form: Form) -> str:
    session = _field(form, "session")
    if len(session) > MAX_SESSION:
        raise ValueError(f"session must be at most {MAX_SESSION} characters")
    return session


def _flag(form: Form, name: str) -> bool:
    value = (_optional(form, name) or "false").lower()
    if value not in ("true", "false"):
        raise ValueError(f"{name} must be true or false")
    return value == "true"


def _fault(form: Form) -> Fault:
    kind = _field(form, "kind")
    count = _optional(form, "count")
    value: float | str | None = _optional(form, "value")
    if kind in TIMED_FAULTS and value is not None:
        value = float(value)
    return Fault(
        kind,
        path=_optional(form, "path"),
        block=_optional(form, "block"),
        count=None if count is None else int(count),
        value=value,
    )


def _post(action: Action) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Wrap an action on form fields; bad input answers 400 with the reason."""

    async def handler(request: web.Request) -> web.Response:
        try:
            form: Form = await request.post()  # type: ignore[assignment]
        except web.HTTPRequestEntityTooLarge:
            return _error("the request body is too large", 413)
        except ValueError:
            return _error("the form is not readable UTF-8 text", 400)
        try:
            answer = await action(form)
        except ValueError as err:
            return _error(str(err), 400)
        return web.json_response(answer)

    return handler


def _error(message: str, status: int) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _get(
    read: Callable[[], list[dict[str, Any]]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(_request: web.Request) -> web.Response:
        return web.json_response(read())

    return handler


def control_routes(sim: HoiioSimulator) -> list[web.RouteDef]:
    """Return the control routes of a simulator."""

    async def incoming_call(form: Form) -> dict[str, Any]:
        session = await sim.incoming_call(
            _field(form, "from"),
            _field(form, "to"),
            _optional(form, "notify_url"),
            interactive=_flag(form, "interactive"),
        )
        return {"session": session}

    async def complete_block(form: Form) -> dict[str, Any]:
        await sim.complete_block(_session(form))
        return {"ok": True}

    async def hangup(form: Form) -> dict[str, Any]:
        await sim.hangup_caller(_session(form))
        return {"ok": True}

    return [
        web.post("/_simulator/incoming_call", _post(incoming_call)),
        *_setting_routes(sim),
        web.post("/_simulator/complete_block", _post(complete_block)),
        web.post("/_simulator/hangup", _post(hangup)),
        *_phone_routes(sim),
        *_fault_routes(sim),
        web.get(
            "/_simulator/requests", _get(lambda: [asdict(r) for r in sim.requests])
        ),
        web.get(
            "/_simulator/notifications",
            _get(lambda: [asdict(n) for n in sim.notifications]),
        ),
        web.get(
            "/_simulator/sessions",
            _get(lambda: [s.as_dict() for s in sim.sessions.values()]),
        ),
    ]


def _setting_routes(sim: HoiioSimulator) -> list[web.RouteDef]:
    """Return the routes that set how later calls and blocks go."""

    async def numbers(form: Form) -> dict[str, Any]:
        sim.set_number_notify_url(_field(form, "number"), _field(form, "notify_url"))
        return {"ok": True}

    async def transfer_outcome(form: Form) -> dict[str, Any]:
        sim.set_transfer_outcome(
            _field(form, "outcome"), session=_optional(form, "session")
        )
        return {"ok": True}

    async def dial_outcome(form: Form) -> dict[str, Any]:
        sim.set_dial_outcome(_field(form, "outcome"))
        return {"ok": True}

    async def gather_digits(form: Form) -> dict[str, Any]:
        sim.set_gather_digits(
            _field(form, "digits"), session=_optional(form, "session")
        )
        return {"ok": True}

    async def notify_in_query(form: Form) -> dict[str, Any]:
        _field(form, "enabled")
        sim.set_notify_in_query(_flag(form, "enabled"))
        return {"ok": True}

    return [
        web.post("/_simulator/numbers", _post(numbers)),
        web.post("/_simulator/transfer_outcome", _post(transfer_outcome)),
        web.post("/_simulator/dial_outcome", _post(dial_outcome)),
        web.post("/_simulator/gather_digits", _post(gather_digits)),
        web.post("/_simulator/notify_in_query", _post(notify_in_query)),
    ]


def _fault_routes(sim: HoiioSimulator) -> list[web.RouteDef]:
    """Return the routes that add, list and clear faults."""

    async def add_fault(form: Form) -> dict[str, Any]:
        fault = _fault(form)
        sim.add_fault(fault)
        return asdict(fault)

    async def clear_faults(_request: web.Request) -> web.Response:
        sim.clear_faults()
        return web.json_response({"ok": True})

    return [
        web.post("/_simulator/faults", _post(add_fault)),
        web.delete("/_simulator/faults", clear_faults),
        web.get("/_simulator/faults", _get(lambda: [asdict(f) for f in sim.faults])),
    ]


def _phone_routes(sim: HoiioSimulator) -> list[web.RouteDef]:
    """Return the routes the phone page acts through on its own calls."""

    async def keys(form: Form) -> dict[str, Any]:
        sim.press_keys(_session(form), _field(form, "keys"))
        return {"ok": True}

    async def stop_recording(form: Form) -> dict[str, Any]:
        sim.stop_recording(_session(form))
        return {"ok": True}

    async def far_end(form: Form) -> dict[str, Any]:
        sim.far_end(_session(form), _field(form, "outcome"))
        return {"ok": True}

    async def answer_dial(form: Form) -> dict[str, Any]:
        sim.answer_dial(_session(form), _field(form, "answer"))
        return {"ok": True}

    return [
        web.post("/_simulator/keys", _post(keys)),
        web.post("/_simulator/stop_recording", _post(stop_recording)),
        web.post("/_simulator/far_end", _post(far_end)),
        web.post("/_simulator/answer_dial", _post(answer_dial)),
    ]
