"""Registry mutations that fire the *_registry_updated events with HA's data shapes.

Event data (helpers/*_registry.py): entity {"action": "create"|"remove", "entity_id"} or
{"action": "update", "entity_id", "changes": {field: OLD value}[, "old_entity_id"]}; device likewise with
"device_id" (remove also carries "device": dict_repr); area/floor/label {"action", "<kind>_id"}.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from core.ha.simulator import clock, const
from core.ha.simulator.behaviours import Fixed
from core.ha.simulator.demo_home import DemoHome, SimEntity
from core.ha.simulator.registries import EntityEntry
from core.ha.simulator.registry_json import device_repr


def _fire(home: DemoHome, event_type: str, data: dict[str, Any]) -> None:
    now = clock.now_us()
    home.bus.fire(event_type, data, home.states.new_context(now), now)


def _stamp() -> float:
    return round(clock.now_us() / clock.US_PER_S, 6)


def move_device_to_area(home: DemoHome, device_id: str, area_id: str | None) -> None:
    """Assign a device to an area (None: no area; a child device then inherits its parent's)."""
    device = home.devices[device_id]
    if area_id is not None and area_id not in home.areas:
        raise KeyError(f"unknown area {area_id}")
    if device.area_id == area_id:
        return
    old, device.area_id, device.modified_at = device.area_id, area_id, _stamp()
    data = {"action": "update", "device_id": device_id, "changes": {"area_id": old}}
    _fire(home, const.EVENT_DEVICE_REGISTRY_UPDATED, data)


def move_entity_to_area(home: DemoHome, entity_id: str, area_id: str | None) -> None:
    """Override an entity's area (None: follow its device)."""
    entry = home.entity_registry[entity_id]
    if area_id is not None and area_id not in home.areas:
        raise KeyError(f"unknown area {area_id}")
    if entry.area_id == area_id:
        return
    old, entry.area_id, entry.modified_at = entry.area_id, area_id, _stamp()
    data = {"action": "update", "entity_id": entity_id, "changes": {"area_id": old}}
    _fire(home, const.EVENT_ENTITY_REGISTRY_UPDATED, data)


def rename_entity(home: DemoHome, entity_id: str, new_entity_id: str | None, name: str | None) -> str:
    """Change the user name and/or the entity_id; returns the (new) entity_id.

    A new entity_id makes HA remove the old state and add the new one (old_state null)."""
    entry = home.entity_registry[entity_id]
    changes: dict[str, Any] = {}
    sim = home.entities.get(entity_id)
    if name is not None and name != entry.name:
        changes["name"], entry.name = entry.name, name
    if new_entity_id and new_entity_id != entity_id:
        if new_entity_id in home.entity_registry or new_entity_id in home.entities:
            raise ValueError(f"{new_entity_id} already exists")
        changes["entity_id"] = entity_id
        _rekey(home, entry, entity_id, new_entity_id)
    if not changes:
        return entity_id
    entry.modified_at = _stamp()
    data: dict[str, Any] = {"action": "update", "entity_id": entry.entity_id, "changes": changes}
    if "entity_id" not in changes:
        # HA's entity updates its state from its own registry listener, which runs before the
        # WebSocket's: a client gets the new friendly_name first, then the registry event.
        if sim is not None:
            _rewrite_state(home, sim, entity_id, name)
        _fire(home, const.EVENT_ENTITY_REGISTRY_UPDATED, data)
        return entry.entity_id
    data["old_entity_id"] = entity_id
    _fire(home, const.EVENT_ENTITY_REGISTRY_UPDATED, data)
    if sim is not None:  # a new entity_id re-adds the entity: its states follow the event
        _rewrite_state(home, sim, entity_id, name)
    return entry.entity_id


def _rekey(home: DemoHome, entry: EntityEntry, old: str, new: str) -> None:
    home.entity_registry = {
        (new if key == old else key): value for key, value in home.entity_registry.items()
    }
    entry.entity_id = new
    if (sim := home.entities.pop(old, None)) is not None:
        sim.entity_id = new
        home.entities[new] = sim
    home.chains[:] = [
        dataclasses.replace(chain, **{k: new for k, v in dataclasses.asdict(chain).items() if v == old})
        for chain in home.chains
    ]


def _rewrite_state(home: DemoHome, sim: SimEntity, old_entity_id: str, name: str | None) -> None:
    reading = sim.behaviour.rename(name) if name is not None else sim.behaviour.current()
    if old_entity_id != sim.entity_id:
        home.states.remove(old_entity_id)
    home.write(sim, reading)


def remove_entity(home: DemoHome, entity_id: str) -> None:
    """Delete an entity: registry remove event (if registered), then state_changed with new_state null."""
    if home.entity_registry.pop(entity_id, None) is not None:
        _fire(home, const.EVENT_ENTITY_REGISTRY_UPDATED, {"action": "remove", "entity_id": entity_id})
    if home.entities.pop(entity_id, None) is None and entity_id not in home.states:
        raise KeyError(entity_id)
    home.states.remove(entity_id)
    home.chains[:] = [chain for chain in home.chains if entity_id not in dataclasses.astuple(chain)]


def add_entity(
    home: DemoHome,
    entity_id: str,
    state: str,
    attributes: dict[str, Any] | None = None,
    *,
    device_id: str | None = None,
    area_id: str | None = None,
    platform: str = "demo",
) -> SimEntity:
    """Create a registered entity with a fixed value: registry create event, then old_state null."""
    if entity_id in home.entity_registry or entity_id in home.entities:
        raise ValueError(f"{entity_id} already exists")
    if device_id is not None and device_id not in home.devices:
        raise KeyError(f"unknown device {device_id}")
    now = _stamp()
    attrs = dict(attributes or {})
    friendly = str(attrs.pop("friendly_name", entity_id.split(".", 1)[1].replace("_", " ").title()))
    entry = EntityEntry(
        id=uuid.uuid4().hex,
        entity_id=entity_id,
        unique_id=f"{platform}-{entity_id}",
        platform=platform,
        created_at=now,
        modified_at=now,
        device_id=device_id,
        area_id=area_id,
        original_name=friendly,
        has_entity_name=False,
    )
    home.entity_registry[entity_id] = entry
    sim = SimEntity(entity_id, Fixed({**attrs, "friendly_name": friendly}, state), entry, can_fail=False)
    home.entities[entity_id] = sim
    _fire(home, const.EVENT_ENTITY_REGISTRY_UPDATED, {"action": "create", "entity_id": entity_id})
    home.write(sim, sim.behaviour.current())
    return sim


def remove_device(home: DemoHome, device_id: str) -> None:
    """Delete a device: device remove event (with its last dict_repr), then its entities are removed."""
    device = home.devices.pop(device_id)
    data = {"action": "remove", "device_id": device_id, "device": device_repr(device)}
    _fire(home, const.EVENT_DEVICE_REGISTRY_UPDATED, data)
    for entry in [e for e in home.entity_registry.values() if e.device_id == device_id]:
        remove_entity(home, entry.entity_id)


def update_area(
    home: DemoHome, area_id: str, *, name: str | None = None, floor_id: str | None = None
) -> None:
    """Rename an area and/or move it to another floor."""
    area = home.areas[area_id]
    if floor_id is not None and floor_id not in home.floors:
        raise KeyError(f"unknown floor {floor_id}")
    area.name = name if name is not None else area.name
    area.floor_id = floor_id if floor_id is not None else area.floor_id
    area.modified_at = _stamp()
    _fire(home, const.EVENT_AREA_REGISTRY_UPDATED, {"action": "update", "area_id": area_id})


def remove_area(home: DemoHome, area_id: str) -> None:
    """Delete an area: devices and entities in it lose their area first, as HA does."""
    if area_id not in home.areas:
        raise KeyError(area_id)
    for device in list(home.devices.values()):
        if device.area_id == area_id:
            move_device_to_area(home, device.id, None)
    for entry in list(home.entity_registry.values()):
        if entry.area_id == area_id:
            move_entity_to_area(home, entry.entity_id, None)
    del home.areas[area_id]
    _fire(home, const.EVENT_AREA_REGISTRY_UPDATED, {"action": "remove", "area_id": area_id})
