"""One derivation of overall health from real engine states, shared by /api/v1/health, the
Overview tab and the tray icon, so the three can never disagree."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.engine import EngineSpec, EngineState, EngineStatus
from core.logs import redact


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
    engines: tuple[tuple[str, Health], ...] = ()  # each engine's own health, in status order

    def engine(self, name: str) -> Health | None:
        return next((h for n, h in self.engines if n == name), None)

    @property
    def summary(self) -> str:
        return "; ".join(self.reasons) if self.reasons else "all engines running"


# The SQLite store is not an engine (it is opened before them), but losing it stops storage.
STORE = "sqlite"


def engine_health(status: EngineStatus, critical: bool) -> Health:
    if status.state in (EngineState.RUNNING, EngineState.DISABLED):
        return Health.HEALTHY
    if status.state == EngineState.FAILED and critical:
        return Health.UNHEALTHY
    return Health.DEGRADED


def derive_health(statuses: Iterable[EngineStatus], specs: Iterable[EngineSpec[Any]]) -> HealthReport:
    """Worst of every engine's health; critical engines (and the store) failing make it unhealthy.
    Dependencies are the store and every engine whose spec names the dependency it answers for."""
    specs = tuple(specs)
    critical = {s.name for s in specs if s.critical} | {STORE}
    by_name = {s.name: s for s in statuses}
    reasons: list[str] = []
    worst = Health.HEALTHY
    each: list[tuple[str, Health]] = []
    for status in by_name.values():
        health = engine_health(status, status.name in critical)
        each.append((status.name, health))
        if health is Health.HEALTHY:
            continue
        # Shown by the API, the Overview, the tray: an engine's error text may quote a secret.
        reasons.append(
            redact(f"{status.name} {status.state}: {status.detail or status.last_error or ''}".strip(": "))
        )
        if health is Health.UNHEALTHY or worst is Health.HEALTHY:
            worst = health
    answers = [(s.dependency, s.name) for s in specs if s.dependency and s.critical]
    answers.append((STORE, STORE))
    answers += [(s.dependency, s.name) for s in specs if s.dependency and not s.critical]
    deps = []
    for dep, engine in answers:
        found = by_name.get(engine)
        if found is not None:
            health = engine_health(found, engine in critical)
            deps.append(DependencyHealth(dep, health, _dependency_detail(found)))
    return HealthReport(worst, tuple(reasons), tuple(deps), engines=tuple(each))


def _dependency_detail(status: EngineStatus) -> str:
    if status.state == EngineState.DISABLED:
        return status.detail or "not configured"
    return redact(status.detail) if status.detail else str(status.state)
