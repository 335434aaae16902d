"""Reads for the energy engine, run on one of the store's read connections in a reader thread
(`EventQueries.run_read`), never on the event loop.

Rows come per entity through the (entity_key, time_us) index, with the row in force at the window's
start, so a meter that did not change for hours still has a known reading, and become numpy arrays:
numbers and on/off states are computed by SQLite itself (C speed, no Python object per row).
Attributes are decoded only where they matter: the newest row of each sensor (unit, device_class,
state_class) and, for `total` meters, `last_reset`, decoded once per distinct attribute set.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import orjson

from core.energy.cooperate import breathe
from core.energy.states import SWITCHABLE_DOMAINS, is_on_sql
from core.energy.vector import Numeric


@dataclass(frozen=True, slots=True)
class SensorInfo:
    entity_id: str
    unit: str | None
    device_class: str | None
    state_class: str | None
    name: str | None


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
    """The name HA shows for each entity: friendly_name of its newest stored state (the registry's
    own name is often just "Energy" or "Power", the device's name being added by HA)."""
    keys = dict(conn.execute("SELECT entity_id, id FROM entity_ids"))
    out: dict[str, str] = {}
    for eid in entity_ids:
        if eid not in keys:
            continue
        row = conn.execute(
            "SELECT a.shared_attrs FROM events e LEFT JOIN state_attributes a ON a.id = e.attrs_key "
            "WHERE e.entity_key = ? ORDER BY e.time_us DESC LIMIT 1",
            (keys[eid],),
        ).fetchone()
        attrs = orjson.loads(row[0]) if row and row[0] else {}
        name = attrs.get("friendly_name") if isinstance(attrs, dict) else None
        if isinstance(name, str) and name:
            out[eid] = name
    return out


def _last_reset(conn: sqlite3.Connection, attrs_key: int | None, cache: dict[int, str | None]) -> str | None:
    if attrs_key is None:
        return None
    if attrs_key not in cache:
        row = conn.execute("SELECT shared_attrs FROM state_attributes WHERE id = ?", (attrs_key,)).fetchone()
        attrs = orjson.loads(row[0]) if row and row[0] else {}
        cache[attrs_key] = _text(attrs.get("last_reset")) if isinstance(attrs, dict) else None
    return cache[attrs_key]


# A state as a number in SQLite itself (C speed): NULL unless it has a digit and only number characters,
# so "unavailable", "unknown", "nan" and "inf" are NULL, never 0.
_NUMBER_SQL = "CASE WHEN state GLOB '*[0-9]*' AND state NOT GLOB '*[^0-9.eE+-]*' THEN CAST(state AS REAL) END"


def read_numeric(
    conn: sqlite3.Connection,
    entity_ids: Iterable[str],
    start_us: int,
    end_us: int,
    resets: Iterable[str] = (),
) -> dict[str, Numeric]:
    """Numeric entities (meters, mains power, a price sensor) as arrays: time, value (NaN when not a
    number) and, for `resets` (state_class total), last_reset; the row in force at `start` first.
    Only `resets` fetch their attribute key: every column costs a Python object per row."""
    wanted = set(entity_ids)
    with_reset = set(resets)
    keys = {eid: key for eid, key in conn.execute("SELECT entity_id, id FROM entity_ids") if eid in wanted}
    cache: dict[int, str | None] = {}
    out: dict[str, Numeric] = {}
    for eid, key in keys.items():
        breathe()
        width = 3 if eid in with_reset else 2
        extra = ", attrs_key" if width == 3 else ""
        select = f"SELECT time_us, {_NUMBER_SQL}{extra} FROM events WHERE entity_key = ?"
        first = conn.execute(
            f"{select} AND time_us < ? ORDER BY time_us DESC LIMIT 1", (key, start_us)
        ).fetchall()
        rest = conn.execute(
            f"{select} AND time_us >= ? AND time_us < ? ORDER BY time_us", (key, start_us, end_us)
        )
        raw = first + _fetch_all(rest)
        table = _table(raw, width)
        last_reset = None
        if width == 3:
            keys_ = [None if r[2] is None else int(r[2]) for r in raw]
            last_reset = np.array([_reset_seconds(_last_reset(conn, a, cache)) for a in keys_], dtype=float)
        out[eid] = Numeric(table[:, 0] / 1e6, table[:, 1], last_reset)
    return out


def _reset_seconds(text: str | None) -> float:
    if not text:
        return float("nan")
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return float("nan")


@dataclass(frozen=True)
class SwitchRows:
    """A switch's state changes as arrays: time, new and old on/off state (1, 0, NaN = unknown)."""

    ts: np.ndarray
    on: np.ndarray
    was_on: np.ndarray


def _pair_sql(domain: str) -> str:
    """New and old on/off state of a row as one small integer, 3 × new + old with 2 for unknown:
    Python keeps its small integers cached, so a row costs one object fewer than two floats would."""
    new, old = is_on_sql("state", domain), is_on_sql("old_state", domain)
    return f"CAST(coalesce({new}, 2) * 3 + coalesce({old}, 2) AS INTEGER)"


def read_switches(
    conn: sqlite3.Connection, entity_ids: Iterable[str], start_us: int, end_us: int
) -> dict[str, SwitchRows]:
    """Each switch's rows whose state changed in [start, end), the row in force at `start` first."""
    wanted = set(entity_ids)
    keys = {eid: key for eid, key in conn.execute("SELECT entity_id, id FROM entity_ids") if eid in wanted}
    out: dict[str, SwitchRows] = {}
    for eid, key in keys.items():
        breathe()
        select = f"SELECT time_us, {_pair_sql(eid.split('.', 1)[0])} FROM events"
        first = conn.execute(
            f"{select} WHERE entity_key = ? AND time_us < ? ORDER BY time_us DESC LIMIT 1", (key, start_us)
        ).fetchall()
        rest = conn.execute(
            f"{select} WHERE entity_key = ? AND time_us >= ? AND time_us < ? AND state IS NOT old_state "
            "ORDER BY time_us",
            (key, start_us, end_us),
        )
        table = _table(first + _fetch_all(rest), 2)
        pair = table[:, 1].astype(np.int64)
        on, was_on = (pair // 3).astype(float), (pair % 3).astype(float)
        on[on == 2], was_on[was_on == 2] = np.nan, np.nan
        out[eid] = SwitchRows(table[:, 0] / 1e6, on, was_on)
    return out


FETCH = 4096


def _fetch_all(cursor: sqlite3.Cursor) -> list[Any]:
    """fetchall in pieces, breathing between them (a 150k-row fetch holds the GIL for a while)."""
    rows: list[Any] = []
    while chunk := cursor.fetchmany(FETCH):
        rows += chunk
        breathe()
    return rows


def _table(rows: list[Any], width: int) -> np.ndarray:
    """Rows of numbers (None = NaN) as a float array, converted in pieces for the same reason."""
    parts = []
    for i in range(0, len(rows), FETCH):
        parts.append(np.array(rows[i : i + FETCH], dtype=float).reshape(-1, width))
        breathe()
    return np.concatenate(parts) if parts else np.empty((0, width))
