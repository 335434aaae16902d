"""The contract every engine (HA client, pipeline, SQLite writer, InfluxDB sender, API server...) follows.

The runtime starts, stops and restarts engines by name, and the Services tab, /api/v1/health/services
and the alert rules all read the same `EngineStatus`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


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
