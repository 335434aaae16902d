"""Schema and migrations of the SQLite store.

`PRAGMA user_version` is the schema version; `schema_version` keeps a row per applied migration.
MIGRATIONS[i] takes a database from version i to i + 1, inside one transaction, so a failed
migration leaves the file at the previous version. Never edit a released migration: add one.

Layout (v2), and why:
* events: one row per stored state change. Text that repeats is replaced by small integer keys
  (entity_ids, state_attributes, context_users, event_types, enrichments), like HA's recorder
  (states_meta / state_attributes). Context ids are 16-byte ULIDs (text for pre-2023 uuids).
  origin and source are 0/1/2, which SQLite keeps in the record header at zero bytes.
  value/unit/device_class/friendly_name are derived on read from state and attributes.
* UNIQUE(entity_key, time_us) serves "last N of an entity" and is the exactly-once guard:
  a snapshot or back-fill row for an already stored (entity, last_updated) is ignored.
* (time_us) serves time ranges and retention; a partial index finds children of a context.
  Lookups by context id use the ULID's embedded milliseconds to bound a time_us range.
* rollup_5m / rollup_1h (v2): per (bucket, entity, enrichment) aggregates maintained
  incrementally by the writer (rollup_state.py), so dashboards never scan raw rows.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from core.store.rollups import rebuild_rollups

Migration = Callable[[sqlite3.Connection], None]

_V1 = """
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE entity_ids (id INTEGER PRIMARY KEY, entity_id TEXT NOT NULL UNIQUE, domain TEXT NOT NULL);
CREATE TABLE state_attributes (
    id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, shared_attrs BLOB NOT NULL,
    last_used_us INTEGER NOT NULL
);
CREATE INDEX ix_state_attributes_hash ON state_attributes (hash);
CREATE TABLE context_users (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL UNIQUE);
CREATE TABLE event_types (id INTEGER PRIMARY KEY, event_type TEXT NOT NULL UNIQUE);
CREATE TABLE enrichments (
    id INTEGER PRIMARY KEY, device_id TEXT, area_id TEXT, floor_id TEXT,
    manufacturer TEXT, model TEXT, sw_version TEXT
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    entity_key INTEGER NOT NULL,
    time_us INTEGER NOT NULL,
    state TEXT,
    old_state TEXT,
    attrs_key INTEGER,
    ctx,
    ctx_parent,
    user_key INTEGER,
    origin,
    source INTEGER NOT NULL,
    event_type INTEGER NOT NULL,
    duration_ms INTEGER,
    enrich_key INTEGER NOT NULL
);
CREATE UNIQUE INDEX ux_events_entity_time ON events (entity_key, time_us);
CREATE INDEX ix_events_time ON events (time_us);
CREATE INDEX ix_events_ctx_parent ON events (ctx_parent) WHERE ctx_parent IS NOT NULL;
CREATE TABLE influx_outbox (event_id INTEGER PRIMARY KEY);
CREATE TABLE influx_quarantine (
    id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL, error TEXT NOT NULL, quarantined_at INTEGER NOT NULL
);
CREATE TABLE floors (
    floor_id TEXT PRIMARY KEY, name TEXT NOT NULL, level INTEGER, icon TEXT, aliases TEXT NOT NULL,
    removed_at INTEGER
) WITHOUT ROWID;
CREATE TABLE labels (
    label_id TEXT PRIMARY KEY, name TEXT NOT NULL, color TEXT, icon TEXT, description TEXT,
    removed_at INTEGER
) WITHOUT ROWID;
CREATE TABLE areas (
    area_id TEXT PRIMARY KEY, name TEXT NOT NULL, floor_id TEXT, icon TEXT, labels TEXT NOT NULL,
    aliases TEXT NOT NULL, removed_at INTEGER
) WITHOUT ROWID;
CREATE TABLE devices (
    id TEXT PRIMARY KEY, name TEXT, name_by_user TEXT, manufacturer TEXT, model TEXT, model_id TEXT,
    sw_version TEXT, hw_version TEXT, serial_number TEXT, area_id TEXT, via_device_id TEXT,
    parent_device_id TEXT, config_entry_id TEXT, entry_type TEXT, disabled_by TEXT,
    configuration_url TEXT, labels TEXT NOT NULL, identifiers TEXT NOT NULL, created_at REAL,
    modified_at REAL, resolved_area_id TEXT, floor_id TEXT, removed_at INTEGER
) WITHOUT ROWID;
CREATE TABLE entities (
    entity_id TEXT PRIMARY KEY, domain TEXT NOT NULL, id TEXT, unique_id TEXT, platform TEXT,
    device_id TEXT, area_id TEXT, name TEXT, original_name TEXT, icon TEXT, entity_category TEXT,
    disabled_by TEXT, hidden_by TEXT, config_entry_id TEXT, has_entity_name INTEGER NOT NULL,
    labels TEXT NOT NULL, created_at REAL, modified_at REAL, resolved_area_id TEXT, floor_id TEXT,
    removed_at INTEGER
) WITHOUT ROWID;
CREATE INDEX ix_entities_device ON entities (device_id);
"""

_ROLLUP = """
CREATE TABLE {name} (
    bucket INTEGER NOT NULL,          -- bucket start, epoch seconds
    entity_key INTEGER NOT NULL,
    enrich_key INTEGER NOT NULL,
    n INTEGER NOT NULL,               -- events
    n_num INTEGER NOT NULL,           -- events with a numeric value
    sum REAL NOT NULL,                -- sum of numeric values (mean = sum / n_num)
    min REAL,
    max REAL,
    last_us INTEGER NOT NULL,         -- time of the last event in the bucket (0: none)
    last_state TEXT,
    changes INTEGER NOT NULL,         -- events with state != old_state
    unavail_ms INTEGER NOT NULL,      -- time spent 'unavailable' within the bucket
    PRIMARY KEY (bucket, entity_key, enrich_key)
) WITHOUT ROWID;
CREATE INDEX ix_{name}_entity ON {name} (entity_key, bucket);
"""


def _migrate_v1(conn: sqlite3.Connection) -> None:
    """Create the base schema: events, dedupe tables, metadata, outbox."""
    for statement in _V1.split(";"):
        if statement.strip():
            conn.execute(statement)


def _migrate_v2(conn: sqlite3.Connection) -> None:
    """Add the 5-minute and 1-hour rollups and fill them from the events already stored."""
    for name in ("rollup_5m", "rollup_1h"):
        for statement in _ROLLUP.format(name=name).split(";"):
            if statement.strip():
                conn.execute(statement)
    rebuild_rollups(conn)


MIGRATIONS: list[Migration] = [_migrate_v1, _migrate_v2]
SCHEMA_VERSION = len(MIGRATIONS)


def apply_pragmas(conn: sqlite3.Connection) -> None:
    """WAL + synchronous=NORMAL: a crash of the app loses nothing committed, commits don't fsync."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("PRAGMA busy_timeout=5000")
    # 16 MB: the writer's hot set is small (the right edge of each B-tree, one index leaf per entity);
    # the OS page cache serves the rest. A cap, not a reservation: it fills as the database grows.
    conn.execute("PRAGMA cache_size=-16000")
    conn.execute("PRAGMA journal_size_limit=67108864")  # WAL file shrinks back to 64 MB after a reset


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to SCHEMA_VERSION; return the version it was at before."""
    start = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if start > SCHEMA_VERSION:
        raise RuntimeError(f"database schema v{start} is newer than this program (v{SCHEMA_VERSION})")
    for version in range(start, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute(
                "INSERT OR REPLACE INTO schema_version (version, applied_at) VALUES (?, ?)",
                (version + 1, int(time.time())),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return start
