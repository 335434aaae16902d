"""Rejected points are isolated: parsed from the server's error when it names them, bisected otherwise."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from core.config import InfluxConfig
from core.influx.errors import PointsRejected
from core.influx.isolate import Pending, deliver
from core.influx.line import LineEncoder
from core.influx.writer import rows
from core.influx.writer_v1 import WriterV1
from tests.influx_servers import InfluxdServer, make_event

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class FakeServer:
    """Accepts a body unless it holds a line for which `reject(line)` returns an error body."""

    def __init__(self, reject: object) -> None:
        self.reject = reject
        self.requests: list[list[str]] = []
        self.stored: list[str] = []

    async def write(self, body: bytes) -> None:
        lines = body.decode().split("\n")
        self.requests.append(lines)
        errors = [e for e in map(self.reject, lines) if e]  # type: ignore[operator]
        if errors:
            raise PointsRejected("rejected", 400, errors[0])
        self.stored += lines


def pending(n: int, bad: set[int]) -> list[Pending]:
    enc = LineEncoder()
    out = []
    for i in range(n):
        ev = make_event(f"sensor.s{i}", "bad" if i in bad else "1.5", T0 + timedelta(seconds=i))
        out.append(Pending(i, enc.encode(ev), ev))
    return out


async def test_unnamed_errors_are_bisected_down_to_the_bad_points() -> None:
    server = FakeServer(lambda line: '{"error":"field type conflict"}' if 'state="bad"' in line else None)
    result = await deliver(server.write, pending(64, bad={5, 40}))
    assert sorted(result.written) == [i for i in range(64) if i not in (5, 40)]
    assert sorted(ids[0] for ids, _ in result.rejected) == [5, 40]
    assert all(reason == "field type conflict" for _, reason in result.rejected)
    assert len(server.requests) < 30  # a bisection, not one request per point


async def test_field_type_conflict_names_every_point_with_that_field() -> None:
    points = pending(20, bad=set())
    numeric = [p.event_id for p in points if p.event.value is not None]
    message = 'partial write: field type conflict: input field \\"value\\" on measurement \\"state_changed\\" is type float, already exists as type string dropped=20'  # noqa: E501
    server = FakeServer(lambda line: f'{{"error":"{message}"}}' if "value=" in line else None)
    result = await deliver(server.write, points)
    assert sorted(i for ids, _ in result.rejected for i in ids) == numeric
    assert result.rejected[0][1].startswith('partial write: field type conflict: input field "value"')
    assert "dropped" not in result.rejected[0][1]
    assert len(server.requests) == 1  # all 20 named at once: nothing left to resend


async def test_unparsable_line_and_3x_line_numbers() -> None:
    points = pending(6, bad={2})
    bad_line = points[2].line
    server = FakeServer(
        lambda line: f'{{"error":"unable to parse \'{line}\': bad timestamp"}}' if line == bad_line else None
    )
    result = await deliver(server.write, points)
    assert [ids for ids, _ in result.rejected] == [[2]] and sorted(result.written) == [0, 1, 3, 4, 5]

    body = '{"error":"partial write of line protocol occurred","data":[{"original_line":"x","line_number":4,"error_message":"invalid column type"}]}'  # noqa: E501
    calls = {"n": 0}

    async def v3_write(payload: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise PointsRejected("rejected", 400, body)

    result = await deliver(v3_write, pending(6, bad=set()))
    assert result.rejected == [([3], "invalid column type")] and sorted(result.written) == [0, 1, 2, 4, 5]


async def test_more_suspects_than_dropped_are_bisected() -> None:
    """1.x types are per shard: only points in the conflicting shard fail, not all that carry the field."""
    points = pending(8, bad=set())

    def reject(line: str) -> str | None:
        if "entity_id=sensor.s6 " in line or "entity_id=sensor.s6," in line:
            msg = 'partial write: field type conflict: input field \\"value\\" on measurement \\"m\\" is type float, already exists as type string dropped=1'  # noqa: E501
            return f'{{"error":"{msg}"}}'
        return None

    server = FakeServer(reject)
    result = await deliver(server.write, points)
    assert [ids for ids, _ in result.rejected] == [[6]]
    assert sorted(result.written) == [0, 1, 2, 3, 4, 5, 7]


@pytest.mark.influx
async def test_intra_batch_conflict_on_influxd_bisects(influxd: InfluxdServer, influx_db: str) -> None:
    """influxd 1.6 answers only "field type conflict" when both types arrive in one batch for a new field."""
    writer = WriterV1(InfluxConfig(enabled=True, url=influxd.url, database=influx_db))
    now = time.time_ns()
    lines = [f"raw,n={i} v={'1.5' if i % 5 else chr(34) + 'txt' + chr(34)} {now + i}" for i in range(40)]
    points = [Pending(i, line, make_event("sensor.x", "1", T0)) for i, line in enumerate(lines)]
    try:
        await writer.prepare()
        result = await deliver(writer.write, points)
        stored = rows(await writer.query("SELECT v, n FROM raw"))
    finally:
        await writer.close()
    rejected = sorted(i for ids, _ in result.rejected for i in ids)
    assert sorted(result.written) == sorted(int(r["n"]) for r in stored)
    assert len(result.written) + len(rejected) == 40
    assert len({type(r["v"]) for r in stored}) == 1  # one type won; the points of the other are rejected
    assert all("field type conflict" in reason for _, reason in result.rejected)
