"""Benchmark 5: three hand-written pieces of the webhook's hot path against the library.

No server: each piece is timed alone, in this process, on the notifications of
`--calls` incoming calls as benchmarks/notifications.lua sends them (answer with
call_state=ringing, play, gather with digits, and an ended hangup with date,
duration, currency, rate and debit; its own session per call and txn_ref per
notification), except that the hangup's date is 2026-11-30 12:00:01. Requests
are aiohttp's `make_mocked_request` with the body already fed to its payload and
the header `Content-Type: application/x-www-form-urlencoded; charset=UTF-8`;
they share one app, protocol, transport and writer mock (a Mock each costs more
than what is timed), built outside the timed loops.

1. Form decoding: `webhook_handler._parse_form(text)` against
   `urllib.parse.parse_qsl(text, keep_blank_values=True, errors="strict")`; and,
   on whole requests, what the webhook does with the body (`_async_read_body`,
   `_is_form`, UTF-8 decoding, `_parse_form`) against aiohttp's
   `await request.post()`. post() is not a drop-in: it decodes with
   errors="replace" (invalid UTF-8 is not refused), it strips trailing
   whitespace, and it gives nothing for a text/plain body, which the webhook
   accepts. The outputs are checked equal on the mix before any timing.
2. Content-type check: the header split by hand (the webhook's former
   `_is_form`) against `request.content_type in FORM_CONTENT_TYPES`, each on
   requests of its own that nothing has read yet (aiohttp keeps the parsed type
   on the request). aiohttp also keeps the last 56 parsed headers in an
   lru_cache of the module (`helpers.parse_content_type`): Hoiio sends one
   spelling, so a running Home Assistant parses it once, and then the library
   is as fast; the e-mail header parser's own cost shows only when that cache
   misses, timed with 64 spellings of the same type (the letter case of
   "applic" varies) in turn. The webhook therefore reads `content_type`.
3. Notification parsing: `notification.parse_notification(fields)` against a
   voluptuous schema with the same tables (`vol.Any(vol.In(known), str)` for
   the known values, `vol.Any(parser, str)` for the parsed fields,
   `extra=vol.ALLOW_EXTRA`), checked to give the same fields. The schema gives
   only the dict: parse_notification also builds the Notification and the list
   of the fields it could not parse, which counts against it; a second schema
   without the known-value checks (same output; "lean schema") shows the least
   voluptuous costs.

Timing: the pieces without a request run under `timeit` (`--passes` passes over
the mix a round); the request pieces run one pass a round over requests built
before the timed loop, with the garbage collector off as timeit has it. Rounds
alternate between the variants; the table gives the median of `--rounds`
rounds in microseconds per notification and library/hand-written ratios. A
hand-written piece earns its place when the library takes at least 10% longer
(target ratio >= 1.1); within 10% either way, the output says the library is
as fast. The lines under the table say it in words.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
import functools
import gc
import time
import timeit
from typing import Any, Final
from unittest import mock
from urllib.parse import parse_qsl, quote

from aiohttp import hdrs, web
from aiohttp.helpers import parse_content_type
from aiohttp.streams import StreamReader
from aiohttp.test_utils import make_mocked_request
from harness import CALLER, HOIIO_NUMBER, Table, Target, median, run
import voluptuous as vol

from custom_components.hoiio.notification import (
    KNOWN_VALUES,
    PARSERS,
    parse_notification,
)
from custom_components.hoiio.webhook_handler import (
    FORM_CONTENT_TYPES,
    _async_read_body,
    _is_form,
    _parse_form,
)


def _is_form_by_hand(request: web.Request) -> bool:
    """Check the content type by splitting the header (the webhook's old way)."""
    if (declared := request.headers.get(hdrs.CONTENT_TYPE)) is None:
        return True
    media = declared.partition(";")[0].strip().lower()
    return (media if media.count("/") == 1 else "text/plain") in FORM_CONTENT_TYPES


# The library must take this many times as long for a hand-written piece to
# earn its place; within it either way, the two are as fast.
EARNS: Final = 1.1
PREFIX: Final = "bench"
PARTY: Final = f"&from={quote(CALLER, safe='')}&to={quote(HOIIO_NUMBER, safe='')}"
HANGUP_DATE: Final = "2026-11-30+12%3A00%3A01"
CONTENT_TYPE: Final = "application/x-www-form-urlencoded; charset=UTF-8"
# More spellings than aiohttp's lru_cache of parsed types has slots (56): taken
# in turn, every one has been evicted by the time it comes back.
MISS_SPELLINGS: Final = 64
PATH: Final = "/api/webhook/bench"
PAYLOAD_LIMIT: Final = 2**16


def notification_schema(*, known_values: bool) -> vol.Schema:
    """Return parse_notification as a voluptuous schema (the same tables)."""
    spec: dict[vol.Marker, Any] = {
        vol.Required("session"): vol.All(str, vol.Length(min=1))
    }
    if known_values:
        for key, known in KNOWN_VALUES:
            spec[vol.Optional(key)] = vol.Any(vol.In(known), str)
    for key, parse in PARSERS:
        spec[vol.Optional(key)] = vol.Any(parse, str)
    return vol.Schema(spec, extra=vol.ALLOW_EXTRA)


SCHEMA: Final = notification_schema(known_values=True)
# The same without the known-value checks, which change no value.
LEAN_SCHEMA: Final = notification_schema(known_values=False)


def notification_bodies(calls: int) -> list[str]:
    """Return the form bodies of `calls` calls as notifications.lua builds them."""
    bodies: list[str] = []
    sent = 0
    for call in range(1, calls + 1):
        session = f"S{PREFIX}-1-{call}"
        minutes = call % 5 + 1
        cost = (
            f"&date={HANGUP_DATE}&duration={minutes}&currency=SGD&rate=0.050"
            f"&debit={0.05 * minutes:.3f}"
        )
        tails = (
            ("answer", "&tag=&call_state=ringing"),
            ("play", "&tag=welcome&call_state=ongoing"),
            ("gather", f"&tag=menu&call_state=ongoing&digits={call % 100:02d}"),
            ("hangup", f"&tag=&call_state=ended{cost}"),
        )
        for block, tail in tails:
            sent += 1
            bodies.append(
                f"ivr_block={block}&session={session}"
                f"&txn_ref=AA-{PREFIX}-1-{sent}{PARTY}{tail}"
            )
    return bodies


def miss_spellings() -> list[str]:
    """Return MISS_SPELLINGS spellings of CONTENT_TYPE that differ in letter case."""
    head, tail = CONTENT_TYPE[:6], CONTENT_TYPE[6:]
    return [
        "".join(
            char.upper() if index >> bit & 1 else char for bit, char in enumerate(head)
        )
        + tail
        for index in range(MISS_SPELLINGS)
    ]


@functools.cache
def shared_mocks() -> dict[str, Any]:
    """Return one app, protocol, transport and writer mock for every request."""
    transport = mock.Mock()
    return {
        "app": mock.Mock(),
        "protocol": mock.Mock(transport=transport),
        "transport": transport,
        "writer": mock.Mock(transport=transport),
    }


def mocked_post(body: bytes, content_type: str) -> web.Request:
    """Return a mocked POST whose payload holds the whole body and its end."""
    mocks = shared_mocks()
    payload = StreamReader(
        mocks["protocol"], PAYLOAD_LIMIT, loop=asyncio.get_running_loop()
    )
    payload.feed_data(body)
    payload.feed_eof()
    return make_mocked_request(
        "POST",
        PATH,
        headers={
            hdrs.CONTENT_TYPE: content_type,
            hdrs.CONTENT_LENGTH: str(len(body)),
        },
        payload=payload,
        **mocks,
    )


def mocked_posts(bodies: Sequence[bytes], types: Sequence[str]) -> list[web.Request]:
    """Return a fresh mocked POST per body, the types taken in turn."""
    return [
        mocked_post(body, types[index % len(types)])
        for index, body in enumerate(bodies)
    ]


# The timed loops: one pass over the inputs, the library's code inline.


def decode_by_hand(texts: Sequence[str]) -> None:
    """Decode every body with the webhook's `_parse_form`."""
    for text in texts:
        _parse_form(text)


def decode_with_parse_qsl(texts: Sequence[str]) -> None:
    """Decode every body with the standard library's `parse_qsl`."""
    for text in texts:
        parse_qsl(text, keep_blank_values=True, errors="strict")


async def read_by_hand(requests: Sequence[web.Request]) -> None:
    """Read and decode every request's form as the webhook does."""
    for request in requests:
        body = await _async_read_body(request)
        if body and not _is_form(request):
            raise RuntimeError("not a form")
        _parse_form(body.decode("utf-8"))


async def read_with_post(requests: Sequence[web.Request]) -> None:
    """Read and decode every request's form with aiohttp's `post()`."""
    for request in requests:
        await request.post()


def check_by_hand(requests: Sequence[web.Request]) -> None:
    """Check every request's content type by splitting the header."""
    for request in requests:
        _is_form_by_hand(request)


def check_with_aiohttp(requests: Sequence[web.Request]) -> None:
    """Check every request's content type with aiohttp's `content_type`."""
    for request in requests:
        request.content_type in FORM_CONTENT_TYPES  # noqa: B015


def parse_by_hand(forms: Sequence[dict[str, str]]) -> None:
    """Parse every notification with `parse_notification`."""
    for form in forms:
        parse_notification(form)


def parse_with_schema(forms: Sequence[dict[str, str]]) -> None:
    """Parse every notification with the voluptuous schema."""
    for form in forms:
        SCHEMA(form)


def parse_with_lean_schema(forms: Sequence[dict[str, str]]) -> None:
    """Parse every notification with the schema that skips the known values."""
    for form in forms:
        LEAN_SCHEMA(form)


# Rounds


Measure = Callable[[], Awaitable[float]]


def over_inputs[T](
    loop: Callable[[Sequence[T]], None], inputs: Sequence[T], passes: int
) -> Measure:
    """Return a round of `passes` timeit passes; microseconds per input."""
    timer = timeit.Timer(functools.partial(loop, inputs))

    async def measure() -> float:
        """Time one round."""
        return timer.timeit(passes) / (passes * len(inputs)) * 1e6

    return measure


def over_requests(
    loop: Callable[[Sequence[web.Request]], None],
    bodies: Sequence[bytes],
    types: Sequence[str],
) -> Measure:
    """Return a round of one timeit pass over requests built before it."""

    async def measure() -> float:
        """Build the requests, then time one pass over them."""
        requests = mocked_posts(bodies, types)
        return (
            timeit.Timer(functools.partial(loop, requests)).timeit(1)
            / len(requests)
            * 1e6
        )

    return measure


def over_requests_async(
    loop: Callable[[Sequence[web.Request]], Awaitable[None]],
    bodies: Sequence[bytes],
    types: Sequence[str],
) -> Measure:
    """Return a round of one awaited pass over requests built before it."""

    async def measure() -> float:
        """Build the requests, then time one pass with the collector off."""
        requests = mocked_posts(bodies, types)
        collecting = gc.isenabled()
        gc.disable()
        try:
            start = time.perf_counter()
            await loop(requests)
            elapsed = time.perf_counter() - start
        finally:
            if collecting:
                gc.enable()
        return elapsed / len(requests) * 1e6

    return measure


def building(bodies: Sequence[bytes]) -> Measure:
    """Return a round that times building the mocked requests (for scale)."""

    async def measure() -> float:
        """Time building one request per body."""
        start = time.perf_counter()
        mocked_posts(bodies, (CONTENT_TYPE,))
        return (time.perf_counter() - start) / len(bodies) * 1e6

    return measure


@dataclass
class Case:
    """One timed variant and its rounds, in microseconds per notification."""

    name: str
    measure: Measure
    rounds: list[float] = field(default_factory=list)

    @property
    def us(self) -> float:
        """Return the median of the rounds."""
        return median(self.rounds)


@dataclass
class Comparison:
    """A hand-written piece and the library code that could replace it."""

    piece: str
    hand: Case
    library: Case
    judged: bool = True
    note: str = ""

    @property
    def ratio(self) -> float:
        """Return how many times as long the library takes."""
        return self.library.us / self.hand.us

    def verdict(self) -> str:
        """Say in words whether the hand-written piece earns its place."""
        saved = self.library.us - self.hand.us
        faster = "hand-written" if saved >= 0 else "the library"
        less = f"{faster} takes {abs(saved):.2f} us a notification less"
        if self.ratio >= EARNS:
            words = (
                f"hand-written is {self.ratio:.2f}x as fast ({less}): it earns "
                "its place"
            )
        elif self.ratio > 1 / EARNS:
            words = (
                f"the library is as fast (within {EARNS - 1:.0%}; {less}): the "
                "hand-written piece does not earn its place on speed"
            )
        else:
            words = (
                f"the library is {1 / self.ratio:.2f}x as fast ({less}): the "
                "hand-written piece costs time"
            )
        note = f" [{self.note}]" if self.note else ""
        return f"{self.piece}: {words}{note}"


# Checks, untimed, before any timing


async def check_outputs(texts: Sequence[str], forms: Sequence[dict[str, str]]) -> None:
    """Fail unless each hand-written piece and its replacement agree on the mix."""
    for text in texts:
        if _parse_form(text) != parse_qsl(
            text, keep_blank_values=True, errors="strict"
        ):
            raise RuntimeError(f"_parse_form and parse_qsl differ on {text!r}")
        body = text.encode()
        posted = await mocked_post(body, CONTENT_TYPE).post()
        if list(posted.items()) != _parse_form(text):
            raise RuntimeError(f"_parse_form and post() differ on {text!r}")
    headers = [
        *miss_spellings(),
        "text/plain",
        "application/json",
        "multipart/form-data; boundary=x",
        "",
        "nonsense",
        "a/b/c",
        " Application/X-WWW-Form-URLEncoded ",
    ]
    for header in headers:
        request = mocked_post(b"a=b", header)
        if _is_form_by_hand(request) != _is_form(request):
            raise RuntimeError(f"the two content checks differ on {header!r}")
    for form in forms:
        fields = parse_notification(form).fields
        if fields != SCHEMA(form) or fields != LEAN_SCHEMA(form):
            raise RuntimeError(f"parse_notification and the schema differ on {form}")
    for form in ({"ivr_block": "play"}, {"session": ""}):
        for parse in (parse_notification, SCHEMA, LEAN_SCHEMA):
            try:
                parse(form)
            except vol.Invalid:
                continue
            raise RuntimeError(f"{parse} accepted {form}")


def check_cache(bodies: Sequence[bytes]) -> None:
    """Fail unless one spelling hits aiohttp's lru_cache and the many miss it."""
    for types, hits, misses in (
        ((CONTENT_TYPE,), len(bodies), 0),
        (miss_spellings(), 0, len(bodies)),
    ):
        requests = mocked_posts(bodies, types)
        check_with_aiohttp(requests[:1])  # the one spelling may have been evicted
        before = parse_content_type.cache_info()
        check_with_aiohttp(requests[1:])
        after = parse_content_type.cache_info()
        if (after.hits - before.hits, after.misses - before.misses) != (
            max(hits - 1, 0),
            max(misses - 1, 0),
        ):
            raise RuntimeError(
                f"aiohttp's lru_cache did not behave as planned: {after}"
            )


# Benchmark


def comparisons(args: argparse.Namespace, texts: list[str]) -> list[Comparison]:
    """Return the variants to time, as pairs of hand-written and library code."""
    bodies = [text.encode() for text in texts]
    forms = [dict(_parse_form(text)) for text in texts]
    one, many = (CONTENT_TYPE,), miss_spellings()
    return [
        Comparison(
            "1 form, text to pairs",
            Case("_parse_form(text)", over_inputs(decode_by_hand, texts, args.passes)),
            Case(
                "parse_qsl(text, keep_blank_values=True, errors='strict')",
                over_inputs(decode_with_parse_qsl, texts, args.passes),
            ),
        ),
        Comparison(
            "1 form, whole request",
            Case(
                "_async_read_body + _is_form + decode + _parse_form",
                over_requests_async(read_by_hand, bodies, one),
            ),
            Case(
                "await request.post()", over_requests_async(read_with_post, bodies, one)
            ),
        ),
        Comparison(
            "2 content type, lru_cache hit (1 spelling)",
            Case("header split by hand", over_requests(check_by_hand, bodies, one)),
            Case(
                "request.content_type in FORM_CONTENT_TYPES",
                over_requests(check_with_aiohttp, bodies, one),
            ),
            judged=False,
            note="the webhook reads request.content_type",
        ),
        Comparison(
            f"2 content type, lru_cache miss ({MISS_SPELLINGS} spellings)",
            Case("header split by hand", over_requests(check_by_hand, bodies, many)),
            Case(
                "request.content_type in FORM_CONTENT_TYPES",
                over_requests(check_with_aiohttp, bodies, many),
            ),
            judged=False,
            note="not judged: Hoiio sends one spelling, the case above",
        ),
        Comparison(
            "3 notification",
            Case(
                "parse_notification(fields)",
                over_inputs(parse_by_hand, forms, args.passes),
            ),
            Case(
                "vol.Schema(...)(fields)",
                over_inputs(parse_with_schema, forms, args.passes),
            ),
        ),
        Comparison(
            "3 notification, lean schema",
            Case(
                "parse_notification(fields)",
                over_inputs(parse_by_hand, forms, args.passes),
            ),
            Case(
                "vol.Schema(...)(fields) without known values",
                over_inputs(parse_with_lean_schema, forms, args.passes),
            ),
            judged=False,
            note="not judged: the least voluptuous costs",
        ),
    ]


async def measure_all(args: argparse.Namespace) -> tuple[Table, list[str]]:
    """Check the outputs, time every variant and return the table and verdicts."""
    texts = notification_bodies(args.calls)
    bodies = [text.encode() for text in texts]
    await check_outputs(texts, [dict(_parse_form(text)) for text in texts])
    check_cache(bodies)
    pairs = comparisons(args, texts)
    scale = Case("make_mocked_request with its payload fed", building(bodies))
    cases = [scale, *(case for pair in pairs for case in (pair.hand, pair.library))]
    for case in cases:  # warm-up
        await case.measure()
    for index in range(args.rounds):
        # A different variant starts each round, so a busy spell is shared.
        shift = index % len(cases)
        for case in cases[shift:] + cases[:shift]:
            case.rounds.append(await case.measure())
    table = Table(
        f"parsing: median of {args.rounds} rounds, us per notification, "
        f"{len(texts)} notifications ({args.calls} calls)"
    )
    for pair in pairs:
        table.add(f"{pair.piece}: {pair.hand.name}", pair.hand.us, "us")
        table.add(f"{pair.piece}: {pair.library.name}", pair.library.us, "us")
        table.add(
            f"{pair.piece}: library / hand-written",
            pair.ratio,
            "x",
            target=Target(">=", EARNS) if pair.judged else None,
            digits=2,
        )
    table.add(f"(not timed above) {scale.name}", scale.us, "us")
    return table, [pair.verdict() for pair in pairs]


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=250)
    parser.add_argument(
        "--passes", type=int, default=20, help="timeit passes a round (no request)"
    )
    return parser.parse_args()


def main() -> None:
    """Run the benchmark, print its table and what it says."""
    args = parse_args()

    async def main_async() -> None:
        """Measure and print."""
        table, verdicts = await measure_all(args)
        table.print()
        print(
            f"\nverdicts (a hand-written piece earns its place when the library "
            f"takes >= {EARNS:g}x as long):"
        )
        for line in verdicts:
            print(f"  {line}")

    run(main_async)


if __name__ == "__main__":
    main()
