"""Backoff, circuit breaker and error classification (no InfluxDB needed: a scripted writer)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.bus import Topic
from core.config import InfluxConfig
from core.influx.breaker import Breaker, SenderTimings
from core.influx.errors import (
    AuthRejected,
    InfluxError,
    PointsRejected,
    Unreachable,
    classify_status,
    server_message,
    wrong_version_message,
)
from core.influx.outbox import OutboxReader
from core.influx.sender import InfluxSender
from core.influx.status import InfluxState
from core.influx.writer import Series
from tests.influx_servers import Stack, ha_event, wait_until


def test_backoff_then_circuit() -> None:
    breaker = Breaker(SenderTimings())
    assert [breaker.on_failure() for _ in range(5)] == [1.0, 2.0, 60.0, 60.0, 60.0]
    assert breaker.is_open
    breaker.on_success()
    assert not breaker.is_open and breaker.on_failure() == 1.0
    long = Breaker(SenderTimings(failures_to_open=10, backoff_max_s=60))
    assert [long.on_failure() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_error_classification() -> None:
    assert isinstance(classify_status(401, '{"error":"authorization failed"}', "w"), AuthRejected)
    assert isinstance(classify_status(403, "", "w"), AuthRejected)
    assert isinstance(
        classify_status(422, '{"code":"unprocessable entity","message":"x"}', "w"), PointsRejected
    )
    assert isinstance(classify_status(503, "busy", "w"), Unreachable)
    assert (
        server_message('{"code":"not found","message":"bucket \\"b\\" not found"}') == 'bucket "b" not found'
    )
    assert wrong_version_message("/api/v2/write", 2, "1.6.7~rc0") == (
        "this server answers 404 on /api/v2/write: it is InfluxDB 1.6.7~rc0, a 1.x before 1.8 "
        "without the v2 API; set api_version = 1"
    )
    assert "set api_version = 2" in wrong_version_message("/write", 1, "v2.7.11")
    assert "not InfluxDB" in wrong_version_message("/api/v2/write", 2, None)


class ScriptedWriter:
    """Fails the first `failures` writes with `error`, then accepts everything."""

    api_version = 1
    target = "scripted"

    def __init__(self, failures: int, error: InfluxError) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0
        self.points = 0

    async def prepare(self) -> None:
        return None

    async def write(self, body: bytes) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        self.points += body.count(b"\n") + 1

    async def query(self, influxql: str, *, epoch: str | None = "ns") -> list[Series]:
        return []

    async def close(self) -> None:
        return None


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    s = await Stack(tmp_path / "data").open()
    t0 = datetime.now(UTC) - timedelta(minutes=1)
    await s.feed([ha_event(f"sensor.s{i % 3}", str(i), t0 + timedelta(milliseconds=i)) for i in range(30)])
    yield s
    await s.close()


TIMINGS = SenderTimings(backoff_initial_s=0.01, backoff_max_s=0.05, open_s=0.2, idle_poll_s=0.02)


@pytest.mark.parametrize("failures", [3, 5])
async def test_half_open_probe_closes_or_reopens_the_circuit(stack: Stack, failures: int) -> None:
    writer = ScriptedWriter(failures, Unreachable("cannot reach scripted: refused"))
    states: list[InfluxState] = []
    stack.bus.subscribe(Topic.INFLUX_STATUS, lambda s: states.append(s.state))
    sender = InfluxSender(InfluxConfig(enabled=True), stack.store, stack.bus, writer=writer, timings=TIMINGS)
    await sender.start()
    await wait_until(lambda: writer.points == 30, "all points written after the outage")
    await sender.stop()
    assert writer.calls == failures + 1  # 2 backoffs, then one half-open probe per open period
    changes = [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]
    assert changes[-3:] == [InfluxState.BACKING_OFF, InfluxState.CIRCUIT_OPEN, InfluxState.OK]
    assert sender.influx_status().last_error == "cannot reach scripted: refused"


async def test_auth_error_is_retried_slowly_and_keeps_everything(stack: Stack) -> None:
    writer = ScriptedWriter(
        2, AuthRejected("write to scripted: HTTP 401, the server refused the credentials")
    )
    timings = SenderTimings(auth_retry_s=0.1, idle_poll_s=0.02)
    sender = InfluxSender(InfluxConfig(enabled=True), stack.store, stack.bus, writer=writer, timings=timings)
    await sender.start()
    await wait_until(lambda: sender.influx_status().state == InfluxState.AUTH_ERROR, "auth_error")
    assert (await stack.store.outbox_stats())[0] == 30
    await wait_until(lambda: writer.points == 30, "written once the server accepts the credentials")
    await sender.stop()
    assert sender.influx_status().state == InfluxState.OK and writer.calls == 3


async def test_disabled_sender_does_nothing(stack: Stack) -> None:
    writer = ScriptedWriter(0, Unreachable("x"))
    sender = InfluxSender(InfluxConfig(enabled=False), stack.store, stack.bus, writer=writer)
    await sender.start()
    await sender.stop()
    assert writer.calls == 0 and sender.influx_status().state == InfluxState.DISABLED


async def test_outbox_reader_matches_the_store_and_skips_what_is_in_flight(tmp_path: Path) -> None:
    """The sender's own read (for overlapping reads with POSTs) decodes exactly as the store does."""
    stack = await Stack(tmp_path / "data").open()
    try:
        t0 = datetime.now(UTC) - timedelta(minutes=5)
        raw = [
            ha_event(
                f"light.l{i % 7}", "on" if i % 2 else "off", t0 + timedelta(milliseconds=i), old_state="off"
            )
            for i in range(1200)
        ]
        await stack.feed(raw)
        reader = OutboxReader(stack.store)
        ours = await reader.read(1200, None)
        assert len(ours) == 1200 and ours == await stack.store.read_outbox_batch(1200)
        assert await reader.read(100, ours[499][0]) == ours[500:600]
        reader.close()
    finally:
        await stack.close()
