"""Home Assistant metadata API: devices, entities, areas and floors (as stored from HA's registries),
with entity counts, plus device reliability. Paths follow the seed's /api/... layout.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.api import params as P
from core.api.convert import info_json, iso, stored_event_json
from core.api.schemas import BOOL, EVENT, INT, NUM, STR, TIME, arr, nullable, obj
from core.api.spec import Access, JsonDict, Kind, Param, RequestContext, Route
from core.api.validation import NotFound
from core.reliability import DeviceReliability, device_reliability

MAX_RELIABILITY_SPAN = timedelta(days=90)


def _same(value: str | None, wanted: str | None) -> bool:
    """Case-insensitive equality; no filter (None) always matches."""
    return wanted is None or (value or "").casefold() == wanted.casefold()


def _disabled_ok(disabled_by: str | None, wanted: bool | None) -> bool:
    return wanted is None or (disabled_by is not None) == wanted


def _device_json(d: Any) -> JsonDict:
    return {**info_json(d), "display_name": d.display_name}


async def list_devices(ctx: RequestContext) -> JsonDict:
    p = ctx.params
    devices = await ctx.queries.devices(area_id=p["area_id"], floor_id=p["floor_id"], search=p["search"])
    rows = [
        _device_json(d)
        for d in devices
        if _same(d.manufacturer, p["manufacturer"])
        and _same(d.model, p["model"])
        and _disabled_ok(d.disabled_by, p["disabled"])
    ]
    return {"devices": rows, "count": len(rows)}


async def get_device(ctx: RequestContext) -> JsonDict:
    device_id = ctx.params["device_id"]
    device = next((d for d in await ctx.queries.devices() if d.id == device_id), None)
    if device is None:
        raise NotFound(f"no device with id {device_id!r}")
    entities = await ctx.queries.entities(device_id=device_id)
    return {**_device_json(device), "entities": [info_json(e) for e in entities]}


async def list_entities(ctx: RequestContext) -> JsonDict:
    p = ctx.params
    entities = await ctx.queries.entities(
        domain=p["domain"],
        device_id=p["device_id"],
        area_id=p["area_id"],
        floor_id=p["floor_id"],
        search=p["search"],
    )
    rows = [
        info_json(e)
        for e in entities
        if _same(e.platform, p["platform"]) and _disabled_ok(e.disabled_by, p["disabled"])
    ]
    return {"entities": rows, "count": len(rows)}


async def get_entity(ctx: RequestContext) -> JsonDict:
    entity_id = ctx.params["entity_id"]
    domain = entity_id.partition(".")[0]
    found = next((e for e in await ctx.queries.entities(domain=domain) if e.entity_id == entity_id), None)
    last = await ctx.queries.last_events(entity_id, 1)
    if found is None and not last:
        raise NotFound(f"no entity {entity_id!r} in the registry or the stored events")
    info = info_json(found) if found is not None else {"entity_id": entity_id, "domain": domain}
    return {
        "entity": info,
        "in_registry": found is not None,
        "last_event": stored_event_json(last[0]) if last else None,
    }


async def list_areas(ctx: RequestContext) -> JsonDict:
    areas = await ctx.queries.areas(floor_id=ctx.params["floor_id"])
    return {"areas": [info_json(a) for a in areas], "count": len(areas)}


async def list_floors(ctx: RequestContext) -> JsonDict:
    floors = await ctx.queries.floors()
    return {"floors": [info_json(f) for f in floors], "count": len(floors)}


def reliability_json(r: DeviceReliability) -> JsonDict:
    return {**info_json(r), "last_seen": iso(r.last_seen)}


async def get_reliability(ctx: RequestContext) -> JsonDict:
    start, end = P.window(ctx.params, MAX_RELIABILITY_SPAN)
    rows = await device_reliability(ctx.store, start, end, include_idle=ctx.params["include_idle"])
    return {
        "start": iso(start),
        "end": iso(end),
        "devices": [reliability_json(r) for r in rows],
        "count": len(rows),
    }


# -- declarations ---------------------------------------------------------------------------------

_S, _SN, _TN = STR, nullable(STR), nullable(TIME)
DEVICE = obj(
    {
        "id": _S, "name": _SN, "name_by_user": _SN, "manufacturer": _SN, "model": _SN, "sw_version": _SN,
        "area_id": _SN, "floor_id": _SN, "parent_device_id": _SN, "via_device_id": _SN, "disabled_by": _SN,
        "labels": arr(STR), "removed_at": _TN, "entity_count": INT, "display_name": _S,
    }
)  # fmt: skip
ENTITY = obj(
    {
        "entity_id": _S, "domain": _S, "name": _SN, "original_name": _SN, "platform": _SN, "device_id": _SN,
        "area_id": _SN, "floor_id": _SN, "entity_category": _SN, "disabled_by": _SN, "hidden_by": _SN,
        "labels": arr(STR), "removed_at": _TN,
    }
)  # fmt: skip
AREA = obj(
    {
        "area_id": _S, "name": _S, "floor_id": _SN, "icon": _SN, "labels": arr(STR), "aliases": arr(STR),
        "removed_at": _TN, "entity_count": INT,
    }
)  # fmt: skip
FLOOR = obj(
    {
        "floor_id": _S, "name": _S, "level": nullable(INT), "icon": _SN, "aliases": arr(STR),
        "removed_at": _TN, "entity_count": INT,
    }
)  # fmt: skip
RELIABILITY = obj(
    {
        "device_id": _S, "name": _S, "manufacturer": _SN, "model": _SN, "area_id": _SN, "entities": INT,
        "events": INT, "events_per_day": NUM, "last_seen": _TN, "unavailable_s": NUM,
        "availability_pct": nullable(NUM), "unavailable_now": BOOL,
    }
)  # fmt: skip
# A registry entity may be missing: then only entity_id and domain are known.
ENTITY_OR_STUB = {**ENTITY, "required": ["entity_id", "domain"]}


def routes() -> list[Route]:
    search = Param("search", description="substring of names (case-insensitive)", max_length=100)
    disabled = Param("disabled", Kind.BOOLEAN, description="only disabled (true) or enabled (false) ones")
    floor = Param("floor_id", max_length=255)
    area = Param("area_id", max_length=255)
    return [
        Route("GET", "/api/devices", list_devices, Access.DATA, "Devices, entity counts", "home assistant",
              obj({"devices": arr(DEVICE), "count": INT}),
              params=(Param("manufacturer", max_length=255), Param("model", max_length=255),
                      area, floor, disabled, search)),
        Route("GET", "/api/devices/reliability", get_reliability, Access.DATA,
              "Availability %, events per day, last seen and time unavailable per device", "home assistant",
              obj({"start": TIME, "end": TIME, "devices": arr(RELIABILITY), "count": INT}),
              params=(*P.window_params("7d"),
                      Param("include_idle", Kind.BOOLEAN, default=True,
                            description="include registry devices without events in the period")),
              heavy=True),
        Route("GET", "/api/devices/{device_id}", get_device, Access.DATA, "One device and its entities",
              "home assistant", {**DEVICE, "properties": {**DEVICE["properties"], "entities": arr(ENTITY)},
                                 "required": [*DEVICE["required"], "entities"]},
              params=(Param("device_id", location="path", required=True, max_length=255),), not_found=True),
        Route("GET", "/api/entities", list_entities, Access.DATA, "Entities", "home assistant",
              obj({"entities": arr(ENTITY), "count": INT}),
              params=(Param("domain", max_length=64), Param("device_id", max_length=255), area, floor,
                      Param("platform", max_length=64), disabled, search)),
        Route("GET", "/api/entities/{entity_id}", get_entity, Access.DATA, "One entity and its last event",
              "home assistant",
              obj({"entity": ENTITY_OR_STUB, "in_registry": BOOL, "last_event": nullable(EVENT)}),
              params=(Param("entity_id", location="path", required=True, max_length=255),), not_found=True),
        Route("GET", "/api/areas", list_areas, Access.DATA, "Areas with entity counts", "home assistant",
              obj({"areas": arr(AREA), "count": INT}), params=(floor,)),
        Route("GET", "/api/floors", list_floors, Access.DATA, "Floors with entity counts", "home assistant",
              obj({"floors": arr(FLOOR), "count": INT})),
    ]  # fmt: skip
