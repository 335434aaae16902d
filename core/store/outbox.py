"""The InfluxDB outbox and quarantine: SQL run by the writer (writes) and by readers (reads).

influx_outbox is filled by the event write path in the same transaction as the events, so an
event is in the outbox iff it is committed. The sender reads a batch, writes it to InfluxDB and
then acks it; a crash in between re-sends (at-least-once; InfluxDB overwrites identical points).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson

from core.models import EnrichedEvent
from core.store.codec import us_to_datetime
from core.store.decode import EVENT_COLUMNS, Lookups
from core.store.writer import transaction


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    id: int
    event_id: int
    error: str
    quarantined_at: datetime


def _ids_json(ids: Sequence[int]) -> str:
    return orjson.dumps(list(ids)).decode()


def read_batch(
    conn: sqlite3.Connection, lookups: Lookups, limit: int, after_id: int = 0
) -> list[tuple[int, EnrichedEvent]]:
    """Oldest first: up to `limit` queued (event id, event) with an id above `after_id` (event ids
    start at 1, so 0 reads from the oldest). The sender reads past the batches it has in flight."""
    rows = conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM influx_outbox o JOIN events e ON e.id = o.event_id "
        "LEFT JOIN state_attributes a ON a.id = e.attrs_key "
        "WHERE o.event_id > ? ORDER BY o.event_id LIMIT ?",
        (after_id, limit),
    ).fetchall()
    return lookups.decode_all(conn, rows)


def quarantined(conn: sqlite3.Connection) -> int:
    """How many points are in the quarantine."""
    return int(conn.execute("SELECT count(*) FROM influx_quarantine").fetchone()[0])


def stats(conn: sqlite3.Connection) -> tuple[int, datetime | None]:
    depth = conn.execute("SELECT count(*) FROM influx_outbox").fetchone()[0]
    oldest = conn.execute(
        "SELECT e.time_us FROM influx_outbox o JOIN events e ON e.id = o.event_id ORDER BY o.event_id LIMIT 1"
    ).fetchone()
    return int(depth), None if oldest is None else us_to_datetime(oldest[0])


def ack(conn: sqlite3.Connection, ids: Sequence[int]) -> int:
    with transaction(conn):
        cur = conn.execute(
            "DELETE FROM influx_outbox WHERE event_id IN (SELECT value FROM json_each(?))", (_ids_json(ids),)
        )
    return cur.rowcount


def drop_oldest(conn: sqlite3.Connection, n: int) -> int:
    with transaction(conn):
        cur = conn.execute(
            "DELETE FROM influx_outbox WHERE event_id IN "
            "(SELECT event_id FROM influx_outbox ORDER BY event_id LIMIT ?)",
            (n,),
        )
    return cur.rowcount


def quarantine(conn: sqlite3.Connection, ids: Sequence[int], error: str) -> int:
    """Move events from the outbox to the quarantine (they will not be sent again)."""
    now = int(time.time() * 1_000_000)
    with transaction(conn):
        conn.executemany(
            "INSERT INTO influx_quarantine (event_id, error, quarantined_at) VALUES (?, ?, ?)",
            [(i, error, now) for i in ids],
        )
        conn.execute(
            "DELETE FROM influx_outbox WHERE event_id IN (SELECT value FROM json_each(?))", (_ids_json(ids),)
        )
    return len(ids)


def list_quarantine(conn: sqlite3.Connection, limit: int) -> list[QuarantineEntry]:
    rows = conn.execute(
        "SELECT id, event_id, error, quarantined_at FROM influx_quarantine ORDER BY id DESC LIMIT ?", (limit,)
    )
    return [QuarantineEntry(r[0], r[1], r[2], us_to_datetime(r[3])) for r in rows]
