"""Turns runtime state into the Overview's texts. Reads only; computes nothing the core does not."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from app import fmt
from core.alerts import SPEC as ALERTS
from core.ha.spec import SPEC as HA_CLIENT

TILES = {"rate": "Events / s", "latency": "Latency p99", "today": "Stored today", "queue": "Pipeline queue"}


def tile_texts(sample: Any, today: int | None) -> dict[str, tuple[str, str]]:
    if sample is None:
        return {k: (fmt.DASH, "no sample yet") for k in TILES}
    today_value = fmt.number(today) if isinstance(today, int) else fmt.DASH
    return {
        "rate": (fmt.rate(sample.events_per_s, ""), f"received {fmt.rate(sample.received_per_s)}"),
        "latency": (fmt.ms(sample.latency_p99_ms), f"p50 {fmt.ms(sample.latency_p50_ms)}"),
        "today": (today_value, f"{fmt.number(sample.events_total)} since start"),
        "queue": (
            fmt.number(sample.queue_depth),
            f"spilled {fmt.number(sample.spilled_total)} · rejected {fmt.number(sample.rejected_total)}",
        ),
    }


def ha_rows(rt: Any) -> list[tuple[str, str]]:
    info = rt.connection_info()
    mode = "demo home (built-in simulator)" if rt.config.use_simulator else "Home Assistant"
    if info is None:
        status = rt.engine_status(HA_CLIENT.name)
        return [("mode", mode), ("state", f"{status.state} {status.detail}".strip())]
    since = info.connected_since
    uptime = fmt.duration(time.time() - since.timestamp()) if isinstance(since, datetime) else fmt.DASH
    rows = [
        ("mode", mode),
        ("state", str(info.state).replace("_", " ") + ("" if info.synced or not since else " (syncing)")),
        ("version", fmt.text(info.ha_version)),
        ("connected for", uptime),
        ("entities", fmt.number(info.entity_count) if info.entity_count else fmt.DASH),
        ("reconnects", fmt.number(info.reconnects)),
        ("url", fmt.text(info.url)),
    ]
    if info.last_error:
        rows.append(("last error", info.last_error))
    return rows


def storage_rows(rt: Any, sample: Any, size_bytes: int | None) -> list[tuple[str, str]]:
    rows = [("SQLite", _sqlite_text(rt, size_bytes))]
    if not rt.config.influxdb.enabled:
        rows.append(("InfluxDB", "not configured"))
        return rows
    status = rt.engine_status("influxdb")
    rows.append(("InfluxDB", f"{status.state}: {status.detail}".rstrip(": ")))
    outbox = sample.outbox_depth if sample is not None else None
    rows.append(("outbox", f"{fmt.number(outbox)} points waiting" if outbox is not None else fmt.DASH))
    if status.last_error:
        rows.append(("last error", f"{status.last_error} ({fmt.age(status.last_error_at)})"))
    return rows


def _sqlite_text(rt: Any, size_bytes: int | None) -> str:
    if rt.store is None:
        return "not open"
    status = next((s for s in rt.statuses() if s.name == "sqlite"), None)
    parts = [str(status.state) if status else "open", fmt.size(size_bytes), status.detail if status else ""]
    return " · ".join(p for p in parts if p and p != fmt.DASH)


def active_alerts(rt: Any) -> list[Any]:
    """Open alerts (active first, then acknowledged), as the alert engine holds them."""
    engine = rt.engine(ALERTS)
    if engine is None:
        return []
    return sorted(engine.open_alerts(), key=lambda a: (a.state != "active", a.severity != "critical", -a.id))


def alert_banner_text(alerts: list[Any]) -> str:
    first = alerts[0]
    more = f"   (+{len(alerts) - 1} more in Alerts)" if len(alerts) > 1 else ""
    return f"⚠ {first.severity}: {first.message}{more}"
