"""Schema migrations: a v1 database written by hand opens with the current code, data intact."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from core.store.codec import datetime_to_us, ulid_to_bytes
from core.store.schema import MIGRATIONS, SCHEMA_VERSION
from core.store.store import DB_FILENAME
from tests.test_pipeline_support import T0, open_store, ulid_at


def build_v1(path: Path) -> str:
    """A v1 file as the first release wrote it: v1 schema (a frozen migration) + rows by hand."""
    conn = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO schema_version VALUES (1, 0)")
    conn.execute("INSERT INTO entity_ids (id, entity_id, domain) VALUES (1, 'sensor.t', 'sensor')")
    conn.execute("INSERT INTO event_types (id, event_type) VALUES (1, 'state_changed')")
    conn.execute("INSERT INTO state_attributes VALUES (1, 0, ?, 0)", (b'{"unit_of_measurement":"W"}',))
    conn.execute("INSERT INTO enrichments (id, area_id) VALUES (1, 'kitchen')")
    ctx = ulid_at(T0)
    rows = [
        (i, 1, datetime_to_us(T0 + timedelta(minutes=i)), str(10 * i), str(10 * (i - 1)), 1,
         ulid_to_bytes(ctx) if i == 1 else None, None, None, 0, 0, 1, 60_000, 1)
        for i in range(1, 8)
    ]  # fmt: skip
    conn.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.execute("INSERT INTO meta VALUES ('influx.cursor', '42')")
    conn.close()
    return ctx


async def test_v1_database_is_migrated_and_data_survives(tmp_path: Path) -> None:
    ctx = build_v1(tmp_path / DB_FILENAME)
    store = await open_store(tmp_path)
    try:
        assert store.migrated_from == 1 and SCHEMA_VERSION == 2
        q = store.queries
        events = await q.last_events("sensor.t", 100)
        assert [s.event.state for s in events] == [str(10 * i) for i in range(7, 0, -1)]
        first = events[-1].event
        assert first.unit == "W" and first.value == 10.0 and first.area_id == "kitchen"
        assert first.context_id == ctx and first.duration_in_state == 60.0
        assert await store.get_meta("influx.cursor") == "42"
        # v2 added the rollups and filled them from the v1 events.
        buckets = await q.event_buckets(T0, T0 + timedelta(minutes=10), 300, entity_id="sensor.t")
        assert [b.count for b in buckets] == [4, 3]
        assert buckets[0].min == 10.0 and buckets[0].max == 40.0 and buckets[1].mean == 60.0
    finally:
        await store.close()
    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY 1")] == [1, 2]
    conn.close()


async def test_newer_database_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        await open_store(tmp_path)
