"""The energy engine's rows between refreshes: the first refresh reads the whole period; later ones
read only the rows stored since (by rowid: late back-filled rows too) and add them here, so a refresh
every few minutes does not read a month of events again.

Once a day, and whenever the meters or the period's start go back, the period is read whole again:
that is where rows the store removed (retention) leave, and nothing can drift for longer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.energy.reader import SwitchRows, Window
from core.energy.vector import Numeric

FULL_READ_EVERY_S = 86_400.0


@dataclass(frozen=True)
class ReadPlan:
    """What a refresh reads: numeric entities, switchable entities, `total` meters' last_reset."""

    numeric: tuple[str, ...]
    switches: tuple[str, ...]
    resets: tuple[str, ...]


class WindowCache:
    """One engine's rows of the period, in time order per entity, and the newest rowid read."""

    def __init__(self) -> None:
        self._plan: ReadPlan | None = None
        self._start_s = 0.0
        self._full_at = -FULL_READ_EVERY_S
        self._window = Window({}, {})

    @property
    def last_id(self) -> int:
        return self._window.last_id

    def needs_full_read(self, plan: ReadPlan, start_s: float, now_s: float) -> bool:
        return plan != self._plan or start_s < self._start_s or now_s - self._full_at >= FULL_READ_EVERY_S

    def replace(self, plan: ReadPlan, start_s: float, window: Window, now_s: float) -> None:
        """A full read of the period from `start_s`."""
        self._plan, self._start_s, self._full_at, self._window = plan, start_s, now_s, window

    def add(self, new: Window, start_s: float) -> None:
        """The rows stored since the last read; the period now begins at `start_s` (later)."""
        old = self._window
        numeric = {
            eid: _trim_numeric(_merge_numeric(rows, new.numeric.get(eid)), start_s)
            for eid, rows in old.numeric.items()
        }
        switches = {
            eid: _trim_switch(_merge_switch(rows, new.switches.get(eid)), start_s)
            for eid, rows in old.switches.items()
        }
        numeric |= {e: _trim_numeric(r, start_s) for e, r in new.numeric.items() if e not in old.numeric}
        switches |= {e: _trim_switch(r, start_s) for e, r in new.switches.items() if e not in old.switches}
        self._start_s = start_s
        self._window = Window(numeric, switches, max(new.last_id, old.last_id))

    def until(self, end_s: float) -> Window:
        """The rows before `end_s` (a row stamped in the future waits for its time); views, no copy."""
        w = self._window
        numeric = {eid: _cut_numeric(r, _before(r.ts, end_s)) for eid, r in w.numeric.items()}
        switches = {eid: _cut_switch(r, _before(r.ts, end_s)) for eid, r in w.switches.items()}
        return Window(numeric, switches, w.last_id)


def _order(*ts: np.ndarray) -> np.ndarray:
    return np.argsort(np.concatenate(ts), kind="stable")


def _merge_numeric(old: Numeric, new: Numeric | None) -> Numeric:
    if new is None or not len(new):
        return old
    order = _order(old.ts, new.ts)
    resets = None
    if old.last_reset is not None or new.last_reset is not None:
        a = old.last_reset if old.last_reset is not None else np.full(len(old), np.nan)
        b = new.last_reset if new.last_reset is not None else np.full(len(new), np.nan)
        resets = np.concatenate((a, b))[order]
    ts, value = np.concatenate((old.ts, new.ts))[order], np.concatenate((old.value, new.value))[order]
    return Numeric(ts, value, resets)


def _merge_switch(old: SwitchRows, new: SwitchRows | None) -> SwitchRows:
    if new is None or not len(new.ts):
        return old
    order = _order(old.ts, new.ts)
    return SwitchRows(
        *(
            np.concatenate((a, b))[order]
            for a, b in ((old.ts, new.ts), (old.on, new.on), (old.was_on, new.was_on))
        )
    )


def _keep_from(ts: np.ndarray, start_s: float) -> slice:
    """Rows from the one in force at `start_s` (the last before it) on."""
    return slice(max(int(np.searchsorted(ts, start_s, side="left")) - 1, 0), None)


def _before(ts: np.ndarray, end_s: float) -> slice:
    return slice(0, int(np.searchsorted(ts, end_s, side="left")))


def _trim_numeric(rows: Numeric, start_s: float) -> Numeric:
    return _cut_numeric(rows, _keep_from(rows.ts, start_s))


def _trim_switch(rows: SwitchRows, start_s: float) -> SwitchRows:
    return _cut_switch(rows, _keep_from(rows.ts, start_s))


def _cut_numeric(rows: Numeric, keep: slice) -> Numeric:
    resets = rows.last_reset[keep] if rows.last_reset is not None else None
    return Numeric(rows.ts[keep], rows.value[keep], resets)


def _cut_switch(rows: SwitchRows, keep: slice) -> SwitchRows:
    return SwitchRows(rows.ts[keep], rows.on[keep], rows.was_on[keep])
