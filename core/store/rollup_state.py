"""When the writer folds its pending rollup deltas into the tables, and how it catches up.

Upserting the rollups costs about one row per distinct entity per batch, i.e. close to one
upsert per event at batch 500. So the writer accumulates deltas across batches and upserts them
at most every FLUSH_INTERVAL_S or FLUSH_ROWS events, in the transaction of the batch that
triggers it, together with the watermark `rollups.through_id` (meta): the rollups hold exactly
the events with id <= watermark. Ids grow in commit order, so after a crash the events with
id > watermark are exactly those missing, and `catch_up` folds them in at the next open.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable

from core.store.rollups import RollupBatch, RollupInput

FLUSH_INTERVAL_S = 1.0
FLUSH_ROWS = 20_000
WATERMARK_KEY = "rollups.through_id"
CATCH_UP_CHUNK = 50_000


class RollupState:
    """Pending rollup deltas of committed events; owned by the writer (one thread at a time)."""

    def __init__(self) -> None:
        self._pending = RollupBatch()
        self._rows = 0
        self._through_id = 0
        self._last_flush = time.monotonic()

    @property
    def pending_rows(self) -> int:
        return self._rows

    def add(self, items: Iterable[RollupInput], through_id: int) -> None:
        """Fold committed events (ids up to `through_id`) into the pending deltas."""
        self._rows += self._pending.add_many(items)
        self._through_id = max(self._through_id, through_id)

    def due(self) -> bool:
        return self._rows >= FLUSH_ROWS or (
            self._rows > 0 and time.monotonic() - self._last_flush >= FLUSH_INTERVAL_S
        )

    def flush(self, conn: sqlite3.Connection) -> None:
        """Upsert the deltas and move the watermark; call inside the caller's transaction."""
        self._pending.upsert(conn)
        if self._through_id:
            set_watermark(conn, self._through_id)
        self._rows = 0
        self._last_flush = time.monotonic()

    def discard(self) -> None:
        """Forget deltas whose transaction rolled back (catch_up will recompute if needed)."""
        self._pending = RollupBatch()
        self._rows = 0


def set_watermark(conn: sqlite3.Connection, event_id: int) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (WATERMARK_KEY, str(event_id)))


def catch_up(conn: sqlite3.Connection) -> int:
    """Fold events newer than the watermark into the rollups (after a crash); return how many."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (WATERMARK_KEY,)).fetchone()
    last_id = int(row[0]) if row else 0
    done = 0
    sql = (
        "SELECT id, entity_key, enrich_key, time_us, state, old_state, duration_ms FROM events "
        "WHERE id > ? ORDER BY id LIMIT ?"
    )
    while rows := conn.execute(sql, (last_id, CATCH_UP_CHUNK)).fetchall():
        conn.execute("BEGIN")
        batch = RollupBatch()
        batch.add_many(r[1:] for r in rows)
        batch.upsert(conn)
        last_id = rows[-1][0]
        set_watermark(conn, last_id)
        conn.execute("COMMIT")
        done += len(rows)
    return done
