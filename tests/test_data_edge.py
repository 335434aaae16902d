"""Nothing poisons storage: edge checks (times, HA's length limits, NUL), quarantine of rows the
store cannot write, FAILED when storage stops, and read paths that survive a bad row in a store."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from core.config import StorageConfig
from core.engine import EngineState
from core.health import Health, derive_health
from core.models import EventSource
from core.pipeline.enrich import RowBuilder
from core.pipeline.pipeline import QUARANTINE_FILENAME
from core.pipeline.registry import RegistryCache
from core.pipeline.spec import SPEC as PIPELINE_SPEC
from core.pipeline.spill import SpillFile
from core.pipeline.validate import epoch_us_of
from core.store.codec import parse_time_us
from core.store.export import export_events
from core.store.store import DB_FILENAME
from tests.api_live import start_live
from tests.test_pipeline import until
from tests.test_pipeline_support import T0, close_all, demo_registry, make_event, make_pipeline

FAR_FUTURE = "9999-12-31T23:59:59-14:00"
FAR_PAST = "0001-01-01T00:00:00+14:00"


def test_history_floats_convert_exactly_as_ha_does() -> None:
    # HA writes the event's ISO time with datetime.fromtimestamp(ts, UTC): ...462193, not ...462194.
    ts = 1796165478.4621935
    assert epoch_us_of(ts, "lu") == parse_time_us("2026-12-01T22:51:18.462193+00:00")
    assert round(ts * 1_000_000) % 1_000_000 == 462194  # the conversion that doubled events


async def test_times_outside_the_sane_window_are_rejected_at_the_edge(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    try:
        for fired in (FAR_FUTURE, FAR_PAST, "9999-12-31T23:59:59Z", "1969-12-31T23:59:59+00:00"):
            event = make_event("sensor.a", "1", T0)
            event["time_fired"] = fired
            pipeline.submit(event)
        bad_changed = make_event("sensor.a", "1", T0)
        bad_changed["data"]["new_state"]["last_changed"] = FAR_FUTURE
        pipeline.submit(bad_changed)
        for lu in (1e13, -1.0, float("nan"), float("inf")):
            pipeline.submit_history_row("sensor.a", {"s": "1", "lu": lu})
        pipeline.submit_history_row("sensor.a", {"s": "1", "lu": T0.timestamp(), "lc": 1e13})
        pipeline.submit(make_event("sensor.a", "ok", T0))
        await pipeline.flush()
        assert pipeline.stats.rejected_by_reason == {"time_out_of_range": 10}
        assert pipeline.stats.stored == 1 and pipeline.stats.write_errors == 0
        assert pipeline.status().counters["rejected_time_out_of_range"] == 10
        assert await store.queries.last_time_fired() == T0
    finally:
        await close_all(pipeline, store)


async def test_ha_length_limits_and_nul_are_rejected_with_named_reasons(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    try:
        pipeline.submit(make_event("sensor." + "x" * 300, "1", T0))
        pipeline.submit(make_event("sensor.a", "y" * 256, T0))
        pipeline.submit(make_event("sensor.a", "1", T0, old_state="z" * 5_000_000))
        pipeline.submit(make_event("sensor.a\x00b", "1", T0))
        pipeline.submit(make_event("sensor.a", "o\x00n", T0))
        pipeline.submit_history_row("sensor.a", {"s": "y" * 256, "lu": T0.timestamp()})
        pipeline.submit(make_event("sensor." + "x" * 248, "y" * 255, T0))  # exactly at the limits
        await pipeline.flush()
        assert pipeline.stats.rejected_by_reason == {
            "entity_id_too_long": 1,
            "state_too_long": 3,
            "nul_character": 2,
        }
        assert pipeline.stats.stored == 1
    finally:
        await close_all(pipeline, store)


async def test_a_row_the_store_cannot_write_is_quarantined_and_never_blocks_startup(tmp_path: Path) -> None:
    # The poison: a history row with lu = 1e13 s (1e19 µs) left in the spill file by an
    # earlier run, in the middle of good rows. It must not stop the start or the other rows.
    config = StorageConfig(data_dir=str(tmp_path), batch_size=50)
    builder = RowBuilder(RegistryCache(demo_registry()), config.max_attributes_bytes)
    raws = [make_event("sensor.kitchen_temp", str(i), T0 + timedelta(seconds=i)) for i in range(20)]
    rows = [builder.from_event(raw, EventSource.LIVE) for raw in raws]
    rows.insert(7, rows[7]._replace(time_us=10**19, state="poison"))
    spill = SpillFile(tmp_path / "pipeline-spill.jsonl")
    spill.open()
    spill.append(rows)
    spill.close()

    pipeline, store, _ = await make_pipeline(tmp_path, config=config)
    try:
        await pipeline.flush()
        assert pipeline.stats.stored == 20 and pipeline.stats.quarantined == 1
        status = pipeline.status()
        assert status.state == EngineState.RUNNING and status.counters["quarantined"] == 1
        assert QUARANTINE_FILENAME in status.detail
        kept = [json.loads(line) for line in (tmp_path / QUARANTINE_FILENAME).read_text().splitlines()]
        assert [(k["row"][1], k["row"][2]) for k in kept] == [(10**19, "poison")]
        assert "too large" in kept[0]["error"]
        assert (tmp_path / QUARANTINE_FILENAME).stat().st_mode & 0o077 == 0
    finally:
        await close_all(pipeline, store)
    pipeline, store, _ = await make_pipeline(tmp_path, config=config)  # nothing left to replay
    try:
        await pipeline.flush()
        assert pipeline.stats.stored == 0 and pipeline.stats.quarantined == 1  # still visible
    finally:
        await close_all(pipeline, store)


async def test_pipeline_fails_when_events_arrive_but_are_not_stored(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    pipeline.failed_after_s = 0.0  # the default waits 15 s of failed writes
    try:
        await store.close()  # storage disappears under the pipeline
        pipeline.submit(make_event("sensor.kitchen_temp", "1", T0))
        await until(lambda: pipeline.stats.write_errors >= 1)
        status = pipeline.status()
        assert status.state == EngineState.FAILED and "1 events not stored" in status.detail
        assert derive_health([status], [PIPELINE_SPEC]).status == Health.UNHEALTHY
    finally:
        pipeline.failed_after_s = 1e9
        await pipeline.stop()


def _insert_bad_rows(db: Path) -> None:
    """Rows as an older version stored them, written with plain sqlite3 beside the app."""
    conn = sqlite3.connect(db, timeout=10)
    try:
        for i, text in enumerate((FAR_FUTURE, FAR_PAST, "9999-12-31T23:59:59+00:00")):
            conn.execute(
                "INSERT INTO events (id, entity_key, time_us, state, old_state, attrs_key, source, "
                "event_type, enrich_key) SELECT ?, entity_key, ?, 'bad', NULL, attrs_key, 0, event_type, "
                "enrich_key FROM events WHERE id = (SELECT min(id) FROM events)",
                (10**12 + i, parse_time_us(text)),
            )
        conn.commit()
    finally:
        conn.close()


async def test_read_paths_survive_a_bad_row_already_in_the_store(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    try:
        for i in range(5):
            pipeline.submit(make_event("sensor.kitchen_temp", str(i), T0 + timedelta(seconds=i)))
        await pipeline.flush()
        _insert_bad_rows(tmp_path / DB_FILENAME)
        # The back-fill start: the newest real event, not year 9999.
        assert await store.queries.last_time_fired() == T0 + timedelta(seconds=4)
        newest = await store.queries.last_events("sensor.kitchen_temp", 10)
        assert len(newest) == 8 and newest[0].event.time_fired.year == 9999
        page = await store.queries.events(limit=100)
        assert len(page.events) == 8
    finally:
        await close_all(pipeline, store)
    out = io.StringIO()
    assert await export_events(tmp_path, out, None, None, None) == 8
    assert len(out.getvalue().splitlines()) == 8


def test_api_and_the_export_command_survive_a_bad_row(tmp_path: Path) -> None:
    live = start_live(tmp_path, rate=50.0)
    try:
        live.wait_stored(100)
        simulator = live.runtime.simulator
        assert simulator is not None
        live.call_soon(simulator.pause)
        live.flush()
        db = tmp_path / "data" / DB_FILENAME
        _insert_bad_rows(db)
        with sqlite3.connect(db) as conn:
            (entity_id,) = conn.execute(
                "SELECT m.entity_id FROM events e JOIN entity_ids m ON m.id = e.entity_key WHERE e.id = ?",
                (10**12,),
            ).fetchone()
        page = live.get("/api/v1/events", limit=5)
        assert page.status_code == 200, page.text
        assert page.json()["events"][0]["time_fired"].startswith("9999-12-31T23:59:59.999999")
        entity = live.get(f"/api/entities/{entity_id}")
        assert entity.status_code == 200, entity.text
        assert entity.json()["last_event"]["state"] == "bad"
    finally:
        live.stop()
    done = subprocess.run(
        [sys.executable, "main.py", "export", "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) > 100 and sum('"state":"bad"' in line for line in lines) == 3


async def test_a_writer_task_ended_by_a_bug_makes_the_pipeline_failed(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)

    def bug(*_: object) -> None:
        raise RuntimeError("a bug after the commit")

    try:
        pipeline._committed = bug  # type: ignore[method-assign,assignment]
        pipeline.submit(make_event("sensor.kitchen_temp", "1", T0))
        await until(lambda: any(t.done() for t in pipeline._tasks))
        status = pipeline.status()
        assert status.state == EngineState.FAILED and "pipeline-writer stopped" in status.detail
    finally:
        for task in pipeline._tasks:
            task.cancel()
        pipeline._tasks = []
        await store.close()


async def test_a_backfilled_copy_1_us_off_the_live_event_is_the_same_event(tmp_path: Path) -> None:
    # Whatever converts a history float, the store must not keep one change twice: the same entity
    # and state within 2 µs is the same event (back-fill and snapshot rows; live rows come first).
    pipeline, store, _ = await make_pipeline(tmp_path)
    t0_us = parse_time_us(T0.isoformat())
    try:
        pipeline.submit(make_event("sensor.kitchen_temp", "21.5", T0))
        await pipeline.flush()
        for dt_us in (1, -2):  # a committed live row, then the back-filled copy
            lu = (t0_us + dt_us) / 1e6
            pipeline.submit_history_row("sensor.kitchen_temp", {"s": "21.5", "lu": lu})
        await pipeline.flush()
        # The same within one batch: live and back-fill copies committed together.
        t1 = T0 + timedelta(seconds=5)
        pipeline.submit(make_event("sensor.kitchen_temp", "22", t1))
        pipeline.submit_history_row("sensor.kitchen_temp", {"s": "22", "lu": (t0_us + 5_000_001) / 1e6})
        # A different state 1 µs away, or the same state 3 µs away, is another event.
        pipeline.submit_history_row("sensor.kitchen_temp", {"s": "23", "lu": (t0_us + 5_000_002) / 1e6})
        pipeline.submit_history_row("sensor.kitchen_temp", {"s": "22", "lu": (t0_us + 5_000_005) / 1e6})
        await pipeline.flush()
        events = await store.queries.last_events("sensor.kitchen_temp")
        stored = [(e.event.state, e.event.source) for e in events]
        assert stored == [("22", "backfill"), ("23", "backfill"), ("22", "live"), ("21.5", "live")]
        assert pipeline.stats.duplicates == 3
    finally:
        await close_all(pipeline, store)
