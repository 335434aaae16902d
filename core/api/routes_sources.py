"""Data sources API: every source's status, a source's series between two times (from sources.db,
so it reaches back as far as retention), and its current reading and slot values."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from core.api.schemas import ANY_OBJ, BOOL, INT, NUM, STR, TIME, arr, map_of, nullable, obj
from core.api.spec import Access, JsonDict, Kind, Param, RequestContext, Route
from core.api.validation import BadRequest
from core.datasources import SPEC as DATA_SOURCES
from core.datasources.engine import DataSourcesEngine
from core.datasources.model import Source
from core.datasources.store import labels_between, series_names
from core.slots import Slot
from core.store.query_types import StoredEvent
from core.weather import NO_WEATHER

MAX_RANGE = timedelta(days=31)


def _engine(ctx: RequestContext) -> DataSourcesEngine:
    engine = ctx.control.engine(DATA_SOURCES)
    if engine is None:
        raise web.HTTPServiceUnavailable(reason="the data sources engine is not running")
    return engine


async def add_weather(ctx: RequestContext, events: Sequence[StoredEvent], rows: list[JsonDict]) -> None:
    """Adds the `weather_*` fields to event rows (nulls when the data sources engine is off)."""
    engine = ctx.control.engine(DATA_SOURCES)
    if engine is None:
        for row in rows:
            row.update(NO_WEATHER)
        return
    for row, weather in zip(
        rows, await engine.weather_for([e.event.time_fired for e in events]), strict=True
    ):
        row.update(weather)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _slot(slot: Slot, label: str | None) -> JsonDict:
    return {"start": _iso(slot.start), "end": _iso(slot.end), "value": slot.value, "label": label}


def _location(engine: DataSourcesEngine) -> JsonDict | None:
    loc = engine.location
    if loc is None:
        return None
    # two decimals (~1 km): enough to check which place is used, no more of the user's address
    lat = None if loc.latitude is None else round(loc.latitude, 2)
    lon = None if loc.longitude is None else round(loc.longitude, 2)
    return {"latitude": lat, "longitude": lon, "country": loc.country or None, "origin": loc.origin}


async def list_integrations(ctx: RequestContext) -> JsonDict:
    engine = _engine(ctx)
    return {"integrations": [s.to_dict() for s in engine.source_statuses()], "location": _location(engine)}


async def get_series(ctx: RequestContext) -> JsonDict:
    engine = _engine(ctx)
    source = Source(ctx.params["source"])
    now = datetime.now(UTC)
    # DATETIME parameters arrive as epoch seconds (validated, clamped to 1970..9999)
    raw_start, raw_end = ctx.params["start"], ctx.params["end"]
    start = now - timedelta(hours=24) if raw_start is None else datetime.fromtimestamp(raw_start, UTC)
    end = now + timedelta(hours=48) if raw_end is None else datetime.fromtimestamp(raw_end, UTC)
    if end <= start:
        raise BadRequest("end must be after start")
    if end - start > MAX_RANGE:
        raise BadRequest(f"at most {MAX_RANGE.days} days per request")
    out: dict[str, Any] = {}
    for name in await series_names(engine.store, source):
        slots = await engine.history(source, name, start, end)
        if not slots:
            continue
        labels = await labels_between(engine.store, source, name, start, end)
        out[name] = {"unit": slots[0].unit, "slots": [_slot(s, labels.get(s.start)) for s in slots]}
    status = engine.source_status(source)
    return {"source": source.value, "provider": status.provider, "start": _iso(start), "end": _iso(end),
            "data_age_s": status.to_dict()["data_age_s"], "series": out}  # fmt: skip


async def get_current(ctx: RequestContext) -> JsonDict:
    engine = _engine(ctx)
    source = Source(ctx.params["source"])
    now = datetime.now(UTC)
    slots: dict[str, Any] = {}
    for name in engine.series_names(source):
        found = engine.series(source, name, now, now + timedelta(seconds=1))
        if found:
            slot = found[0]
            slots[name] = {**_slot(slot, engine.labels(source, name).get(slot.start)), "unit": slot.unit}
    status = engine.source_status(source).to_dict()
    return {"source": source.value, "provider": status["provider"], "status": status["status"],
            "data_age_s": status["data_age_s"], "reading": engine.current(source),
            "slots": slots}  # fmt: skip


async def test_integration(ctx: RequestContext) -> JsonDict:
    engine = _engine(ctx)
    return (await engine.test(Source(ctx.params["source"]))).to_dict()


STATUS = obj({
    "source": STR, "provider": STR, "enabled": BOOL, "status": STR, "detail": STR,
    "last_success": nullable(TIME), "data_age_s": nullable(NUM), "next_fetch": nullable(TIME),
    "last_error": nullable(STR), "last_error_at": nullable(TIME),
    "rate_limit": obj({"limited": BOOL, "until": nullable(TIME)}),
    "circuit_open": BOOL, "failures": INT, "slots": INT, "covers_until": nullable(TIME),
})  # fmt: skip
LOCATION = nullable(obj({"latitude": nullable(NUM), "longitude": nullable(NUM),
                         "country": nullable(STR), "origin": STR}))  # fmt: skip
SLOT = obj({"start": TIME, "end": TIME, "value": nullable(NUM), "label": nullable(STR)})
SERIES = obj({
    "source": STR, "provider": STR, "start": TIME, "end": TIME, "data_age_s": nullable(NUM),
    "series": map_of(obj({"unit": STR, "slots": arr(SLOT)})),
})  # fmt: skip
CURRENT = obj({
    "source": STR, "provider": STR, "status": STR, "data_age_s": nullable(NUM), "reading": ANY_OBJ,
    "slots": map_of(obj({"start": TIME, "end": TIME, "value": nullable(NUM), "label": nullable(STR),
                         "unit": STR})),
})  # fmt: skip


def routes() -> list[Route]:
    source = Param("source", Kind.ENUM, location="path", required=True, enum=tuple(s.value for s in Source))
    window = (Param("start", Kind.DATETIME, description="default: 24 h ago"),
              Param("end", Kind.DATETIME, description="default: 48 h ahead"))  # fmt: skip
    return [
        Route("GET", "/api/v1/integrations", list_integrations, Access.DATA, "Data sources and their status",
              "integrations", obj({"integrations": arr(STATUS), "location": LOCATION}),
              description="Weather, air quality, carbon, prices, calendar: provider, status, data age, "
                          "next fetch, last error, rate limit. Keys and tokens are never returned."),
        Route("GET", "/api/v1/integrations/{source}/series", get_series, Access.DATA,
              "A source's slots between two times", "integrations", SERIES, params=(source, *window),
              description="Slots are [start, end) in UTC; value null = unknown. Prices in currency/kWh, "
                          "carbon in gCO2/kWh, temperature in °C, wind in m/s, AQI with its scale as unit."),
        Route("GET", "/api/v1/integrations/{source}/current", get_current, Access.DATA,
              "A source's latest reading and the slot in force now", "integrations", CURRENT,
              params=(source,)),
        Route("POST", "/api/v1/integrations/{source}/test", test_integration, Access.ADMIN,
              "Fetch a source now and report its status", "integrations", STATUS, params=(source,)),
    ]  # fmt: skip
