"""The runtime: builds every engine from the config, starts and stops them in order, restarts one
by name, and answers the questions the GUI and the API both ask (statuses, health, metrics).

The same Runtime runs headless (`main.py --headless`) and under the Qt GUI; it never imports Qt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.bus import Bus, Topic
from core.config import AppConfig
from core.engine import Engine, EngineState, EngineStatus
from core.gc_watch import freeze_long_lived
from core.health import HealthReport, derive_health
from core.logs import register_secret
from core.metrics import MetricsHistory, MetricsSample, MetricsSampler
from core.process_health import MIB, ProcessMonitor

if TYPE_CHECKING:
    from core.ha.simulator import Simulator
    from core.pipeline.pipeline import Pipeline
    from core.pipeline.registry import RegistryCache
    from core.store import EventStore

log = logging.getLogger(__name__)

EngineFactory = Callable[[], Awaitable[Engine | None]]
# Which engines a change of each config section concerns (Configuration tab: restart only those).
SECTION_ENGINES: dict[str, tuple[str, ...]] = {
    "home_assistant": ("ha_client",),
    "simulator": ("ha_client",),
    "storage": ("pipeline",),
    "influxdb": ("influxdb",),
    "api": ("api",),
    "ui": (),
    "logging": (),
}
START_ORDER = ("pipeline", "influxdb", "ha_client", "api", "alerts", "metrics")


class Runtime:
    def __init__(self, config: AppConfig, *, bus: Bus | None = None) -> None:
        self.config = config
        self.bus = bus or Bus()
        self.data_dir: Path = config.storage.resolved_data_dir()
        self.metrics_history = MetricsHistory()
        self.process = ProcessMonitor()  # loop lag, GC, RSS, CPU of this process; read by _sample
        self.started_at: float | None = None
        self.engines: dict[str, Engine] = {}
        # Built in start(); typed for the GUI and API, which only touch them while running.
        self.store: EventStore = None  # type: ignore[assignment]
        self.registry: RegistryCache = None  # type: ignore[assignment]
        self.pipeline: Pipeline = None  # type: ignore[assignment]
        self.simulator: Simulator | None = None
        self._factories: dict[str, EngineFactory] = {}
        self._last_sample: tuple[float, int, int, int] | None = None
        self._stopping = False

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        from core.pipeline.registry import RegistryCache
        from core.store import EventStore

        self.started_at = time.time()
        self.process.start()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = await EventStore.open(
            self.data_dir, outbox_enabled=self.config.influxdb.enabled, config=self.config.storage
        )
        self.registry = RegistryCache()
        self._factories = {
            "pipeline": self._make_pipeline,
            "influxdb": self._make_influx,
            "ha_client": self._make_ha_client,
            "api": self._make_api,
            "alerts": self._make_alerts,
            "metrics": self._make_metrics,
        }
        for name in START_ORDER:
            await self._build_and_start(name)
        log.info("runtime started", extra={"fields": {"data_dir": str(self.data_dir)}})

    async def stop(self) -> None:
        """Stop ingest first, then flush the pipeline, drain InfluxDB, close the store."""
        if self._stopping:
            return
        self._stopping = True
        for name in ("ha_client", "metrics", "alerts", "api", "pipeline", "influxdb"):
            engine = self.engines.pop(name, None)
            if engine is not None:
                await self._stop_engine(engine)
        if self.simulator is not None:
            await self.simulator.stop()
            self.simulator = None
        if self.store is not None:
            await self.store.close()  # kept: its status() reads "stopped" from now on
        self.process.stop()
        log.info("runtime stopped")

    async def restart_engine(self, name: str) -> EngineStatus:
        if name not in self._factories:
            raise KeyError(name)
        engine = self.engines.pop(name, None)
        if engine is not None:
            await self._stop_engine(engine)
        await self._build_and_start(name)
        log.info("engine restarted", extra={"fields": {"engine": name}})
        return self.engine_status(name)

    async def apply_config(self, new: AppConfig) -> list[str]:
        """Swap in a new config and restart only the engines whose sections changed."""
        old, self.config = self.config, new
        changed = [s for s in SECTION_ENGINES if getattr(old, s) != getattr(new, s)]
        to_restart: list[str] = []
        for section in changed:
            to_restart += [e for e in SECTION_ENGINES[section] if e not in to_restart]
        if "influxdb" in changed and self.store is not None:
            await self.store.set_outbox_enabled(new.influxdb.enabled)
        for name in to_restart:
            await self.restart_engine(name)
        return to_restart

    async def _build_and_start(self, name: str) -> None:
        engine = await self._factories[name]()
        if engine is None:
            return
        self.engines[name] = engine
        try:
            await engine.start()
        except Exception as err:  # one engine failing to start must not take the others down
            log.exception("engine %s failed to start", name)
            self.bus.publish(Topic.ENGINE_STATUS, EngineStatus(name, EngineState.FAILED, last_error=str(err)))

    async def _stop_engine(self, engine: Engine) -> None:
        try:
            await engine.stop()
        except Exception:
            log.exception("engine %s failed to stop cleanly", engine.name)

    # -- factories -----------------------------------------------------------------------------

    async def _make_pipeline(self) -> Engine:
        from core.pipeline.pipeline import Pipeline

        self.pipeline = Pipeline(self.config.storage, self.store, self.registry, self.bus)
        return self.pipeline

    async def _make_influx(self) -> Engine | None:
        if not self.config.influxdb.enabled:
            return None
        from core.influx.sender import InfluxSender

        return InfluxSender(self.config.influxdb, self.store, self.bus)

    async def _make_ha_client(self) -> Engine:
        from core.ha.client import HAClient

        ha_config = self.config.home_assistant
        if self.config.use_simulator:
            ha_config = await self._ensure_simulator()
        last_stored = self.store.queries.last_time_fired
        # The store's meta table keeps an unfinished back-fill (and which HA it is) across restarts.
        return HAClient(ha_config, self.pipeline, self.registry, self.bus, last_stored, meta=self.store)

    async def _ensure_simulator(self) -> Any:
        """Start (or restart) the embedded HA simulator and return a HA config pointing at it."""
        from core.ha.simulator import Simulator, SimulatorConfig

        if self.simulator is not None:
            await self.simulator.stop()
        sim = self.config.simulator
        token = secrets.token_urlsafe(24)
        register_secret(token)
        self.simulator = Simulator(
            SimulatorConfig(token=token, rate=sim.rate, seed=sim.seed, entities=sim.entities)
        )
        await self.simulator.start()
        return replace(self.config.home_assistant, url=self.simulator.base_url, token=token)

    async def _make_api(self) -> Engine | None:
        if not self.config.api.enabled:
            return None
        from core.api.server import ApiServer

        return ApiServer(self)

    async def _make_alerts(self) -> Engine | None:
        from core.alerts import AlertEngine

        return AlertEngine(self)

    async def _make_metrics(self) -> Engine:
        return MetricsSampler(self._sample, self.bus, self.metrics_history)

    # -- questions -----------------------------------------------------------------------------

    def engine_status(self, name: str) -> EngineStatus:
        engine = self.engines.get(name)
        if engine is None:
            state = EngineState.DISABLED if name in ("influxdb", "api") else EngineState.STOPPED
            return EngineStatus(name, state, detail="not configured" if state == EngineState.DISABLED else "")
        return engine.status()

    def statuses(self) -> list[EngineStatus]:
        out = [self.engine_status(n) for n in START_ORDER]
        if self.store is not None:
            out.insert(1, self.store.status())
        return out

    def health(self) -> HealthReport:
        return derive_health(self.statuses())

    def _sample(self) -> MetricsSample:
        now = time.time()
        pipeline = self.engines.get("pipeline")
        stats = getattr(pipeline, "stats", None)
        stored = int(getattr(stats, "stored", 0))
        received = int(getattr(stats, "received", 0))
        influx = self.engines.get("influxdb")
        influx_status = influx.status() if influx is not None else None
        written = influx_status.counters.get("written", 0) if influx_status else 0
        prev = self._last_sample or (now, stored, received, written)
        dt = max(1e-6, now - prev[0])
        self._last_sample = (now, stored, received, written)
        p50, p99 = stats.latency_percentiles() if stats is not None else (None, None)
        api = self.engines.get("api")
        health = self.process.snapshot()
        return MetricsSample(
            t=now,
            events_per_s=(stored - prev[1]) / dt,
            events_total=stored,
            received_per_s=(received - prev[2]) / dt,
            rejected_total=int(getattr(stats, "rejected", 0)),
            latency_p50_ms=p50,
            latency_p99_ms=p99,
            queue_depth=int(getattr(stats, "queue_depth", 0)),
            spilled_total=int(getattr(stats, "spilled", 0)),
            outbox_depth=influx_status.counters.get("outbox_depth") if influx_status else None,
            influx_points_per_s=(written - prev[3]) / dt if influx_status else None,
            api_requests_per_s=api.status().rates.get("requests_per_s") if api is not None else None,
            loop_lag_p99_ms=health.loop_lag_p99_ms,
            loop_lag_max_ms=health.loop_lag_max_ms,
            gc_pause_max_ms=health.gc_pause_max_ms,
            rss_mb=health.rss_bytes / MIB if health.rss_bytes is not None else None,
            cpu_percent=health.cpu_percent,
        )


async def run_for(runtime: Runtime, duration: float | None, stop_event: asyncio.Event) -> None:
    """Run until `duration` passes or `stop_event` is set, then stop (flushing everything)."""
    await runtime.start()
    freeze_long_lived()  # start-up objects leave the collector's walks: shorter full-GC pauses
    try:
        if duration is None:
            await stop_event.wait()
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_event.wait(), timeout=duration)
    finally:
        await runtime.stop()
