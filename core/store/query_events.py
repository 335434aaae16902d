"""Event reads (sync functions of a read connection; EventQueries runs them in reader threads).

Pagination is keyset on (time_us, id): a cursor is "time_us:id" of the last row returned, so a
page costs the same whether it is the first or the thousandth and rows inserted meanwhile never
shift a page.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from core.store.codec import SOURCE_CODES, encode_context, ulid_time_ms
from core.store.decode import EVENT_COLUMNS, EVENT_FROM, Lookups, decode_events
from core.store.query_types import EventFilter, EventPage, StoredEvent
from core.store.sql_filters import add_filters

# A context's events are looked for from its ULID time to this much later: an automation's
# state changes follow its trigger within seconds, a long script within hours.
CONTEXT_WINDOW_US = 86_400_000_000
CLOCK_SLACK_US = 2_000_000  # HA's clock may step back a little between context and state


def _entity_key(conn: sqlite3.Connection, entity_id: str) -> int | None:
    row = conn.execute("SELECT id FROM entity_ids WHERE entity_id = ?", (entity_id,)).fetchone()
    return None if row is None else int(row[0])


def last_events(conn: sqlite3.Connection, lookups: Lookups, entity_id: str, limit: int) -> list[StoredEvent]:
    key = _entity_key(conn, entity_id)
    if key is None:
        return []
    rows = conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM {EVENT_FROM} WHERE e.entity_key = ? ORDER BY e.time_us DESC LIMIT ?",
        (key, limit),
    ).fetchall()
    return decode_events(conn, lookups, rows)


def event_by_id(conn: sqlite3.Connection, lookups: Lookups, event_id: int) -> StoredEvent | None:
    rows = conn.execute(f"SELECT {EVENT_COLUMNS} FROM {EVENT_FROM} WHERE e.id = ?", (event_id,)).fetchall()
    found = decode_events(conn, lookups, rows)
    return found[0] if found else None


def by_context(
    conn: sqlite3.Connection, lookups: Lookups, context_id: str, *, parent: bool
) -> list[StoredEvent]:
    """Events whose context id (or parent context id) is `context_id`, oldest first."""
    stored = encode_context(context_id)
    params: list[Any]
    if parent:
        # The partial index on ctx_parent makes this a direct lookup.
        where, params = "e.ctx_parent = ?", [stored]
    else:
        where, params = "e.ctx = ?", [stored]
        ms = ulid_time_ms(context_id)
        if ms is not None:  # narrow to a time_us range through the time index
            where += " AND e.time_us >= ? AND e.time_us < ?"
            params += [ms * 1000 - CLOCK_SLACK_US, ms * 1000 + CONTEXT_WINDOW_US]
    rows = conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM {EVENT_FROM} WHERE {where} ORDER BY e.time_us, e.id", params
    ).fetchall()
    return decode_events(conn, lookups, rows)


def filter_sql(conn: sqlite3.Connection, f: EventFilter) -> tuple[list[str], list[Any]] | None:
    """WHERE terms for a filter, or None when it cannot match anything (unknown entity)."""
    terms: list[str] = []
    params: list[Any] = []
    if f.entity_id is not None:
        key = _entity_key(conn, f.entity_id)
        if key is None:
            return None
        terms.append("e.entity_key = ?")
        params.append(key)
    if f.domain is not None:
        # Unary + keeps the planner on the time index: a domain is usually a large share of rows.
        terms.append("+e.entity_key IN (SELECT id FROM entity_ids WHERE domain = ?)")
        params.append(f.domain)
    for column, value in (("device_id", f.device_id), ("area_id", f.area_id), ("floor_id", f.floor_id)):
        if value is not None:
            terms.append(f"e.enrich_key IN (SELECT id FROM enrichments WHERE {column} = ?)")
            params.append(value)
    if f.event_type is not None:
        terms.append("e.event_type IN (SELECT id FROM event_types WHERE event_type = ?)")
        params.append(f.event_type)
    if f.source is not None:
        terms.append("e.source = ?")
        params.append(SOURCE_CODES[f.source])
    return terms, params


def page(
    conn: sqlite3.Connection,
    lookups: Lookups,
    f: EventFilter,
    start_us: int | None,
    end_us: int | None,
    limit: int,
    cursor: str | None,
    ascending: bool,
) -> EventPage:
    """One page of events in [start, end), newest first unless `ascending`."""
    built = filter_sql(conn, f)
    if built is None:
        return EventPage([], None)
    terms, params = built
    add_filters(terms, params, (("e.time_us >= ?", start_us), ("e.time_us < ?", end_us)))
    if cursor is not None:
        t, i = (int(x) for x in cursor.split(":"))
        op = ">" if ascending else "<"
        terms.append(f"e.time_us {op}= ? AND (e.time_us {op} ? OR e.id {op} ?)")
        params += [t, t, i]
    direction = "ASC" if ascending else "DESC"
    # One entity: (entity_key, time_us) is unique, so ordering by time alone walks the index.
    order = f"e.time_us {direction}" + ("" if f.entity_id else f", e.id {direction}")
    where = " AND ".join(terms) or "1"
    rows = conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM {EVENT_FROM} WHERE {where} ORDER BY {order} LIMIT ?", [*params, limit]
    ).fetchall()
    events = decode_events(conn, lookups, rows)
    next_cursor = f"{rows[-1][2]}:{rows[-1][0]}" if len(rows) == limit else None
    return EventPage(events, next_cursor)
