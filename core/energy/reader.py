"""Reads for the energy engine, run on the store's read connections (the big one in the store's
read worker process), never on the event loop.

Months of meter readings and switch changes come from one scan of the period in table order, as
numpy arrays parsed from strings SQLite joins itself: numbers and on/off states are computed by
SQLite (C speed), and no Python object is made per row. Attributes are decoded only where they
matter: the newest row of each sensor (unit, device_class, state_class) and, for `total` meters,
`last_reset`, decoded once per distinct attribute set.
"""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import orjson

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


# A state as a number in SQLite itself (C speed): NULL unless it has a digit and only number characters,
# so "unavailable", "unknown", "nan" and "inf" are NULL, never 0.
_NUMBER_SQL = "CASE WHEN state GLOB '*[0-9]*' AND state NOT GLOB '*[^0-9.eE+-]*' THEN CAST(state AS REAL) END"
# The same as text for numpy to parse. The fast form passes a state through as it is, but for the
# two words HA uses when a sensor has no number (SQLite neither checks every character nor formats a
# float); a state numpy cannot read whole makes the parse fail, and the window is read again with the
# strict form, which SQLite formats. Either way a value that is not finite becomes NaN.
_FAST_NUMBER_TEXT = (
    "CASE state WHEN 'unavailable' THEN 'nan' WHEN 'unknown' THEN 'nan' ELSE coalesce(state, 'nan') END"
)
_STRICT_NUMBER_TEXT = f"coalesce({_NUMBER_SQL}, 'nan')"


@dataclass(frozen=True)
class SwitchRows:
    """A switch's state changes as arrays: time, new and old on/off state (1, 0, NaN = unknown)."""

    ts: np.ndarray
    on: np.ndarray
    was_on: np.ndarray


@dataclass(frozen=True)
class Window:
    """What one read gives the analysis: each entity's rows in time order."""

    numeric: dict[str, Numeric]
    switches: dict[str, SwitchRows]
    last_id: int = 0  # the newest rowid the read saw: the next read starts after it

    @property
    def rows(self) -> int:
        return sum(len(n) for n in self.numeric.values()) + sum(len(s.ts) for s in self.switches.values())


def _pair_sql(domain: str) -> str:
    """New and old on/off state of a switch row as one small integer, 3 × new + old, 2 = unknown."""
    new, old = is_on_sql("state", domain), is_on_sql("old_state", domain)
    return f"CAST(coalesce({new}, 2) * 3 + coalesce({old}, 2) AS INTEGER)"


@dataclass(frozen=True)
class _Plan:
    """The keys of the entities to read and the SQL value of a row of each kind."""

    numeric: dict[int, str]  # entity key -> entity id
    switches: dict[int, str]
    resets: frozenset[int]  # numeric keys whose last_reset matters (state_class total)

    def value_sql(self, number_text: str) -> str:
        """One text column: a numeric row's number (or 'nan'), a switch row's pair. Most rows are
        numeric: their test comes first."""
        cases = [f"WHEN {_member(self.numeric)} THEN {number_text}"] if self.numeric else []
        cases += [
            f"WHEN {_member(keys)} THEN {_pair_sql(domain)}"
            for domain, keys in self._switches_by_domain().items()
        ]
        return f"CASE {' '.join(cases)} END"

    def wanted_sql(self) -> str:
        """Numeric rows all; switch rows only where the state changed (attribute updates are noise).
        One test of every wanted key first: most rows of the table are not wanted, and fail there."""
        every = _member([*self.numeric, *self.switches])
        if not self.switches:
            return every
        if not self.numeric:
            return f"{every} AND state IS NOT old_state"
        return f"{every} AND ({_member(self.numeric)} OR state IS NOT old_state)"

    def reset_sql(self) -> str:
        return f"CASE WHEN {_member(self.resets)} THEN coalesce(attrs_key, -1) ELSE -1 END"

    def _switches_by_domain(self) -> dict[str, list[int]]:
        # is_on_sql differs only between strict on/off domains and the rest: group by the SQL itself.
        out: dict[str, list[int]] = {}
        for key, eid in self.switches.items():
            out.setdefault(eid.split(".", 1)[0], []).append(key)
        return out


_BITS = 62  # keys per bitmask word (an SQLite integer is signed 64-bit: the shifts stay clear of the sign)
_MAX_WORDS = 8


def _member(keys: Iterable[int]) -> str:
    """SQL for "entity_key is one of `keys`", the test the scan makes on each of millions of rows.
    An IN list costs a B-tree lookup per row; a bitmask per 62 keys, picked by entity_key / 62, costs
    a few integer operations (bench/energy.py: the scan's filter about a fifth cheaper). Keys spread
    over many words would make the CASE long: those keep the IN list."""
    keys = [int(k) for k in keys]
    words: dict[int, int] = {}
    for key in keys:
        words[int(key) // _BITS] = words.get(int(key) // _BITS, 0) | 1 << (int(key) % _BITS)
    if not words:
        return "0"
    if len(words) > _MAX_WORDS:
        return f"entity_key IN ({','.join(str(int(k)) for k in keys)})"
    pick = " ".join(f"WHEN {word} THEN {mask}" for word, mask in sorted(words.items()))
    return f"((CASE entity_key / {_BITS} {pick} ELSE 0 END >> (entity_key % {_BITS})) & 1)"


def read_window(
    conn: sqlite3.Connection,
    numeric_ids: Iterable[str],
    switch_ids: Iterable[str],
    start_us: int,
    resets: Iterable[str] = (),
    after_id: int | None = None,
) -> Window:
    """Numeric entities (meters, mains power, a price sensor) and switchable entities (their state
    changes) from `start` on, each with its row in force at `start` first; with `after_id`, only
    the rows stored since that rowid, whatever their time (late back-filled ones too), and no row
    in force: what a later refresh adds to what it already has.

    An entity's rows lie one per page across the table, so reading them entity by entity through the
    (entity_key, time_us) index costs a table seek per row; one scan in table order reads every page
    once, and SQLite hands the columns over as comma-joined strings that numpy parses, so no Python
    object is made per row (bench/energy.py: 1.2 M rows in about half the CPU).
    """
    keys = dict(conn.execute("SELECT entity_id, id FROM entity_ids"))
    numeric = {keys[e]: e for e in dict.fromkeys(numeric_ids) if e in keys}
    switches = {keys[e]: e for e in dict.fromkeys(switch_ids) if e in keys and keys[e] not in numeric}
    plan = _Plan(numeric, switches, frozenset(keys[e] for e in resets if keys.get(e) in numeric))
    # Rows are numbered as they are stored, and a row is visible only once its whole batch is
    # committed: every row up to the newest visible rowid is there now, every later one is new.
    last_id = int(conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])
    if not numeric and not switches:
        return Window({}, {}, last_id)
    if after_id is None:
        lo = conn.execute("SELECT min(id) FROM events WHERE time_us >= ?", (start_us,)).fetchone()[0]
        # The smallest rowid from `start` on: a back-filled row arrives late and lies further on.
        columns = _scan(conn, plan, lo if lo is not None else last_id + 1, last_id, start_us)
        first = _rows_in_force(conn, plan, start_us)
    else:
        columns, first = _scan(conn, plan, after_id + 1, last_id, None), {}
    window = _split(plan, first, columns, _reset_times(conn, plan, columns.resets, first))
    return Window(window.numeric, window.switches, last_id)


@dataclass(frozen=True)
class _Columns:
    key: np.ndarray
    time_us: np.ndarray
    value: np.ndarray
    resets: np.ndarray | None  # attrs_key per row (-1 = none), only when a `total` meter is read


_EMPTY = _Columns(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), None)


def _scan(conn: sqlite3.Connection, plan: _Plan, lo: int, hi: int, start_us: int | None) -> _Columns:
    """The wanted rows with rowid in [lo, hi] (and time from `start_us` on, if given)."""
    if lo > hi:
        return _EMPTY
    extra = f", group_concat({plan.reset_sql()})" if plan.resets else ""
    since = "" if start_us is None else f"AND time_us >= {int(start_us)}"
    base = int(start_us or 0)  # times go as offsets from it: fewer digits to write and parse
    for number_text in (_FAST_NUMBER_TEXT, _STRICT_NUMBER_TEXT):
        # NOT INDEXED: the planner would otherwise seek each entity through its index, row by row.
        row = conn.execute(
            f"SELECT group_concat(entity_key), group_concat(time_us - {base}), "
            f"group_concat({plan.value_sql(number_text)}){extra} FROM events NOT INDEXED "
            f"WHERE id BETWEEN ? AND ? {since} AND ({plan.wanted_sql()})",
            (lo, hi),
        ).fetchone()
        parsed = _parse(row)
        if parsed is not None:
            return _Columns(parsed.key, parsed.time_us + base, parsed.value, parsed.resets)
    raise ValueError("unreadable numbers in the energy window")  # the strict form always parses


def _parse(row: tuple[Any, ...]) -> _Columns | None:
    """The joined strings as arrays; None when a value is not a number numpy reads whole."""
    if row[0] is None:
        return _EMPTY
    texts: list[str] = list(row)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns, and stops, at text it cannot read
        try:
            key, time_us = (np.fromstring(text, dtype=np.int64, sep=",") for text in texts[:2])
            value = np.fromstring(texts[2], dtype=np.float64, sep=",")
            value[~np.isfinite(value)] = np.nan  # "inf", "1e999": not a reading
            resets = np.fromstring(texts[3], dtype=np.int64, sep=",") if len(texts) > 3 else None
        except (DeprecationWarning, ValueError):
            return None
    if not len(key) == len(time_us) == len(value):  # a number with a comma in it
        return None
    return _Columns(key, time_us, value, resets)


def _rows_in_force(conn: sqlite3.Connection, plan: _Plan, start_us: int) -> dict[int, tuple[Any, ...]]:
    """Each entity's last row before `start` (time_us, value, attrs_key), through its index; for a
    switch its last change (the state it was in, and since when)."""
    out = {}
    for key in [*plan.numeric, *plan.switches]:
        value = _pair_sql(plan.switches[key].split(".", 1)[0]) if key in plan.switches else _NUMBER_SQL
        change = "AND state IS NOT old_state" if key in plan.switches else ""
        row = conn.execute(
            f"SELECT time_us, {value}, attrs_key FROM events WHERE entity_key = ? AND time_us < ? "
            f"{change} ORDER BY time_us DESC LIMIT 1",
            (key, start_us),
        ).fetchone()
        if row is not None:
            out[key] = row
    return out


def _reset_times(
    conn: sqlite3.Connection, plan: _Plan, attrs: np.ndarray | None, first: dict[int, tuple[Any, ...]]
) -> dict[int, float]:
    """last_reset (epoch seconds, NaN = none) of each attribute set the `total` meters used."""
    wanted = set() if attrs is None else set(np.unique(attrs).tolist())
    wanted |= {row[2] for key, row in first.items() if key in plan.resets and row[2] is not None}
    cache: dict[int, str | None] = {}
    return {a: _reset_seconds(_last_reset(conn, a, cache)) for a in wanted if a >= 0}


def _split(
    plan: _Plan, first: dict[int, tuple[Any, ...]], cols: _Columns, reset_at: dict[int, float]
) -> Window:
    """Sort the scan by (entity, time), cut it per entity and put each one's row in force first."""
    order = _entity_time_order(cols.key, cols.time_us)
    key, time_us, value = cols.key[order], cols.time_us[order], cols.value[order]
    attrs = cols.resets[order] if cols.resets is not None else np.full(len(key), -1, np.int64)
    wanted = [*plan.numeric, *plan.switches]
    lows, highs = np.searchsorted(key, wanted, side="left"), np.searchsorted(key, wanted, side="right")
    numeric, switches = {}, {}
    for k, lo, hi in zip(wanted, lows, highs, strict=True):
        head = first.get(k)
        ts, v, a = time_us[lo:hi] / 1e6, value[lo:hi], attrs[lo:hi]
        if head is not None:
            ts = np.concatenate(([head[0] / 1e6], ts))
            v = np.concatenate(([np.nan if head[1] is None else float(head[1])], v))
            a = np.concatenate(([-1 if head[2] is None else int(head[2])], a))
        if k in plan.switches:
            switches[plan.switches[k]] = _switch_rows(ts, v)
        else:
            resets = np.array([reset_at.get(int(x), np.nan) for x in a]) if k in plan.resets else None
            numeric[plan.numeric[k]] = Numeric(ts, v, resets)
    return Window(numeric, switches)


def _entity_time_order(key: np.ndarray, time_us: np.ndarray) -> np.ndarray:
    """The order that sorts rows by entity, then time. The scan reads rows as they were stored, in
    time order but for late back-filled ones, so a stable sort by entity alone (a radix sort for
    small keys) usually suffices; the full sort runs when it does not."""
    if len(key) and int(key.max()) < 2**15:
        order = np.argsort(key.astype(np.int16), kind="stable")
        k, t = key[order], time_us[order]
        if np.all((t[1:] > t[:-1]) | (k[1:] != k[:-1])):
            return order
    return np.lexsort((time_us, key))


def _switch_rows(ts: np.ndarray, pair: np.ndarray) -> SwitchRows:
    """Decode `_pair_sql`'s 3 × new + old (2 = unknown) into on / was_on (NaN = unknown)."""
    code = np.nan_to_num(pair, nan=8).astype(np.int64)
    on, was_on = (code // 3).astype(float), (code % 3).astype(float)
    on[on == 2], was_on[was_on == 2] = np.nan, np.nan
    return SwitchRows(ts, on, was_on)


def _last_reset(conn: sqlite3.Connection, attrs_key: int | None, cache: dict[int, str | None]) -> str | None:
    if attrs_key is None:
        return None
    if attrs_key not in cache:
        row = conn.execute("SELECT shared_attrs FROM state_attributes WHERE id = ?", (attrs_key,)).fetchone()
        attrs = orjson.loads(row[0]) if row and row[0] else {}
        cache[attrs_key] = _text(attrs.get("last_reset")) if isinstance(attrs, dict) else None
    return cache[attrs_key]


def _reset_seconds(text: str | None) -> float:
    if not text:
        return float("nan")
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return float("nan")
