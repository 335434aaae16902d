"""The event write path, run in the writer thread: encode rows, insert, outbox, rollups, commit."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from core.store.codec import ORIGIN_CODES, SOURCE_CODES, ulid_to_bytes
from core.store.keys import HOUR_US, KeyCaches
from core.store.rollup_state import RollupState, catch_up
from core.store.rows import StoreRow, WriteResult

INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (id, entity_key, time_us, state, old_state, attrs_key, ctx, ctx_parent, "
    "user_key, origin, source, event_type, duration_ms, enrich_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
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
    return WriteResult(inserted, len(rows) - len(kept))


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
