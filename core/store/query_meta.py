"""Metadata reads: floors, areas, labels, devices and entities with their entity counts."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from core.store.codec import us_to_datetime
from core.store.query_types import AreaInfo, DeviceInfo, EntityInfo, FloorInfo, LabelInfo
from core.store.sql_filters import add_filters


def _tuple(text: str | None) -> tuple[Any, ...]:
    return tuple(orjson.loads(text)) if text else ()


def _when(us: int | None) -> Any:
    return None if us is None else us_to_datetime(us)


def _where(terms: list[str], include_removed: bool, alias: str) -> str:
    if not include_removed:
        terms = [*terms, f"{alias}.removed_at IS NULL"]
    return " WHERE " + " AND ".join(terms) if terms else ""


_LIVE_ENTITIES = "SELECT count(*) FROM entities n WHERE n.removed_at IS NULL AND "


def floors(conn: sqlite3.Connection, include_removed: bool) -> list[FloorInfo]:
    sql = (
        f"SELECT f.floor_id, f.name, f.level, f.icon, f.aliases, f.removed_at, "
        f"({_LIVE_ENTITIES} n.floor_id = f.floor_id) FROM floors f{_where([], include_removed, 'f')} "
        "ORDER BY f.level, f.name"
    )
    return [FloorInfo(r[0], r[1], r[2], r[3], _tuple(r[4]), _when(r[5]), r[6]) for r in conn.execute(sql)]


def areas(conn: sqlite3.Connection, floor_id: str | None, include_removed: bool) -> list[AreaInfo]:
    terms, params = (["a.floor_id = ?"], [floor_id]) if floor_id is not None else ([], [])
    sql = (
        "SELECT a.area_id, a.name, a.floor_id, a.icon, a.labels, a.aliases, a.removed_at, "
        f"({_LIVE_ENTITIES} n.resolved_area_id = a.area_id) FROM areas a"
        f"{_where(terms, include_removed, 'a')} ORDER BY a.name"
    )
    return [
        AreaInfo(r[0], r[1], r[2], r[3], _tuple(r[4]), _tuple(r[5]), _when(r[6]), r[7])
        for r in conn.execute(sql, params)
    ]


def labels(conn: sqlite3.Connection, include_removed: bool) -> list[LabelInfo]:
    sql = (
        "SELECT x.label_id, x.name, x.color, x.icon, x.description, x.removed_at FROM labels x"
        f"{_where([], include_removed, 'x')} ORDER BY x.name"
    )
    return [LabelInfo(r[0], r[1], r[2], r[3], r[4], _when(r[5])) for r in conn.execute(sql)]


def devices(
    conn: sqlite3.Connection,
    area_id: str | None,
    floor_id: str | None,
    search: str | None,
    include_removed: bool,
) -> list[DeviceInfo]:
    terms: list[str] = []
    params: list[Any] = []
    add_filters(terms, params, (("d.resolved_area_id = ?", area_id), ("d.floor_id = ?", floor_id)))
    if search:
        terms.append("(d.name LIKE ? OR d.name_by_user LIKE ? OR d.manufacturer LIKE ? OR d.model LIKE ?)")
        params += [f"%{search}%"] * 4
    sql = (
        "SELECT d.id, d.name, d.name_by_user, d.manufacturer, d.model, d.sw_version, d.resolved_area_id, "
        "d.floor_id, d.parent_device_id, d.via_device_id, d.disabled_by, d.labels, d.removed_at, "
        f"({_LIVE_ENTITIES} n.device_id = d.id) FROM devices d{_where(terms, include_removed, 'd')} "
        "ORDER BY coalesce(d.name_by_user, d.name, d.id)"
    )
    return [_device(r) for r in conn.execute(sql, params)]


def _device(r: Any) -> DeviceInfo:
    return DeviceInfo(
        id=r[0], name=r[1], name_by_user=r[2], manufacturer=r[3], model=r[4], sw_version=r[5],
        area_id=r[6], floor_id=r[7], parent_device_id=r[8], via_device_id=r[9], disabled_by=r[10],
        labels=_tuple(r[11]), removed_at=_when(r[12]), entity_count=r[13],
    )  # fmt: skip


def entities(
    conn: sqlite3.Connection,
    domain: str | None,
    device_id: str | None,
    area_id: str | None,
    floor_id: str | None,
    search: str | None,
    include_removed: bool,
) -> list[EntityInfo]:
    terms: list[str] = []
    params: list[Any] = []
    filters = (
        ("n.domain = ?", domain),
        ("n.device_id = ?", device_id),
        ("n.resolved_area_id = ?", area_id),
        ("n.floor_id = ?", floor_id),
    )
    add_filters(terms, params, filters)
    if search:
        terms.append("(n.entity_id LIKE ? OR n.name LIKE ? OR n.original_name LIKE ?)")
        params += [f"%{search}%"] * 3
    sql = (
        "SELECT n.entity_id, n.domain, n.name, n.original_name, n.platform, n.device_id, n.resolved_area_id, "
        "n.floor_id, n.entity_category, n.disabled_by, n.hidden_by, n.labels, n.removed_at FROM entities n"
        f"{_where(terms, include_removed, 'n')} ORDER BY n.entity_id"
    )
    return [_entity(r) for r in conn.execute(sql, params)]


def _entity(r: Any) -> EntityInfo:
    return EntityInfo(
        entity_id=r[0], domain=r[1], name=r[2], original_name=r[3], platform=r[4], device_id=r[5],
        area_id=r[6], floor_id=r[7], entity_category=r[8], disabled_by=r[9], hidden_by=r[10],
        labels=_tuple(r[11]), removed_at=_when(r[12]),
    )  # fmt: skip
