"""Typed records shared by every engine: the enriched event and the registry entries.

HA adds fields every few releases, so registry records keep only what we use and parsers
accept unknown keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

JsonDict = dict[str, Any]


class EventSource(StrEnum):
    """Where a stored event came from."""

    LIVE = "live"  # a state_changed event received over the WebSocket
    SNAPSHOT = "snapshot"  # a row of get_states after (re)connect
    BACKFILL = "backfill"  # a row of history/history_during_period covering a gap


@dataclass(frozen=True, slots=True)
class EnrichedEvent:
    """One state change, enriched with registry metadata, as stored and exported."""

    entity_id: str
    domain: str
    event_type: str
    time_fired: datetime  # HA's time_fired (UTC), never the processing time
    state: str | None  # None when the entity was removed (new_state: null)
    old_state: str | None  # None when the entity was created (old_state: null)
    attributes: JsonDict
    value: float | None  # float(state) when the state is a finite number
    unit: str | None
    device_class: str | None
    friendly_name: str | None
    context_id: str | None
    context_parent_id: str | None
    context_user_id: str | None
    origin: str | None
    device_id: str | None
    area_id: str | None
    floor_id: str | None
    duration_in_state: float | None  # seconds from old last_changed to new last_changed
    device_manufacturer: str | None
    device_model: str | None
    device_sw_version: str | None
    source: EventSource = EventSource.LIVE


@dataclass(frozen=True, slots=True)
class Floor:
    floor_id: str
    name: str
    level: int | None = None
    icon: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Area:
    area_id: str
    name: str
    floor_id: str | None = None
    icon: str | None = None
    labels: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Label:
    label_id: str
    name: str
    color: str | None = None
    icon: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    name: str | None
    name_by_user: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    model_id: str | None = None
    sw_version: str | None = None
    hw_version: str | None = None
    serial_number: str | None = None
    area_id: str | None = None
    via_device_id: str | None = None
    parent_device_id: str | None = None  # HA 2026.9 child devices
    config_entry_id: str | None = None  # 2026.8+, else primary_config_entry
    entry_type: str | None = None
    disabled_by: str | None = None
    configuration_url: str | None = None
    labels: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()
    created_at: float | None = None
    modified_at: float | None = None

    @property
    def display_name(self) -> str:
        return self.name_by_user or self.name or self.id


@dataclass(frozen=True, slots=True)
class Entity:
    entity_id: str
    id: str | None = None  # registry entry id
    unique_id: str | None = None
    platform: str | None = None
    device_id: str | None = None
    area_id: str | None = None
    name: str | None = None
    original_name: str | None = None
    icon: str | None = None
    entity_category: str | None = None
    disabled_by: str | None = None
    hidden_by: str | None = None
    config_entry_id: str | None = None
    has_entity_name: bool = False
    labels: tuple[str, ...] = ()
    created_at: float | None = None
    modified_at: float | None = None

    @property
    def domain(self) -> str:
        return self.entity_id.partition(".")[0]


@dataclass(slots=True)
class RegistrySnapshot:
    """The four registries as last fetched from HA (plus labels)."""

    floors: dict[str, Floor] = field(default_factory=dict)
    areas: dict[str, Area] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    entities: dict[str, Entity] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)

    def device_area_id(self, device_id: str | None) -> str | None:
        """Return the device's area, else (HA 2026.9 child devices) its parent device's area."""
        device = self.devices.get(device_id) if device_id else None
        if device is None:
            return None
        if device.area_id:
            return device.area_id
        parent = self.devices.get(device.parent_device_id) if device.parent_device_id else None
        return parent.area_id if parent is not None else None

    def entity_area_id(self, entity: Entity) -> str | None:
        """Return the entity's area, else its device's (or parent device's) area."""
        return entity.area_id or self.device_area_id(entity.device_id)

    def floor_id_of(self, area_id: str | None) -> str | None:
        area = self.areas.get(area_id) if area_id else None
        return area.floor_id if area is not None else None
