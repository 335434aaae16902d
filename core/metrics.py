"""Once-a-second samples of the runtime's vital numbers, kept in ring buffers in core.

The GUI's live charts and /api/v1/stats/timeseries read the same rings, so a chart never invents
a point: a second with no sample is a gap, not a zero.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from core.bus import Bus, Topic
from core.engine import EngineRole, EngineSpec, EngineState, EngineStatus

if TYPE_CHECKING:
    from core.deps import Deps

HISTORY_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class MetricsSample:
    t: float  # wall clock, seconds
    events_per_s: float  # stored per second over the last interval
    events_total: int  # stored since start
    received_per_s: float
    rejected_total: int
    latency_p50_ms: float | None  # time_fired -> committed
    latency_p99_ms: float | None
    queue_depth: int
    spilled_total: int
    outbox_depth: int | None  # None when InfluxDB is not configured
    influx_points_per_s: float | None
    api_requests_per_s: float | None
    # The process's own health (core/process_health.py); None when unknown or not measured yet.
    loop_lag_p99_ms: float | None = None  # event-loop lag over the last minute
    loop_lag_max_ms: float | None = None
    gc_pause_max_ms: float | None = None  # longest full collection in this interval (0.0: none ran)
    rss_mb: float | None = None  # MiB; VmRSS, or the peak RSS where /proc is missing
    cpu_percent: float | None = None  # process CPU over this interval (all threads)


SampleSource = Callable[[], MetricsSample]


class MetricsHistory:
    """A ring of samples; the columns are read out as lists for charts."""

    def __init__(self, maxlen: int = HISTORY_SECONDS) -> None:
        self._samples: deque[MetricsSample] = deque(maxlen=maxlen)
        self.version = 0  # bumps on every append: charts repaint only when it changed

    def append(self, sample: MetricsSample) -> None:
        self._samples.append(sample)
        self.version += 1

    def latest(self) -> MetricsSample | None:
        return self._samples[-1] if self._samples else None

    def since(self, t0: float) -> list[MetricsSample]:
        return [s for s in self._samples if s.t >= t0]

    def column(self, name: str, since: float = 0.0) -> tuple[list[float], list[float | None]]:
        xs: list[float] = []
        ys: list[float | None] = []
        for s in self._samples:
            if s.t >= since:
                xs.append(s.t)
                ys.append(getattr(s, name))
        return xs, ys

    def max_since(self, name: str, since: float) -> float | None:
        """The largest known value of a column since `since` (None: no sample knew it), e.g. the
        longest GC pause of the last minute: a per-second maximum alone is mostly 0."""
        best: float | None = None
        for s in reversed(self._samples):  # newest first: stop at the window's start, not the ring's
            if s.t < since:
                break
            value = getattr(s, name)
            if value is not None and (best is None or value > best):
                best = value
        return best

    def __len__(self) -> int:
        return len(self._samples)

    @staticmethod
    def column_names() -> list[str]:
        return [f.name for f in fields(MetricsSample) if f.name != "t"]


class MetricsSampler:
    """An engine that calls `source` every second and appends to the history."""

    name = "metrics"

    def __init__(self, source: SampleSource, bus: Bus, history: MetricsHistory, interval_s: float = 1.0):
        self._source = source
        self._bus = bus
        self.history = history
        self._interval = interval_s
        self._task: asyncio.Task[None] | None = None
        self._started_at: float | None = None

    async def start(self) -> None:
        self._started_at = time.time()
        self._task = asyncio.create_task(self._run(), name="metrics-sampler")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def status(self) -> EngineStatus:
        state = EngineState.RUNNING if self._task else EngineState.STOPPED
        return EngineStatus(
            self.name, state, started_at=self._started_at, counters={"samples": len(self.history)}
        )

    def sample_now(self) -> MetricsSample:
        sample = self._source()
        self.history.append(sample)
        self._bus.publish(Topic.METRICS, sample)
        return sample

    async def _run(self) -> None:
        next_at = time.monotonic()
        while True:
            next_at += self._interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            self.sample_now()


async def _build(deps: Deps) -> MetricsSampler:
    return MetricsSampler(deps.control.sample_metrics, deps.bus, deps.metrics_history)


SPEC: EngineSpec[MetricsSampler] = EngineSpec(
    name="metrics",
    build=_build,
    label="Metrics",
    role=EngineRole.SERVICE,
    logger="core.metrics",
)
