"""Read-only analytics queries (REST API, GUI analytics, alerts): search, per-entity counts, time
buckets, per-place and per-device statistics, state durations.

Sync functions of a read connection, run through `run_read` on the store's read pool (never the
writer), against the store's schema (core.store.schema), always with bound parameters: user input
never becomes SQL text. Dashboard-type reads use the rollups; only text search and duration
analytics scan raw rows, bounded by their time window.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from core.store.decode import EVENT_COLUMNS, EVENT_FROM, Lookups, decode_events
from core.store.query_events import filter_sql
from core.store.query_stats import fill_buckets, split_window
from core.store.query_types import BucketStat, EventFilter, EventPage
from core.store.rollups import BUCKET_1H, BUCKET_5M, ROLLUP_TABLES
from core.store.sql_filters import add_filters, rollup_filters

if TYPE_CHECKING:
    from core.store.queries import EventQueries

T = TypeVar("T")


async def run_read(queries: EventQueries, fn: Callable[[sqlite3.Connection, Lookups], T]) -> T:
    """Run `fn(conn, lookups)` on the store's read pool (a reader thread, never the writer)."""
    lookups = queries.lookups
    return await queries.run_read(lambda conn: fn(conn, lookups))


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with % _ and \\ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# -- text search --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchRequest:
    text: str
    filter: EventFilter
    start_us: int | None
    end_us: int | None
    limit: int
    cursor: tuple[int, int] | None  # (time_us, id) of the last row of the previous page


def search_page(conn: sqlite3.Connection, lookups: Lookups, req: SearchRequest) -> EventPage:
    """Events whose entity id, friendly name or state contains the text (case-insensitive), newest first."""
    built = filter_sql(conn, req.filter)
    if built is None:
        return EventPage([], None)
    terms, params = built
    pattern = like_pattern(req.text)
    # Entity ids and attribute sets are deduplicated tables: match them first, then the events by key.
    terms.append(
        "(e.entity_key IN (SELECT id FROM entity_ids WHERE entity_id LIKE ? ESCAPE '\\')"
        " OR e.state LIKE ? ESCAPE '\\'"
        " OR e.attrs_key IN (SELECT id FROM state_attributes"
        "   WHERE json_extract(CAST(shared_attrs AS TEXT), '$.friendly_name') LIKE ? ESCAPE '\\'))"
    )
    params += [pattern, pattern, pattern]
    add_filters(terms, params, (("e.time_us >= ?", req.start_us), ("e.time_us < ?", req.end_us)))
    if req.cursor is not None:
        terms.append("e.time_us <= ? AND (e.time_us < ? OR e.id < ?)")
        params += [req.cursor[0], req.cursor[0], req.cursor[1]]
    sql = (
        f"SELECT {EVENT_COLUMNS} FROM {EVENT_FROM} WHERE {' AND '.join(terms)} "
        "ORDER BY e.time_us DESC, e.id DESC LIMIT ?"
    )
    rows = conn.execute(sql, [*params, req.limit]).fetchall()
    cursor = f"{rows[-1][2]}:{rows[-1][0]}" if len(rows) == req.limit else None
    return EventPage(decode_events(conn, lookups, rows), cursor)


# -- per-entity counts (rollups + raw edges) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntityCount:
    entity_id: str
    domain: str
    count: int
    changes: int
    last_us: int


GroupKey = tuple[int, int]  # (entity_key, enrich_key)


def window_groups(
    conn: sqlite3.Connection,
    start_us: int,
    end_us: int,
    domain: str | None = None,
    area_id: str | None = None,
) -> dict[GroupKey, list[int]]:
    """[events, state changes, last time_us] per (entity, enrichment) in [start, end).

    One pass answers every dashboard count (total, per domain, per area, per entity, active
    entities): the raw edges of the window are scanned once instead of once per statistic.
    """
    raw, spans_5m, spans_1h = split_window(start_us, end_us)
    where_extra, extra = _entity_filters(domain, area_id)
    acc: dict[GroupKey, list[int]] = {}
    raw_sql = (
        "SELECT e.entity_key, e.enrich_key, count(*), sum(e.state IS NOT e.old_state), max(e.time_us) "
        f"FROM events e WHERE e.time_us >= ? AND e.time_us < ?{where_extra.format(a='e')} GROUP BY 1, 2"
    )
    for a, b in raw:
        if a < b:
            _fold(acc, conn.execute(raw_sql, [a, b, *extra]))
    for size, spans in ((BUCKET_5M, spans_5m), (BUCKET_1H, spans_1h)):
        sql = (
            f"SELECT r.entity_key, r.enrich_key, sum(r.n), sum(r.changes), max(r.last_us) "
            f"FROM {ROLLUP_TABLES[size]} r "
            f"WHERE r.bucket >= ? AND r.bucket < ?{where_extra.format(a='r')} GROUP BY 1, 2"
        )
        for a, b in spans:
            _fold(acc, conn.execute(sql, [a, b, *extra]))
    return {k: v for k, v in acc.items() if v[0]}


def entity_counts_from(groups: dict[GroupKey, list[int]], lookups: Lookups) -> list[EntityCount]:
    """Fold window_groups per entity, largest first."""
    per: dict[int, list[int]] = {}
    for (entity_key, _enrich), (n, changes, last) in groups.items():
        slot = per.setdefault(entity_key, [0, 0, 0])
        slot[0] += n
        slot[1] += changes
        slot[2] = max(slot[2], last)
    names = lookups.entity
    out = [EntityCount(names[k], names[k].partition(".")[0], *v) for k, v in per.items() if k in names]
    return sorted(out, key=lambda r: (-r.count, r.entity_id))


def ensure_lookups(conn: sqlite3.Connection, lookups: Lookups, groups: dict[GroupKey, list[int]]) -> None:
    """Reload the key tables once if a key is unknown (rows committed since the last reload)."""
    if any(e not in lookups.entity or n not in lookups.enrich for e, n in groups):
        lookups.refresh(conn)


def entity_counts(
    conn: sqlite3.Connection,
    lookups: Lookups,
    start_us: int,
    end_us: int,
    domain: str | None = None,
    area_id: str | None = None,
) -> list[EntityCount]:
    """Events and state changes per entity in [start, end), largest first."""
    groups = window_groups(conn, start_us, end_us, domain, area_id)
    ensure_lookups(conn, lookups, groups)
    return entity_counts_from(groups, lookups)


def _entity_filters(domain: str | None, area_id: str | None) -> tuple[str, list[Any]]:
    where, params = "", []
    if domain is not None:
        where += " AND {a}.entity_key IN (SELECT id FROM entity_ids WHERE domain = ?)"
        params.append(domain)
    if area_id is not None:
        where += " AND {a}.enrich_key IN (SELECT id FROM enrichments WHERE area_id = ?)"
        params.append(area_id)
    return where, params


def _fold(acc: dict[GroupKey, list[int]], rows: Any) -> None:
    for entity_key, enrich_key, n, changes, last in rows:
        slot = acc.setdefault((entity_key, enrich_key), [0, 0, 0])
        slot[0] += int(n or 0)
        slot[1] += int(changes or 0)
        slot[2] = max(slot[2], int(last or 0))


# -- time buckets ---------------------------------------------------------------------------------


def bucket_stats(
    conn: sqlite3.Connection,
    start_s: int,
    end_s: int,
    bucket_s: int,
    entity_id: str | None = None,
    domain: str | None = None,
    area_id: str | None = None,
) -> list[BucketStat]:
    """EventQueries.event_buckets' numbers, faster when the bucket is the rollup's own size.

    Grouping by the rollup's primary-key column walks the key in order; grouping by an expression
    (bucket / size * size) builds a temporary B-tree, about twice the time over 24 h of 5-minute
    rows on a busy home. Every bucket in range is returned, empty ones as zeros.
    """
    size = BUCKET_1H if bucket_s % BUCKET_1H == 0 else BUCKET_5M
    start_s -= start_s % bucket_s
    group, params = ("r.bucket", []) if bucket_s == size else ("r.bucket / ? * ?", [bucket_s, bucket_s])
    terms = ["r.bucket >= ?", "r.bucket < ?"]
    where: list[Any] = [start_s, end_s]
    add_filters(terms, where, rollup_filters(entity_id, domain, area_id))
    sql = (
        f"SELECT {group}, sum(n), sum(changes), sum(n_num), sum(sum), min(min), max(max), sum(unavail_ms) "
        f"FROM {ROLLUP_TABLES[size]} r WHERE {' AND '.join(terms)} GROUP BY 1"
    )
    rows = {r[0]: r[1:] for r in conn.execute(sql, [*params, *where])}
    return fill_buckets(start_s, end_s, bucket_s, rows)


# -- per area / floor (hourly rollups) -----------------------------------------------------------


def area_hour_counts(conn: sqlite3.Connection, start_s: int, end_s: int) -> list[tuple[int, str | None, int]]:
    """(hour bucket, area_id, events) for whole hours in [start, end), from rollup_1h."""
    sql = (
        "SELECT r.bucket, x.area_id, sum(r.n) FROM rollup_1h r JOIN enrichments x ON x.id = r.enrich_key "
        "WHERE r.bucket >= ? AND r.bucket < ? GROUP BY 1, 2"
    )
    return [(int(b), a, int(n)) for b, a, n in conn.execute(sql, (start_s, end_s))]


def place_totals(
    conn: sqlite3.Connection, start_s: int, end_s: int, column: str
) -> list[tuple[str | None, int, int]]:
    """(area_id or floor_id, events, distinct active entities) over whole hours in [start, end)."""
    if column not in ("area_id", "floor_id"):  # a column name cannot be a bound parameter: whitelist it
        raise ValueError(column)
    sql = (
        f"SELECT x.{column}, sum(r.n), count(DISTINCT r.entity_key) FROM rollup_1h r "
        "JOIN enrichments x ON x.id = r.enrich_key "
        "WHERE r.bucket >= ? AND r.bucket < ? AND r.n > 0 GROUP BY 1"
    )
    return [(k, int(n), int(e)) for k, n, e in conn.execute(sql, (start_s, end_s))]


def place_hour_counts(
    conn: sqlite3.Connection, start_s: int, end_s: int, column: str
) -> list[tuple[str | None, int, int]]:
    """(area_id or floor_id, hour bucket, events) for whole hours in [start, end)."""
    if column not in ("area_id", "floor_id"):
        raise ValueError(column)
    sql = (
        f"SELECT x.{column}, r.bucket, sum(r.n) FROM rollup_1h r JOIN enrichments x ON x.id = r.enrich_key "
        "WHERE r.bucket >= ? AND r.bucket < ? GROUP BY 1, 2"
    )
    return [(k, int(b), int(n)) for k, b, n in conn.execute(sql, (start_s, end_s))]


# -- devices ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceEntityStats:
    device_id: str
    entity_id: str
    events: int
    last_us: int
    unavailable_ms: int
    last_state: str | None


def device_entity_stats(conn: sqlite3.Connection, start_s: int, end_s: int) -> list[DeviceEntityStats]:
    """Per (device, entity): events, last event, closed 'unavailable' time, and the latest state."""
    sql = (
        "SELECT x.device_id, r.entity_key, sum(r.n), max(r.last_us), sum(r.unavail_ms), "
        # The latest state: an outage still open is in no rollup's unavail_ms yet.
        "  (SELECT r2.last_state FROM rollup_5m r2 WHERE r2.entity_key = r.entity_key AND r2.n > 0"
        "   ORDER BY r2.bucket DESC LIMIT 1) "
        "FROM rollup_1h r JOIN enrichments x ON x.id = r.enrich_key "
        "WHERE r.bucket >= ? AND r.bucket < ? AND x.device_id IS NOT NULL GROUP BY 1, 2"
    )
    names = dict(conn.execute("SELECT id, entity_id FROM entity_ids"))
    return [
        DeviceEntityStats(dev, names.get(key, str(key)), int(n), int(last or 0), int(unavail or 0), state)
        for dev, key, n, last, unavail, state in conn.execute(sql, (start_s, end_s))
    ]


# -- durations (raw rows, bounded window) -------------------------------------------------------


def duration_rows(
    conn: sqlite3.Connection,
    start_us: int,
    end_us: int,
    entity_id: str | None,
    domain: str | None,
    cap: int,
) -> Iterator[tuple[str, str | None, int, int, int]]:
    """(entity_id, state the entity was in, how long in ms, event id, time_us), at most `cap` rows,
    streamed from the cursor: a caller that keeps only numbers never holds 500k row tuples (whose
    garbage-collector scans and final free, under the GIL, stalled the event loop for 100s of ms)."""
    terms = ["e.time_us >= ?", "e.time_us < ?", "e.duration_ms IS NOT NULL"]
    params: list[Any] = [start_us, end_us]
    filters = (
        ("e.entity_key = (SELECT id FROM entity_ids WHERE entity_id = ?)", entity_id),
        ("+e.entity_key IN (SELECT id FROM entity_ids WHERE domain = ?)", domain),
    )
    add_filters(terms, params, filters)
    sql = (
        "SELECT m.entity_id, e.old_state, e.duration_ms, e.id, e.time_us FROM events e "
        f"JOIN entity_ids m ON m.id = e.entity_key WHERE {' AND '.join(terms)} LIMIT ?"
    )
    rows: Iterator[tuple[str, str | None, int, int, int]] = iter(conn.execute(sql, [*params, cap]))
    return rows  # INTEGER columns come back as int
