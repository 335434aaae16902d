"""The contract every engine (HA client, pipeline, InfluxDB sender, API server, ...) follows, and the
`EngineSpec` each engine package exports so the runtime can build, order, restart and describe it.

The Services tab, /api/v1/health/services and the alert rules all read the same `EngineStatus`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from core.deps import Deps


class EngineState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    DEGRADED = "degraded"  # working, but something is wrong (backing off, open circuit, lagging)
    FAILED = "failed"  # not working; last_error says why
    DISABLED = "disabled"  # not configured


@dataclass(frozen=True, slots=True)
class EngineStatus:
    name: str
    state: EngineState
    detail: str = ""
    started_at: float | None = None  # wall clock (time.time())
    last_error: str | None = None
    last_error_at: float | None = None
    errors: int = 0
    rates: dict[str, float] = field(default_factory=dict)  # e.g. {"events_per_s": 812.0}
    counters: dict[str, int] = field(default_factory=dict)  # e.g. {"stored": 123456}

    @property
    def uptime_s(self) -> float | None:
        return None if self.started_at is None else max(0.0, time.time() - self.started_at)


class Engine(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def status(self) -> EngineStatus: ...


class EngineRole(StrEnum):
    """Where an engine sits in the data flow; the Dependencies diagram lays its columns out by role."""

    SOURCE = "source"  # brings data in (HA client, sports, data sources)
    PROCESS = "process"  # transforms it (pipeline, energy analytics)
    SINK = "sink"  # sends it out (InfluxDB, webhooks)
    SERVICE = "service"  # serves or watches (API, alerts, metrics)


E = TypeVar("E", bound=Engine)


@dataclass(frozen=True, eq=False)
class EngineSpec(Generic[E]):
    """Everything the runtime, health, logs, the Services and Dependencies tabs and the Configuration
    form need to know about one engine. Each engine package exports exactly one, and the spec doubles
    as the typed key other code uses to reach the running engine (`control.engine(SPEC) -> E | None`),
    like Home Assistant's `HassKey[T]`: typed access, never a name plus `getattr`.

    build: makes the engine from typed dependencies, or returns None when the config disables it.
    sections: config sections whose change restarts it (the Configuration tab's "applies to").
    after: engines that must be started before it; restarting one of those restarts this one too,
        so it is never left wired to a stopped instance.
    critical: its failure means data is not being ingested or stored (health "unhealthy").
    dependency: the user-facing dependency it answers for in health ("home_assistant", "influxdb").
    logger: the logger-name prefix whose records belong to it in the Logs tab ("core.sports").
    """

    name: str
    build: Callable[[Deps], Awaitable[E | None]]
    label: str
    role: EngineRole
    sections: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    critical: bool = False
    dependency: str | None = None
    logger: str = ""
    disabled_detail: str = "not configured"

    def __repr__(self) -> str:
        return f"EngineSpec({self.name!r})"
