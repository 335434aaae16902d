"""InfluxSender against real servers: the real pipeline and store fill the outbox with HA-shaped events."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from core.bus import Topic
from core.config import InfluxConfig
from core.engine import EngineState
from core.influx.breaker import SenderTimings
from core.influx.sender import InfluxSender
from core.influx.status import InfluxState, InfluxStatus
from core.influx.writer import rows
from core.models import Area, Device, Entity, Floor, RegistrySnapshot
from tests.influx_servers import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    InfluxdServer,
    Stack,
    VictoriaServer,
    free_port,
    ha_event,
    influx_counts,
    wait_until,
)

pytestmark = pytest.mark.influx
FAST = SenderTimings(
    backoff_initial_s=0.05, backoff_max_s=0.2, open_s=0.3, auth_retry_s=0.2, idle_poll_s=0.05
)


def events(n: int, entities: int = 10, start: datetime | None = None) -> list[dict[str, object]]:
    """n HA state_changed events spread over `entities` sensors, 1 ms apart (mixed numeric and text)."""
    t0 = start or datetime.now(UTC) - timedelta(minutes=10)
    out = []
    for i in range(n):
        entity = f"sensor.s{i % entities}"
        state = "unavailable" if i % 17 == 0 else f"{20 + (i % 50) / 10:.1f}"
        out.append(
            ha_event(entity, state, t0 + timedelta(milliseconds=i), attributes={"unit_of_measurement": "°C"})
        )
    return out


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    s = await Stack(tmp_path / "data").open()
    yield s
    await s.close()


def v1(server: InfluxdServer, db: str, **kw: object) -> InfluxConfig:
    return replace(InfluxConfig(enabled=True, url=server.url, database=db, batch_size=1000), **kw)  # type: ignore[arg-type]


async def depth(stack: Stack) -> int:
    return int((await stack.store.outbox_stats())[0])


async def test_drains_everything_once(influxd: InfluxdServer, influx_db: str, stack: Stack) -> None:
    await stack.feed(events(3000))
    seen: list[InfluxStatus] = []
    stack.bus.subscribe(Topic.INFLUX_STATUS, seen.append)
    sender = InfluxSender(v1(influxd, influx_db), stack.store, stack.bus, timings=FAST)
    await sender.start()
    await wait_until(lambda: _empty(stack), "outbox drained")
    await sender.stop()
    assert influx_counts(influxd, influx_db) == stack.local_counts()
    status = sender.influx_status()
    assert status.state == InfluxState.OK and status.written_total == 3000 and status.outbox_depth == 0
    assert sender.status().counters["written"] == 3000
    assert seen and all(s.last_error is None for s in seen)


async def _empty(stack: Stack) -> bool:
    return await depth(stack) == 0


async def test_round_trip_through_the_real_pipeline(
    influxd: InfluxdServer, influx_db: str, tmp_path: Path
) -> None:
    """A raw HA event, enriched from the registries, lands with every tag and field; InfluxQL reads it."""
    snap = RegistrySnapshot(
        floors={"ground": Floor("ground", "Ground")},
        areas={"kitchen": Area("kitchen", "Kitchen", floor_id="ground")},
        devices={
            "dev1": Device("dev1", "Thermo", manufacturer="Acme, Inc.", model="T 1000", area_id="kitchen")
        },
        entities={"sensor.kitchen_temp": Entity("sensor.kitchen_temp", device_id="dev1")},
    )
    now = datetime.now(UTC).replace(microsecond=123456)
    attrs = {"unit_of_measurement": "°C", "device_class": "temperature", "friendly_name": 'Kitchen "T"'}
    raw = ha_event(
        "sensor.kitchen_temp", "21.5", now, old_state="21.25", attributes=attrs,
        old_changed=now - timedelta(seconds=90), context_id="01JDCTX0000000000000000000",
        parent_id="01JDPARENT0000000000000000", user_id="u1",
    )  # fmt: skip
    stack = await Stack(tmp_path / "data", registry=snap).open()
    try:
        await stack.feed([raw])
        sender = InfluxSender(v1(influxd, influx_db), stack.store, stack.bus, timings=FAST)
        await sender.start()
        await wait_until(lambda: _empty(stack), "outbox drained")
        await sender.stop()
        (row,) = rows(await sender.query("SELECT * FROM state_changed"))
    finally:
        await stack.close()
    assert row["time"] == round(now.timestamp() * 1e6) * 1000
    assert orjson.loads(row["attributes"]) == attrs
    expected = {
        "area_id": "kitchen", "device_class": "temperature", "device_id": "dev1", "domain": "sensor",
        "entity_id": "sensor.kitchen_temp", "event_type": "state_changed", "floor_id": "ground", "unit": "°C",
        "state": "21.5", "value": 21.5, "old_state": "21.25", "duration_in_state": 90.0,
        "context_id": "01JDCTX0000000000000000000", "context_parent_id": "01JDPARENT0000000000000000",
        "context_user_id": "u1", "device_manufacturer": "Acme, Inc.", "device_model": "T 1000",
        "source": "live",
    }  # fmt: skip
    assert {k: row[k] for k in expected} == expected


async def test_created_database_has_a_30_day_default_policy(
    influxd: InfluxdServer, influx_db: str, stack: Stack
) -> None:
    await stack.feed(events(10))
    sender = InfluxSender(v1(influxd, influx_db), stack.store, stack.bus, timings=FAST)
    await sender.start()
    await wait_until(lambda: _empty(stack), "outbox drained")
    await sender.stop()
    policies = influxd.query(f'SHOW RETENTION POLICIES ON "{influx_db}"')[0]["values"]
    assert [(p[0], p[1], p[4]) for p in policies] == [("ha_30d", "720h0m0s", True)]


async def test_existing_database_policies_are_left_alone(
    influxd: InfluxdServer, influx_db: str, stack: Stack
) -> None:
    influxd.query(f'CREATE DATABASE "{influx_db}" WITH DURATION 2d NAME "mine"')
    await stack.feed(events(10))
    sender = InfluxSender(v1(influxd, influx_db), stack.store, stack.bus, timings=FAST)
    await sender.start()
    await wait_until(lambda: _empty(stack), "outbox drained")
    await sender.stop()
    policies = influxd.query(f'SHOW RETENTION POLICIES ON "{influx_db}"')[0]["values"]
    assert [(p[0], p[1], p[4]) for p in policies] == [("mine", "48h0m0s", True)]
    assert sum(influx_counts(influxd, influx_db).values()) == 10


async def test_wrong_password_keeps_everything_then_drains(
    influxd_auth: InfluxdServer, influx_db: str, stack: Stack
) -> None:
    influxd_auth.query(f'CREATE DATABASE "{influx_db}"')
    await stack.feed(events(500))
    bad = v1(influxd_auth, influx_db, username=ADMIN_USER, password="wrong-password")
    sender = InfluxSender(bad, stack.store, stack.bus, timings=FAST)
    await sender.start()
    await wait_until(lambda: sender.influx_status().state == InfluxState.AUTH_ERROR, "auth_error state")
    status = sender.influx_status()
    assert "refused the credentials" in (status.last_error or "")
    assert "wrong-password" not in repr(status) and "wrong-password" not in repr(sender.status())
    assert sender.status().state == EngineState.DEGRADED
    await sender.stop()
    assert await depth(stack) == 500  # everything kept
    fixed = InfluxSender(replace(bad, password=ADMIN_PASSWORD), stack.store, stack.bus, timings=FAST)
    await fixed.start()
    await wait_until(lambda: _empty(stack), "outbox drained after fixing the password")
    await fixed.stop()
    assert influx_counts(influxd_auth, influx_db) == stack.local_counts()


@pytest.mark.victoria
async def test_v2_writer_into_victoria_metrics(victoria: VictoriaServer, stack: Stack) -> None:
    start = datetime.now(UTC) - timedelta(minutes=5)
    await stack.feed(events(400, entities=4, start=start))
    config = InfluxConfig(
        enabled=True,
        api_version=2,
        url=victoria.url,
        org="home",
        bucket="ha",
        token="t0ken",
        measurement="vmtest",
    )
    sender = InfluxSender(config, stack.store, stack.bus, timings=FAST)
    await sender.start()
    await wait_until(lambda: _empty(stack), "outbox drained")
    await sender.stop()
    assert sender.influx_status().state == InfluxState.OK
    numeric = sum(1 for i in range(400) if i % 17)
    values = victoria.export_when_visible('{__name__="vmtest_value"}', samples=numeric)
    per_entity = {s["metric"]["entity_id"]: len(s["timestamps"]) for s in values}
    assert sum(per_entity.values()) == numeric and set(per_entity) == {f"sensor.s{i}" for i in range(4)}
    labels = values[0]["metric"]
    assert labels["domain"] == "sensor" and labels["event_type"] == "state_changed" and "db" not in labels
    # VictoriaMetrics turns string fields into numbers, and text into 0:
    states = victoria.export_when_visible('{__name__="vmtest_state"}', samples=400)
    assert sum(len(s["values"]) for s in states) == 400 and 0 in states[0]["values"]
    first = min(ts for s in states for ts in s["timestamps"])
    assert abs(first - start.timestamp() * 1000) <= 1  # VictoriaMetrics keeps milliseconds


async def test_v2_writer_against_influxdb_16_says_wrong_version(
    influxd: InfluxdServer, influx_db: str, stack: Stack
) -> None:
    await stack.feed(events(20))
    config = InfluxConfig(enabled=True, api_version=2, url=influxd.url, org="o", bucket=influx_db, token="x")
    sender = InfluxSender(config, stack.store, stack.bus, timings=FAST)
    await sender.start()
    await wait_until(lambda: sender.influx_status().state == InfluxState.WRONG_VERSION, "wrong_version state")
    assert sender.status().state == EngineState.FAILED
    await sender.stop()
    message = sender.influx_status().last_error or ""
    assert message.startswith("this server answers 404 on /api/v2/write: it is InfluxDB 1.6.7")
    assert message.endswith("set api_version = 1")
    assert sender.status().state == EngineState.STOPPED
    assert await depth(stack) == 20


async def test_connection_refused_backs_off_then_opens_the_circuit(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    await stack.feed(events(50))
    config = InfluxConfig(
        enabled=True, url=f"http://127.0.0.1:{free_port()}", database="x", drain_on_shutdown_s=5
    )
    states: list[InfluxState] = []
    stack.bus.subscribe(Topic.INFLUX_STATUS, lambda s: states.append(s.state))
    timings = replace(FAST, open_s=60.0)
    sender = InfluxSender(config, stack.store, stack.bus, timings=timings)
    with caplog.at_level(logging.WARNING):
        await sender.start()
        await wait_until(lambda: sender.influx_status().state == InfluxState.CIRCUIT_OPEN, "circuit open")
        await sender.stop()  # returns without waiting for the half-open probe: the server is down
    assert InfluxState.BACKING_OFF in states
    assert states.index(InfluxState.BACKING_OFF) < states.index(InfluxState.CIRCUIT_OPEN)
    assert "cannot reach" in (sender.influx_status().last_error or "")
    assert await depth(stack) == 50


async def test_field_type_conflict_is_isolated_to_the_flipping_entity(
    influxd: InfluxdServer, influx_db: str, stack: Stack
) -> None:
    """Our schema never conflicts by itself (value is always a float, state always a string), so a
    foreign writer made `value` a string in this shard first; sensor.flip flips numeric/text."""
    t0 = datetime.now(UTC) - timedelta(minutes=5)
    influxd.query(f'CREATE DATABASE "{influx_db}"')
    seed_ns = int((t0 - timedelta(seconds=1)).timestamp() * 1e9)
    seed = f'state_changed,entity_id=sensor.flip value="n/a" {seed_ns}'
    assert influxd.write(influx_db, seed)[0] == 204
    raw = []
    for i in range(600):
        when = t0 + timedelta(milliseconds=i)
        if i % 6 == 0:
            raw.append(ha_event("sensor.flip", "21.5" if i % 12 == 0 else "unknown", when))
        else:
            raw.append(ha_event(f"binary_sensor.b{i % 6}", "on" if i % 2 else "off", when))
    await stack.feed(raw)
    sender = InfluxSender(v1(influxd, influx_db, batch_size=250), stack.store, stack.bus, timings=FAST)
    await sender.start()
    await wait_until(lambda: _empty(stack), "outbox drained")
    await sender.stop()
    local = stack.local_counts()
    numeric_flips = 50
    landed = influx_counts(influxd, influx_db)
    assert landed == {**local, "sensor.flip": local["sensor.flip"] - numeric_flips}
    quarantined = await stack.store.list_quarantine(1000)
    assert len(quarantined) == numeric_flips == sender.influx_status().quarantined_total
    reason = quarantined[0].error
    assert 'field type conflict: input field "value" on measurement "state_changed" is type float' in reason
    assert "already exists as type string" in reason
    assert sender.influx_status().state == InfluxState.OK


async def test_outbox_cap_drops_the_oldest_with_a_counter(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing is sent (InfluxDB unreachable); the cap is checked directly, as the 1 s ticker does."""
    config = InfluxConfig(enabled=True, url=f"http://127.0.0.1:{free_port()}", outbox_max_bytes=40_000)
    sender = InfluxSender(config, stack.store, stack.bus, timings=FAST)  # 400 B/point estimate: cap 100
    all_events = events(300)
    with caplog.at_level(logging.WARNING, logger="core.influx.outbox"):
        await stack.feed(all_events[:85])
        await sender.check_outbox()
        assert "outbox at 85 %" in caplog.text and sender.influx_status().dropped_total == 0
        await stack.feed(all_events[85:])
        await sender.check_outbox()
    status = sender.influx_status()
    assert status.dropped_total == 200 and status.outbox_depth == 100
    assert "dropped the 200 oldest points" in caplog.text
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1
    batch = await stack.store.read_outbox_batch(1)
    assert batch[0][1].time_fired.isoformat() == all_events[200]["time_fired"]  # the newest 100 are kept


async def test_stop_drains_what_is_queued(influxd: InfluxdServer, influx_db: str, stack: Stack) -> None:
    await stack.feed(events(5000))
    sender = InfluxSender(v1(influxd, influx_db), stack.store, stack.bus, timings=FAST)
    await sender.start()
    await sender.stop()  # immediately: stop() itself drains (drain_on_shutdown_s = 15)
    assert await depth(stack) == 0
    assert influx_counts(influxd, influx_db) == stack.local_counts()


async def test_stop_while_down_keeps_the_rest_for_the_next_start(
    influxd: InfluxdServer, influx_db: str, stack: Stack
) -> None:
    await stack.feed(events(300))
    down = InfluxConfig(
        enabled=True, url=f"http://127.0.0.1:{free_port()}", database=influx_db, drain_on_shutdown_s=3
    )
    sender = InfluxSender(down, stack.store, stack.bus, timings=replace(FAST, open_s=60))
    await sender.start()
    await wait_until(lambda: sender.influx_status().state == InfluxState.CIRCUIT_OPEN, "circuit open")
    await sender.stop()
    assert await depth(stack) == 300
    again = InfluxSender(v1(influxd, influx_db), stack.store, stack.bus, timings=FAST)
    await again.start()
    await again.stop()
    assert await depth(stack) == 0 and sum(influx_counts(influxd, influx_db).values()) == 300
