"""Rollups agree with a direct aggregation over the raw rows; retention deletes in chunks."""

from __future__ import annotations

import math
import random
import sqlite3
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.config import StorageConfig
from core.models import EventSource
from core.store.store import DB_FILENAME
from tests.test_pipeline_support import T0, close_all, demo_registry, iso, make_event, make_pipeline

STATES = ["1.5", "2", "-7.25", "on", "unavailable", "nan", "3e2", "unknown"]


def direct_aggregation(db: Path, size: int) -> dict[tuple[int, int, int], tuple[Any, ...]]:
    """What the rollups should hold, computed from the raw events only."""
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT entity_key, enrich_key, time_us, state, old_state, duration_ms FROM events"
    ).fetchall()
    conn.close()
    agg: dict[tuple[int, int, int], list[Any]] = defaultdict(lambda: [0, 0, 0.0, None, None, 0, None, 0, 0])
    for ek, nk, t, state, old, dur in rows:
        s = t // 1_000_000
        a = agg[(s - s % size, ek, nk)]
        a[0] += 1
        try:
            v: float | None = float(state) if state else None
        except ValueError:
            v = None
        if v is not None and math.isfinite(v):
            a[1] += 1
            a[2] += v
            a[3] = v if a[3] is None else min(a[3], v)
            a[4] = v if a[4] is None else max(a[4], v)
        if t > a[5]:
            a[5], a[6] = t, state
        a[7] += state != old
        if old == "unavailable" and dur:
            end = t // 1000
            begin = end - dur
            b = begin - begin % (size * 1000)
            while b < end:
                agg[(b // 1000, ek, nk)][8] += min(end, b + size * 1000) - max(begin, b)
                b += size * 1000
    return {k: (a[0], a[1], round(a[2], 6), a[3], a[4], a[5], a[6], a[7], a[8]) for k, a in agg.items()}


def stored_rollups(db: Path, table: str) -> dict[tuple[int, int, int], tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    rows = conn.execute(
        f"SELECT bucket, entity_key, enrich_key, n, n_num, sum, min, max, last_us, last_state, changes, "
        f"unavail_ms FROM {table}"
    ).fetchall()
    conn.close()
    return {(r[0], r[1], r[2]): (r[3], r[4], round(r[5], 6), *r[6:]) for r in rows}


async def test_rollups_match_raw_aggregation(tmp_path: Path) -> None:
    config = StorageConfig(data_dir=str(tmp_path), batch_size=37)
    pipeline, store, _ = await make_pipeline(tmp_path, config=config)
    rng = random.Random(7)
    entities = ["sensor.kitchen_temp", "switch.plug", "light.office", "sensor.loose"]
    last: dict[str, tuple[str, Any]] = {}
    try:
        t = T0
        for i in range(3000):
            t += timedelta(seconds=rng.uniform(0.5, 12))
            entity = rng.choice(entities)
            state = rng.choice(STATES)
            old, old_changed = last.get(entity, ("0", t - timedelta(seconds=5)))
            changed = t if state != old else old_changed
            pipeline.submit(
                make_event(entity, state, t, old_state=old, old_changed=old_changed, last_changed=changed)
            )
            last[entity] = (state, changed)
            if i == 1500:  # the registry changes: later events get another enrichment key
                snap = demo_registry()
                snap.entities["sensor.loose"] = snap.entities["switch.plug"].__class__(
                    "sensor.loose", area_id="garden"
                )
                pipeline._registry.update(snap)
            if i % 400 == 0:  # back-fill rows out of order, some of them duplicates
                pipeline.submit_history_row(entity, {"s": "4", "lu": (t - timedelta(hours=1)).timestamp()})
                pipeline.submit(make_event(entity, state, t, old_state=old, old_changed=old_changed))
        snapshot_row = {
            "entity_id": "sensor.loose",
            "state": "5",
            "last_updated": iso(T0 + timedelta(minutes=3)),
        }
        pipeline.submit_state(snapshot_row, EventSource.SNAPSHOT)
        await pipeline.flush()
        assert pipeline.stats.duplicates >= 8
    finally:
        await close_all(pipeline, store)
    db = tmp_path / DB_FILENAME
    for size, table in ((300, "rollup_5m"), (3600, "rollup_1h")):
        expected, actual = direct_aggregation(db, size), stored_rollups(db, table)
        assert actual.keys() == expected.keys()
        for key, row in expected.items():
            assert actual[key][:2] == row[:2] and actual[key][3:] == row[3:], (table, key)
            assert math.isclose(actual[key][2], row[2], rel_tol=1e-9, abs_tol=1e-6)
    assert any(row[8] for row in stored_rollups(db, "rollup_5m").values())  # unavailable time was seen


async def test_retention_deletes_in_chunks(tmp_path: Path) -> None:
    config = StorageConfig(data_dir=str(tmp_path), batch_size=1000, retention_days=30, rollup_5m_days=90)
    pipeline, store, _ = await make_pipeline(tmp_path, config=config, outbox_enabled=True)
    now = T0
    try:
        old_start = now - timedelta(days=100)
        for i in range(6000):  # 100 .. 96 days ago, one attribute set per event (all unused later)
            pipeline.submit(make_event("sensor.kitchen_temp", str(i), old_start + timedelta(minutes=i),
                                       attributes={"n": i}))  # fmt: skip
        for i in range(100):  # recent
            pipeline.submit(make_event("sensor.kitchen_temp", str(i), now - timedelta(minutes=i)))
        await pipeline.flush()
        result = await store.run_retention(now=now)
        assert result.events == 6000 and result.steps >= 4  # several chunks, not one big delete
        assert result.rollup_5m > 0 and result.rollup_1h == 0  # 1-hour rollups are kept two years
        assert result.attributes == 6000
        remaining = await store.queries.last_events("sensor.kitchen_temp", 10_000)
        assert len(remaining) == 100
        assert (await store.outbox_stats())[0] == 100
        hourly = await store.queries.event_buckets(old_start, old_start + timedelta(days=5), 3600)
        assert sum(b.count for b in hourly) == 6000
        again = await store.run_retention(now=now)
        assert again.events == 0 and again.rollup_5m == 0 and again.attributes == 0
        # A stored attribute set was purged from the writer's cache too: reusing it works.
        pipeline.submit(
            make_event("sensor.kitchen_temp", "x", now + timedelta(seconds=1), attributes={"n": 5})
        )
        await pipeline.flush()
        newest = await store.queries.last_events("sensor.kitchen_temp", 1)
        assert newest[0].event.attributes == {"n": 5}
    finally:
        await close_all(pipeline, store)
