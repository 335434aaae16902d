"""Pipeline counters, the latency reservoir and a once-a-minute-per-reason rejection log."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

LATENCY_RESERVOIR = 4096
# Upper bounds (s) of the cumulative latency histogram exported on /metrics.
LATENCY_BOUNDS_S = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, float("inf"))
LOG_PERIOD_S = 60.0


@dataclass(slots=True)
class PipelineStats:
    received: int = 0  # submit*() calls
    stored: int = 0  # rows committed (new)
    duplicates: int = 0  # rows skipped as already stored (snapshot/back-fill overlap)
    rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    spilled: int = 0  # rows ever written to the spill file
    spill_pending: int = 0  # rows in the spill file, not yet stored
    queue_depth: int = 0  # rows in memory between submit and commit
    batches: int = 0  # committed transactions
    write_errors: int = 0
    quarantined: int = 0  # rows the store could not write, kept in the quarantine file (all runs)
    # time_fired -> committed (ms) of recent live events, for p50/p99 and the /metrics histogram.
    latency_ms: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_RESERVOIR))
    # Cumulative since start (never decreases, as Prometheus wants): counts per bound and sum.
    latency_counts: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BOUNDS_S))
    latency_sum_s: float = 0.0

    def record_latency(self, ms: float, weight: int = 1) -> None:
        """Add a sampled latency standing for `weight` events (the writer samples each batch)."""
        self.latency_ms.append(ms)
        seconds = ms / 1000
        self.latency_sum_s += seconds * weight
        for i, bound in enumerate(LATENCY_BOUNDS_S):
            if seconds <= bound:
                self.latency_counts[i] += weight
                break

    def latency_buckets(self) -> tuple[list[tuple[float, int]], float]:
        """([(upper bound s, cumulative count), ...], sum s) for a Prometheus histogram."""
        out, total = [], 0
        for bound, count in zip(LATENCY_BOUNDS_S, self.latency_counts, strict=True):
            total += count
            out.append((bound, total))
        return out, self.latency_sum_s

    def latency_percentiles(self) -> tuple[float | None, float | None]:
        """(p50, p99) in ms of the recent-sample reservoir."""
        return self.latency_percentile(0.5), self.latency_percentile(0.99)

    def latency_percentile(self, q: float) -> float | None:
        """The q-quantile (0..1) of the reservoir, or None when it is empty."""
        if not self.latency_ms:
            return None
        ordered = sorted(self.latency_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class RateMeter:
    """Events per second over the last ~10 s, from (monotonic time, total) samples."""

    def __init__(self, window_s: float = 10.0) -> None:
        self._window = window_s
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, total: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if self._samples and now - self._samples[-1][0] < 0.5:
            self._samples[-1] = (self._samples[-1][0], total)
            return
        self._samples.append((now, total))
        while len(self._samples) > 2 and now - self._samples[1][0] > self._window:
            self._samples.popleft()

    def rate(self, now: float | None = None) -> float:
        if len(self._samples) < 2:
            return 0.0
        now = time.monotonic() if now is None else now
        (t0, n0), (_t1, n1) = self._samples[0], self._samples[-1]
        return (n1 - n0) / max(now - t0, 1e-3)
