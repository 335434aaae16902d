"""One derivation of overall health from real engine states, shared by /api/v1/health, the
Overview tab and the tray icon, so the three can never disagree."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from core.engine import EngineState, EngineStatus


class Health(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


@dataclass(frozen=True, slots=True)
class DependencyHealth:
    name: str
    status: Health
    detail: str


@dataclass(frozen=True, slots=True)
class HealthReport:
    status: Health
    reasons: tuple[str, ...]
    dependencies: tuple[DependencyHealth, ...]
    timestamp: float = field(default_factory=time.time)

    @property
    def summary(self) -> str:
        return "; ".join(self.reasons) if self.reasons else "all engines running"


# Engines whose failure stops data from being ingested or stored: unhealthy, not just degraded.
CRITICAL = frozenset({"ha_client", "pipeline", "sqlite"})
# Which engine answers for which user-facing dependency.
DEPENDENCY_ENGINES = {"home_assistant": "ha_client", "sqlite": "sqlite", "influxdb": "influxdb"}


def engine_health(status: EngineStatus) -> Health:
    if status.state in (EngineState.RUNNING, EngineState.DISABLED):
        return Health.HEALTHY
    if status.state == EngineState.FAILED and status.name in CRITICAL:
        return Health.UNHEALTHY
    return Health.DEGRADED


def derive_health(statuses: Iterable[EngineStatus]) -> HealthReport:
    by_name = {s.name: s for s in statuses}
    reasons: list[str] = []
    worst = Health.HEALTHY
    for status in by_name.values():
        health = engine_health(status)
        if health is Health.HEALTHY:
            continue
        reasons.append(
            f"{status.name} {status.state}: {status.detail or status.last_error or ''}".strip(": ")
        )
        if health is Health.UNHEALTHY or worst is Health.HEALTHY:
            worst = health
    deps = []
    for dep, engine in DEPENDENCY_ENGINES.items():
        found = by_name.get(engine)
        if found is not None:
            deps.append(DependencyHealth(dep, engine_health(found), _dependency_detail(found)))
    extra = [s for n, s in by_name.items() if n.startswith("source:") or n == "sports"]
    deps.extend(DependencyHealth(s.name, engine_health(s), _dependency_detail(s)) for s in extra)
    return HealthReport(worst, tuple(reasons), tuple(deps))


def _dependency_detail(status: EngineStatus) -> str:
    if status.state == EngineState.DISABLED:
        return status.detail or "not configured"
    return status.detail or str(status.state)
