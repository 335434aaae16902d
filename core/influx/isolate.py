"""Deliver a batch, isolating the points the server rejects (HTTP 400/413/422) so the rest land.

1. Parse the server's error to name the offenders:
   * 1.x/2.x `field type conflict: input field "value" on measurement "m" is type float, ...`:
     every point carrying that field with that type (our field types are fixed, see line.FIELD_TYPES);
   * `unable to parse '<line>': ...`: that exact line;
   * 3.x `{"data": [{"line_number": n, "error_message": ...}]}`: those lines;
   * `points beyond retention policy dropped=N` when N is the whole batch: all of them.
   The offenders are rejected with the server's message, the others are sent again (1.x already
   stored them in its partial write; a resend overwrites the same points, so it is harmless).
2. If the error names nobody (1.x says only "field type conflict" when both types arrive in one
   batch), bisect: send each half and recurse into the half that fails, down to single points.
Connection and auth errors propagate: the caller keeps the whole batch and retries later.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import orjson

from core.influx.errors import PointsRejected, server_message
from core.influx.line import FIELD_TYPES, LineEncoder, join_lines
from core.models import EnrichedEvent

Write = Callable[[bytes], Awaitable[None]]
MAX_PARSE_ROUNDS = 8

_CONFLICT = re.compile(
    r'field type conflict: input field "(?P<field>[^"]+)" on measurement "[^"]*" is type (?P<type>\w+)'
)
_UNPARSABLE = re.compile(r"unable to parse '(?P<line>.*?)': ", re.DOTALL)
_DROPPED = re.compile(r"dropped=(\d+)\s*$")
_BEYOND_RP = re.compile(r"points beyond retention policy dropped=(?P<n>\d+)")


class Pending(NamedTuple):
    event_id: int
    line: str
    event: EnrichedEvent


@dataclass(slots=True)
class Delivery:
    written: list[int] = field(default_factory=list)
    rejected: list[tuple[list[int], str]] = field(default_factory=list)  # (event ids, server error)

    def merge(self, other: Delivery) -> None:
        self.written += other.written
        self.rejected += other.rejected


async def deliver(write: Write, points: Sequence[Pending], rounds: int = 0) -> Delivery:
    """Write `points`; the Delivery says which the server accepted and which it rejected (and why)."""
    try:
        await write(join_lines(p.line for p in points))
    except PointsRejected as err:
        return await isolate(write, points, err, rounds)
    return Delivery(written=[p.event_id for p in points])


async def isolate(write: Write, points: Sequence[Pending], err: PointsRejected, rounds: int) -> Delivery:
    named = find_offenders(points, err) if rounds < MAX_PARSE_ROUNDS else None
    if not named:
        return await bisect(write, points, err)
    bad = {index for index, _ in named}
    dropped = _dropped_count(server_message(err.body))
    if dropped is not None and len(bad) > dropped:
        # More suspects than the server dropped (a 1.x conflict is per shard, i.e. per day): find which.
        out = await bisect(write, [points[i] for i in sorted(bad)], err)
    else:
        out = Delivery(rejected=[([points[index].event_id], reason) for index, reason in named])
    rest = [p for i, p in enumerate(points) if i not in bad]
    if rest:
        out.merge(await deliver(write, rest, rounds + 1))
    return out


async def bisect(write: Write, points: Sequence[Pending], err: PointsRejected) -> Delivery:
    if len(points) == 1:
        return Delivery(rejected=[([points[0].event_id], server_message(err.body) or err.message)])
    mid = len(points) // 2
    out = await deliver(write, points[:mid])
    out.merge(await deliver(write, points[mid:]))
    return out


def find_offenders(points: Sequence[Pending], err: PointsRejected) -> list[tuple[int, str]] | None:
    """(index, reason) of the points the error names, or None when it names nobody we can find."""
    message = server_message(err.body)
    found = _from_line_numbers(points, err.body) or _from_conflict(points, message)
    found = found or _from_unparsable(points, message) or _from_retention(points, message)
    return found or None


def _from_conflict(points: Sequence[Pending], message: str) -> list[tuple[int, str]]:
    match = _CONFLICT.search(message)
    if not match or FIELD_TYPES.get(match["field"]) != match["type"]:
        return []
    name = match["field"]
    reason = _trim_dropped(message)
    return [(i, reason) for i, p in enumerate(points) if name in LineEncoder.fields_of(p.event)]


def _from_unparsable(points: Sequence[Pending], message: str) -> list[tuple[int, str]]:
    match = _UNPARSABLE.search(message)
    if not match:
        return []
    reason = _trim_dropped(message)
    return [(i, reason) for i, p in enumerate(points) if p.line == match["line"]]


def _from_retention(points: Sequence[Pending], message: str) -> list[tuple[int, str]]:
    match = _BEYOND_RP.search(message)
    if not match or int(match["n"]) != len(points):
        return []
    return [(i, "points beyond retention policy") for i in range(len(points))]


def _from_line_numbers(points: Sequence[Pending], body: str) -> list[tuple[int, str]]:
    """InfluxDB 3.x: {"error": "partial write ...", "data": [{"line_number": 2, "error_message": ...}]}."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []
    items = data.get("data") if isinstance(data, dict) else None
    out: list[tuple[int, str]] = []
    for item in items if isinstance(items, list) else []:
        number = item.get("line_number") if isinstance(item, dict) else None
        if isinstance(number, int) and 1 <= number <= len(points):
            out.append((number - 1, str(item.get("error_message") or data.get("error") or "rejected")))
    return out


def _dropped_count(message: str) -> int | None:
    match = _DROPPED.search(message)
    return int(match[1]) if match else None


def _trim_dropped(message: str) -> str:
    return re.sub(r"\s*dropped=\d+\s*$", "", message)
