"""Dashboard reads: counts, buckets, totals. Served from the rollups; only partial edges are raw.

A window [start, end) is split into whole hours (rollup_1h), whole 5-minute buckets at the
edges (rollup_5m) and the sub-5-minute remainders (raw events through the time index), so a
24-hour count reads ~24 + 24 rollup rows per entity and at most 10 minutes of raw rows.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from core.store.codec import us_to_datetime
from core.store.query_types import BucketStat, CountRow
from core.store.rollups import BUCKET_1H, BUCKET_5M, ROLLUP_TABLES
from core.store.sql_filters import add_filters, rollup_filters

US = 1_000_000
Span = tuple[int, int]  # [a, b)


def split_window(start_us: int, end_us: int) -> tuple[list[Span], list[Span], list[Span]]:
    """Return (raw spans in µs, 5-minute spans in s, 1-hour spans in s) covering [start, end)."""
    a5 = -(-start_us // (BUCKET_5M * US)) * BUCKET_5M  # ceil to 5 min, in seconds
    b5 = end_us // (BUCKET_5M * US) * BUCKET_5M
    if a5 >= b5:
        return [(start_us, end_us)], [], []
    raw = [(start_us, a5 * US), (b5 * US, end_us)]
    a1 = -(-a5 // BUCKET_1H) * BUCKET_1H
    b1 = b5 // BUCKET_1H * BUCKET_1H
    if a1 >= b1:
        return raw, [(a5, b5)], []
    return raw, [(a5, a1), (b1, b5)], [(a1, b1)]


# How each grouping reads the key from events (alias e) and from rollups (alias r).
_GROUPS = {
    "domain": ("m.domain", "JOIN entity_ids m ON m.id = {a}.entity_key"),
    "area": ("x.area_id", "JOIN enrichments x ON x.id = {a}.enrich_key"),
    "total": ("NULL", ""),
}


def grouped_counts(conn: sqlite3.Connection, start_us: int, end_us: int, group: str) -> Counter[str | None]:
    """Event counts in [start, end) grouped by domain, area or nothing ("total")."""
    key, join = _GROUPS[group]
    raw, spans_5m, spans_1h = split_window(start_us, end_us)
    counts: Counter[str | None] = Counter()
    sql_raw = (
        f"SELECT {key}, count(*) FROM events e {join.format(a='e')} "
        "WHERE e.time_us >= ? AND e.time_us < ? GROUP BY 1"
    )
    for a, b in raw:
        if a < b:
            counts.update(dict(conn.execute(sql_raw, (a, b)).fetchall()))
    for size, spans in ((BUCKET_5M, spans_5m), (BUCKET_1H, spans_1h)):
        sql = (
            f"SELECT {key}, sum(r.n) FROM {ROLLUP_TABLES[size]} r {join.format(a='r')} "
            "WHERE r.bucket >= ? AND r.bucket < ? GROUP BY 1"
        )
        for a, b in spans:
            counts.update(dict(conn.execute(sql, (a, b)).fetchall()))
    return counts


def count_rows(counts: Counter[str | None]) -> list[CountRow]:
    return [CountRow(k, int(v)) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or "")) if v]


def active_entities(conn: sqlite3.Connection, start_us: int, end_us: int) -> int:
    """Distinct entities with at least one event in [start, end)."""
    raw, spans_5m, spans_1h = split_window(start_us, end_us)
    parts: list[str] = []
    params: list[int] = []
    for a, b in raw:
        if a < b:
            parts.append("SELECT entity_key FROM events WHERE time_us >= ? AND time_us < ?")
            params += [a, b]
    for size, spans in ((BUCKET_5M, spans_5m), (BUCKET_1H, spans_1h)):
        for a, b in spans:
            parts.append(
                f"SELECT entity_key FROM {ROLLUP_TABLES[size]} WHERE bucket >= ? AND bucket < ? AND n > 0"
            )
            params += [a, b]
    sql = f"SELECT count(DISTINCT entity_key) FROM ({' UNION ALL '.join(parts)})"
    return int(conn.execute(sql, params).fetchone()[0])


def buckets(
    conn: sqlite3.Connection,
    start_s: int,
    end_s: int,
    bucket_s: int,
    entity_id: str | None,
    domain: str | None,
    area_id: str | None,
) -> list[BucketStat]:
    """Per-bucket stats from the rollups; every bucket in the range is present (zeros when empty)."""
    table = ROLLUP_TABLES[BUCKET_1H if bucket_s % BUCKET_1H == 0 else BUCKET_5M]
    start_s -= start_s % bucket_s
    terms, params = ["r.bucket >= ?", "r.bucket < ?"], [start_s, end_s]
    add_filters(terms, params, rollup_filters(entity_id, domain, area_id))
    # Grouping by the table's own bucket streams in primary-key order (no temporary B-tree);
    # coarser buckets are folded here from those few hundred rows.
    sql = (
        "SELECT r.bucket, sum(n), sum(changes), sum(n_num), sum(sum), min(min), max(max), sum(unavail_ms) "
        f"FROM {table} r WHERE {' AND '.join(terms)} GROUP BY r.bucket"
    )
    folded: dict[int, list[Any]] = {}
    for b, n, changes, n_num, total, lo, hi, unavail in conn.execute(sql, params):
        key = b - b % bucket_s
        f = folded.get(key)
        if f is None:
            folded[key] = [n, changes, n_num, total, lo, hi, unavail]
            continue
        f[0] += n
        f[1] += changes
        f[2] += n_num
        f[3] += total
        f[4] = lo if f[4] is None or (lo is not None and lo < f[4]) else f[4]
        f[5] = hi if f[5] is None or (hi is not None and hi > f[5]) else f[5]
        f[6] += unavail
    return fill_buckets(start_s, end_s, bucket_s, folded)


BucketSums = Sequence[Any]  # (n, changes, n_num, sum, min, max, unavail_ms) of one bucket


def fill_buckets(start_s: int, end_s: int, bucket_s: int, sums: Mapping[int, BucketSums]) -> list[BucketStat]:
    """Every bucket of [start, end) in order, from per-bucket sums keyed by bucket start (seconds);
    a bucket without a row is all zeros with no mean, min or max."""
    out = []
    for b in range(start_s, end_s, bucket_s):
        r = sums.get(b)
        if r is None:
            out.append(BucketStat(us_to_datetime(b * US), 0, 0, 0, None, None, None, 0.0))
        else:
            mean = r[3] / r[2] if r[2] else None
            out.append(BucketStat(us_to_datetime(b * US), r[0], r[1], r[2], mean, r[4], r[5], r[6] / 1000))
    return out
