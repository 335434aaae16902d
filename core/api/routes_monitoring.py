"""Admin API: the structured log ring and the alerts (list, one with history, acknowledge, resolve)."""

from __future__ import annotations

from aiohttp import web

from core.alerts import SPEC as ALERTS
from core.alerts import AlertEngine
from core.alerts.store import Alert
from core.api.schemas import ANY_OBJ, INT, STR, TIME, arr, nullable, obj
from core.api.spec import Access, JsonDict, Kind, Param, RequestContext, Route
from core.api.validation import NotFound
from core.logs import LEVELS, LogQuery, get_log_ring

ALERT_STATES = ("active", "acknowledged", "resolved")
ALERT_FILTERS = ("open", "all", *ALERT_STATES)


async def get_logs(ctx: RequestContext) -> JsonDict:
    p = ctx.params
    query = LogQuery(
        level=p["level"],
        engine=p["engine"],
        correlation_id=p["correlation_id"],
        since=p["since"],
        text=p["text"],
        limit=p["limit"],
    )
    entries = get_log_ring(ctx.deps.bus).query(query)
    return {"entries": [e.to_dict() for e in entries], "count": len(entries)}


def _alerts(ctx: RequestContext) -> AlertEngine:
    engine = ctx.control.engine(ALERTS)
    if engine is None:
        raise web.HTTPServiceUnavailable(reason="the alert engine is not running")
    return engine


async def list_alerts(ctx: RequestContext) -> JsonDict:
    wanted = ctx.params["state"]
    states = {"open": ("active", "acknowledged"), "all": None}.get(wanted, (wanted,))
    alerts: list[Alert] = await _alerts(ctx).list_alerts(states, ctx.params["limit"])
    return {"alerts": [a.to_dict() for a in alerts], "count": len(alerts)}


async def get_alert(ctx: RequestContext) -> JsonDict:
    found = await _alerts(ctx).get(ctx.params["id"])
    if found is None:
        raise NotFound(f"no alert with id {ctx.params['id']}")
    alert, history = found
    return {**alert.to_dict(), "history": [h.to_dict() for h in history]}


async def acknowledge_alert(ctx: RequestContext) -> JsonDict:
    alert = await _alerts(ctx).acknowledge(ctx.params["id"])
    if alert is None:
        raise NotFound(f"no alert with id {ctx.params['id']}")
    return dict(alert.to_dict())


async def resolve_alert(ctx: RequestContext) -> JsonDict:
    alert = await _alerts(ctx).resolve(ctx.params["id"])
    if alert is None:
        raise NotFound(f"no alert with id {ctx.params['id']}")
    return dict(alert.to_dict())


LOG_ENTRY = obj(
    {
        "seq": INT,
        "timestamp": TIME,
        "level": STR,
        "engine": STR,
        "operation": STR,
        "correlation_id": nullable(STR),
        "message": STR,
        "fields": ANY_OBJ,
        "logger": STR,
    }
)
ALERT = obj(
    {
        "id": INT,
        "rule": STR,
        "severity": {"type": "string", "enum": ["critical", "warning"]},
        "state": {"type": "string", "enum": list(ALERT_STATES)},
        "message": STR,
        "detail": ANY_OBJ,
        "raised_at": TIME,
        "updated_at": TIME,
        "acknowledged_at": nullable(TIME),
        "resolved_at": nullable(TIME),
        "resolution": nullable({"type": "string", "enum": ["cleared", "manual"]}),
    }
)
HISTORY = obj({"at": TIME, "action": STR, "detail": ANY_OBJ})
ALERT_WITH_HISTORY = {
    **ALERT,
    "properties": {**ALERT["properties"], "history": arr(HISTORY)},
    "required": [*ALERT["required"], "history"],
}


def routes() -> list[Route]:
    alert_id = Param("id", Kind.INTEGER, location="path", required=True, minimum=1, maximum=2**63 - 1)
    return [
        Route("GET", "/api/v1/monitoring/logs", get_logs, Access.ADMIN, "Structured log entries",
              "monitoring", obj({"entries": arr(LOG_ENTRY), "count": INT}),
              params=(Param("level", Kind.ENUM, enum=LEVELS, description="minimum level"),
                      Param("engine", max_length=64, description="e.g. api, ha_client, pipeline, sqlite"),
                      Param("correlation_id", max_length=128),
                      Param("since", Kind.DATETIME),
                      Param("text", max_length=200, description="substring of message or fields, any case"),
                      Param("limit", Kind.INTEGER, default=200, minimum=1, maximum=5000))),
        Route("GET", "/api/v1/alerts", list_alerts, Access.ADMIN, "Alerts, newest first", "monitoring",
              obj({"alerts": arr(ALERT), "count": INT}),
              params=(Param("state", Kind.ENUM, enum=ALERT_FILTERS, default="all"),
                      Param("limit", Kind.INTEGER, default=100, minimum=1, maximum=1000))),
        Route("GET", "/api/v1/alerts/{id}", get_alert, Access.ADMIN, "One alert, with history",
              "monitoring", ALERT_WITH_HISTORY, params=(alert_id,), not_found=True),
        Route("POST", "/api/v1/alerts/{id}/acknowledge", acknowledge_alert, Access.ADMIN, "Acknowledge",
              "monitoring", ALERT, params=(alert_id,), not_found=True,
              description="It stays open until its condition ends (it then clears itself) or is resolved."),
        Route("POST", "/api/v1/alerts/{id}/resolve", resolve_alert, Access.ADMIN, "Resolve",
              "monitoring", ALERT, params=(alert_id,), not_found=True,
              description="While its condition lasts, the rule does not raise it again."),
    ]  # fmt: skip
