"""Alert rules and the alert engine: raise on real conditions, clear when they end, persist with
history, publish on the bus; plus one live runtime whose Home Assistant rejects the token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from core.alert_rules import AlertThresholds, Observation, evaluate
from core.alert_store import Alert
from core.alerts import AlertEngine
from core.bus import Bus, Topic
from core.influx.status import InfluxState, InfluxStatus
from core.store import EventStore
from tests.api_live import LiveRuntime, start_live

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


# -- engine ---------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.t = NOW

    def __call__(self) -> float:
        return self.t


def fake_runtime(tmp_path: Path) -> Any:
    ha = SimpleNamespace(
        connection_info=SimpleNamespace(state="connected", connected_since=None, last_error=None)
    )
    pipeline = SimpleNamespace(stats=SimpleNamespace(stored=0))
    return SimpleNamespace(
        data_dir=tmp_path, bus=Bus(), store=None, engines={"ha_client": ha, "pipeline": pipeline}
    )


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[AlertEngine, Any, Clock, list[Alert]]]:
    runtime, clock = fake_runtime(tmp_path), Clock()
    published: list[Alert] = []
    runtime.bus.subscribe(Topic.ALERT, published.append)
    engine = AlertEngine(runtime, interval_s=3600, clock=clock, thresholds=AlertThresholds(disk_free_bytes=0))
    await engine.start()
    try:
        yield engine, runtime, clock, published
    finally:
        await engine.stop()


def set_ha(runtime: Any, state: str, **kw: Any) -> None:
    info = SimpleNamespace(state=state, connected_since=kw.get("since"), last_error=kw.get("error"))
    runtime.engines["ha_client"].connection_info = info
    runtime.bus.publish(Topic.HA_CONNECTION, info)


async def test_disconnect_raises_after_60_s_and_clears_itself(setup: Any) -> None:
    engine, runtime, clock, published = setup
    set_ha(runtime, "backing_off", error="connection refused token-free")
    assert await engine.evaluate() == []
    clock.t += 61
    (raised,) = await engine.evaluate()
    assert raised.rule == "ha_disconnected" and raised.state == "active" and raised.detail["down_for_s"] >= 61
    assert await engine.evaluate() == []  # still down: the same alert, not a second one
    set_ha(runtime, "connected", since=datetime.fromtimestamp(clock.t, UTC))
    (cleared,) = await engine.evaluate()
    assert cleared.id == raised.id and cleared.state == "resolved" and cleared.resolution == "cleared"
    assert [a.state for a in published] == ["active", "resolved"]
    _alert, history = await engine.get(raised.id) or (None, [])
    assert [h.action for h in history] == ["raised", "resolved"]


async def test_no_events_while_connected(setup: Any) -> None:
    engine, runtime, clock, _ = setup
    set_ha(runtime, "connected", since=datetime.fromtimestamp(clock.t, UTC))
    await engine.evaluate()
    clock.t += 601
    (raised,) = await engine.evaluate()
    assert raised.rule == "no_events"
    runtime.engines["pipeline"].stats.stored = 10  # events flow again
    (cleared,) = await engine.evaluate()
    assert cleared.rule == "no_events" and cleared.state == "resolved"


async def test_stale_influx_outbox_from_the_published_status(setup: Any) -> None:
    engine, runtime, clock, _ = setup
    runtime.engines["influxdb"] = SimpleNamespace()
    status = InfluxStatus(
        InfluxState.BACKING_OFF, "http://127.0.0.1:8086 db=x", 1, outbox_depth=50, oldest_age_s=200
    )
    runtime.bus.publish(Topic.INFLUX_STATUS, status)
    assert await engine.evaluate() == []
    clock.t += 101  # the oldest point keeps ageing after the status was published
    (raised,) = await engine.evaluate()
    assert raised.rule == "influx_outbox_stale" and raised.detail["outbox_depth"] == 50


async def test_acknowledge_resolve_and_no_reraise_while_the_condition_lasts(setup: Any) -> None:
    engine, runtime, clock, published = setup
    set_ha(runtime, "auth_invalid", error="auth_invalid")
    (raised,) = [a for a in await engine.evaluate() if a.rule == "ha_auth_rejected"]
    acked = await engine.acknowledge(raised.id)
    assert acked is not None and acked.state == "acknowledged" and acked.acknowledged_at is not None
    assert [a.rule for a in engine.open_alerts()] == ["ha_auth_rejected"]
    resolved = await engine.resolve(raised.id)
    assert resolved is not None and resolved.state == "resolved" and resolved.resolution == "manual"
    assert await engine.resolve(raised.id) == resolved  # idempotent
    assert await engine.evaluate() == []  # suppressed while still rejected
    set_ha(runtime, "connected", since=datetime.fromtimestamp(clock.t, UTC))
    await engine.evaluate()
    set_ha(runtime, "auth_invalid")
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
    runtime, clock = fake_runtime(tmp_path), Clock()
    first = AlertEngine(
        runtime, interval_s=3600, clock=clock, thresholds=AlertThresholds(disk_free_bytes=10**18)
    )
    await first.start()
    (raised,) = await first.evaluate()
    await first.stop()
    second = AlertEngine(
        runtime, interval_s=3600, clock=clock, thresholds=AlertThresholds(disk_free_bytes=10**18)
    )
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


def test_live_auth_rejection_raises_alerts(live: LiveRuntime) -> None:
    sim = live.runtime.simulator
    engine = live.runtime.engines["alerts"]
    assert isinstance(engine, AlertEngine)
    live.wait_until(
        lambda: str(live.runtime.engines["ha_client"].connection_info.state) == "connected", "HA link"
    )
    engine.thresholds = AlertThresholds(ha_disconnected_s=0)
    live.call_soon(lambda: sim.reject_auth(True))
    live.call(sim.drop_connections())
    live.wait_until(
        lambda: str(live.runtime.engines["ha_client"].connection_info.state) == "auth_invalid",
        "auth rejection",
    )
    rules = {a.rule for a in live.call(engine.evaluate())}
    assert {"ha_auth_rejected", "ha_disconnected"} <= rules
    body = live.admin_get("/api/v1/alerts", state="open").json()
    assert {"ha_auth_rejected", "ha_disconnected"} <= {a["rule"] for a in body["alerts"]}
    assert [t for t, _ in live.published].count("alert") >= 2
