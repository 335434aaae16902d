"""Pipeline: enrichment, validation, batching, spill, dedupe, bus (real SQLite in tmp_path)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from core.bus import Topic
from core.config import StorageConfig
from core.models import EnrichedEvent, EventSource
from core.pipeline import Pipeline, RegistryCache
from core.pipeline.enrich import RowBuilder
from core.pipeline.spill import SpillFile
from core.store.codec import datetime_to_us
from core.store.rows import StoreRow, WriteResult
from tests.test_pipeline_support import (
    T0,
    close_all,
    demo_registry,
    iso,
    make_event,
    make_pipeline,
    state_obj,
)


async def until(condition: Callable[[], bool]) -> None:
    """Yield to the loop until `condition` holds (the test timeout is the only limit)."""
    while not condition():
        await asyncio.sleep(0.005)


async def stored_one(pipeline: Pipeline, raw: dict[str, object]) -> EnrichedEvent:
    pipeline.submit(raw)
    await pipeline.flush()
    entity_id = raw["data"]["entity_id"]  # type: ignore[index]
    found = await pipeline._store.queries.last_events(str(entity_id), 1)
    return found[0].event


async def test_enrichment_fields_and_area_fallbacks(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    try:
        attrs = {"unit_of_measurement": "W", "device_class": "power", "friendly_name": "Child power"}
        ev = await stored_one(pipeline, make_event("sensor.child_power", "12.5", T0, attributes=attrs,
                                                   parent_id=None, user_id="a" * 32))  # fmt: skip
        # Child device: no area of its own -> parent's area, parent's hardware, floor from the area.
        assert (ev.device_id, ev.area_id, ev.floor_id) == ("child", "kitchen", "ground")
        assert (ev.device_manufacturer, ev.device_model, ev.device_sw_version) == ("Acme", "H1", "1.2")
        assert (ev.value, ev.unit, ev.device_class, ev.friendly_name) == (12.5, "W", "power", "Child power")
        assert ev.time_fired == T0 and ev.time_fired.tzinfo is not None
        assert ev.context_user_id == "a" * 32 and ev.origin == "LOCAL" and ev.source == EventSource.LIVE
        assert ev.attributes == attrs and ev.domain == "sensor" and ev.event_type == "state_changed"

        entity_area = await stored_one(pipeline, make_event("switch.plug", "on", T0))
        assert (entity_area.device_id, entity_area.area_id, entity_area.floor_id) == ("plug", "garden", None)
        device_area = await stored_one(pipeline, make_event("light.office", "on", T0))
        assert (device_area.area_id, device_area.floor_id, device_area.device_model) == (
            "office",
            "first",
            "P2",
        )
        no_device = await stored_one(pipeline, make_event("sensor.loose", "1", T0))
        assert (no_device.device_id, no_device.area_id, no_device.floor_id) == (None, "office", "first")
        unknown = await stored_one(pipeline, make_event("sensor.unknown", "x", T0))
        assert (unknown.device_id, unknown.area_id, unknown.floor_id) == (None, None, None)
    finally:
        await close_all(pipeline, store)


async def test_states_verbatim_values_and_duration(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    try:
        ev = await stored_one(
            pipeline,
            make_event(
                "sensor.kitchen_temp", "1", T0, old_state="0", old_changed=T0 - timedelta(seconds=2.5)
            ),
        )
        assert ev.state == "1" and ev.old_state == "0" and ev.value == 1.0
        assert ev.duration_in_state == 2.5
        for i, (state, value) in enumerate([("nan", None), ("inf", None), ("-inf", None), ("on", None),
                                            ("", None), ("-3.25", -3.25), ("1e3", 1000.0)]):  # fmt: skip
            ev = await stored_one(
                pipeline, make_event("sensor.kitchen_temp", state, T0 + timedelta(seconds=i + 1))
            )
            assert ev.state == state and ev.value == value
        # Attribute-only update: last_changed did not move, so duration is 0.
        t = T0 + timedelta(minutes=1)
        changed = t - timedelta(seconds=9)
        raw = make_event(
            "sensor.kitchen_temp", "5", t, old_state="5", old_changed=changed, last_changed=changed
        )
        ev = await stored_one(pipeline, raw)
        assert ev.duration_in_state == 0.0
    finally:
        await close_all(pipeline, store)


async def test_creation_and_removal_are_stored(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    try:
        created = await stored_one(pipeline, make_event("sensor.kitchen_temp", "20", T0, old_state=None))
        assert created.old_state is None and created.state == "20" and created.duration_in_state is None
        removed = await stored_one(
            pipeline, make_event("sensor.kitchen_temp", None, T0 + timedelta(seconds=5))
        )
        assert removed.state is None and removed.old_state == "0" and removed.attributes == {}
        assert removed.value is None and removed.time_fired == T0 + timedelta(seconds=5)
        assert pipeline.stats.rejected == 0 and pipeline.stats.stored == 2
    finally:
        await close_all(pipeline, store)


async def test_validation_reasons_are_counted_and_pipeline_keeps_going(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    try:
        no_id = make_event("sensor.a", "1", T0)
        del no_id["data"]["entity_id"]  # type: ignore[attr-defined]
        bad_time = make_event("sensor.a", "1", T0)
        bad_time["time_fired"] = "yesterday-ish"
        wrong_type = make_event("sensor.a", "1", T0)
        wrong_type["data"]["new_state"]["state"] = 1  # type: ignore[index]
        huge = make_event("sensor.a", "1", T0, attributes={"blob": "x" * (5 * 1024 * 1024)})
        for raw in (no_id, bad_time, wrong_type, huge, "not an object", {"data": None}):
            pipeline.submit(raw)  # type: ignore[arg-type]
        pipeline.submit_state(
            {"entity_id": "sensor.a", "state": "1", "last_updated": "never"}, EventSource.SNAPSHOT
        )
        pipeline.submit_history_row("sensor.a", {"s": "1", "lu": "soon"})
        pipeline.submit(make_event("sensor.a", "ok", T0))
        await pipeline.flush()
        by_reason = pipeline.stats.rejected_by_reason
        assert by_reason == {"missing_entity_id": 1, "bad_timestamp": 3, "wrong_type": 2,
                             "attributes_too_large": 1, "not_an_object": 1}  # fmt: skip
        assert pipeline.stats.rejected == 8 and pipeline.stats.stored == 1
        status = pipeline.status()
        assert status.counters["rejected_bad_timestamp"] == 3 and status.counters["received"] == 9
    finally:
        await close_all(pipeline, store)


async def test_a_burst_is_cut_by_size_and_does_not_wait_for_the_interval(tmp_path: Path) -> None:
    config = StorageConfig(data_dir=str(tmp_path), batch_size=100, flush_interval_ms=60_000)
    pipeline, store, _ = await make_pipeline(tmp_path, config=config)
    try:
        for i in range(250):
            pipeline.submit(make_event("sensor.kitchen_temp", str(i), T0 + timedelta(seconds=i)))
        # Group commit: the remainder goes as soon as the writer is free, not after one minute.
        await until(lambda: pipeline.stats.stored == 250)
        assert pipeline.stats.queue_depth == 0
    finally:
        await close_all(pipeline, store)


async def test_batches_cut_by_time(tmp_path: Path) -> None:
    config = StorageConfig(data_dir=str(tmp_path), batch_size=10_000, flush_interval_ms=20)
    pipeline, store, _ = await make_pipeline(tmp_path, config=config)
    try:
        for i in range(3):
            pipeline.submit(make_event("sensor.kitchen_temp", str(i), T0 + timedelta(seconds=i)))
        await until(lambda: pipeline.stats.stored == 3)  # no flush(): only the interval can cut it
        assert pipeline.stats.batches == 1
    finally:
        await close_all(pipeline, store)


async def test_spill_when_storage_is_slow_loses_nothing(tmp_path: Path) -> None:
    config = StorageConfig(data_dir=str(tmp_path), batch_size=50, flush_interval_ms=5, queue_size=100)
    pipeline, store, _ = await make_pipeline(tmp_path, config=config)
    gate = asyncio.Event()
    write = store.write_events

    async def slow_write(rows: list[StoreRow]) -> WriteResult:
        await gate.wait()  # storage is stuck until the test opens the gate
        return await write(rows)

    store.write_events = slow_write  # type: ignore[method-assign]
    try:
        for i in range(1000):
            pipeline.submit(make_event("sensor.kitchen_temp", str(i), T0 + timedelta(seconds=i)))
            if i % 100 == 0:
                await asyncio.sleep(0)  # let the processor and the writer run, as between frames
        await until(lambda: pipeline.stats.spilled > 0)
        status = pipeline.status()
        assert status.state == "degraded" and status.counters["spill_pending"] > 0
        assert status.counters["queue_depth"] <= 100 + 50 + 50  # memory stays bounded
        assert pipeline.stats.stored == 0
        gate.set()
        await pipeline.flush()
        assert pipeline.stats.stored == 1000 and pipeline.status().counters["spill_pending"] == 0
        assert pipeline.status().state == "running"
        events = await store.queries.last_events("sensor.kitchen_temp", 2000)
        assert [e.event.state for e in reversed(events)] == [str(i) for i in range(1000)]  # order kept
        assert (tmp_path / "pipeline-spill.jsonl").stat().st_size == 0  # truncated once drained
    finally:
        gate.set()
        await close_all(pipeline, store)


async def test_spill_survives_a_restart(tmp_path: Path) -> None:
    config = StorageConfig(data_dir=str(tmp_path), batch_size=10, flush_interval_ms=5, queue_size=100)
    builder = RowBuilder(RegistryCache(demo_registry()), config.max_attributes_bytes)
    raws = [make_event("sensor.kitchen_temp", str(i), T0 + timedelta(seconds=i)) for i in range(30)]
    rows = [builder.from_event(raw, EventSource.LIVE) for raw in raws]

    def crash_with_spilled(spilled: list[StoreRow]) -> None:
        spill = SpillFile(tmp_path / "pipeline-spill.jsonl")
        spill.open()
        spill.append(spilled)
        spill.close()

    crash_with_spilled(rows[:20])
    pipeline, store, _ = await make_pipeline(tmp_path, config=config)
    await pipeline.flush()
    assert pipeline.stats.stored == 20
    await close_all(pipeline, store)
    # A crash after the commit but before the truncation: the replay stores nothing twice.
    crash_with_spilled(rows)
    pipeline, store, _ = await make_pipeline(tmp_path, config=config)
    try:
        await pipeline.flush()
        assert pipeline.stats.stored == 10 and pipeline.stats.duplicates == 20
        assert len(await store.queries.last_events("sensor.kitchen_temp", 100)) == 30
    finally:
        await close_all(pipeline, store)


async def test_snapshot_and_backfill_rows_are_deduplicated(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    try:
        live = make_event("sensor.kitchen_temp", "21.5", T0)
        pipeline.submit(live)
        await pipeline.flush()
        # The same state again from get_states and from history: same entity + last_updated.
        pipeline.submit_state(live["data"]["new_state"], EventSource.SNAPSHOT)  # type: ignore[index]
        pipeline.submit_history_row("sensor.kitchen_temp", {"s": "21.5", "lu": T0.timestamp()})
        pipeline.submit(live)  # and a replayed live event
        # A genuinely new state from the snapshot: stored, old_state from what we saw before.
        later = T0 + timedelta(seconds=40)
        pipeline.submit_state(state_obj("sensor.kitchen_temp", "22", later), EventSource.SNAPSHOT)
        pipeline.submit_history_row("sensor.kitchen_temp", {"s": "23", "a": {"x": 1},
                                                            "lu": later.timestamp() + 1,
                                                            "lc": later.timestamp() + 1})  # fmt: skip
        await pipeline.flush()
        assert pipeline.stats.stored == 3 and pipeline.stats.duplicates == 3
        events = [e.event for e in await store.queries.last_events("sensor.kitchen_temp", 10)]
        assert [(e.state, e.old_state, e.source) for e in events] == [
            ("23", "22", EventSource.BACKFILL),
            ("22", "21.5", EventSource.SNAPSHOT),
            ("21.5", "0", EventSource.LIVE),
        ]  # fmt: skip
        assert events[0].context_id is None and events[0].attributes == {"x": 1}
        assert events[1].duration_in_state == 40.0 and events[0].duration_in_state == 1.0
    finally:
        await close_all(pipeline, store)


async def test_bus_gets_committed_events_and_latency_is_recorded(tmp_path: Path) -> None:
    pipeline, store, bus = await make_pipeline(tmp_path)
    got: list[EnrichedEvent] = []
    bus.subscribe(Topic.EVENTS_STORED, got.extend)
    try:
        for i in range(5):
            pipeline.submit(make_event("light.office", "on" if i % 2 else "off", T0 + timedelta(seconds=i)))
        pipeline.submit(make_event("light.office", "on", T0))  # duplicate: not published again
        await pipeline.flush()
        assert [e.state for e in got] == ["off", "on", "off", "on", "off"]
        assert got[0].area_id == "office" and got[0].attributes == {"friendly_name": "light.office"}
        assert pipeline.stats.latency_percentile(0.5) is not None
        p50, p99 = pipeline.stats.latency_percentiles()
        assert p50 is not None and p99 is not None and p50 <= p99
        buckets, total_s = pipeline.stats.latency_buckets()
        assert buckets[-1] == (float("inf"), 5) and total_s > 0
        assert [c for _, c in buckets] == sorted(c for _, c in buckets)  # cumulative
        status = pipeline.status()
        assert status.name == "pipeline" and {"latency_p50_ms", "latency_p99_ms", "events_per_s"} <= set(
            status.rates
        )
    finally:
        await close_all(pipeline, store)


async def test_registry_update_applies_to_later_events(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    try:
        first = await stored_one(pipeline, make_event("sensor.loose", "1", T0))
        snap = demo_registry()
        snap.entities["sensor.loose"] = snap.entities["sensor.kitchen_temp"].__class__(
            "sensor.loose", device_id="plug"
        )
        pipeline._registry.update(snap)
        second = await stored_one(pipeline, make_event("sensor.loose", "2", T0 + timedelta(seconds=1)))
        assert (first.area_id, first.device_id) == ("office", None)
        assert (second.area_id, second.device_id) == ("office", "plug")
    finally:
        await close_all(pipeline, store)


def test_registry_cache_resolution_is_cached_and_invalidated() -> None:
    cache = RegistryCache(demo_registry())
    seen = []
    cache.add_listener(seen.append)
    assert cache.resolve("sensor.child_power").area_id == "kitchen"
    snap = demo_registry()
    snap.devices["hub"] = snap.devices["hub"].__class__("hub", "Hub", area_id="office")
    cache.update(snap)
    assert cache.resolve("sensor.child_power").area_id == "office" and seen == [snap]
    assert datetime_to_us(T0) == 1787209200 * 1_000_000 and iso(T0).endswith("+00:00")


async def test_stop_with_storage_gone_keeps_events_for_the_next_start(tmp_path: Path) -> None:
    config = StorageConfig(data_dir=str(tmp_path), flush_interval_ms=60_000)
    pipeline, store, _ = await make_pipeline(tmp_path, config=config)
    await store.close()  # storage disappears under the pipeline
    for i in range(10):
        pipeline.submit(make_event("sensor.kitchen_temp", str(i), T0 + timedelta(seconds=i)))
    await pipeline.stop()  # retries, then keeps the rows in the spill file
    assert pipeline.stats.write_errors >= 1 and pipeline.stats.stored == 0
    # A torn last line (crash mid-append) is cut, not joined to the next row.
    with (tmp_path / "pipeline-spill.jsonl").open("ab") as fh:
        fh.write(b'["sensor.kitchen_temp", 17')
    pipeline, store, _ = await make_pipeline(tmp_path, config=config)
    try:
        await pipeline.flush()
        assert pipeline.stats.stored == 10
    finally:
        await close_all(pipeline, store)
