"""Registry entries in the exact shapes of HA's config/*_registry/list commands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.ha.simulator.registries import AreaEntry, DeviceEntry, EntityEntry, FloorEntry, LabelEntry

ENTITY_CATEGORIES = ("config", "diagnostic")


def floor_repr(floor: FloorEntry) -> dict[str, Any]:
    """Return components/config/floor_registry.py _entry_dict."""
    return {
        "aliases": floor.aliases,
        "created_at": floor.created_at,
        "floor_id": floor.floor_id,
        "icon": floor.icon,
        "level": floor.level,
        "name": floor.name,
        "modified_at": floor.modified_at,
    }


def area_repr(area: AreaEntry) -> dict[str, Any]:
    """Return AreaEntry.json_fragment's content."""
    return {
        "aliases": area.aliases,
        "area_id": area.area_id,
        "floor_id": area.floor_id,
        "humidity_entity_id": area.humidity_entity_id,
        "icon": area.icon,
        "labels": area.labels,
        "name": area.name,
        "picture": area.picture,
        "temperature_entity_id": area.temperature_entity_id,
        "created_at": area.created_at,
        "modified_at": area.modified_at,
    }


def label_repr(label: LabelEntry) -> dict[str, Any]:
    """Return components/config/label_registry.py's label dict."""
    return {
        "color": label.color,
        "created_at": label.created_at,
        "description": label.description,
        "icon": label.icon,
        "label_id": label.label_id,
        "name": label.name,
        "modified_at": label.modified_at,
    }


def device_repr(device: DeviceEntry) -> dict[str, Any]:
    """Return DeviceEntry.dict_repr: 2025.x fields plus 2026.8's config_entry_id/config_subentry_id,
    or the reduced 2026.9 child-device shape when the device has a parent."""
    if device.parent_device_id is not None:
        return _child_device_repr(device)
    entries = [device.config_entry_id] if device.config_entry_id else []
    return {
        "area_id": device.area_id,
        "configuration_url": device.configuration_url,
        "config_entries": entries,
        "config_entries_subentries": {entry: [device.config_subentry_id] for entry in entries},
        "config_entry_id": device.config_entry_id,
        "config_subentry_id": device.config_subentry_id,
        "connections": device.connections,
        "created_at": device.created_at,
        "disabled_by": device.disabled_by,
        "entry_type": device.entry_type,
        "hw_version": device.hw_version,
        "id": device.id,
        "identifiers": device.identifiers,
        "labels": device.labels,
        "manufacturer": device.manufacturer,
        "model": device.model,
        "model_id": device.model_id,
        "modified_at": device.modified_at,
        "name_by_user": device.name_by_user,
        "name": device.name,
        "primary_config_entry": device.config_entry_id,
        "serial_number": device.serial_number,
        "sw_version": device.sw_version,
        "via_device_id": device.via_device_id,
    }


def _child_device_repr(device: DeviceEntry) -> dict[str, Any]:
    return {
        "id": device.id,
        "parent_device_id": device.parent_device_id,
        "config_entry_id": device.config_entry_id,
        "config_subentry_id": device.config_subentry_id,
        "area_id": device.area_id,
        "name": device.name,
        "name_by_user": device.name_by_user,
        "labels": device.labels,
        "identifiers": device.identifiers,
        "disabled_by": device.disabled_by,
        "created_at": device.created_at,
        "modified_at": device.modified_at,
    }


def entity_repr(entry: EntityEntry) -> dict[str, Any]:
    """Return RegistryEntry.partial_json_repr (config/entity_registry/list)."""
    return {
        "area_id": entry.area_id,
        "categories": entry.categories,
        "config_entry_id": entry.config_entry_id,
        "config_subentry_id": entry.config_subentry_id,
        "created_at": entry.created_at,
        "device_id": entry.device_id,
        "disabled_by": entry.disabled_by,
        "entity_category": entry.entity_category,
        "entity_id": entry.entity_id,
        "has_entity_name": entry.has_entity_name,
        "hidden_by": entry.hidden_by,
        "icon": entry.icon,
        "id": entry.id,
        "labels": entry.labels,
        "modified_at": entry.modified_at,
        "name": entry.name,
        "options": entry.options,
        "original_name": entry.original_name,
        "platform": entry.platform,
        "translation_key": entry.translation_key,
        "unique_id": entry.unique_id,
    }


def display_repr(entry: EntityEntry) -> dict[str, Any]:
    """Return RegistryEntry.display_json_repr: compact keys, optional ones omitted when empty."""
    item: dict[str, Any] = {"ei": entry.entity_id, "pl": entry.platform}
    if entry.area_id:
        item["ai"] = entry.area_id
    if entry.device_id:
        item["di"] = entry.device_id
    if entry.labels:
        item["lb"] = entry.labels
    if entry.icon:
        item["ic"] = entry.icon
    if entry.translation_key:
        item["tk"] = entry.translation_key
    if entry.entity_category:
        item["ec"] = ENTITY_CATEGORIES.index(entry.entity_category)
    if entry.hidden_by:
        item["hb"] = True
    if entry.has_entity_name:
        item["hn"] = True
    if (name := entry.name or entry.original_name) is not None:
        item["en"] = name
    precision = entry.options.get("sensor", {}).get("display_precision")
    if precision is not None:
        item["dp"] = precision
    return item


def list_for_display(entries: Iterable[EntityEntry]) -> dict[str, Any]:
    """Return config/entity_registry/list_for_display: enabled entities only."""
    return {
        "entity_categories": {str(index): name for index, name in enumerate(ENTITY_CATEGORIES)},
        "entities": [display_repr(entry) for entry in entries if entry.disabled_by is None],
    }
