"""Registry -> metadata tables (floors, labels, areas, devices, entities), run in the writer.

Rows present in the snapshot are upserted (and restored: removed_at = NULL); rows that left
HA's registry are soft-deleted with removed_at, so old events keep their names and places.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from core.models import RegistrySnapshot

_FLOOR_COLS = ("floor_id", "name", "level", "icon", "aliases")
_LABEL_COLS = ("label_id", "name", "color", "icon", "description")
_AREA_COLS = ("area_id", "name", "floor_id", "icon", "labels", "aliases")
_DEVICE_COLS = (
    "id", "name", "name_by_user", "manufacturer", "model", "model_id", "sw_version", "hw_version",
    "serial_number", "area_id", "via_device_id", "parent_device_id", "config_entry_id", "entry_type",
    "disabled_by", "configuration_url", "labels", "identifiers", "created_at", "modified_at",
    "resolved_area_id", "floor_id",
)  # fmt: skip
_ENTITY_COLS = (
    "entity_id", "domain", "id", "unique_id", "platform", "device_id", "area_id", "name", "original_name",
    "icon", "entity_category", "disabled_by", "hidden_by", "config_entry_id", "has_entity_name", "labels",
    "created_at", "modified_at", "resolved_area_id", "floor_id",
)  # fmt: skip


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def sync_registry(conn: sqlite3.Connection, snap: RegistrySnapshot, now: int) -> None:
    """Upsert the snapshot into the metadata tables in one transaction; soft-delete the rest."""
    conn.execute("BEGIN")
    try:
        _sync(conn, "floors", _FLOOR_COLS, _floor_rows(snap), now)
        _sync(conn, "labels", _LABEL_COLS, _label_rows(snap), now)
        _sync(conn, "areas", _AREA_COLS, _area_rows(snap), now)
        _sync(conn, "devices", _DEVICE_COLS, _device_rows(snap), now)
        _sync(conn, "entities", _ENTITY_COLS, _entity_rows(snap), now)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _sync(
    conn: sqlite3.Connection, table: str, cols: Sequence[str], rows: list[tuple[Any, ...]], now: int
) -> None:
    key = cols[0]
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols[1:])
    conn.executemany(
        f"INSERT INTO {table} ({', '.join(cols)}, removed_at) VALUES ({', '.join('?' * len(cols))}, NULL) "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}, removed_at = NULL",
        rows,
    )
    conn.execute(
        f"UPDATE {table} SET removed_at = ? WHERE removed_at IS NULL "
        f"AND {key} NOT IN (SELECT value FROM json_each(?))",
        (now, _json([r[0] for r in rows])),
    )


def _floor_rows(snap: RegistrySnapshot) -> list[tuple[Any, ...]]:
    return [(f.floor_id, f.name, f.level, f.icon, _json(f.aliases)) for f in snap.floors.values()]


def _label_rows(snap: RegistrySnapshot) -> list[tuple[Any, ...]]:
    return [(x.label_id, x.name, x.color, x.icon, x.description) for x in snap.labels.values()]


def _area_rows(snap: RegistrySnapshot) -> list[tuple[Any, ...]]:
    return [
        (a.area_id, a.name, a.floor_id, a.icon, _json(a.labels), _json(a.aliases))
        for a in snap.areas.values()
    ]


def _device_rows(snap: RegistrySnapshot) -> list[tuple[Any, ...]]:
    rows = []
    for d in snap.devices.values():
        area = snap.device_area_id(d.id)
        rows.append((
            d.id, d.name, d.name_by_user, d.manufacturer, d.model, d.model_id, d.sw_version, d.hw_version,
            d.serial_number, d.area_id, d.via_device_id, d.parent_device_id, d.config_entry_id, d.entry_type,
            d.disabled_by, d.configuration_url, _json(d.labels), _json(d.identifiers), d.created_at,
            d.modified_at, area, snap.floor_id_of(area),
        ))  # fmt: skip
    return rows


def _entity_rows(snap: RegistrySnapshot) -> list[tuple[Any, ...]]:
    rows = []
    for e in snap.entities.values():
        area = snap.entity_area_id(e)
        rows.append((
            e.entity_id, e.domain, e.id, e.unique_id, e.platform, e.device_id, e.area_id, e.name,
            e.original_name, e.icon, e.entity_category, e.disabled_by, e.hidden_by, e.config_entry_id,
            int(e.has_entity_name), _json(e.labels), e.created_at, e.modified_at, area,
            snap.floor_id_of(area),
        ))  # fmt: skip
    return rows
