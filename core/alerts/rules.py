"""Alert rules: pure functions of one `Observation` (real runtime state gathered once per evaluation).

Each rule answers "is my condition true right now?" with a Finding or None; the AlertEngine turns
the answers into raised and self-clearing alerts. Thresholds are a dataclass so tests inject them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

GB = 1_000_000_000


@dataclass(frozen=True, slots=True)
class AlertThresholds:
    ha_disconnected_s: float = 60.0
    no_events_s: float = 600.0
    outbox_oldest_s: float = 300.0
    disk_free_bytes: int = GB
    loop_lag_p99_ms: float = 250.0  # a quarter second late at p99: the dashboard visibly stutters


@dataclass(frozen=True, slots=True)
class Observation:
    now: float
    ha_state: str | None = None  # core.ha.client.ConnState value; None: no HA client engine
    ha_down_since: float | None = None  # when the link last left "connected" (or the engine started)
    ha_connected_since: float | None = None
    ha_last_error: str | None = None
    last_event_at: float | None = None  # wall clock of the last stored event
    outbox_oldest_age_s: float | None = None  # None: InfluxDB not configured or outbox empty
    outbox_depth: int = 0
    quarantined: int = 0  # points waiting in the InfluxDB quarantine
    disk_free_bytes: int | None = None
    data_dir: str = ""
    loop_lag_p99_ms: float | None = None  # over the last minute (core/process_health.py); None: unknown
    failing_checks: tuple[tuple[str, str], ...] = ()  # (check, why) for checks that could not run
    backfill_unconfirmed: bool = False  # this connection's back-fill ran before HA's recorder caught up
    events_quarantined: int = 0  # events the store could not write, kept in the pipeline's quarantine


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: str  # "critical" or "warning"
    message: str
    detail: dict[str, Any] = field(default_factory=dict)


Rule = Callable[[Observation, AlertThresholds], Finding | None]


def ha_disconnected(obs: Observation, th: AlertThresholds) -> Finding | None:
    if obs.ha_state is None or obs.ha_state == "connected" or obs.ha_down_since is None:
        return None
    down_for = obs.now - obs.ha_down_since
    if down_for < th.ha_disconnected_s:
        return None
    return Finding(
        "ha_disconnected",
        "critical",
        f"Home Assistant disconnected for {down_for:.0f} s",
        {"state": obs.ha_state, "down_for_s": round(down_for, 1), "last_error": obs.ha_last_error},
    )


def ha_auth_rejected(obs: Observation, th: AlertThresholds) -> Finding | None:
    if obs.ha_state != "auth_invalid":
        return None
    return Finding(
        "ha_auth_rejected",
        "critical",
        "Home Assistant rejected the access token",
        {"last_error": obs.ha_last_error},
    )


def no_events(obs: Observation, th: AlertThresholds) -> Finding | None:
    if obs.ha_state != "connected" or obs.ha_connected_since is None:
        return None
    # Quiet time counts from the later of the last event and the connection: a fresh link is not quiet.
    reference = max(obs.ha_connected_since, obs.last_event_at or 0.0)
    quiet = obs.now - reference
    if quiet < th.no_events_s:
        return None
    return Finding(
        "no_events",
        "warning",
        f"No events for {quiet / 60:.0f} min while connected",
        {"quiet_for_s": round(quiet, 1), "last_event_at": obs.last_event_at},
    )


def outbox_stale(obs: Observation, th: AlertThresholds) -> Finding | None:
    age = obs.outbox_oldest_age_s
    if age is None or obs.outbox_depth <= 0 or age < th.outbox_oldest_s:
        return None
    return Finding(
        "influx_outbox_stale",
        "warning",
        f"InfluxDB outbox holds points {age / 60:.0f} min old",
        {"oldest_age_s": round(age, 1), "outbox_depth": obs.outbox_depth},
    )


def quarantine(obs: Observation, th: AlertThresholds) -> Finding | None:
    if obs.quarantined <= 0:
        return None
    return Finding(
        "influx_quarantine",
        "warning",
        f"{obs.quarantined} points quarantined (rejected by InfluxDB)",
        {"quarantined": obs.quarantined},
    )


def disk_low(obs: Observation, th: AlertThresholds) -> Finding | None:
    free = obs.disk_free_bytes
    if free is None or free >= th.disk_free_bytes:
        return None
    return Finding(
        "disk_low",
        "critical",
        f"Only {free / GB:.2f} GB free for the data directory",
        {"free_bytes": free, "threshold_bytes": th.disk_free_bytes, "data_dir": obs.data_dir},
    )


def loop_lagging(obs: Observation, th: AlertThresholds) -> Finding | None:
    # p99, not max: one stall (a big query, a full GC) is not a lagging loop; sustained ones are.
    lag = obs.loop_lag_p99_ms
    if lag is None or lag <= th.loop_lag_p99_ms:
        return None
    return Finding(
        "loop_lagging",
        "warning",
        f"Event loop lagging: p99 {lag:.0f} ms over the last minute",
        {"loop_lag_p99_ms": round(lag, 1), "threshold_ms": th.loop_lag_p99_ms},
    )


def backfill_incomplete(obs: Observation, th: AlertThresholds) -> Finding | None:
    if not obs.backfill_unconfirmed:
        return None
    return Finding(
        "backfill_incomplete",
        "warning",
        "HA's recorder had not caught up when the gap after the last reconnect was back-filled: "
        "events of that gap may be missing",
        {},
    )


def events_quarantined(obs: Observation, th: AlertThresholds) -> Finding | None:
    if obs.events_quarantined <= 0:
        return None
    return Finding(
        "events_quarantined",
        "warning",
        f"{obs.events_quarantined} events could not be stored and are kept in the pipeline's quarantine file",
        {"quarantined": obs.events_quarantined},
    )


def checks_failing(obs: Observation, th: AlertThresholds) -> Finding | None:
    # A check that cannot run is not a check that passed: say so instead of reporting "all clear".
    if not obs.failing_checks:
        return None
    names = ", ".join(name for name, _ in obs.failing_checks)
    return Finding(
        "checks_failing",
        "warning",
        f"Alert checks could not run: {names}",
        {name: why for name, why in obs.failing_checks},
    )


RULES: dict[str, Rule] = {
    "ha_disconnected": ha_disconnected,
    "ha_auth_rejected": ha_auth_rejected,
    "no_events": no_events,
    "influx_outbox_stale": outbox_stale,
    "influx_quarantine": quarantine,
    "disk_low": disk_low,
    "loop_lagging": loop_lagging,
    "backfill_incomplete": backfill_incomplete,
    "events_quarantined": events_quarantined,
    "checks_failing": checks_failing,
}


def evaluate(obs: Observation, thresholds: AlertThresholds) -> dict[str, Finding | None]:
    return {name: rule(obs, thresholds) for name, rule in RULES.items()}
