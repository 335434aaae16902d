"""Prometheus metrics for /metrics: a per-server CollectorRegistry (never the global one, so tests and
restarts never collide) with the API's own counters plus a collector that reads engine statuses
and pipeline stats at scrape time: nothing is copied on the hot path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from core import process_health
from core.engine import EngineState
from core.influx.spec import SPEC as INFLUX

if TYPE_CHECKING:
    from core.deps import Deps
    from core.metrics import MetricsSample
    from core.pipeline.stats import PipelineStats

PREFIX = "ha_ingestor"
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
HA_CONNECTED_STATES = {"connected"}


class ApiMetrics:
    def __init__(self, deps: Deps) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            f"{PREFIX}_api_requests",
            "API requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            f"{PREFIX}_api_request_duration_seconds",
            "API request latency by route template",
            ["route"],
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(RuntimeCollector(deps))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RuntimeCollector(Collector):
    """Reads the runtime at scrape time: engine states, pipeline stats, InfluxDB outbox, HA link."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def collect(self) -> Iterator[Metric]:
        yield from self._engines()
        yield from self._pipeline()
        yield from self._influx()
        yield from self._ha()
        yield from self._process()

    def _engines(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            f"{PREFIX}_engine_up", "1 when the engine is running", labels=["engine", "state"]
        )
        errors = CounterMetricFamily(
            f"{PREFIX}_engine_errors", "Errors counted by each engine", labels=["engine"]
        )
        for status in self.deps.control.statuses():
            running = status.state in (EngineState.RUNNING, EngineState.DEGRADED)
            up.add_metric([status.name, str(status.state)], 1.0 if running else 0.0)
            errors.add_metric([status.name], float(status.errors))
        yield up
        yield errors

    def _pipeline(self) -> Iterator[Metric]:
        stats = self.deps.control.pipeline_stats()
        if stats is None:
            return
        for name, help_text in (
            ("received", "Events received from Home Assistant"),
            ("stored", "Events committed to SQLite"),
            ("spilled", "Events spilled to disk because the queue was full"),
            ("duplicates", "Events skipped as already stored (snapshot/back-fill overlap)"),
            ("quarantined", "Events the store could not write, kept in the quarantine file"),
        ):
            yield _counter(f"events_{name}", help_text, getattr(stats, name))
        rejected = CounterMetricFamily(
            f"{PREFIX}_events_rejected", "Events rejected, by reason", labels=["reason"]
        )
        for reason, count in sorted(stats.rejected_by_reason.items()):
            rejected.add_metric([str(reason)], float(count))
        yield rejected
        yield GaugeMetricFamily(
            f"{PREFIX}_pipeline_queue_depth",
            "Events waiting in the pipeline queue",
            stats.queue_depth,
        )
        histogram = _latency_histogram(stats)
        if histogram is not None:
            yield histogram

    def _influx(self) -> Iterator[Metric]:
        influx = self.deps.control.engine(INFLUX)
        info = influx.influx_status() if influx is not None else None
        if info is None:
            return
        yield GaugeMetricFamily(
            f"{PREFIX}_influx_outbox_depth", "Points waiting for InfluxDB", info.outbox_depth
        )
        age = info.oldest_age_s if info.oldest_age_s is not None else 0.0
        yield GaugeMetricFamily(
            f"{PREFIX}_influx_outbox_oldest_age_seconds", "Age of the oldest waiting point", age
        )
        yield _counter("influx_points_written", "Points acknowledged by InfluxDB", info.written_total)
        yield _counter(
            "influx_points_quarantined", "Points InfluxDB rejected for good", info.quarantined_total
        )
        yield _counter(
            "influx_points_dropped", "Points dropped because the outbox was full", info.dropped_total
        )

    def _ha(self) -> Iterator[Metric]:
        info = self.deps.control.connection_info()
        state = str(info.state) if info is not None else "stopped"
        yield GaugeMetricFamily(
            f"{PREFIX}_ha_connected",
            "1 while connected to Home Assistant",
            1.0 if state in HA_CONNECTED_STATES else 0.0,
        )
        yield _counter("ha_reconnects", "Reconnections to Home Assistant", info.reconnects if info else 0)
        yield _counter(
            "ha_backfill_unconfirmed",
            "Back-fills run before HA's recorder had caught up (their gap may be incomplete)",
            info.backfill_unconfirmed if info else 0,
        )

    def _process(self) -> Iterator[Metric]:
        """The process's own health from the latest once-a-second sample (core/process_health.py);
        a gauge nobody measured yet is left out rather than reported as 0."""
        history = self.deps.metrics_history
        sample = history.latest()
        if sample is None:
            return
        if sample.loop_lag_max_ms is not None:
            yield _loop_lag(sample)
        # A scrape every 15-60 s would miss most one-second windows: report the last minute's longest.
        gc_ms = history.max_since("gc_pause_max_ms", sample.t - process_health.WINDOW_S)
        if gc_ms is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_gc_pause_max_seconds", "Longest full GC collection in the last minute", gc_ms / 1e3
            )
        if sample.rss_mb is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_resident_memory_bytes",
                "Resident set size (VmRSS; the peak RSS where /proc is missing)",
                sample.rss_mb * process_health.MIB,
            )
        if sample.cpu_percent is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_cpu_percent", "Process CPU over the last second, all threads", sample.cpu_percent
            )


def _counter(name: str, help_text: str, value: Any) -> CounterMetricFamily:
    return CounterMetricFamily(f"{PREFIX}_{name}", help_text, value=float(value or 0))


def _loop_lag(sample: MetricsSample) -> Metric:
    lag = GaugeMetricFamily(
        f"{PREFIX}_event_loop_lag_seconds",
        "How late a 100 ms timer ran on the event loop over the last minute",
        labels=["quantile"],
    )
    for quantile, ms in (("0.99", sample.loop_lag_p99_ms), ("max", sample.loop_lag_max_ms)):
        if ms is not None:  # p99 waits for 10 s of probes (core/process_health.py)
            lag.add_metric([quantile], ms / 1000)
    return lag


def _latency_histogram(stats: PipelineStats) -> Metric | None:
    """Pipeline latency (time_fired -> committed, sampled live events) from its cumulative buckets."""
    pairs, total_sum = stats.latency_buckets()  # ([(upper bound s, cumulative count), ...], sum s), +Inf last
    family = HistogramMetricFamily(
        f"{PREFIX}_pipeline_latency_seconds", "Latency from HA's time_fired to the SQLite commit"
    )
    family.add_metric([], [(_le(bound), float(count)) for bound, count in pairs], sum_value=float(total_sum))
    return family


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(float(bound))
