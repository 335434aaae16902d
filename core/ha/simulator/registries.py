"""Registry entries (floors, areas, labels, devices, entities), mutable like HA's registries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class FloorEntry:
    floor_id: str
    name: str
    level: int | None
    icon: str | None
    created_at: float
    modified_at: float
    aliases: list[str] = field(default_factory=list)


@dataclass(slots=True)
class AreaEntry:
    area_id: str
    name: str
    floor_id: str | None
    icon: str | None
    created_at: float
    modified_at: float
    labels: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    picture: str | None = None
    temperature_entity_id: str | None = None
    humidity_entity_id: str | None = None


@dataclass(slots=True)
class LabelEntry:
    label_id: str
    name: str
    color: str | None
    icon: str | None
    description: str | None
    created_at: float
    modified_at: float


@dataclass(slots=True)
class DeviceEntry:
    """A device. parent_device_id set means a 2026.9 child device (reduced JSON shape)."""

    id: str
    name: str
    config_entry_id: str | None
    created_at: float
    modified_at: float
    area_id: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    model_id: str | None = None
    sw_version: str | None = None
    hw_version: str | None = None
    serial_number: str | None = None
    config_subentry_id: str | None = None
    identifiers: list[list[str]] = field(default_factory=list)
    connections: list[list[str]] = field(default_factory=list)
    via_device_id: str | None = None
    parent_device_id: str | None = None
    entry_type: str | None = None
    disabled_by: str | None = None
    name_by_user: str | None = None
    labels: list[str] = field(default_factory=list)
    configuration_url: str | None = None


@dataclass(slots=True)
class EntityEntry:
    """An entity registry entry (entities without a unique_id have none and are not listed)."""

    id: str
    entity_id: str
    unique_id: str
    platform: str
    created_at: float
    modified_at: float
    config_entry_id: str | None = None
    config_subentry_id: str | None = None
    device_id: str | None = None
    area_id: str | None = None
    name: str | None = None
    original_name: str | None = None
    has_entity_name: bool = True
    entity_category: str | None = None
    disabled_by: str | None = None
    hidden_by: str | None = None
    icon: str | None = None
    translation_key: str | None = None
    labels: list[str] = field(default_factory=list)
    categories: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
