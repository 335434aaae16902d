"""Analytics API: realtime, entity activity, the area x hour heatmap and the event timeline.

All numbers come from core.analytics, the functions the GUI calls, so both show the same values.
"""

from __future__ import annotations

from datetime import timedelta

from core.analytics import area_activity, entity_activity, realtime, timeline
from core.api import params as P
from core.api.convert import iso
from core.api.routes_data import ENTITY_COUNT, entity_count_json
from core.api.schemas import COUNT_ROW, INT, NUM, STR, TIME, arr, nullable, obj
from core.api.spec import Access, JsonDict, Kind, Param, RequestContext, Route
from core.api.validation import BadRequest

MAX_ACTIVITY_SPAN = timedelta(days=31)
MAX_TIMELINE_BUCKETS = 10_000
BUCKETS = {
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1h": 3600,
    "3h": 10800,
    "6h": 21600,
    "12h": 43200,
    "1d": 86400,
}


async def get_realtime(ctx: RequestContext) -> JsonDict:
    stats = await realtime(ctx.store, window_s=ctx.params["window_s"], top=ctx.params["top"])
    latest = ctx.deps.metrics_history.latest()
    return {
        "start": iso(stats.start),
        "end": iso(stats.end),
        "window_s": stats.window_s,
        "events": stats.events,
        "events_per_s": stats.events_per_s,
        "ingest_events_per_s": latest.events_per_s if latest is not None else None,
        "active_entities": stats.active_entities,
        "top_domains": [{"key": r.key, "count": r.count} for r in stats.top_domains],
        "top_entities": [entity_count_json(r) for r in stats.top_entities],
    }


async def get_entity_activity(ctx: RequestContext) -> JsonDict:
    p = ctx.params
    start, end = P.window(p, MAX_ACTIVITY_SPAN)
    rows = await entity_activity(
        ctx.store, start, end, domain=p["domain"], area_id=p["area_id"], limit=p["limit"]
    )
    return {"start": iso(start), "end": iso(end), "entities": [entity_count_json(r) for r in rows]}


async def get_area_activity(ctx: RequestContext) -> JsonDict:
    start, end = P.window(ctx.params, MAX_ACTIVITY_SPAN)
    result = await area_activity(ctx.store, start, end)
    return {
        "hours": [iso(h) for h in result.hours],
        "areas": [
            {
                "area_id": r.area_id,
                "name": r.name,
                "floor_id": r.floor_id,
                "counts": r.counts,
                "total": r.total,
            }
            for r in result.areas
        ],
    }


async def get_timeline(ctx: RequestContext) -> JsonDict:
    p = ctx.params
    start, end = P.window(p, timedelta(days=400))
    bucket_s = BUCKETS[p["bucket"]]
    if (end - start).total_seconds() / bucket_s > MAX_TIMELINE_BUCKETS:
        raise BadRequest(f"at most {MAX_TIMELINE_BUCKETS} buckets: use a wider bucket or a shorter window")
    buckets = await timeline(
        ctx.store, start, end, bucket_s, entity_id=p["entity_id"], domain=p["domain"], area_id=p["area_id"]
    )
    return {
        "start": iso(start),
        "end": iso(end),
        "bucket_s": bucket_s,
        "buckets": [
            {
                "start": iso(b.start),
                "count": b.count,
                "changes": b.changes,
                "mean": b.mean,
                "min": b.min,
                "max": b.max,
                "unavailable_s": b.unavailable_s,
            }
            for b in buckets
        ],
    }


REALTIME = obj(
    {
        "start": TIME,
        "end": TIME,
        "window_s": INT,
        "events": INT,
        "events_per_s": NUM,
        "ingest_events_per_s": nullable(NUM),
        "active_entities": INT,
        "top_domains": arr(COUNT_ROW),
        "top_entities": arr(ENTITY_COUNT),
    }
)
ACTIVITY = obj({"start": TIME, "end": TIME, "entities": arr(ENTITY_COUNT)})
HEATMAP = obj(
    {
        "hours": arr(TIME),
        "areas": arr(
            obj(
                {
                    "area_id": nullable(STR),
                    "name": STR,
                    "floor_id": nullable(STR),
                    "counts": arr(INT),
                    "total": INT,
                }
            )
        ),
    }
)
_BUCKET = obj(
    {
        "start": TIME,
        "count": INT,
        "changes": INT,
        "mean": nullable(NUM),
        "min": nullable(NUM),
        "max": nullable(NUM),
        "unavailable_s": NUM,
    }
)
TIMELINE = obj({"start": TIME, "end": TIME, "bucket_s": INT, "buckets": arr(_BUCKET)})


def routes() -> list[Route]:
    entity, domain, _device, area = P.filter_params()[:4]
    return [
        Route("GET", "/api/v1/analytics/realtime", get_realtime, Access.DATA,
              "Last minutes: events/s, active entities, top domains", "analytics", REALTIME,
              params=(Param("window_s", Kind.INTEGER, default=300, minimum=10, maximum=3600),
                      Param("top", Kind.INTEGER, default=5, minimum=1, maximum=50))),
        Route("GET", "/api/v1/analytics/entity-activity", get_entity_activity, Access.DATA,
              "The busiest entities of a period", "analytics", ACTIVITY,
              params=(*P.window_params("24h"), domain, area,
                      Param("limit", Kind.INTEGER, default=50, minimum=1, maximum=1000)), heavy=True),
        Route("GET", "/api/v1/analytics/area-activity", get_area_activity, Access.DATA,
              "Heatmap data: events per area per hour", "analytics", HEATMAP,
              params=P.window_params("24h"), heavy=True),
        Route("GET", "/api/v1/analytics/timeline", get_timeline, Access.DATA,
              "Events per time bucket (default 5 minutes) from the rollups", "analytics", TIMELINE,
              params=(*P.window_params("24h"), entity, domain, area,
                      Param("bucket", Kind.ENUM, enum=tuple(BUCKETS), default="5m",
                            description="bucket width; buckets are aligned to the epoch (UTC)")),
              heavy=True),
    ]  # fmt: skip
