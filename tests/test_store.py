"""EventStore: metadata sync, outbox, quarantine, meta, queries and paging (real SQLite)."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.models import EventSource
from core.store import EventFilter, EventStore
from tests.test_pipeline_support import (
    T0,
    close_all,
    demo_registry,
    make_event,
    make_pipeline,
    open_store,
    ulid_at,
)

BENCH = Path(__file__).resolve().parents[1] / "bench"


async def test_registry_sync_soft_delete_and_restore(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    try:
        snap = demo_registry()
        await store.sync_registry(snap)
        q = store.queries
        assert [f.floor_id for f in await q.floors()] == ["ground", "first"]
        kitchen = next(a for a in await q.areas() if a.area_id == "kitchen")
        assert kitchen.floor_id == "ground" and kitchen.labels == ("food",) and kitchen.entity_count == 2
        child = next(d for d in await q.devices() if d.id == "child")
        assert (child.area_id, child.floor_id, child.parent_device_id) == ("kitchen", "ground", "hub")
        plug = next(d for d in await q.devices() if d.id == "plug")
        assert plug.entity_count == 2
        assert [e.entity_id for e in await q.entities(floor_id="first")] == ["light.office", "sensor.loose"]
        assert [lb.label_id for lb in await q.labels()] == ["food"]

        del snap.devices["plug"]
        del snap.entities["switch.plug"]
        await store.sync_registry(snap)
        assert "plug" not in {d.id for d in await q.devices()}
        gone = [d for d in await q.devices(include_removed=True) if d.id == "plug"]
        assert gone and gone[0].removed_at is not None
        assert [e.entity_id for e in await q.entities(domain="switch", include_removed=True)] == [
            "switch.plug"
        ]
        assert await q.entities(domain="switch") == []

        await store.sync_registry(demo_registry())  # it came back
        back = [d for d in await q.devices() if d.id == "plug"]
        assert back and back[0].removed_at is None
        assert [d.id for d in await q.devices(search="acme")] == ["hub"]
    finally:
        await store.close()


async def test_registry_update_schedules_metadata_sync(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    try:
        snap = demo_registry()
        snap.floors.pop("first")
        pipeline._registry.update(snap)
        await pipeline.flush()
        await store.set_meta("barrier", "1")  # runs after the queued sync (one ordered writer)
        floors = await store.queries.floors(include_removed=True)
        assert {(f.floor_id, f.removed_at is not None) for f in floors} == {
            ("ground", False),
            ("first", True),
        }
    finally:
        await close_all(pipeline, store)


async def test_outbox_filled_in_the_same_transaction_and_acked(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path, outbox_enabled=True)
    try:
        for i in range(5):
            pipeline.submit(make_event("sensor.kitchen_temp", str(i), T0 + timedelta(seconds=i)))
        pipeline.submit(make_event("sensor.kitchen_temp", "0", T0))  # duplicate: not queued twice
        await pipeline.flush()
        depth, oldest = await store.outbox_stats()
        assert depth == 5 and oldest == T0
        batch = await store.read_outbox_batch(3)
        assert [ev.state for _, ev in batch] == ["0", "1", "2"]
        assert await store.ack_outbox([i for i, _ in batch]) == 3
        assert (await store.outbox_stats())[0] == 2

        await store.set_outbox_enabled(False)
        pipeline.submit(make_event("sensor.kitchen_temp", "9", T0 + timedelta(seconds=9)))
        await pipeline.flush()
        assert (await store.outbox_stats())[0] == 2
        rest = [i for i, _ in await store.read_outbox_batch(10)]
        assert await store.quarantine(rest[:1], "400: bad field type") == 1
        assert await store.drop_oldest_outbox(10) == 1
        assert await store.outbox_stats() == (0, None)
        entries = await store.list_quarantine(10)
        assert [(e.event_id, e.error) for e in entries] == [(rest[0], "400: bad field type")]
    finally:
        await close_all(pipeline, store)


async def test_meta_key_value(tmp_path: Path) -> None:
    store = await open_store(tmp_path)
    try:
        assert await store.get_meta("influx.last_error") is None
        await store.set_meta("influx.last_error", "timeout")
        assert await store.get_meta("influx.last_error") == "timeout"
        await store.set_meta("influx.last_error", None)
        assert await store.get_meta("influx.last_error") is None
        count = await store.queries.run_read(lambda c: c.execute("SELECT count(*) FROM meta").fetchone()[0])
        assert count >= 1  # the rollup watermark
        status = store.status()
        assert status.name == "sqlite" and status.state == "running" and status.counters["size_bytes"] > 0
    finally:
        await store.close()
    assert store.status().state == "stopped"


async def test_event_queries_filters_and_cursor_paging(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    entities = ["sensor.kitchen_temp", "switch.plug", "light.office", "sensor.child_power"]
    try:
        for i in range(100):
            pipeline.submit(make_event(entities[i % 4], str(i), T0 + timedelta(seconds=i // 2)))  # time ties
        await pipeline.flush()
        q = store.queries
        seen, cursor, pages = [], None, 0
        while True:
            page = await q.events(T0, T0 + timedelta(hours=1), limit=7, cursor=cursor)
            seen += [s.id for s in page.events]
            pages += 1
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert len(seen) == 100 and len(set(seen)) == 100 and pages == 15
        times = [(await q.event_by_id(i)).event.time_fired for i in seen]  # type: ignore[union-attr]
        assert times == sorted(times, reverse=True)

        asc = await q.events(filter=EventFilter(domain="sensor"), limit=1000, ascending=True)
        assert len(asc.events) == 50 and asc.next_cursor is None
        assert {s.event.domain for s in asc.events} == {"sensor"}
        kitchen = await q.events(filter=EventFilter(area_id="kitchen"), limit=1000)
        assert {s.event.entity_id for s in kitchen.events} == {"sensor.kitchen_temp", "sensor.child_power"}
        assert len((await q.events(filter=EventFilter(floor_id="first"), limit=1000)).events) == 25
        assert len((await q.events(filter=EventFilter(device_id="plug"), limit=1000)).events) == 50
        assert (await q.events(filter=EventFilter(source=EventSource.BACKFILL))).events == []
        assert (await q.events(filter=EventFilter(entity_id="sensor.nope"))).events == []
        one = await q.events(
            filter=EventFilter(entity_id="switch.plug", event_type="state_changed"), limit=10
        )
        assert len(one.events) == 10 and one.next_cursor is not None
        last = await q.last_events("switch.plug", 3)
        assert [s.event.state for s in last] == ["97", "93", "89"]
        assert await q.last_time_fired() == T0 + timedelta(seconds=49)
    finally:
        await close_all(pipeline, store)


async def test_context_lookups(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    try:
        trigger = ulid_at(T0)
        run = ulid_at(T0 + timedelta(seconds=1))
        pipeline.submit(make_event("switch.plug", "on", T0, context_id=trigger))
        pipeline.submit(
            make_event("light.office", "on", T0 + timedelta(seconds=2), context_id=run, parent_id=trigger)
        )
        pipeline.submit(
            make_event("light.office", "off", T0 + timedelta(hours=2), context_id=run, parent_id=trigger)
        )
        legacy = "0123456789abcdef0123456789abcdef"  # pre-2023 uuid ids are kept as text
        pipeline.submit(make_event("sensor.loose", "1", T0 + timedelta(seconds=3), context_id=legacy))
        await pipeline.flush()
        q = store.queries
        assert [s.event.entity_id for s in await q.events_by_context(trigger)] == ["switch.plug"]
        caused = await q.events_by_context(run)
        assert [s.event.state for s in caused] == ["on", "off"] and caused[
            0
        ].event.context_parent_id == trigger
        assert len(await q.events_by_parent_context(trigger)) == 2
        assert [s.event.context_id for s in await q.events_by_context(legacy)] == [legacy]
    finally:
        await close_all(pipeline, store)


async def test_dashboard_counts_buckets_totals(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    try:
        start = T0 - timedelta(minutes=7)  # not aligned: raw edges + rollups in between
        for i in range(400):
            entity = ["sensor.kitchen_temp", "switch.plug", "light.office", "sensor.loose"][i % 4]
            pipeline.submit(make_event(entity, str(i % 5), start + timedelta(seconds=i * 20)))
        await pipeline.flush()
        q = store.queries
        end = start + timedelta(seconds=400 * 20)
        domains = {c.key: c.count for c in await q.counts_by_domain(start, end)}
        assert domains == {"sensor": 200, "switch": 100, "light": 100}
        areas = {c.key: c.count for c in await q.counts_by_area(start, end)}
        assert areas == {"kitchen": 100, "garden": 100, "office": 200}
        window = (start + timedelta(seconds=130), start + timedelta(seconds=6000))
        raw = (await q.events(*window, limit=10_000)).events
        assert await q.count_events(*window) == len(raw)
        assert await q.active_entities(*window) == 4
        buckets = await q.event_buckets(T0, T0 + timedelta(hours=1), 300, entity_id="sensor.kitchen_temp")
        kitchen = await q.events(
            T0, T0 + timedelta(hours=1), EventFilter(entity_id="sensor.kitchen_temp"), limit=999
        )
        assert len(buckets) == 12 and sum(b.count for b in buckets) == len(kitchen.events) > 0
        assert buckets[0].start == T0 and buckets[0].mean is not None
        hourly = await q.event_buckets(start, end, 3600)
        assert sum(b.count for b in hourly) == 400
        assert await q.totals_today(now=end) == await q.count_events(
            end.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(),
            end + timedelta(microseconds=1),
        )
        assert await q.store_size_bytes() > 0
    finally:
        await close_all(pipeline, store)


async def test_bytes_per_event_for_the_demo_mix(tmp_path: Path) -> None:
    """The demo-home mix stays small on disk (indexes and rollups included): see bench/store_micro.py."""
    sys.path.insert(0, str(BENCH))
    import store_micro

    result = await store_micro.run(argparse.Namespace(n=20_000, rate=20.0, batch=500), tmp_path)
    per_event = result["db_bytes"] / result["stored"]
    print(f"bytes/event: {per_event:.1f}")
    assert result["stored"] == 20_000 and per_event <= 160


async def test_a_failing_retention_shows_on_the_store_not_only_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def disk_error(self: EventStore, now: Any = None) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(EventStore, "run_retention", disk_error)
    store = await EventStore.open(tmp_path)  # retention runs once at start, then daily
    try:
        for _ in range(100):
            if store.status().state == "degraded":
                break
            await asyncio.sleep(0.02)
        status = store.status()
        assert (
            status.state == "degraded"
            and status.last_error == "retention failed: OperationalError: disk I/O error"
        )
    finally:
        await store.close()
