"""The InfluxDB sender's status: published on Topic.INFLUX_STATUS and returned by `status()`.

Never holds a secret: `last_error` messages are built by the writers from status codes and server
messages only, and `target` is the URL without credentials plus the database/bucket.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from core.engine import EngineState, EngineStatus


class InfluxState(StrEnum):
    OK = "ok"  # writes succeed (or nothing to write yet)
    BACKING_OFF = "backing_off"  # the last write failed (network, 5xx, config); retrying with backoff
    CIRCUIT_OPEN = "circuit_open"  # 3 failures in a row: no attempts until the half-open probe
    AUTH_ERROR = "auth_error"  # 401/403: everything kept, retried slowly
    WRONG_VERSION = "wrong_version"  # the server does not speak the configured API version
    DISABLED = "disabled"  # influxdb.enabled = false


@dataclass(frozen=True, slots=True)
class InfluxStatus:
    state: InfluxState
    target: str  # e.g. "http://127.0.0.1:8086 db=home_assistant" (no credentials)
    api_version: int
    outbox_depth: int = 0
    oldest_age_s: float | None = None  # age of the oldest point still waiting, from its time_fired
    points_per_s: float = 0.0  # written, over the last few seconds
    written_total: int = 0  # acknowledged by the server since this sender started
    quarantined_total: int = 0  # points the server rejected for good (see store.list_quarantine)
    dropped_total: int = 0  # oldest points dropped because the outbox reached outbox_max_bytes
    outbox_bytes_estimate: int = 0
    outbox_max_bytes: int = 0
    last_error: str | None = None
    last_error_at: float | None = None  # wall clock
    last_success_at: float | None = None  # wall clock
    next_retry_in_s: float | None = None

    @property
    def outbox_fill(self) -> float:
        """Estimated fraction of outbox_max_bytes in use."""
        return self.outbox_bytes_estimate / self.outbox_max_bytes if self.outbox_max_bytes else 0.0


ENGINE_STATES = {
    InfluxState.OK: EngineState.RUNNING,
    InfluxState.BACKING_OFF: EngineState.DEGRADED,
    InfluxState.CIRCUIT_OPEN: EngineState.DEGRADED,
    InfluxState.AUTH_ERROR: EngineState.DEGRADED,
    InfluxState.WRONG_VERSION: EngineState.FAILED,
    InfluxState.DISABLED: EngineState.DISABLED,
}


def engine_status(s: InfluxStatus, *, running: bool, started_at: float | None, errors: int) -> EngineStatus:
    """The generic engine view (Services tab, /api/v1/health/services, alert rules)."""
    detail = f"{s.state}: outbox {s.outbox_depth:,}"
    if s.next_retry_in_s is not None:
        detail += f", retry in {s.next_retry_in_s:.0f} s"
    return EngineStatus(
        name="influxdb",
        state=ENGINE_STATES[s.state] if running or s.state == InfluxState.DISABLED else EngineState.STOPPED,
        detail=detail,
        started_at=started_at,
        last_error=s.last_error,
        last_error_at=s.last_error_at,
        errors=errors,
        rates={"points_per_s": s.points_per_s},
        counters={
            "written": s.written_total,
            "outbox_depth": s.outbox_depth,
            "quarantined": s.quarantined_total,
            "dropped": s.dropped_total,
        },
    )


class RateMeter:
    """Points per second over the last `window_s` seconds."""

    def __init__(self, window_s: float = 5.0) -> None:
        self._window_s = window_s
        self._recent: deque[tuple[float, int]] = deque()

    def add(self, n: int) -> None:
        self._recent.append((time.monotonic(), n))

    def rate(self) -> float:
        cutoff = time.monotonic() - self._window_s
        while self._recent and self._recent[0][0] < cutoff:
            self._recent.popleft()
        return sum(n for _, n in self._recent) / self._window_s
