"""The event write path, run in the writer thread: encode rows, insert, outbox, rollups, commit.

Exactly-once: UNIQUE(entity_key, time_us) drops a row stored before at the same microsecond. A
back-fill or snapshot row is also dropped when the same entity has the same state stored within
NEAR_US of it: HA derives the event's ISO time from a sub-microsecond float, and a history float
converted any other way than HA's lands 1 µs off; that must never store one change twice. Live
rows skip the probe (it would cost an index lookup per event): their copy from history comes later.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from core.models import EventSource
from core.store.codec import ORIGIN_CODES, SOURCE_CODES, ulid_to_bytes
from core.store.keys import HOUR_US, KeyCaches
from core.store.rollup_state import RollupState, catch_up
from core.store.rows import StoreRow, WriteResult

INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (id, entity_key, time_us, state, old_state, attrs_key, ctx, ctx_parent, "
    "user_key, origin, source, event_type, duration_ms, enrich_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
NEAR_US = 2  # same entity and state this close is the same event
_NEAR_SQL = "SELECT 1 FROM events WHERE entity_key = ? AND time_us BETWEEN ? AND ? AND state IS ? LIMIT 1"
_LIVE: str = EventSource.LIVE
_MISSING = object()
EventParams = tuple[
    int, int, int, str | None, str | None, int, bytes | str | None, bytes | str | None,
    int | None, int | str | None, int, int, int | None, int,
]  # fmt: skip


def write_events(
    conn: sqlite3.Connection,
    caches: KeyCaches,
    rollups: RollupState,
    rows: Sequence[StoreRow],
    *,
    outbox: bool,
) -> WriteResult:
    """Store a batch in one transaction; rows already stored (same entity + time) are skipped."""
    conn.execute("BEGIN")
    try:
        result = _insert(conn, caches, rollups, rows, outbox)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        caches.reload(conn)
        rollups.discard()
        catch_up(conn)  # deltas of earlier committed batches were dropped with the pending ones
        raise
    return result


def _insert(
    conn: sqlite3.Connection, caches: KeyCaches, rollups: RollupState, rows: Sequence[StoreRow], outbox: bool
) -> WriteResult:
    rows, near = _without_near_duplicates(conn, caches, rows)
    if not rows:
        return WriteResult([], near)
    first = caches.next_event_id
    last = first + len(rows) - 1
    params = _encode(conn, caches, rows, first)
    cur = conn.executemany(INSERT_EVENT, params)
    caches.next_event_id = last + 1
    if cur.rowcount == len(rows):
        kept = params
        inserted = list(zip(range(first, last + 1), rows, strict=True))
    else:
        found = conn.execute("SELECT id FROM events WHERE id BETWEEN ? AND ?", (first, last))
        present = {r[0] for r in found}
        kept = [p for p in params if p[0] in present]
        inserted = [(p[0], row) for p, row in zip(params, rows, strict=True) if p[0] in present]
    if outbox and kept:
        conn.execute(
            "INSERT INTO influx_outbox (event_id) SELECT id FROM events WHERE id BETWEEN ? AND ?",
            (first, last),
        )
    rollups.add(((p[1], p[13], p[2], p[3], p[4], p[12]) for p in kept), last)
    if rollups.due():
        rollups.flush(conn)
    caches.flush_touched(conn)
    return WriteResult(inserted, len(rows) - len(kept) + near)


def _without_near_duplicates(
    conn: sqlite3.Connection, caches: KeyCaches, rows: Sequence[StoreRow]
) -> tuple[Sequence[StoreRow], int]:
    """Drop back-fill/snapshot rows within NEAR_US of a stored or earlier row (same entity, state)."""
    if all(r.source == _LIVE for r in rows):
        return rows, 0
    earlier: dict[tuple[str, int], str | None] = {}
    kept: list[StoreRow] = []
    for r in rows:
        if r.source != _LIVE and _is_near_duplicate(conn, caches, earlier, r):
            continue
        earlier[(r.entity_id, r.time_us)] = r.state
        kept.append(r)
    return kept, len(rows) - len(kept)


def _is_near_duplicate(
    conn: sqlite3.Connection, caches: KeyCaches, earlier: dict[tuple[str, int], str | None], r: StoreRow
) -> bool:
    eid, t = r.entity_id, r.time_us
    for dt in range(-NEAR_US, NEAR_US + 1):
        if dt and earlier.get((eid, t + dt), _MISSING) == r.state:
            return True
    key = caches.entity.get(eid)
    if key is None:
        return False  # never stored
    return conn.execute(_NEAR_SQL, (key, t - NEAR_US, t + NEAR_US, r.state)).fetchone() is not None


def _encode(
    conn: sqlite3.Connection, caches: KeyCaches, rows: Sequence[StoreRow], first: int
) -> list[EventParams]:
    """Turn rows into parameter tuples; the common case is a handful of dict hits per row."""
    entity, attrs, users = caches.entity, caches.attrs, caches.user
    types, enrich = caches.event_type, caches.enrich
    out: list[EventParams] = []
    append = out.append
    event_id = first
    for r in rows:
        t = r.time_us
        ek = entity.get(r.entity_id) or caches.entity_key(conn, r.entity_id)
        entry = attrs.get(r.attrs_json)
        if entry is not None and t <= entry[1] + HOUR_US:
            ak = entry[0]
        else:
            ak = caches.attrs_key(conn, r.attrs_json, t)
        c, p, u, o = r.context_id, r.context_parent_id, r.context_user_id, r.origin
        append((
            event_id, ek, t, r.state, r.old_state, ak,
            None if c is None else (ulid_to_bytes(c) or c),
            None if p is None else (ulid_to_bytes(p) or p),
            None if u is None else (users.get(u) or caches.user_key(conn, u)),
            None if o is None else ORIGIN_CODES.get(o, o),
            SOURCE_CODES[r.source],
            types.get(r.event_type) or caches.event_type_key(conn, r.event_type),
            r.duration_ms,
            enrich.get(r.enrich) or caches.enrich_key(conn, r.enrich),
        ))  # fmt: skip
        event_id += 1
    return out
