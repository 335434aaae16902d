"""Reads for the energy engine, run on one of the store's read connections in a reader thread
(`EventQueries.run_read`), never on the event loop.

Rows come per entity through the (entity_key, time_us) index, with the row in force at the window's
start, so a meter that did not change for hours still has a known reading. Attributes are decoded only
where they matter: the newest row of each sensor (unit, device_class, state_class) and, for
`total` meters, `last_reset`, decoded once per distinct attribute set.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from core.energy.cooperate import breathe
from core.energy.states import SWITCHABLE_DOMAINS

CHUNK = 2000


@dataclass(frozen=True, slots=True)
class SensorInfo:
    entity_id: str
    unit: str | None
    device_class: str | None
    state_class: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class Row:
    ts: float  # epoch seconds (HA's time_fired)
    state: str | None
    old_state: str | None
    last_reset: str | None = None  # only read for `total` meters


def _keys(conn: sqlite3.Connection, domains: Iterable[str]) -> dict[str, int]:
    marks = ",".join("?" for _ in domains)
    rows = conn.execute(f"SELECT entity_id, id FROM entity_ids WHERE domain IN ({marks})", list(domains))
    return dict(rows)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def sensor_catalogue(conn: sqlite3.Connection) -> dict[str, SensorInfo]:
    """Unit, device class and state class of every sensor, from its newest stored state."""
    out: dict[str, SensorInfo] = {}
    for entity_id, key in _keys(conn, ("sensor",)).items():
        row = conn.execute(
            "SELECT a.shared_attrs FROM events e LEFT JOIN state_attributes a ON a.id = e.attrs_key "
            "WHERE e.entity_key = ? ORDER BY e.time_us DESC LIMIT 1",
            (key,),
        ).fetchone()
        attrs = orjson.loads(row[0]) if row and row[0] else {}
        if not isinstance(attrs, dict):
            continue
        out[entity_id] = SensorInfo(
            entity_id,
            _text(attrs.get("unit_of_measurement")),
            _text(attrs.get("device_class")),
            _text(attrs.get("state_class")),
            _text(attrs.get("friendly_name")),
        )
    return out


def switchable_entities(conn: sqlite3.Connection) -> list[str]:
    return sorted(_keys(conn, sorted(SWITCHABLE_DOMAINS)))


def friendly_names(conn: sqlite3.Connection, entity_ids: Iterable[str]) -> dict[str, str]:
    """Registry names where the store has them (entity name, else original name)."""
    ids = list(entity_ids)
    if not ids:
        return {}
    marks = ",".join("?" for _ in ids)
    rows = conn.execute(
        f"SELECT entity_id, coalesce(name, original_name) FROM entities WHERE entity_id IN ({marks})", ids
    )
    return {eid: name for eid, name in rows if name}


def read_rows(
    conn: sqlite3.Connection,
    entity_ids: Iterable[str],
    start_us: int,
    end_us: int,
    *,
    resets: Iterable[str] = (),
) -> dict[str, list[Row]]:
    """Every row of each entity in [start, end), preceded by the row in force at `start`."""
    wanted = set(entity_ids)
    with_reset = set(resets)
    keys = {eid: key for eid, key in conn.execute("SELECT entity_id, id FROM entity_ids") if eid in wanted}
    attrs_cache: dict[int, str | None] = {}
    out: dict[str, list[Row]] = {}
    for eid, key in keys.items():
        first = conn.execute(
            "SELECT time_us, state, old_state, attrs_key FROM events WHERE entity_key = ? AND time_us < ? "
            "ORDER BY time_us DESC LIMIT 1",
            (key, start_us),
        ).fetchall()
        rest = conn.execute(
            "SELECT time_us, state, old_state, attrs_key FROM events WHERE entity_key = ? "
            "AND time_us >= ? AND time_us < ? ORDER BY time_us",
            (key, start_us, end_us),
        ).fetchall()
        raw = first + rest
        rows: list[Row] = []
        for i in range(0, len(raw), CHUNK):
            breathe()  # this runs in a reader thread: leave the event loop its GIL time
            if eid in with_reset:
                rows += [
                    Row(t / 1e6, s, o, _last_reset(conn, a, attrs_cache)) for t, s, o, a in raw[i : i + CHUNK]
                ]
            else:
                rows += [Row(t / 1e6, s, o) for t, s, o, _ in raw[i : i + CHUNK]]
        out[eid] = rows
    return out


def _last_reset(conn: sqlite3.Connection, attrs_key: int | None, cache: dict[int, str | None]) -> str | None:
    if attrs_key is None:
        return None
    if attrs_key not in cache:
        row = conn.execute("SELECT shared_attrs FROM state_attributes WHERE id = ?", (attrs_key,)).fetchone()
        attrs = orjson.loads(row[0]) if row and row[0] else {}
        cache[attrs_key] = _text(attrs.get("last_reset")) if isinstance(attrs, dict) else None
    return cache[attrs_key]
