"""The process's own health: event-loop lag, GC pauses, memory and CPU, measured while it runs.

On a wall tablet or a small server the first sign of trouble is the app itself: a busy loop freezes
the dashboard and delays ingest. `ProcessMonitor` is not an engine (nothing to restart, nothing to
configure); the runtime starts it with itself and reads a `ProcessHealth` snapshot once a second.

- loop lag: a timer re-armed every 100 ms with `loop.call_at`; how late each call ran is the time
  the loop could not run anything else. Only the tick times are kept (one float each in a deque):
  a probe's lag is its tick minus (previous tick + period), so nothing else is stored per probe.
  Under qasync, Qt's coarse timers may fire up to 5 % (5 ms) off: well below any lag that matters.
- GC: `core.gc_watch.GcPauses`, the longest full (generation 2) collection since the last snapshot.
- RSS: VmRSS from /proc/self/status (Linux); elsewhere getrusage's ru_maxrss, which is the *peak*
  resident size (see `rss_source()`); None where neither exists (Windows).
- CPU: process CPU time (every thread) over wall time since the last snapshot; >100 % on many cores.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import deque
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from core.gc_watch import GcPauses

PROBE_S = 0.1
WINDOW_S = 60.0
# p99 of a few probes is just their max: one start-up stall would read as a lagging loop.
P99_AFTER_S = 10.0
PROC_STATUS = Path("/proc/self/status")
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ProcessHealth:
    t: float  # wall clock of the snapshot
    loop_lag_p50_ms: float | None  # over the last WINDOW_S; None before the first probe
    loop_lag_p99_ms: float | None  # None until the probe has run P99_AFTER_S
    loop_lag_max_ms: float | None
    lag_probes: int  # probes in the window
    gc_pause_max_ms: float | None  # longest full collection since the last snapshot (0.0: none ran)
    gc_collections: int  # collections of any generation since the last snapshot
    rss_bytes: int | None
    cpu_percent: float | None  # since the last snapshot


def rss_source() -> str | None:
    """Where `read_rss_bytes()` gets its number: "VmRSS" (current), "maxrss" (peak) or None."""
    if PROC_STATUS.exists():
        return "VmRSS"
    try:
        import resource  # noqa: F401  # not on Windows
    except ImportError:
        return None
    return "maxrss"


def read_rss_bytes() -> int | None:
    with_proc = _vmrss_bytes()
    return with_proc if with_proc is not None else _maxrss_bytes()


def _vmrss_bytes() -> int | None:
    try:
        with PROC_STATUS.open(encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024  # the kernel reports kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def _maxrss_bytes() -> int | None:
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS reports bytes, the others kB


def percentile(ordered: list[float], q: float) -> float:
    """Nearest rank of an already sorted, non-empty list (the same rule as bench/ui.py)."""
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class LoopLagProbe:
    """Re-arms a timer every `period_s` and keeps the tick times of the last `window_s`."""

    def __init__(self, period_s: float = PROBE_S, window_s: float = WINDOW_S) -> None:
        self.period_s = period_s
        self.window_s = window_s
        self._ticks: deque[float] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.Handle | None = None
        self.started_at: float | None = None  # loop clock

    @property
    def running(self) -> bool:
        return self._handle is not None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._ticks.clear()
        self.started_at = self._loop.time()
        self._arm(self.started_at)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _arm(self, now: float) -> None:
        assert self._loop is not None
        self._ticks.append(now)
        self._handle = self._loop.call_at(now + self.period_s, self._tick)

    def _tick(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        horizon = now - self.window_s
        while self._ticks and self._ticks[0] < horizon:
            self._ticks.popleft()
        self._arm(now)

    def lags_ms(self) -> list[float]:
        """Lag of every probe in the window, plus the pending one if it is already overdue (a
        snapshot taken right after a stall may run before the probe's own late tick)."""
        if self._loop is None or not self._ticks:
            return []
        lags = [max(0.0, (b - a - self.period_s) * 1000) for a, b in pairwise(self._ticks)]
        if self._handle is not None:
            overdue = self._loop.time() - (self._ticks[-1] + self.period_s)
            if overdue > 0:
                lags.append(overdue * 1000)
        return lags

    def ran_for_s(self) -> float:
        if self._loop is None or self.started_at is None:
            return 0.0
        return self._loop.time() - self.started_at


class ProcessMonitor:
    """Loop-lag probe + GC pause window + RSS + CPU; `snapshot()` closes the current interval."""

    def __init__(self, probe: LoopLagProbe | None = None, gc_pauses: GcPauses | None = None) -> None:
        self.probe = probe or LoopLagProbe()
        self.gc = gc_pauses or GcPauses()
        self._cpu_mark: tuple[float, float] | None = None  # (process_time, monotonic)

    def start(self) -> None:
        """Call on the running loop."""
        self.probe.start()
        self.gc.install()
        self.gc.take()  # a fresh window
        self._cpu_mark = (time.process_time(), time.monotonic())

    def stop(self) -> None:
        self.probe.stop()
        self.gc.uninstall()
        self._cpu_mark = None

    def snapshot(self) -> ProcessHealth:
        running = self.probe.running
        p50, p99, worst, n = self._lag_stats()
        window = self.gc.take()
        return ProcessHealth(
            t=time.time(),
            loop_lag_p50_ms=p50,
            loop_lag_p99_ms=p99,
            loop_lag_max_ms=worst,
            lag_probes=n,
            gc_pause_max_ms=window.max_full_ms if running else None,
            gc_collections=window.collections,
            rss_bytes=read_rss_bytes(),
            cpu_percent=self._cpu_percent(),
        )

    def _lag_stats(self) -> tuple[float | None, float | None, float | None, int]:
        lags = sorted(self.probe.lags_ms()) if self.probe.running else []
        if not lags:
            return None, None, None, 0
        p99 = percentile(lags, 0.99) if self.probe.ran_for_s() >= P99_AFTER_S else None
        return percentile(lags, 0.5), p99, lags[-1], len(lags)

    def _cpu_percent(self) -> float | None:
        if self._cpu_mark is None:
            return None
        cpu, wall = time.process_time(), time.monotonic()
        cpu0, wall0 = self._cpu_mark
        if wall - wall0 < 0.05:  # too short an interval to say anything
            return None
        self._cpu_mark = (cpu, wall)
        return 100.0 * (cpu - cpu0) / (wall - wall0)
