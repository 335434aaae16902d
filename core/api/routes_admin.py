"""Admin API: health, services, restarts, stats, timeseries and Prometheus metrics.

Health comes from core.health.derive_health, the same derivation the Overview tab and the tray use.
Free-text details pass through the log redaction: no endpoint ever returns a secret.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from core.api.schemas import (
    BOOL,
    DEPENDENCY,
    ENGINE_STATES,
    HEALTH_STATES,
    INT,
    NUM,
    STR,
    arr,
    map_of,
    nullable,
    obj,
)
from core.api.spec import Access, JsonDict, Kind, Param, RequestContext, Route
from core.api.validation import Conflict, NotFound
from core.deps import RestartInProgress
from core.engine import EngineStatus
from core.health import HealthReport
from core.logs import redact
from core.metrics import MetricsHistory
from core.version import version

_LOGGER = logging.getLogger(__name__)
SERVICE = "ha-ingestor"
_background: set[asyncio.Task[Any]] = set()  # keeps scheduled restarts alive (RUF006)


def iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def _deps(report: HealthReport) -> list[JsonDict]:
    return [
        {"name": d.name, "status": str(d.status), "detail": redact(d.detail)} for d in report.dependencies
    ]


def service_dict(status: EngineStatus, health: str) -> JsonDict:
    return {
        "name": status.name,
        "state": str(status.state),
        "health": health,
        "detail": redact(status.detail),
        "started_at": iso(status.started_at),
        "uptime_seconds": status.uptime_s,
        "errors": status.errors,
        "last_error": redact(status.last_error) if status.last_error else None,
        "last_error_at": iso(status.last_error_at),
        "rates": status.rates,
        "counters": status.counters,
    }


# -- handlers -------------------------------------------------------------------------------------


# The open health routes answer anyone. Beyond loopback, a caller without a key sees the status
# only: the store's path, HA's version and the entity count tell a stranger too much about a home.


async def get_liveness(ctx: RequestContext) -> JsonDict:
    """Cheap: engine states only, no queries."""
    statuses = ctx.control.statuses()
    out: JsonDict = {"status": str(ctx.control.health().status), "timestamp": iso(time.time())}
    if ctx.server.may_see_details(ctx.request):
        out["engines"] = {s.name: str(s.state) for s in statuses}
    return out


async def get_health(ctx: RequestContext) -> JsonDict:
    report = ctx.control.health()
    out: JsonDict = {"status": str(report.status), "service": SERVICE, "timestamp": iso(report.timestamp)}
    if ctx.server.may_see_details(ctx.request):
        started = ctx.control.started_at
        out["version"] = version()  # not for anonymous callers beyond loopback (no fingerprinting)
        out["uptime_seconds"] = None if started is None else max(0.0, time.time() - started)
        out["dependencies"] = _deps(report)
    return out


async def get_services(ctx: RequestContext) -> JsonDict:
    statuses = ctx.control.statuses()
    report = ctx.control.health()
    return {"services": [service_dict(s, str(report.engine(s.name) or "unknown")) for s in statuses]}


async def get_dependencies(ctx: RequestContext) -> JsonDict:
    report = ctx.control.health()
    return {
        "status": str(report.status),
        "reasons": [redact(r) for r in report.reasons],
        "dependencies": _deps(report),
    }


async def restart_service(ctx: RequestContext) -> JsonDict:
    name: str = ctx.params["name"]
    if name not in {spec.name for spec in ctx.control.specs}:
        raise NotFound(f"no engine named {name!r}")
    _LOGGER.info("restart of %s requested over the API", name, extra={"operation": "restart"})
    if name == ctx.server.name:
        # Restarting ourselves inside our own request would cancel it: answer first, restart after.
        task = asyncio.create_task(_restart_later(ctx, name))
        _background.add(task)
        task.add_done_callback(_background.discard)
        return {"name": name, "scheduled": True, "state": str(ctx.server.status().state)}
    try:
        status = await ctx.control.restart_engine(name)
    except RestartInProgress as busy:
        raise Conflict(f"a restart of {busy} is already in progress; try again when it is done") from None
    return {"name": name, "scheduled": False, "state": str(status.state)}


async def _restart_later(ctx: RequestContext, name: str) -> None:
    await asyncio.sleep(0.05)
    try:
        await ctx.control.restart_engine(name)
    except RestartInProgress:
        _LOGGER.info("restart of %s skipped: one is already in progress", name)
    except Exception:
        _LOGGER.exception("restart of %s failed", name)


async def get_stats(ctx: RequestContext) -> JsonDict:
    latest = ctx.deps.metrics_history.latest()
    started = ctx.control.started_at
    return {
        "timestamp": iso(time.time()),
        "uptime_seconds": None if started is None else max(0.0, time.time() - started),
        "latest": asdict(latest) if latest is not None else None,
        "engines": {
            s.name: {"state": str(s.state), "rates": s.rates, "counters": s.counters}
            for s in ctx.control.statuses()
        },
    }


async def get_timeseries(ctx: RequestContext) -> JsonDict:
    history = ctx.deps.metrics_history
    names: list[str] = ctx.params["metrics"] or MetricsHistory.column_names()
    since = ctx.params["since"]
    if since is None:
        since = time.time() - ctx.params["seconds"]
    samples = history.since(since)
    return {
        "t": [s.t for s in samples],
        "series": {name: [getattr(s, name) for s in samples] for name in names},
    }


async def get_metrics(ctx: RequestContext) -> web.Response:
    body = ctx.server.metrics.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


# -- declarations ---------------------------------------------------------------------------------

_DEP = DEPENDENCY
_SERVICE = obj(
    {
        "name": STR,
        "state": {"type": "string", "enum": ENGINE_STATES},
        "health": {"type": "string", "enum": HEALTH_STATES},
        "detail": STR,
        "started_at": nullable({"type": "string", "format": "date-time"}),
        "uptime_seconds": nullable(NUM),
        "errors": INT,
        "last_error": nullable(STR),
        "last_error_at": nullable({"type": "string", "format": "date-time"}),
        "rates": map_of(NUM),
        "counters": map_of(INT),
    }
)
_HEALTH_ENUM = {"type": "string", "enum": HEALTH_STATES}
_SAMPLE_FIELDS = ["t", *MetricsHistory.column_names()]


def routes() -> list[Route]:
    metric_names = tuple(MetricsHistory.column_names())
    engine_state = {"type": "string", "enum": ENGINE_STATES}
    return [
        Route(
            "GET", "/health", get_liveness, Access.PUBLIC, "Liveness of every engine (cheap)", "health",
            obj({"status": _HEALTH_ENUM, "engines": map_of(engine_state), "timestamp": STR},
                required=["status", "timestamp"]),
            description="Beyond loopback, without a key: status and timestamp only.",
        ),
        Route(
            "GET", "/api/v1/health", get_health, Access.PUBLIC, "Overall health and dependencies", "health",
            obj({
                "status": _HEALTH_ENUM, "service": STR, "version": STR, "timestamp": STR,
                "uptime_seconds": nullable(NUM), "dependencies": arr(_DEP),
            }, required=["status", "service", "timestamp"]),
            description="Beyond loopback, without a key: status, service and timestamp only (no version).",
        ),
        Route(
            "GET", "/api/v1/health/services", get_services, Access.ADMIN, "One entry per engine", "admin",
            obj({"services": arr(_SERVICE)}),
        ),
        Route(
            "GET", "/api/v1/health/dependencies", get_dependencies, Access.ADMIN, "Dependencies", "admin",
            obj({"status": _HEALTH_ENUM, "reasons": arr(STR), "dependencies": arr(_DEP)}),
        ),
        Route(
            "POST", "/api/v1/services/{name}/restart", restart_service, Access.ADMIN, "Restart an engine",
            "admin", obj({"name": STR, "scheduled": BOOL, "state": engine_state}),
            params=(Param("name", location="path", required=True, max_length=64,
                          description="engine name, as listed by /api/v1/health/services"),),
            not_found=True, conflict=True,
            description="Engines that depend on it restart with it. The API server restarting itself "
            "answers first and restarts right after. 409 while a restart of it is in progress.",
        ),
        Route(
            "GET", "/api/v1/stats", get_stats, Access.ADMIN, "Counters and the latest sample", "admin",
            obj({
                "timestamp": STR, "uptime_seconds": nullable(NUM),
                "latest": nullable(obj({n: nullable(NUM) for n in _SAMPLE_FIELDS})),
                "engines": map_of(obj({"state": STR, "rates": map_of(NUM), "counters": map_of(INT)})),
            }),
        ),
        Route(
            "GET", "/api/v1/stats/timeseries", get_timeseries, Access.ADMIN, "Once-a-second samples", "admin",
            obj({"t": arr(NUM), "series": map_of(arr(nullable(NUM)))}),
            params=(
                Param("metrics", Kind.CSV, enum=metric_names, description="comma-separated; default all"),
                Param("since", Kind.DATETIME, description="start (ISO 8601); default now - seconds"),
                Param("seconds", Kind.INTEGER, default=300, minimum=1, maximum=86400,
                      description="window when since is not given"),
            ),
        ),
        Route(
            "GET", "/metrics", get_metrics, Access.DATA, "Prometheus metrics", "admin", STR,
            content_type="text/plain",
        ),
    ]  # fmt: skip
