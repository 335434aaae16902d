"""RegistryCache: the registries as last fetched, and per-entity enrichment resolved once."""

from __future__ import annotations

from collections.abc import Callable

from core.models import RegistrySnapshot
from core.store.rows import NO_RESOLUTION, Resolution

Listener = Callable[[RegistrySnapshot], None]


class RegistryCache:
    """Swapped wholesale by `update()` (the client re-fetches on *_registry_updated events)."""

    def __init__(self, snapshot: RegistrySnapshot | None = None) -> None:
        self.snapshot = snapshot or RegistrySnapshot()
        self._resolved: dict[str, Resolution] = {}
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(snapshot)` after every update (the pipeline syncs the metadata tables)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def update(self, snapshot: RegistrySnapshot) -> None:
        """Use `snapshot` for events processed from now on; schedule the metadata-table sync."""
        self.snapshot = snapshot
        self._resolved = {}
        for listener in list(self._listeners):
            listener(snapshot)

    def resolve(self, entity_id: str) -> Resolution:
        """Device, area (entity -> device -> parent device), floor and device details of an entity."""
        found = self._resolved.get(entity_id)
        if found is None:
            found = self._resolved[entity_id] = self._compute(entity_id)
        return found

    def _compute(self, entity_id: str) -> Resolution:
        snap = self.snapshot
        entity = snap.entities.get(entity_id)
        if entity is None:
            return NO_RESOLUTION
        device = snap.devices.get(entity.device_id) if entity.device_id else None
        area_id = snap.entity_area_id(entity)
        if device is None:
            return Resolution(None, area_id, snap.floor_id_of(area_id))
        # A 2026.9 child device has no manufacturer/model/firmware of its own: use its parent's.
        parent = snap.devices.get(device.parent_device_id) if device.parent_device_id else None
        hardware = parent if parent is not None and not device.manufacturer else device
        return Resolution(
            device_id=device.id,
            area_id=area_id,
            floor_id=snap.floor_id_of(area_id),
            manufacturer=hardware.manufacturer,
            model=hardware.model,
            sw_version=hardware.sw_version,
        )
