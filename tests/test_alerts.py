"""Alert rules and the alert engine: raise on real conditions, clear when they end, persist with
history, publish on the bus; plus one live runtime whose Home Assistant rejects the token."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from core.alerts import SPEC as ALERTS
from core.alerts import AlertEngine
from core.alerts.rules import AlertThresholds, Observation, evaluate
from core.alerts.store import Alert
from core.bus import Topic
from core.config import InfluxConfig
from core.influx.status import InfluxStatus
from core.runtime import Runtime
from core.store import EventStore
from tests.api_live import LiveRuntime, start_live
from tests.runtime_harness import ha_state, running_runtime, specs_without, wait_for

NOW = 1_800_000_000.0


# -- rules ----------------------------------------------------------------------------------------


def fired(obs: Observation, thresholds: AlertThresholds | None = None) -> set[str]:
    return {rule for rule, finding in evaluate(obs, thresholds or AlertThresholds()).items() if finding}


def test_rules_on_a_healthy_system_fire_nothing() -> None:
    obs = Observation(NOW, ha_state="connected", ha_connected_since=NOW - 3600, last_event_at=NOW - 1,
                      disk_free_bytes=50 * 10**9)  # fmt: skip
    assert fired(obs) == set()


def test_ha_disconnected_only_after_the_threshold() -> None:
    down = Observation(NOW, ha_state="backing_off", ha_down_since=NOW - 59)
    assert fired(down) == set()
    assert fired(replace(down, ha_down_since=NOW - 61)) == {"ha_disconnected"}
    assert fired(replace(down, ha_down_since=NOW - 5), AlertThresholds(ha_disconnected_s=1)) == {
        "ha_disconnected"
    }


def test_auth_rejected() -> None:
    assert "ha_auth_rejected" in fired(Observation(NOW, ha_state="auth_invalid", ha_down_since=NOW))


def test_no_events_counts_from_the_later_of_connection_and_last_event() -> None:
    quiet = Observation(NOW, ha_state="connected", ha_connected_since=NOW - 3600, last_event_at=NOW - 601)
    assert fired(quiet) == {"no_events"}
    assert fired(replace(quiet, ha_connected_since=NOW - 30)) == set()
    assert fired(replace(quiet, ha_state="backing_off")) == set()  # that is ha_disconnected's business


def test_outbox_quarantine_and_disk() -> None:
    assert fired(Observation(NOW, outbox_oldest_age_s=301, outbox_depth=5)) == {"influx_outbox_stale"}
    assert fired(Observation(NOW, outbox_oldest_age_s=301, outbox_depth=0)) == set()
    assert fired(Observation(NOW, quarantined=3)) == {"influx_quarantine"}
    assert fired(Observation(NOW, disk_free_bytes=999_999_999)) == {"disk_low"}


# -- engine, on a real runtime ---------------------------------------------------------------------


class Clock:
    """The alert engine's clock, moved by the test so thresholds of minutes pass at once."""

    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t


Setup = tuple[AlertEngine, Runtime, Clock, list[Alert]]


@asynccontextmanager
async def alert_engine(tmp_path: Path, thresholds: AlertThresholds | None = None, **sections: Any
                       ) -> AsyncIterator[Setup]:  # fmt: skip
    """A real runtime (demo home, HA client, pipeline, store) without its own alert engine, and one
    alert engine under test on the runtime's real dependencies, with a test clock."""
    async with running_runtime(tmp_path, specs=specs_without("alerts"), **sections) as runtime:
        clock, published = Clock(), []
        runtime.bus.subscribe(Topic.ALERT, published.append)
        engine = AlertEngine(runtime.deps, interval_s=3600, clock=clock,
                             thresholds=thresholds or AlertThresholds(disk_free_bytes=0))  # fmt: skip
        await engine.start()
        try:
            await wait_for(lambda: ha_state(runtime) == "connected", "the HA link")
            yield engine, runtime, clock, published
        finally:
            await engine.stop()


async def reject_token(runtime: Runtime) -> None:
    sim = runtime.simulator
    assert sim is not None
    sim.reject_auth(True)
    await sim.drop_connections()
    await wait_for(lambda: ha_state(runtime) == "auth_invalid", "the token rejection")


async def accept_token(runtime: Runtime) -> None:
    sim = runtime.simulator
    assert sim is not None
    sim.reject_auth(False)
    await runtime.restart_engine("ha_client")  # the client waits 60 s after a rejection otherwise
    await wait_for(lambda: ha_state(runtime) == "connected", "the HA link")


async def test_disconnect_raises_after_60_s_and_clears_itself(tmp_path: Path) -> None:
    async with alert_engine(tmp_path) as (engine, runtime, clock, published):
        assert runtime.simulator is not None
        await runtime.simulator.stop()  # HA goes away: the client backs off
        await wait_for(lambda: ha_state(runtime) not in ("connected", "auth_invalid"), "the link to drop")
        assert await engine.evaluate() == []
        clock.t += 61
        (raised,) = await engine.evaluate()
        assert raised.rule == "ha_disconnected" and raised.state == "active"
        assert raised.detail["down_for_s"] >= 61
        assert await engine.evaluate() == []  # still down: the same alert, not a second one
        await runtime.restart_engine("simulator")  # HA is back (the client restarts with it)
        await wait_for(lambda: ha_state(runtime) == "connected", "the HA link")
        (cleared,) = await engine.evaluate()
        assert cleared.id == raised.id and cleared.state == "resolved" and cleared.resolution == "cleared"
        assert [a.state for a in published] == ["active", "resolved"]
        _alert, history = await engine.get(raised.id) or (None, [])
        assert [h.action for h in history] == ["raised", "resolved"]


async def test_no_events_while_connected(tmp_path: Path) -> None:
    async with alert_engine(tmp_path) as (engine, runtime, clock, _):
        sim, stats = runtime.simulator, runtime.pipeline_stats()
        assert sim is not None and stats is not None
        await wait_for(lambda: stats.stored > 0, "the first stored events")
        sim.pause()
        before = -1
        while stats.stored != before:  # let what was sent before the pause land
            before = stats.stored
            await asyncio.sleep(0.5)
        await engine.evaluate()
        clock.t += 601
        (raised,) = await engine.evaluate()
        assert raised.rule == "no_events"
        sim.resume()
        await wait_for(lambda: stats.stored > before, "events to flow again")
        (cleared,) = await engine.evaluate()
        assert cleared.rule == "no_events" and cleared.state == "resolved"


async def test_stale_influx_outbox_from_the_published_status(tmp_path: Path) -> None:
    statuses: list[InfluxStatus] = []
    unreachable = InfluxConfig(enabled=True, url=f"http://127.0.0.1:{free_port()}", database="x")
    async with alert_engine(tmp_path, influxdb=unreachable) as (engine, runtime, clock, _):
        runtime.bus.subscribe(Topic.INFLUX_STATUS, statuses.append)
        await wait_for(lambda: any(s.outbox_depth > 0 for s in statuses), "points waiting in the outbox")
        assert await engine.evaluate() == []
        clock.t += 301  # the oldest point keeps ageing after the status was published
        raised = [a for a in await engine.evaluate() if a.rule == "influx_outbox_stale"]
        assert raised and raised[0].detail["outbox_depth"] > 0


async def test_a_failing_check_shows_as_failing_not_as_all_clear(tmp_path: Path) -> None:
    unreachable = InfluxConfig(enabled=True, url=f"http://127.0.0.1:{free_port()}", database="x")
    async with alert_engine(tmp_path, influxdb=unreachable) as (engine, runtime, _clock, _):
        assert await engine.evaluate() == []
        db = runtime.data_dir / "events.sqlite3"
        with sqlite3.connect(db) as conn:  # the quarantine can no longer be counted
            conn.execute("ALTER TABLE influx_quarantine RENAME TO influx_quarantine_gone")
        (raised,) = await engine.evaluate()
        assert raised.rule == "checks_failing" and "influx_quarantine" in raised.detail
        assert engine.status().state == "degraded" and "influx_quarantine" in engine.status().detail


async def test_acknowledge_resolve_and_no_reraise_while_the_condition_lasts(tmp_path: Path) -> None:
    async with alert_engine(tmp_path) as (engine, runtime, _clock, published):
        await reject_token(runtime)
        (raised,) = [a for a in await engine.evaluate() if a.rule == "ha_auth_rejected"]
        acked = await engine.acknowledge(raised.id)
        assert acked is not None and acked.state == "acknowledged" and acked.acknowledged_at is not None
        assert [a.rule for a in engine.open_alerts()] == ["ha_auth_rejected"]
        resolved = await engine.resolve(raised.id)
        assert resolved is not None and resolved.state == "resolved" and resolved.resolution == "manual"
        assert await engine.resolve(raised.id) == resolved  # idempotent
        assert await engine.evaluate() == []  # suppressed while still rejected
        await accept_token(runtime)
        await engine.evaluate()
        await reject_token(runtime)
        (again,) = [a for a in await engine.evaluate() if a.rule == "ha_auth_rejected"]
        assert again.id != raised.id
        assert await engine.acknowledge(424242) is None
        states = [(a.id, a.state) for a in published if a.rule == "ha_auth_rejected"]
        assert states == [
            (raised.id, "active"),
            (raised.id, "acknowledged"),
            (raised.id, "resolved"),
            (again.id, "active"),
        ]


async def test_open_alerts_survive_a_restart(tmp_path: Path) -> None:
    full_disk = AlertThresholds(disk_free_bytes=10**18)
    async with running_runtime(tmp_path, specs=specs_without("alerts")) as runtime:
        first = AlertEngine(runtime.deps, interval_s=3600, thresholds=full_disk)
        await first.start()
        (raised,) = await first.evaluate()
        await first.stop()
        second = AlertEngine(runtime.deps, interval_s=3600, thresholds=full_disk)
        await second.start()
        try:
            assert [a.id for a in second.open_alerts()] == [raised.id]
            assert await second.evaluate() == []
            listed = await second.list_alerts(("active",))
            assert [a.id for a in listed] == [raised.id]
            assert second.status().counters["open"] == 1
        finally:
            await second.stop()


async def test_quarantine_count_reads_the_store(tmp_path: Path) -> None:
    store = await EventStore.open(tmp_path, retention=False)
    try:
        assert await store.quarantine_count() == 0
        await store.quarantine([1, 2, 3], "field type conflict")
        assert await store.quarantine_count() == 3
    finally:
        await store.close()


# -- live: Home Assistant rejects the token -------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRuntime]:
    rt = start_live(tmp_path_factory.mktemp("alerts_live"), rate=20.0)
    try:
        yield rt
    finally:
        rt.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_live_auth_rejection_raises_alerts(live: LiveRuntime) -> None:
    sim = live.runtime.simulator
    engine = live.runtime.engine(ALERTS)
    assert engine is not None and sim is not None
    live.wait_until(lambda: ha_state(live.runtime) == "connected", "HA link")
    engine.thresholds = AlertThresholds(ha_disconnected_s=0)
    live.call_soon(lambda: sim.reject_auth(True))
    live.call(sim.drop_connections())
    live.wait_until(lambda: ha_state(live.runtime) == "auth_invalid", "auth rejection")
    rules = {a.rule for a in live.call(engine.evaluate())}
    assert {"ha_auth_rejected", "ha_disconnected"} <= rules
    body = live.admin_get("/api/v1/alerts", state="open").json()
    assert {"ha_auth_rejected", "ha_disconnected"} <= {a["rule"] for a in body["alerts"]}
    assert [t for t, _ in live.published].count("alert") >= 2


def test_backfill_incomplete_and_quarantined_events() -> None:
    assert fired(Observation(NOW, backfill_unconfirmed=True)) == {"backfill_incomplete"}
    assert fired(Observation(NOW, events_quarantined=2)) == {"events_quarantined"}
