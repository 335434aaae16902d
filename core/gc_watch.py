"""Garbage-collector pauses: keep them short, and measure them.

A full (generation 2) collection stops the event loop for as long as it takes to walk every
tracked object, and in a big heap that is mostly cache misses: at 20k events/s this was the
largest stall the GUI had (see bench/README.md). Two things keep it short:

- `freeze_long_lived()`: once the runtime is up, the modules, classes, functions, Qt wrappers and
  registry built at start-up live as long as the process. `gc.freeze()` moves them to the
  permanent generation, so no later collection walks them again (as Instagram and HA do).
- long-lived bulk data is kept in GC-untracked shapes (tuples of atomic values, bytes).

`GcPauses` records each collection's pause, so the runtime and the benchmarks can report them.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from typing import Any


def freeze_long_lived() -> int:
    """Collect once, then exempt every surviving object from later collections; return how many."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@dataclass(slots=True)
class PauseStats:
    collections: int = 0
    full_collections: int = 0
    max_ms: float = 0.0
    max_full_ms: float = 0.0
    total_ms: float = 0.0


class GcPauses:
    """Times every collection through `gc.callbacks`; `take()` returns and resets the window."""

    def __init__(self) -> None:
        self._started = 0.0
        self._window = PauseStats()
        self._installed = False

    def install(self) -> None:
        if not self._installed:
            gc.callbacks.append(self._on_gc)
            self._installed = True

    def uninstall(self) -> None:
        if self._installed:
            gc.callbacks.remove(self._on_gc)
            self._installed = False

    def take(self) -> PauseStats:
        window, self._window = self._window, PauseStats()
        return window

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        ms = (time.perf_counter() - self._started) * 1000
        w = self._window
        w.collections += 1
        w.total_ms += ms
        w.max_ms = max(w.max_ms, ms)
        if info.get("generation") == 2:
            w.full_collections += 1
            w.max_full_ms = max(w.max_full_ms, ms)
