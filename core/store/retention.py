"""Retention: raw events, 5-minute and 1-hour rollups, unused attribute sets, old quarantine.

Each step is one small writer command, sized so it holds the writer for about STEP_TARGET_S
(never more than ~50 ms): event batches queued meanwhile run between two steps.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

from core.store.keys import HOUR_US, KeyCaches
from core.store.writer import transaction

STEP_TARGET_S = 0.025
MIN_CHUNK, MAX_CHUNK = 100, 20_000
ATTR_ID_SPAN = 5_000
ATTR_MARGIN_US = 2 * HOUR_US  # last_used_us may lag the true last use by up to an hour

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class RetentionResult:
    events: int = 0
    rollup_5m: int = 0
    rollup_1h: int = 0
    attributes: int = 0
    quarantine: int = 0
    steps: int = 0
    max_step_ms: float = 0.0


class Chunker:
    """Adapts the chunk size so that one step takes about STEP_TARGET_S."""

    def __init__(self, size: int = 2_000) -> None:
        self.size = size

    def observe(self, elapsed_s: float, done: int) -> None:
        if done < self.size:
            return  # a short last chunk says nothing about speed
        scale = STEP_TARGET_S / max(elapsed_s, 1e-4)
        self.size = int(min(MAX_CHUNK, max(MIN_CHUNK, self.size * min(2.0, max(0.25, scale)))))


def delete_events(conn: sqlite3.Connection, cutoff_us: int, limit: int) -> int:
    """Delete up to `limit` events older than the cutoff (oldest first) and their outbox rows."""
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM events WHERE time_us < ? ORDER BY time_us LIMIT ?", (cutoff_us, limit)
        )
    ]
    if not ids:
        return 0
    lo, hi = min(ids), max(ids)
    with transaction(conn):
        conn.executemany("DELETE FROM events WHERE id = ?", [(i,) for i in ids])
        # Outbox rows of deleted events: they can no longer be sent. Never silently.
        unsent = conn.execute(
            "DELETE FROM influx_outbox WHERE event_id BETWEEN ? AND ? AND event_id NOT IN "
            "(SELECT id FROM events WHERE id BETWEEN ? AND ?)",
            (lo, hi, lo, hi),
        ).rowcount
    if unsent > 0:
        _LOGGER.error(
            "retention removed %d events that were still waiting for InfluxDB (outbox older than retention)",
            unsent,
        )
    return len(ids)


def delete_rollups(conn: sqlite3.Connection, table: str, cutoff_s: int, limit: int) -> int:
    """Delete about `limit` rows of the oldest buckets before the cutoff (whole buckets at a time)."""
    row = conn.execute(
        f"SELECT bucket FROM {table} WHERE bucket < ? ORDER BY bucket LIMIT 1 OFFSET ?", (cutoff_s, limit)
    ).fetchone()
    upto = cutoff_s if row is None else row[0]
    with transaction(conn):
        cur = conn.execute(f"DELETE FROM {table} WHERE bucket < ?", (upto,))
    return cur.rowcount


def delete_attributes(
    conn: sqlite3.Connection, caches: KeyCaches, cutoff_us: int, start_id: int
) -> tuple[int, int]:
    """Delete attribute sets unused since the cutoff in one id span; return (deleted, next id)."""
    end_id = start_id + ATTR_ID_SPAN
    with transaction(conn):
        cur = conn.execute(
            "DELETE FROM state_attributes WHERE id >= ? AND id < ? AND last_used_us < ?",
            (start_id, end_id, cutoff_us - ATTR_MARGIN_US),
        )
    if cur.rowcount:
        caches.attrs.clear()  # the cache may hold a deleted set; it refills from the table
    top = conn.execute("SELECT max(id) FROM state_attributes").fetchone()[0] or 0
    return cur.rowcount, (end_id if end_id <= top else -1)


def delete_quarantine(conn: sqlite3.Connection, cutoff_us: int) -> int:
    with transaction(conn):
        cur = conn.execute("DELETE FROM influx_quarantine WHERE quarantined_at < ?", (cutoff_us,))
    return cur.rowcount
