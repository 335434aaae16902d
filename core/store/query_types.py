"""Typed results of EventQueries (the REST API and the GUI build on these)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.models import EnrichedEvent, EventSource


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event with its store id (stable; usable with event_by_id and as a reference)."""

    id: int
    event: EnrichedEvent


@dataclass(frozen=True, slots=True)
class EventPage:
    events: list[StoredEvent]
    next_cursor: str | None  # opaque; pass it back as `cursor` for the next page, None at the end


@dataclass(frozen=True, slots=True)
class EventFilter:
    """All given fields must match. Area/floor/device are those the event was stored with."""

    entity_id: str | None = None
    domain: str | None = None
    device_id: str | None = None
    area_id: str | None = None
    floor_id: str | None = None
    event_type: str | None = None
    source: EventSource | None = None


@dataclass(frozen=True, slots=True)
class CountRow:
    key: str | None  # the domain or area_id (None: events without an area)
    count: int


@dataclass(frozen=True, slots=True)
class BucketStat:
    start: datetime
    count: int
    changes: int  # events with state != old_state
    numeric_count: int
    mean: float | None
    min: float | None
    max: float | None
    unavailable_s: float


@dataclass(frozen=True, slots=True)
class FloorInfo:
    floor_id: str
    name: str
    level: int | None
    icon: str | None
    aliases: tuple[str, ...]
    removed_at: datetime | None
    entity_count: int


@dataclass(frozen=True, slots=True)
class AreaInfo:
    area_id: str
    name: str
    floor_id: str | None
    icon: str | None
    labels: tuple[str, ...]
    aliases: tuple[str, ...]
    removed_at: datetime | None
    entity_count: int


@dataclass(frozen=True, slots=True)
class LabelInfo:
    label_id: str
    name: str
    color: str | None
    icon: str | None
    description: str | None
    removed_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: str
    name: str | None
    name_by_user: str | None
    manufacturer: str | None
    model: str | None
    sw_version: str | None
    area_id: str | None  # resolved: the device's, else its parent device's
    floor_id: str | None
    parent_device_id: str | None
    via_device_id: str | None
    disabled_by: str | None
    labels: tuple[str, ...]
    removed_at: datetime | None
    entity_count: int

    @property
    def display_name(self) -> str:
        return self.name_by_user or self.name or self.id


@dataclass(frozen=True, slots=True)
class EntityInfo:
    entity_id: str
    domain: str
    name: str | None
    original_name: str | None
    platform: str | None
    device_id: str | None
    area_id: str | None  # resolved: entity, else device, else parent device
    floor_id: str | None
    entity_category: str | None
    disabled_by: str | None
    hidden_by: str | None
    labels: tuple[str, ...]
    removed_at: datetime | None
