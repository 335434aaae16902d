"""The app's own health: the loop-lag probe, GC window, RSS and CPU (core/process_health.py), their
place in the metrics sample, the "event loop lagging" alert, and the Prometheus gauges."""

from __future__ import annotations

import asyncio
import gc
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from core import process_health
from core.alerts import AlertEngine
from core.alerts.rules import AlertThresholds, Observation, evaluate
from core.api.prom import ApiMetrics
from core.config import AppConfig, StorageConfig
from core.metrics import MetricsHistory, MetricsSample
from core.process_health import LoopLagProbe, ProcessMonitor, read_rss_bytes, rss_source
from core.runtime import Runtime
from tests.api_live import LiveRuntime, start_live
from tests.runtime_harness import running_runtime, specs_without

NOW = 1_800_000_000.0


@pytest.fixture
async def monitor() -> AsyncIterator[ProcessMonitor]:
    mon = ProcessMonitor()
    mon.start()
    try:
        yield mon
    finally:
        mon.stop()


# -- the probe ------------------------------------------------------------------------------------


async def test_a_blocked_loop_shows_up_as_lag(monitor: ProcessMonitor) -> None:
    await asyncio.sleep(0.25)
    # The next probe is due at most 100 ms after the stall starts, so a 0.4 s stall makes it >= 300 ms late.
    asyncio.get_running_loop().call_soon(time.sleep, 0.4)
    await asyncio.sleep(0.3)
    health = monitor.snapshot()
    assert health.loop_lag_max_ms is not None and health.loop_lag_max_ms >= 250
    assert health.loop_lag_p50_ms is not None and health.loop_lag_p50_ms < health.loop_lag_max_ms


async def test_a_snapshot_right_after_a_stall_sees_the_overdue_probe(monitor: ProcessMonitor) -> None:
    await asyncio.sleep(0.15)
    seen: list[float | None] = []

    def stall_then_sample() -> None:  # the sampler may run before the late probe's own tick
        time.sleep(0.4)
        seen.append(monitor.snapshot().loop_lag_max_ms)

    asyncio.get_running_loop().call_soon(stall_then_sample)
    await asyncio.sleep(0.05)
    assert seen and seen[0] is not None and seen[0] >= 250


async def test_an_idle_loop_stays_low(monitor: ProcessMonitor) -> None:
    await asyncio.sleep(1.0)
    health = monitor.snapshot()
    assert health.lag_probes >= 8  # ~10 at 100 ms
    assert health.loop_lag_p50_ms is not None and health.loop_lag_p50_ms < 20
    assert health.loop_lag_max_ms is not None and health.loop_lag_max_ms < 150


async def test_p99_waits_for_enough_probes(monitor: ProcessMonitor, monkeypatch: pytest.MonkeyPatch) -> None:
    await asyncio.sleep(0.25)
    early = monitor.snapshot()
    assert early.loop_lag_p99_ms is None and early.loop_lag_max_ms is not None  # a few probes: no p99
    monkeypatch.setattr(process_health, "P99_AFTER_S", 0.2)
    later = monitor.snapshot()
    assert later.loop_lag_p99_ms is not None and later.loop_lag_max_ms is not None
    assert later.loop_lag_p99_ms <= later.loop_lag_max_ms


async def test_the_ring_keeps_only_the_window() -> None:
    probe = LoopLagProbe(period_s=0.01, window_s=0.2)
    probe.start()
    try:
        await asyncio.sleep(0.6)
        assert 5 <= len(probe.lags_ms()) <= 22  # ~20 ticks of 10 ms in 200 ms, not ~60
    finally:
        probe.stop()
    assert not probe.running


# -- GC, RSS, CPU ---------------------------------------------------------------------------------


async def test_gc_window_and_uninstall() -> None:
    mon = ProcessMonitor()
    mon.start()
    gc.collect()
    health = mon.snapshot()
    assert health.gc_collections >= 1
    assert health.gc_pause_max_ms is not None and health.gc_pause_max_ms > 0
    mon.stop()
    assert mon.snapshot().gc_pause_max_ms is None  # stopped: unknown, not 0
    gc.collect()
    assert mon.gc.take().collections == 0  # the gc callback is gone


def test_rss_from_proc_and_the_peak_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    if not process_health.PROC_STATUS.exists():
        pytest.skip("no /proc on this system")
    assert rss_source() == "VmRSS"
    current = read_rss_bytes()
    assert current is not None and current > 10 * process_health.MIB
    monkeypatch.setattr(process_health, "PROC_STATUS", Path("/nonexistent/status"))
    assert rss_source() == "maxrss"
    peak = read_rss_bytes()
    assert peak is not None and peak >= current * 0.9  # the peak is at least about today's size


async def test_cpu_percent_of_a_busy_loop(monitor: ProcessMonitor) -> None:
    monitor.snapshot()
    deadline = time.perf_counter() + 0.3
    while time.perf_counter() < deadline:
        pass
    cpu = monitor.snapshot().cpu_percent
    assert cpu is not None and cpu > 10  # a busy loop; the machine may be shared, so not near 100
    assert ProcessMonitor().snapshot().cpu_percent is None  # never started: unknown


# -- metrics sample -------------------------------------------------------------------------------


async def test_runtime_sample_carries_the_process_health(tmp_path: Path) -> None:
    rt = Runtime(AppConfig(storage=StorageConfig(data_dir=str(tmp_path))))
    before = rt.sample_metrics()
    assert (before.loop_lag_max_ms, before.gc_pause_max_ms, before.cpu_percent) == (None, None, None)
    rt.process.start()
    try:
        await asyncio.sleep(0.3)
        sample = rt.sample_metrics()
    finally:
        rt.process.stop()
    assert sample.loop_lag_max_ms is not None and sample.gc_pause_max_ms is not None
    assert sample.cpu_percent is not None and sample.loop_lag_p99_ms is None  # p99 after 10 s
    assert sample.rss_mb is not None and sample.rss_mb > 10
    assert {"loop_lag_p99_ms", "rss_mb", "cpu_percent"} <= set(MetricsHistory.column_names())


def sample(t: float, **kw: Any) -> MetricsSample:
    base = MetricsSample(t, 0.0, 0, 0.0, 0, None, None, 0, 0, None, None, None)
    return replace(base, **kw)


def test_max_since_skips_unknowns_and_old_samples() -> None:
    history = MetricsHistory()
    for t, ms in ((100.0, 40.0), (150.0, None), (170.0, 12.0), (180.0, 0.0)):
        history.append(sample(t, gc_pause_max_ms=ms))
    assert history.max_since("gc_pause_max_ms", 120.0) == 12.0
    assert history.max_since("gc_pause_max_ms", 0.0) == 40.0
    assert history.max_since("gc_pause_max_ms", 175.0) == 0.0
    assert history.max_since("rss_mb", 0.0) is None


# -- alert rule -----------------------------------------------------------------------------------


def fired(obs: Observation, thresholds: AlertThresholds | None = None) -> set[str]:
    return {rule for rule, finding in evaluate(obs, thresholds or AlertThresholds()).items() if finding}


def test_loop_lagging_rule() -> None:
    assert fired(Observation(NOW, loop_lag_p99_ms=None)) == set()
    assert fired(Observation(NOW, loop_lag_p99_ms=250.0)) == set()
    assert fired(Observation(NOW, loop_lag_p99_ms=251.0)) == {"loop_lagging"}
    assert fired(Observation(NOW, loop_lag_p99_ms=60.0), AlertThresholds(loop_lag_p99_ms=50)) == {
        "loop_lagging"
    }
    finding = evaluate(Observation(NOW, loop_lag_p99_ms=400.0), AlertThresholds())["loop_lagging"]
    assert finding is not None and finding.severity == "warning" and "400 ms" in finding.message


@pytest.fixture
async def lag_engine(tmp_path: Path) -> AsyncIterator[tuple[AlertEngine, MetricsHistory]]:
    """An alert engine on a real runtime's dependencies, reading the samples the test appends."""
    async with running_runtime(tmp_path, specs=specs_without("alerts", "metrics")) as runtime:
        engine = AlertEngine(runtime.deps, interval_s=3600, thresholds=AlertThresholds(disk_free_bytes=0))
        await engine.start()
        try:
            yield engine, runtime.metrics_history
        finally:
            await engine.stop()


async def test_loop_lagging_alert_raises_and_clears_itself(lag_engine: Any) -> None:
    engine, history = lag_engine
    history.append(sample(time.time(), loop_lag_p99_ms=20.0))
    assert await engine.evaluate() == []
    history.append(sample(time.time(), loop_lag_p99_ms=600.0))
    (raised,) = await engine.evaluate()
    assert raised.rule == "loop_lagging" and raised.severity == "warning" and raised.state == "active"
    assert raised.detail == {"loop_lag_p99_ms": 600.0, "threshold_ms": 250.0}
    assert await engine.evaluate() == []  # still lagging: the same alert
    history.append(sample(time.time(), loop_lag_p99_ms=30.0))
    (cleared,) = await engine.evaluate()
    assert cleared.id == raised.id and cleared.state == "resolved" and cleared.resolution == "cleared"


# -- Prometheus -----------------------------------------------------------------------------------


async def test_gauges_are_left_out_until_measured(tmp_path: Path) -> None:
    async with running_runtime(tmp_path, specs=specs_without("metrics")) as runtime:
        history = runtime.metrics_history
        metrics = ApiMetrics(runtime.deps)
        assert b"event_loop_lag" not in metrics.render()
        history.append(sample(NOW, loop_lag_max_ms=5.0, gc_pause_max_ms=0.0))
        text = metrics.render().decode()
    assert 'ha_ingestor_event_loop_lag_seconds{quantile="max"} 0.005' in text
    assert 'quantile="0.99"' not in text and "ha_ingestor_gc_pause_max_seconds 0.0" in text
    assert "resident_memory_bytes" not in text and "ha_ingestor_cpu_percent" not in text


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveRuntime]:
    monkeypatch.setattr(process_health, "P99_AFTER_S", 0.5)  # a p99 within the test, not after 10 s
    rt = start_live(tmp_path)
    try:
        yield rt
    finally:
        rt.stop()


def gauge(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert match, name
    return float(match.group(1))


def test_prometheus_has_the_process_gauges(live: LiveRuntime) -> None:
    history = live.runtime.metrics_history

    def measured() -> bool:
        s = history.latest()
        return s is not None and s.loop_lag_p99_ms is not None and s.cpu_percent is not None

    live.wait_until(measured, "a sample with loop lag p99")
    text = live.get("/metrics").text
    p99 = gauge(text, 'ha_ingestor_event_loop_lag_seconds{quantile="0.99"}')
    worst = gauge(text, 'ha_ingestor_event_loop_lag_seconds{quantile="max"}')
    assert 0 <= p99 <= worst < 60
    assert gauge(text, "ha_ingestor_gc_pause_max_seconds") >= 0
    assert gauge(text, "ha_ingestor_resident_memory_bytes") > 10 * process_health.MIB
    assert gauge(text, "ha_ingestor_cpu_percent") >= 0
    assert "# TYPE ha_ingestor_event_loop_lag_seconds gauge" in text
