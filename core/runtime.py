"""The runtime: builds every engine of the catalogue from typed dependencies, starts and stops them in
dependency order, restarts one (and what depends on it), and answers the questions the GUI and the
API both ask (statuses, health, metrics).

The same Runtime runs headless (`main.py --headless`) and under the Qt GUI; it never imports Qt.
Engines never see the Runtime itself: they get a `Deps` whose `control` is this object, typed as
`core.deps.EngineControl`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import fields
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from core.api.engine_spec import SPEC as API
from core.bus import Bus, Topic
from core.config import AppConfig
from core.deps import Deps, RestartInProgress
from core.engine import Engine, EngineRole, EngineSpec, EngineState, EngineStatus
from core.engines import default_specs, dependants, start_order
from core.gc_watch import freeze_long_lived
from core.ha.simulator.spec import SPEC as SIMULATOR
from core.ha.spec import SPEC as HA_CLIENT
from core.health import HealthReport, derive_health
from core.influx.spec import SPEC as INFLUX
from core.logs import register_config_secrets, register_engine_logger
from core.metrics import MetricsHistory, MetricsSample
from core.pipeline.registry import RegistryCache
from core.pipeline.spec import SPEC as PIPELINE
from core.process_health import MIB, ProcessMonitor

if TYPE_CHECKING:
    from core.ha.info import ConnectionInfo
    from core.ha.simulator import Simulator
    from core.pipeline.pipeline import Pipeline
    from core.pipeline.stats import PipelineStats
    from core.store import EventStore

log = logging.getLogger(__name__)
E = TypeVar("E", bound=Engine)
__all__ = ["RestartInProgress", "Runtime", "run_for"]


class Runtime:
    def __init__(
        self,
        config: AppConfig,
        *,
        bus: Bus | None = None,
        specs: Iterable[EngineSpec[Any]] | None = None,
    ) -> None:
        register_config_secrets(config)  # before anything can log: GUI or headless, API on or off
        self._config = config
        self.bus = bus or Bus()
        self.data_dir = config.storage.resolved_data_dir()
        self.metrics_history = MetricsHistory()
        self.process = ProcessMonitor()  # loop lag, GC, RSS, CPU of this process; read by sample_metrics
        self.registry = RegistryCache()
        self.store: EventStore | None = None
        self.started_at: float | None = None
        self._specs = tuple(specs if specs is not None else default_specs())
        self._start_order = start_order(self._specs)
        self._engines: dict[str, Engine] = {}
        self._disabled: set[str] = set()
        self._failed: dict[str, tuple[str, float]] = {}  # name -> (error, when): build or start failed
        self._restarting: set[str] = set()
        self._deps: Deps | None = None
        self._last_sample: tuple[float, int, int, int] | None = None
        self._stopping = False
        for spec in self._specs:
            if spec.logger:
                register_engine_logger(spec.logger, spec.name)

    # -- what the engines, the API and the GUI read (core.deps.EngineControl) -------------------

    @property
    def config(self) -> AppConfig:
        return self._config

    @property
    def specs(self) -> tuple[EngineSpec[Any], ...]:
        return self._specs

    @property
    def engines(self) -> Mapping[str, Engine]:
        """The running engines by name (read-only; reach one with `engine(SPEC)` for its type)."""
        return MappingProxyType(self._engines)

    def engine(self, spec: EngineSpec[E]) -> E | None:
        # Sound: the engine under spec.name was built by spec.build, which returns E, and names are unique.
        return cast("E | None", self._engines.get(spec.name))

    def connection_info(self) -> ConnectionInfo | None:
        client = self.engine(HA_CLIENT)
        return client.connection_info if client is not None else None

    def pipeline_stats(self) -> PipelineStats | None:
        pipeline = self.engine(PIPELINE)
        return pipeline.stats if pipeline is not None else None

    @property
    def pipeline(self) -> Pipeline | None:
        return self.engine(PIPELINE)

    @property
    def simulator(self) -> Simulator | None:
        engine = self.engine(SIMULATOR)
        return engine.simulator if engine is not None else None

    @property
    def deps(self) -> Deps:
        if self._deps is None:
            raise RuntimeError("the runtime has not started: no store yet")
        return self._deps

    def is_restartable(self, name: str) -> bool:
        return name in self._engines or name in self._failed

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        from core.store import EventStore

        self.started_at = time.time()
        self.process.start()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = await EventStore.open(
            self.data_dir, outbox_enabled=self.config.influxdb.enabled, config=self.config.storage
        )
        self._deps = Deps(self.bus, self.store, self.registry, self.metrics_history, self.data_dir, self)
        for spec in self._start_order:
            await self._build_and_start(spec)
        log.info("runtime started", extra={"fields": {"data_dir": str(self.data_dir)}})

    async def stop(self) -> None:
        """Stop ingest first, then what feeds the sinks (flushing the pipeline), then the sinks (draining
        InfluxDB), then close the store."""
        if self._stopping:
            return
        self._stopping = True
        for spec in _stop_order(self._start_order):
            engine = self._engines.pop(spec.name, None)
            if engine is not None:
                await self._stop_engine(engine)
        if self.store is not None:
            await self.store.close()  # kept: its status() reads "stopped" from now on
        self.process.stop()
        log.info("runtime stopped")

    async def restart_engine(self, name: str) -> EngineStatus:
        """Restart one engine and every engine that starts after it (they hold a reference to it)."""
        await self._restart({name})
        log.info("engine restarted", extra={"fields": {"engine": name}})
        return self.engine_status(name)

    async def apply_config(self, new: AppConfig) -> list[str]:
        """Swap in a new config and restart only the engines whose sections changed (and dependants)."""
        register_config_secrets(new)
        old, self._config = self._config, new
        changed = {f.name for f in fields(AppConfig) if getattr(old, f.name) != getattr(new, f.name)}
        names = {s.name for s in self._specs if changed.intersection(s.sections)}
        if "influxdb" in changed and self.store is not None:
            await self.store.set_outbox_enabled(new.influxdb.enabled)
        return await self._restart(names) if names else []

    async def _restart(self, names: set[str]) -> list[str]:
        unknown = names - {s.name for s in self._specs}
        if unknown:
            raise KeyError(sorted(unknown)[0])
        chain = {n for name in names for n in (name, *(d.name for d in dependants(self._specs, name)))}
        busy = chain & self._restarting
        if busy:
            raise RestartInProgress(", ".join(sorted(busy)))
        ordered = [s for s in self._start_order if s.name in chain]
        self._restarting |= chain
        try:
            for spec in reversed(ordered):
                engine = self._engines.pop(spec.name, None)
                if engine is not None:
                    await self._stop_engine(engine)
            for spec in ordered:
                if not self._stopping:
                    await self._build_and_start(spec)
        finally:
            self._restarting -= chain
        return [s.name for s in ordered]

    async def _build_and_start(self, spec: EngineSpec[Any]) -> None:
        self._disabled.discard(spec.name)
        self._failed.pop(spec.name, None)
        try:
            engine = await spec.build(self.deps)
            if engine is None:
                self._disabled.add(spec.name)
                return
            self._engines[spec.name] = engine
            await engine.start()
        except Exception as err:  # one engine failing to start must not take the others down
            log.exception("engine %s failed to start", spec.name)
            self._failed[spec.name] = (f"{type(err).__name__}: {err}", time.time())
            self.bus.publish(Topic.ENGINE_STATUS, self.engine_status(spec.name))

    async def _stop_engine(self, engine: Engine) -> None:
        try:
            await engine.stop()
        except Exception:
            log.exception("engine %s failed to stop cleanly", engine.name)

    # -- questions -----------------------------------------------------------------------------

    def engine_status(self, name: str) -> EngineStatus:
        failed = self._failed.get(name)
        if failed is not None:
            return EngineStatus(name, EngineState.FAILED, detail=f"failed to start: {failed[0]}",
                                last_error=failed[0], last_error_at=failed[1], errors=1)  # fmt: skip
        engine = self._engines.get(name)
        if engine is not None:
            return engine.status()
        if name in self._disabled:
            spec = next(s for s in self._specs if s.name == name)
            return EngineStatus(name, EngineState.DISABLED, detail=spec.disabled_detail)
        return EngineStatus(name, EngineState.STOPPED)

    def statuses(self) -> list[EngineStatus]:
        """Every engine in catalogue order, with the SQLite store after the pipeline that writes it."""
        out: list[EngineStatus] = []
        for spec in self._specs:
            out.append(self.engine_status(spec.name))
            if spec is PIPELINE and self.store is not None:
                out.append(self.store.status())
        return out

    def health(self) -> HealthReport:
        return derive_health(self.statuses(), self._specs)

    def sample_metrics(self) -> MetricsSample:
        now = time.time()
        stats = self.pipeline_stats()
        stored = stats.stored if stats is not None else 0
        received = stats.received if stats is not None else 0
        influx = self.engine(INFLUX)
        influx_status = influx.status() if influx is not None else None
        written = influx_status.counters.get("written", 0) if influx_status else 0
        prev = self._last_sample or (now, stored, received, written)
        dt = max(1e-6, now - prev[0])
        self._last_sample = (now, stored, received, written)
        p50, p99 = stats.latency_percentiles() if stats is not None else (None, None)
        api = self.engine(API)
        health = self.process.snapshot()
        return MetricsSample(
            t=now,
            events_per_s=(stored - prev[1]) / dt,
            events_total=stored,
            received_per_s=(received - prev[2]) / dt,
            rejected_total=stats.rejected if stats is not None else 0,
            latency_p50_ms=p50,
            latency_p99_ms=p99,
            queue_depth=stats.queue_depth if stats is not None else 0,
            spilled_total=stats.spilled if stats is not None else 0,
            outbox_depth=influx_status.counters.get("outbox_depth") if influx_status else None,
            influx_points_per_s=(written - prev[3]) / dt if influx_status else None,
            api_requests_per_s=api.status().rates.get("requests_per_s") if api is not None else None,
            loop_lag_p99_ms=health.loop_lag_p99_ms,
            loop_lag_max_ms=health.loop_lag_max_ms,
            gc_pause_max_ms=health.gc_pause_max_ms,
            rss_mb=health.rss_bytes / MIB if health.rss_bytes is not None else None,
            cpu_percent=health.cpu_percent,
        )


def _stop_order(started: tuple[EngineSpec[Any], ...]) -> list[EngineSpec[Any]]:
    """Reverse start order, except that sinks stop last: they drain what the others produced."""
    backwards = list(reversed(started))
    return [s for s in backwards if s.role is not EngineRole.SINK] + [
        s for s in backwards if s.role is EngineRole.SINK
    ]


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
