"""What an engine is built from: the shared infrastructure every engine may use, and the one typed
door (`EngineControl`) to the other engines and to the runtime's questions.

Engines never import `core.runtime`: they get a `Deps`, and reach another engine through its spec
(`deps.control.engine(PIPELINE) -> Pipeline | None`), so mypy sees every cross-engine access and the
runtime sits above every engine in the import graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from core.bus import Bus
from core.engine import Engine, EngineSpec, EngineStatus
from core.metrics import MetricsHistory, MetricsSample

if TYPE_CHECKING:
    from core.config import AppConfig
    from core.ha.info import ConnectionInfo
    from core.health import HealthReport
    from core.pipeline.registry import RegistryCache
    from core.pipeline.stats import PipelineStats
    from core.store import EventStore

E = TypeVar("E", bound=Engine)


class RestartInProgress(RuntimeError):
    """A restart of this engine (or of one it depends on) is already running."""


class EngineControl(Protocol):
    """The runtime as the engines, the API and the GUI see it (implemented by `core.runtime.Runtime`)."""

    @property
    def config(self) -> AppConfig: ...

    @property
    def specs(self) -> tuple[EngineSpec[Any], ...]: ...

    @property
    def started_at(self) -> float | None: ...

    def engine(self, spec: EngineSpec[E]) -> E | None: ...

    def statuses(self) -> list[EngineStatus]: ...

    def health(self) -> HealthReport: ...

    async def restart_engine(self, name: str) -> EngineStatus: ...

    def connection_info(self) -> ConnectionInfo | None: ...

    def pipeline_stats(self) -> PipelineStats | None: ...

    def sample_metrics(self) -> MetricsSample: ...


@dataclass(frozen=True, slots=True)
class Deps:
    bus: Bus
    store: EventStore
    registry: RegistryCache
    metrics_history: MetricsHistory
    data_dir: Path
    control: EngineControl

    @property
    def config(self) -> AppConfig:
        """The config in force now (a Configuration apply swaps it; engines read it when built)."""
        return self.control.config
