"""The energy engine's heavy half, run in the store's read process (`EventStore.read_process`):
the period's rows stay there between refreshes and the analysis runs there, so neither the rows
(tens of MB over a month) nor the CPU of analysing them touch the app's interpreter; the event loop
and the GUI only see a small request go out and the snapshot come back.

Each engine keeps its rows under its own key. If the process was restarted in between (killed,
out of memory), the rows are gone: `update` then reads the period whole again, and `analyse`
reports `RowsLost` so the engine asks again at its next refresh. Without a process the store runs
these functions in its reader threads, and the rows live in this process instead.
"""

from __future__ import annotations

import sqlite3
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

from core.energy import reader
from core.energy.analysis import Inputs, analyse
from core.energy.model import EnergySnapshot
from core.energy.vector import Numeric
from core.energy.window import ReadPlan, WindowCache

KEEP = 4  # engines' caches kept at once: an engine restarted by the runtime leaves its old one
_caches: OrderedDict[str, WindowCache] = OrderedDict()


class RowsLost(RuntimeError):
    """The process that held the rows was restarted between reading and analysing."""


@dataclass(frozen=True)
class ReadRequest:
    key: str  # the engine's
    plan: ReadPlan
    start_s: float
    clock_s: float  # monotonic: when a full read is due again


@dataclass(frozen=True)
class ReadSummary:
    """What the engine needs before the analysis: how much was read, when each meter's readings
    begin (older consumption comes from HA's statistics), the HA price sensor's rows."""

    rows_read: int
    first_reading: dict[str, float]
    price_rows: Numeric | None


def update(conn: sqlite3.Connection, request: ReadRequest, price_entity: str | None) -> ReadSummary:
    """Bring the engine's rows up to date: the whole period when due, else the rows stored since."""
    cache = _cache(request.key)
    plan, start_us = request.plan, int(request.start_s * 1e6)
    if cache.needs_full_read(plan, request.start_s, request.clock_s):
        window = reader.read_window(conn, plan.numeric, plan.switches, start_us, plan.resets)
        cache.replace(plan, request.start_s, window, request.clock_s)
    else:
        window = reader.read_window(conn, plan.numeric, plan.switches, start_us, plan.resets, cache.last_id)
        cache.add(window, request.start_s)
    now = cache.until(float("inf"))
    first = {eid: float(rows.ts[0]) for eid, rows in now.numeric.items() if len(rows)}
    prices = now.numeric.get(price_entity) if price_entity else None
    return ReadSummary(window.rows, first, prices)


def analyse_rows(_conn: sqlite3.Connection, key: str, inputs: Inputs) -> tuple[EnergySnapshot, float]:
    """The analysis over the engine's rows up to `inputs.now`, and its CPU seconds."""
    cache = _caches.get(key)
    if cache is None:
        raise RowsLost("the energy rows were lost with the read process; they are read again next time")
    window = cache.until(inputs.now.timestamp() + 1e-6)
    before = time.thread_time()
    snapshot = analyse(replace(inputs, numeric=window.numeric, switches=window.switches))
    return snapshot, time.thread_time() - before


def forget(_conn: sqlite3.Connection, key: str) -> None:
    """The engine stopped: its rows can go."""
    _caches.pop(key, None)


def _cache(key: str) -> WindowCache:
    cache = _caches.pop(key, None) or WindowCache()
    _caches[key] = cache  # most recently used last
    while len(_caches) > KEEP:
        _caches.popitem(last=False)
    return cache
