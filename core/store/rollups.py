"""5-minute and 1-hour rollups, maintained incrementally by the writer.

Committed events are folded into per-(bucket, entity, enrichment) accumulators, which are
upserted by the writer (see rollup_state.py for when), so nothing is ever rescanned. The
1-hour rows are folded from the pending 5-minute accumulators: cheaper, and exactly consistent.

"Seconds unavailable" is attributed when an entity leaves 'unavailable': the event that has
old_state == 'unavailable' carries duration_in_state, and the interval
[time_fired - duration, time_fired] is spread over the buckets it overlaps (at most
MAX_UNAVAIL_BUCKETS 5-minute buckets, i.e. the last 90 days of a longer outage). A period that
is still open is not counted until it ends.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from core.store.codec import finite_float

BUCKET_5M = 300
BUCKET_1H = 3600
ROLLUP_TABLES = {BUCKET_5M: "rollup_5m", BUCKET_1H: "rollup_1h"}
MAX_UNAVAIL_BUCKETS = 90 * 288
UNAVAILABLE = "unavailable"

Key = tuple[int, int, int]  # (bucket start s, entity_key, enrich_key)


class Acc:
    """The running aggregate of one rollup row (mutated in place on the write path)."""

    __slots__ = ("changes", "last_state", "last_us", "max", "min", "n", "n_num", "sum", "unavail_ms")

    def __init__(self) -> None:
        self.n = 0
        self.n_num = 0
        self.sum = 0.0
        self.min: float | None = None
        self.max: float | None = None
        self.last_us = 0
        self.last_state: str | None = None
        self.changes = 0
        self.unavail_ms = 0

    def add_value(self, value: float) -> None:
        self.n_num += 1
        self.sum += value
        if self.min is None or value < self.min:
            self.min = value
        if self.max is None or value > self.max:
            self.max = value

    def merge(self, o: Acc) -> None:
        self.n += o.n
        self.n_num += o.n_num
        self.sum += o.sum
        self.changes += o.changes
        self.unavail_ms += o.unavail_ms
        if o.min is not None and (self.min is None or o.min < self.min):
            self.min = o.min
        if o.max is not None and (self.max is None or o.max > self.max):
            self.max = o.max
        if o.last_us > self.last_us:
            self.last_us, self.last_state = o.last_us, o.last_state

    def params(self) -> tuple[object, ...]:
        return (
            self.n, self.n_num, self.sum, self.min, self.max, self.last_us, self.last_state,
            self.changes, self.unavail_ms,
        )  # fmt: skip


# One rollup input per stored event: (entity_key, enrich_key, time_us, state, old_state, duration_ms).
RollupInput = tuple[int, int, int, str | None, str | None, int | None]

_UPSERT = """
INSERT INTO {t} (bucket, entity_key, enrich_key, n, n_num, sum, min, max, last_us, last_state,
                 changes, unavail_ms)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (bucket, entity_key, enrich_key) DO UPDATE SET
    n = n + excluded.n,
    n_num = n_num + excluded.n_num,
    sum = sum + excluded.sum,
    min = CASE WHEN min IS NULL OR excluded.min < min THEN excluded.min ELSE min END,
    max = CASE WHEN max IS NULL OR excluded.max > max THEN excluded.max ELSE max END,
    last_state = CASE WHEN excluded.last_us > last_us THEN excluded.last_state ELSE last_state END,
    last_us = max(last_us, excluded.last_us),
    changes = changes + excluded.changes,
    unavail_ms = unavail_ms + excluded.unavail_ms
"""


class RollupBatch:
    """Accumulates one batch of stored events, then upserts both rollup levels."""

    __slots__ = ("_acc",)

    def __init__(self) -> None:
        self._acc: dict[Key, Acc] = {}

    def add_many(self, items: Iterable[RollupInput]) -> int:
        """Fold events in; return how many."""
        acc = self._acc
        count = 0
        for entity_key, enrich_key, time_us, state, old_state, duration_ms in items:
            seconds = time_us // 1_000_000
            key = (seconds - seconds % BUCKET_5M, entity_key, enrich_key)
            a = acc.get(key)
            if a is None:
                a = acc[key] = Acc()
            a.n += 1
            value = finite_float(state)
            if value is not None:
                a.add_value(value)
            if time_us > a.last_us:
                a.last_us = time_us
                a.last_state = state
            if state != old_state:
                a.changes += 1
            if old_state == UNAVAILABLE and duration_ms:
                self._add_unavailable(entity_key, enrich_key, time_us, duration_ms)
            count += 1
        return count

    def _add_unavailable(self, entity_key: int, enrich_key: int, end_us: int, duration_ms: int) -> None:
        end_ms = end_us // 1000
        start_ms = max(end_ms - duration_ms, end_ms - MAX_UNAVAIL_BUCKETS * BUCKET_5M * 1000)
        width = BUCKET_5M * 1000
        bucket_ms = start_ms - start_ms % width
        while bucket_ms < end_ms:
            overlap = min(end_ms, bucket_ms + width) - max(start_ms, bucket_ms)
            key = (bucket_ms // 1000, entity_key, enrich_key)
            a = self._acc.get(key)
            if a is None:
                a = self._acc[key] = Acc()
            a.unavail_ms += overlap
            bucket_ms += width

    def upsert(self, conn: sqlite3.Connection) -> None:
        """Write the 5-minute rows and the 1-hour rows folded from them."""
        if not self._acc:
            return
        hourly: dict[Key, Acc] = {}
        for (bucket, entity_key, enrich_key), a in self._acc.items():
            key = (bucket - bucket % BUCKET_1H, entity_key, enrich_key)
            h = hourly.get(key)
            if h is None:
                h = hourly[key] = Acc()
            h.merge(a)
        for table, acc in (("rollup_5m", self._acc), ("rollup_1h", hourly)):
            conn.executemany(_UPSERT.format(t=table), [(*k, *a.params()) for k, a in acc.items()])
        self._acc = {}


def rebuild_rollups(conn: sqlite3.Connection, chunk: int = 50_000) -> None:
    """Fill the rollups from all stored events (the v2 migration), in id order by chunks."""
    last_id = 0
    sql = (
        "SELECT id, entity_key, enrich_key, time_us, state, old_state, duration_ms FROM events "
        "WHERE id > ? ORDER BY id LIMIT ?"
    )
    while rows := conn.execute(sql, (last_id, chunk)).fetchall():
        batch = RollupBatch()
        batch.add_many(r[1:] for r in rows)
        batch.upsert(conn)
        last_id = rows[-1][0]
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('rollups.through_id', ?)", (str(last_id),))
