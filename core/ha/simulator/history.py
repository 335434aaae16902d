"""The simulator's recorder: a bounded ring of rows per entity, and HA's history query semantics."""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from core.ha.simulator import clock, const

EMPTY_ATTRIBUTES_JSON = b"{}"
_NO_ATTRIBUTES = orjson.Fragment(EMPTY_ATTRIBUTES_JSON)


Row = tuple[float, float, str, bytes]
"""One recorded state write: (last_updated_ts, last_changed_ts, state, attributes JSON).

Times are the epoch floats HA's recorder stores (last_updated_ts, finer than a microsecond) and
history returns as they are; query bounds are compared as floats too, as the recorder does.

A removal is recorded like HA does: state "" and no attributes. A plain tuple of atomic values on
purpose: the garbage collector stops tracking such tuples (not NamedTuple instances), so a ring of
150,000 rows costs a full collection nothing. As NamedTuples holding attribute dicts, every gen-2
pass walked them all, cache miss after cache miss, and paused the loop 100-300 ms at 20k events/s.
"""
LU: Final = 0
LC: Final = 1
STATE: Final = 2
ATTRS: Final = 3


class HistoryStore:
    """Rows per entity, oldest first, capped by count and by age."""

    def __init__(self, rows_per_entity: int, max_age_s: float) -> None:
        self._rows_per_entity = rows_per_entity
        self._capacity: dict[str, int] = {}
        self._max_age_s = max_age_s
        self._rows: dict[str, deque[Row]] = {}
        self._run_starts: list[int] = []

    def set_capacities(self, capacities: Mapping[str, int]) -> None:
        """Give entities their own row limits (others keep the default)."""
        self._capacity.update(capacities)

    def start_run(self, us: int) -> None:
        """Mark the start of a recorder run (simulator start or restart)."""
        self._run_starts.append(us)

    def run_start_before(self, us: int) -> int | None:
        """Return the start of the run that was active at `us`, if one had started before it."""
        starts = [start for start in self._run_starts if start < us]
        return max(starts) if starts else None

    def append(self, entity_id: str, row: Row) -> None:
        """Record a row; drops the oldest when over the count or age limit."""
        rows = self._rows.get(entity_id)
        if rows is None:
            capacity = self._capacity.get(entity_id, self._rows_per_entity)
            rows = self._rows[entity_id] = deque(maxlen=capacity)
        # Shared, not copied: sensor values repeat a lot, most writes keep the previous attributes
        # and last_changed often equals last_updated; the ring holds 150,000 rows for hours.
        lu, lc, state, attrs_json = row
        if rows and rows[-1][ATTRS] == attrs_json:
            attrs_json = rows[-1][ATTRS]
        rows.append((lu, lu if lc == lu else lc, sys.intern(state), attrs_json))
        # One pop per append is enough to keep pace, since rows arrive one at a time.
        if rows[0][LU] < lu - self._max_age_s:
            rows.popleft()

    def rows(self, entity_id: str) -> Iterable[Row]:
        """Return the recorded rows of one entity, oldest first."""
        return self._rows.get(entity_id, ())

    def count_after(self, ts: float) -> int:
        """Rows recorded after `ts` (newest rows are at the right end of each ring)."""
        count = 0
        for rows in self._rows.values():
            for row in reversed(rows):
                if row[LU] <= ts:
                    break
                count += 1
        return count

    def has_rows_before(self, us: int) -> bool:
        """Return True when any entity has a row older than `us` (HA's has_states_before)."""
        ts = clock.ts(us)
        return any(rows and rows[0][LU] < ts for rows in self._rows.values())


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """The parameters of history/history_during_period, times in microseconds."""

    entity_ids: list[str]
    start: int
    end: int | None
    include_start_time_state: bool = True
    significant_changes_only: bool = True
    minimal_response: bool = False
    no_attributes: bool = False


def significant_states(store: HistoryStore, query: HistoryQuery, visible_until: int) -> dict[str, Any]:
    """Answer like recorder.history.get_significant_states(compressed_state_format=True).

    `visible_until` emulates the recorder's commit interval: later rows are not in the database yet.
    """
    run_start = store.run_start_before(query.start) if query.include_start_time_state else None
    entity_ids = list(dict.fromkeys(query.entity_ids))
    single = len(entity_ids) == 1
    result: dict[str, Any] = {}
    visible_ts = clock.ts(visible_until)
    for entity_id in entity_ids:
        rows = [row for row in store.rows(entity_id) if row[LU] <= visible_ts]
        start_row = None
        if run_start is not None:
            # The multi-entity start-state query only looks inside the current recorder run.
            start_row = _last_before(rows, clock.ts(query.start), None if single else clock.ts(run_start))
        selected = list(_in_period(rows, query, entity_id.split(".", 1)[0]))
        if formatted := _format_rows(entity_id, start_row, selected, query):
            result[entity_id] = formatted
    return result


def _last_before(rows: list[Row], start: float, run_start: float | None) -> Row | None:
    found = None
    for row in rows:
        if row[LU] >= start:
            break
        if run_start is None or row[LU] >= run_start:
            found = row
    return found


def _in_period(rows: list[Row], query: HistoryQuery, domain: str) -> Iterator[Row]:
    keep_all = not query.significant_changes_only or domain in const.SIGNIFICANT_DOMAINS
    start, end = clock.ts(query.start), None if query.end is None else clock.ts(query.end)
    for row in rows:
        if row[LU] <= start:
            continue
        if end is not None and row[LU] >= end:
            break
        if keep_all or row[LC] == row[LU]:
            yield row


def _format_rows(
    entity_id: str, start_row: Row | None, rows: list[Row], query: HistoryQuery
) -> list[dict[str, Any]]:
    """Compress rows like _sorted_states_to_dict + row_to_compressed_state."""
    # With significant_changes_only the recorder does not even select last_changed, so no row has "lc".
    with_lc = not query.significant_changes_only
    start_ts = clock.ts(query.start)
    pairs: list[tuple[Row, float | None]] = [(start_row, start_ts)] if start_row else []
    pairs.extend((row, None) for row in rows)
    if not pairs:
        return []
    full = not query.minimal_response or entity_id.split(".", 1)[0] in const.NEED_ATTRIBUTE_DOMAINS
    if full:
        # Quirk kept from HA: full rows always carry "a"; with no_attributes the column is not selected,
        # so it is {}.
        return [_compressed(row, lu, with_lc, attrs=True, no_attrs=query.no_attributes) for row, lu in pairs]
    first_row, first_lu = pairs[0]
    out = [_compressed(first_row, first_lu, with_lc, attrs=not query.no_attributes, no_attrs=False)]
    previous = first_row[STATE]
    for row, _ in pairs[1:]:
        # minimal_response: later rows only on a state change, and only state + last_updated.
        if row[STATE] != previous:
            out.append({"s": row[STATE], "lu": row[LU]})
            previous = row[STATE]
    return out


def _compressed(
    row: Row, start_ts: float | None, with_lc: bool, *, attrs: bool, no_attrs: bool
) -> dict[str, Any]:
    item: dict[str, Any] = {"s": row[STATE]}
    if attrs:
        item["a"] = _NO_ATTRIBUTES if no_attrs else orjson.Fragment(row[ATTRS])
    # The start-time row reports the requested start_time as its last_updated, and no last_changed.
    item["lu"] = start_ts if start_ts is not None else row[LU]
    if with_lc and start_ts is None and row[LC] != row[LU]:
        item["lc"] = row[LC]
    return item
