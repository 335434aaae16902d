"""Data API: events (filtered, paged, searched, by id), their statistics, automation traces and the
spatial and duration analytics. Events carry the export's field names (EnrichedEvent + `id`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from core.analytics import EventStats, event_stats
from core.analytics_places import PlaceStats, spatial_analytics
from core.api import params as P
from core.api.convert import iso, stored_event_json
from core.api.routes_sources import add_weather
from core.api.schemas import (
    BOOL,
    COUNT_ROW,
    EVENT_PAGE,
    EVENT_REF,
    INT,
    NUM,
    STR,
    TIME,
    arr,
    nullable,
    obj,
    ref,
)
from core.api.spec import Access, JsonDict, Kind, Param, RequestContext, Route
from core.api.validation import NotFound
from core.durations import DurationAnalytics, duration_analytics
from core.store.codec import datetime_to_us
from core.store.query_analytics import SearchRequest, run_read, search_page
from core.store.query_types import EventPage
from core.trace import DEFAULT_MAX_DEPTH, build_trace, trace_to_json

MAX_STATS_SPAN = timedelta(days=400)
MAX_SPATIAL_SPAN = timedelta(days=90)
MAX_DURATION_SPAN = timedelta(days=31)


def page_json(page: EventPage) -> JsonDict:
    return {
        "events": [stored_event_json(se) for se in page.events],
        "next_cursor": page.next_cursor,
        "count": len(page.events),
    }


async def page_with_weather(ctx: RequestContext, page: EventPage) -> JsonDict:
    out = page_json(page)
    await add_weather(ctx, page.events, out["events"])
    return out


# -- events ---------------------------------------------------------------------------------------


async def list_events(ctx: RequestContext) -> JsonDict:
    p = ctx.params
    start, end = P.time_range(p)
    cursor = P.parse_cursor(p["cursor"])
    page = await ctx.queries.events(
        start,
        end,
        P.event_filter(p),
        limit=p["limit"],
        cursor=None if cursor is None else f"{cursor[0]}:{cursor[1]}",
        ascending=p["order"] == "asc",
    )
    return await page_with_weather(ctx, page)


async def get_event(ctx: RequestContext) -> JsonDict:
    found = await ctx.queries.event_by_id(ctx.params["id"])
    if found is None:
        raise NotFound(f"no event with id {ctx.params['id']}")
    row = stored_event_json(found)
    await add_weather(ctx, [found], [row])
    return row


async def search_events(ctx: RequestContext) -> JsonDict:
    p = ctx.params
    start, end = P.time_range(p)
    request = SearchRequest(
        text=p["query"],
        filter=P.event_filter(p),
        start_us=None if start is None else datetime_to_us(start),
        end_us=None if end is None else datetime_to_us(end),
        limit=p["limit"],
        cursor=P.parse_cursor(p["cursor"]),
    )
    page = await run_read(ctx.store.queries, lambda c, lookups: search_page(c, lookups, request))
    return {"query": p["query"], **await page_with_weather(ctx, page)}


def stats_json(stats: EventStats) -> JsonDict:
    return {
        "start": iso(stats.start),
        "end": iso(stats.end),
        "total": stats.total,
        "per_second": stats.per_second,
        "per_minute": stats.per_minute,
        "active_entities": stats.active_entities,
        "domains": [{"key": r.key, "count": r.count} for r in stats.domains],
        "areas": [{"key": r.key, "count": r.count} for r in stats.areas],
        "top_entities": [entity_count_json(r) for r in stats.top_entities],
    }


def entity_count_json(row: Any) -> JsonDict:
    return {
        "entity_id": row.entity_id,
        "domain": row.domain,
        "count": row.count,
        "changes": row.changes,
        "last_seen": iso(row.last_us / 1_000_000) if row.last_us else None,
    }


async def get_event_stats(ctx: RequestContext) -> JsonDict:
    start, end = P.window(ctx.params, MAX_STATS_SPAN)
    return stats_json(await event_stats(ctx.store, start, end, top=ctx.params["top"]))


async def get_trace(ctx: RequestContext) -> JsonDict:
    trace = await build_trace(ctx.queries, ctx.params["context_id"], ctx.params["max_depth"])
    if not trace.found:
        raise NotFound(f"no stored event has context {ctx.params['context_id']!r} or it as parent")
    return trace_to_json(trace, stored_event_json)


# -- analytics over places and durations -----------------------------------------------------------


def place_json(place: PlaceStats, id_key: str) -> JsonDict:
    out: JsonDict = {
        id_key: place.id,
        "name": place.name,
        "events": place.events,
        "active_entities": place.active_entities,
        "hour_of_day": place.hour_of_day,
        "busiest_hours": place.busiest_hours,
    }
    if id_key == "area_id":
        out["floor_id"] = place.floor_id
    return out


async def get_spatial(ctx: RequestContext) -> JsonDict:
    start, end = P.window(ctx.params, MAX_SPATIAL_SPAN)
    result = await spatial_analytics(ctx.store, start, end, P.zone(ctx.params["tz"]))
    return {
        "start": iso(result.start),
        "end": iso(result.end),
        "timezone": result.timezone,
        "areas": [place_json(a, "area_id") for a in result.areas],
        "floors": [place_json(f, "floor_id") for f in result.floors],
    }


def durations_json(result: DurationAnalytics) -> JsonDict:
    def state_json(s: Any) -> JsonDict:
        examples = [
            {"id": o.event_id, "time_fired": iso(o.time_fired), "duration_s": o.duration_s}
            for o in s.outlier_examples
        ]
        return {**{k: getattr(s, k) for k in _STATE_KEYS}, "outlier_examples": examples}

    return {
        "start": iso(result.start),
        "end": iso(result.end),
        "truncated": result.truncated,
        "entities": [
            {"entity_id": e.entity_id, "samples": e.samples, "states": [state_json(s) for s in e.states]}
            for e in result.entities
        ],
    }


_STATE_KEYS = ("state", "count", "typical_s", "mean_s", "p1_s", "p99_s", "min_s", "max_s", "outliers")


async def get_durations(ctx: RequestContext) -> JsonDict:
    p = ctx.params
    start, end = P.window(p, MAX_DURATION_SPAN)
    result = await duration_analytics(
        ctx.store, start, end, entity_id=p["entity_id"], domain=p["domain"], limit=p["limit"]
    )
    return durations_json(result)


# -- declarations ---------------------------------------------------------------------------------

ENTITY_COUNT = obj(
    {"entity_id": STR, "domain": STR, "count": INT, "changes": INT, "last_seen": nullable(TIME)}
)
STATS = obj(
    {
        "start": TIME,
        "end": TIME,
        "total": INT,
        "per_second": NUM,
        "per_minute": NUM,
        "active_entities": INT,
        "domains": arr(COUNT_ROW),
        "areas": arr(COUNT_ROW),
        "top_entities": arr(ENTITY_COUNT),
    }
)
_PLACE = {
    "name": STR,
    "events": INT,
    "active_entities": INT,
    "hour_of_day": arr(INT),
    "busiest_hours": arr(INT),
}
SPATIAL = obj(
    {
        "start": TIME,
        "end": TIME,
        "timezone": STR,
        "areas": arr(obj({"area_id": nullable(STR), "floor_id": nullable(STR), **_PLACE})),
        "floors": arr(obj({"floor_id": nullable(STR), **_PLACE})),
    }
)
_STATE = obj(
    {
        "state": nullable(STR),
        "count": INT,
        **{k: NUM for k in _STATE_KEYS if k.endswith("_s")},
        "outliers": INT,
        "outlier_examples": arr(obj({"id": INT, "time_fired": TIME, "duration_s": NUM})),
    }
)
DURATIONS = obj(
    {
        "start": TIME,
        "end": TIME,
        "truncated": BOOL,
        "entities": arr(obj({"entity_id": STR, "samples": INT, "states": arr(_STATE)})),
    }
)
TRACE = obj(
    {
        "requested_context_id": STR,
        "root_context_id": STR,
        "max_depth": INT,
        "nodes": INT,
        "events": INT,
        "truncated": BOOL,
        "root": ref("TraceNode"),
    }
)


def _body(params: tuple[Param, ...]) -> tuple[Param, ...]:
    return tuple(replace(p, location="body") for p in params)


def routes() -> list[Route]:
    order = Param("order", Kind.ENUM, enum=("desc", "asc"), default="desc", description="by time_fired")
    search_body = (
        Param("query", location="body", required=True, max_length=200,
              description="text to find in entity ids, friendly names and states (case-insensitive)"),
        *_body(P.filter_params()), *_body(P.range_params()), *_body(P.page_params(max_limit=500)),
    )  # fmt: skip
    return [
        Route("GET", "/api/v1/events", list_events, Access.DATA, "Events, filtered and paged", "events",
              EVENT_PAGE, params=(*P.filter_params(), *P.range_params(), *P.page_params(), order),
              description="Newest first by default. Pass next_cursor back as cursor for the next page."),
        Route("GET", "/api/v1/events/stats", get_event_stats, Access.DATA, "Counts, rates, top entities",
              "events", STATS, params=(*P.window_params("24h"),
                                       Param("top", Kind.INTEGER, default=10, minimum=1, maximum=100)),
              heavy=True),
        Route("GET", "/api/v1/events/spatial-analytics", get_spatial, Access.DATA,
              "Per area and floor: events, active entities, busiest hours", "analytics", SPATIAL,
              params=(*P.window_params("24h"), P.tz_param()), heavy=True),
        Route("GET", "/api/v1/events/duration-analytics", get_durations, Access.DATA,
              "Per entity: typical time in each state, outliers beyond its own p1/p99", "analytics",
              DURATIONS, params=(*P.window_params("24h"), P.filter_params()[0], P.filter_params()[1],
                                 Param("limit", Kind.INTEGER, default=50, minimum=1, maximum=500)),
              heavy=True),
        Route("GET", "/api/v1/events/automation-trace/{context_id}", get_trace, Access.DATA,
              "The causality tree of a context: root cause and everything it caused", "events", TRACE,
              params=(Param("context_id", location="path", required=True, max_length=64),
                      Param("max_depth", Kind.INTEGER, default=DEFAULT_MAX_DEPTH, minimum=1, maximum=50)),
              not_found=True),
        Route("GET", r"/api/v1/events/{id:\d+}", get_event, Access.DATA, "One event", "events", EVENT_REF,
              params=(Param("id", Kind.INTEGER, location="path", required=True, minimum=1,
                            maximum=P.INT64_MAX),),
              not_found=True),
        Route("POST", "/api/v1/events/search", search_events, Access.DATA, "Text search over events",
              "events", obj({"query": STR, **EVENT_PAGE["properties"]}), params=search_body, heavy=True),
    ]  # fmt: skip
