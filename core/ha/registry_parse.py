"""HA registry JSON (config/*_registry/list results) -> the typed records in core.models.

Every field is optional and unknown keys are ignored: HA adds fields every few releases. Device
rows come in three shapes: 2025.x (config_entries + primary_config_entry), 2026.8 (config_entry_id,
the old keys deprecated) and 2026.9 child devices (parent_device_id, no manufacturer/model).
A row without its id, or of the wrong JSON type, is skipped and counted, never fatal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from core.models import Area, Device, Entity, Floor, JsonDict, Label, RegistrySnapshot

T = TypeVar("T")

# The WebSocket command that lists each registry, in fetch order.
REGISTRY_COMMANDS: dict[str, str] = {
    "floors": "config/floor_registry/list",
    "areas": "config/area_registry/list",
    "devices": "config/device_registry/list",
    "entities": "config/entity_registry/list",
    "labels": "config/label_registry/list",
}
# Which registry a registry-updated event invalidates.
REGISTRY_EVENTS: dict[str, str] = {
    "floor_registry_updated": "floors",
    "area_registry_updated": "areas",
    "device_registry_updated": "devices",
    "entity_registry_updated": "entities",
    "label_registry_updated": "labels",
}


def _str(row: JsonDict, key: str) -> str | None:
    value = row.get(key)
    return value if isinstance(value, str) else None


def _num(row: JsonDict, key: str) -> float | None:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _int(row: JsonDict, key: str) -> int | None:
    value = row.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _strs(row: JsonDict, key: str) -> tuple[str, ...]:
    value = row.get(key)
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def _pairs(row: JsonDict, key: str) -> tuple[tuple[str, str], ...]:
    value = row.get(key)
    if not isinstance(value, list):
        return ()
    return tuple((str(p[0]), str(p[1])) for p in value if isinstance(p, list | tuple) and len(p) == 2)


def parse_floor(row: JsonDict) -> Floor | None:
    floor_id = _str(row, "floor_id")
    if floor_id is None:
        return None
    return Floor(
        floor_id=floor_id,
        name=_str(row, "name") or floor_id,
        level=_int(row, "level"),
        icon=_str(row, "icon"),
        aliases=_strs(row, "aliases"),
    )


def parse_area(row: JsonDict) -> Area | None:
    area_id = _str(row, "area_id")
    if area_id is None:
        return None
    return Area(
        area_id=area_id,
        name=_str(row, "name") or area_id,
        floor_id=_str(row, "floor_id"),
        icon=_str(row, "icon"),
        labels=_strs(row, "labels"),
        aliases=_strs(row, "aliases"),
    )


def parse_label(row: JsonDict) -> Label | None:
    label_id = _str(row, "label_id")
    if label_id is None:
        return None
    return Label(
        label_id=label_id,
        name=_str(row, "name") or label_id,
        color=_str(row, "color"),
        icon=_str(row, "icon"),
        description=_str(row, "description"),
    )


def parse_device(row: JsonDict) -> Device | None:
    device_id = _str(row, "id")
    if device_id is None:
        return None
    return Device(
        id=device_id,
        name=_str(row, "name"),
        name_by_user=_str(row, "name_by_user"),
        manufacturer=_str(row, "manufacturer"),
        model=_str(row, "model"),
        model_id=_str(row, "model_id"),
        sw_version=_str(row, "sw_version"),
        hw_version=_str(row, "hw_version"),
        serial_number=_str(row, "serial_number"),
        area_id=_str(row, "area_id"),
        via_device_id=_str(row, "via_device_id"),
        parent_device_id=_str(row, "parent_device_id"),
        # 2026.8+ names the single entry; older versions only have primary_config_entry.
        config_entry_id=_str(row, "config_entry_id") or _str(row, "primary_config_entry"),
        entry_type=_str(row, "entry_type"),
        disabled_by=_str(row, "disabled_by"),
        configuration_url=_str(row, "configuration_url"),
        labels=_strs(row, "labels"),
        identifiers=_pairs(row, "identifiers"),
        created_at=_num(row, "created_at"),
        modified_at=_num(row, "modified_at"),
    )


def parse_entity(row: JsonDict) -> Entity | None:
    entity_id = _str(row, "entity_id")
    if entity_id is None or "." not in entity_id:
        return None
    return Entity(
        entity_id=entity_id,
        id=_str(row, "id"),
        unique_id=_str(row, "unique_id"),
        platform=_str(row, "platform"),
        device_id=_str(row, "device_id"),
        area_id=_str(row, "area_id"),
        name=_str(row, "name"),
        original_name=_str(row, "original_name"),
        icon=_str(row, "icon"),
        entity_category=_str(row, "entity_category"),
        disabled_by=_str(row, "disabled_by"),
        hidden_by=_str(row, "hidden_by"),
        config_entry_id=_str(row, "config_entry_id"),
        has_entity_name=row.get("has_entity_name") is True,
        labels=_strs(row, "labels"),
        created_at=_num(row, "created_at"),
        modified_at=_num(row, "modified_at"),
    )


@dataclass(slots=True)
class ParseStats:
    """Rows skipped per registry because they had no id or were not JSON objects."""

    skipped: int = 0


def _parse_rows(
    rows: Any, parse: Callable[[JsonDict], T | None], key: Callable[[T], str], stats: ParseStats
) -> dict[str, T]:
    out: dict[str, T] = {}
    if not isinstance(rows, list):
        stats.skipped += 1 if rows is not None else 0
        return out
    for row in rows:
        item = parse(row) if isinstance(row, dict) else None
        if item is None:
            stats.skipped += 1
            continue
        out[key(item)] = item
    return out


def parse_floors(rows: Any, stats: ParseStats | None = None) -> dict[str, Floor]:
    return _parse_rows(rows, parse_floor, lambda f: f.floor_id, stats or ParseStats())


def parse_areas(rows: Any, stats: ParseStats | None = None) -> dict[str, Area]:
    return _parse_rows(rows, parse_area, lambda a: a.area_id, stats or ParseStats())


def parse_devices(rows: Any, stats: ParseStats | None = None) -> dict[str, Device]:
    return _parse_rows(rows, parse_device, lambda d: d.id, stats or ParseStats())


def parse_entities(rows: Any, stats: ParseStats | None = None) -> dict[str, Entity]:
    return _parse_rows(rows, parse_entity, lambda e: e.entity_id, stats or ParseStats())


def parse_labels(rows: Any, stats: ParseStats | None = None) -> dict[str, Label]:
    return _parse_rows(rows, parse_label, lambda lb: lb.label_id, stats or ParseStats())


PARSERS: dict[str, Callable[[Any, ParseStats | None], dict[str, Any]]] = {
    "floors": parse_floors,
    "areas": parse_areas,
    "devices": parse_devices,
    "entities": parse_entities,
    "labels": parse_labels,
}


def build_snapshot(raw: dict[str, Any], stats: ParseStats | None = None) -> RegistrySnapshot:
    """A snapshot from raw list results keyed like REGISTRY_COMMANDS (missing keys: empty)."""
    parsed = {name: PARSERS[name](raw.get(name), stats) for name in REGISTRY_COMMANDS}
    return RegistrySnapshot(**parsed)


def replace_registries(
    base: RegistrySnapshot, raw: dict[str, Any], stats: ParseStats | None = None
) -> RegistrySnapshot:
    """A new snapshot: the registries named in `raw` re-parsed, the others shared from `base`."""
    parts: dict[str, dict[str, Any]] = {name: getattr(base, name) for name in REGISTRY_COMMANDS}
    for name, rows in raw.items():
        parts[name] = PARSERS[name](rows, stats)
    return RegistrySnapshot(**parts)
