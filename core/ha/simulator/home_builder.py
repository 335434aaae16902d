"""Deterministic construction of registry entries and entities (ids, names, timestamps from the seed)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

from core.ha.simulator.behaviours import AttrDict, Behaviour
from core.ha.simulator.demo_home import DemoHome, SimEntity
from core.ha.simulator.registries import AreaEntry, DeviceEntry, EntityEntry, FloorEntry, LabelEntry
from core.ha.simulator.ulid import encode_ulid

# Registry timestamps start at 2024-08-18 (HA added created_at in 2024.x) and advance per entry.
_BASE_CREATED_AT = 1723987200.0
_SLUG_RE = re.compile(r"[^a-z0-9]+")

MakeBehaviour = Callable[[AttrDict], Behaviour]


def slugify(text: str) -> str:
    """Return an object_id like HA's slugify."""
    return _SLUG_RE.sub("_", text.lower()).strip("_")


class HomeBuilder:
    """Adds floors, areas, devices and entities to a DemoHome with seed-derived ids."""

    def __init__(self, home: DemoHome, rng: random.Random) -> None:
        self.home = home
        self.rng = rng
        self._stamp = _BASE_CREATED_AT

    def hex_id(self) -> str:
        """Return a uuid4().hex-like id."""
        return f"{self.rng.getrandbits(128):032x}"

    def stamp(self) -> float:
        """Return the next created_at: registries were filled over a few weeks."""
        self._stamp += self.rng.randrange(60, 7200) + self.rng.randrange(1000) / 1000
        return round(self._stamp, 3)

    def config_entry(self, platform: str) -> str:
        """Return the config entry id of an integration (a ULID, as HA uses)."""
        entries = self.home.config_entries
        if platform not in entries:
            entries[platform] = encode_ulid(int(self.stamp() * 1000), self.rng.getrandbits(80))
        return entries[platform]

    def floor(self, floor_id: str, name: str, level: int, icon: str) -> None:
        """Add a floor."""
        created = self.stamp()
        self.home.floors[floor_id] = FloorEntry(floor_id, name, level, icon, created, created)

    def area(self, area_id: str, name: str, floor_id: str | None, icon: str, labels: list[str]) -> None:
        """Add an area."""
        created = self.stamp()
        self.home.areas[area_id] = AreaEntry(area_id, name, floor_id, icon, created, created, labels=labels)

    def label(self, label_id: str, name: str, color: str, icon: str, description: str | None) -> None:
        """Add a label."""
        created = self.stamp()
        self.home.labels[label_id] = LabelEntry(label_id, name, color, icon, description, created, created)

    def device(self, name: str, area_id: str | None, platform: str, **fields: Any) -> DeviceEntry:
        """Add a device; `fields` are DeviceEntry fields (manufacturer, model, via_device_id, ...)."""
        created = self.stamp()
        serial = f"{self.rng.getrandbits(48):012x}"
        fields.setdefault("identifiers", [[platform, serial]])
        device = DeviceEntry(
            id=self.hex_id(),
            name=name,
            config_entry_id=self.config_entry(platform),
            created_at=created,
            modified_at=round(created + self.rng.randrange(0, 86400 * 30), 3),
            area_id=area_id,
            **fields,
        )
        self.home.devices[device.id] = device
        return device

    def entity(
        self,
        domain: str,
        device: DeviceEntry | None,
        name: str | None,
        make: MakeBehaviour,
        *,
        platform: str,
        unit: str | None = None,
        device_class: str | None = None,
        icon: str | None = None,
        features: int | None = None,
        **options: Any,
    ) -> SimEntity | None:
        """Add an entity of `device` named `name` (None: the device's main feature).

        `options` are EntityEntry fields, plus `restores`/`can_fail` (SimEntity) and `registered`
        (False: no unique_id, so no registry entry). Returns None for a disabled entity (no state).
        """
        friendly = " ".join(part for part in (device.name if device else None, name) if part)
        entity_id = self._unique_entity_id(domain, slugify(friendly))
        behaviour = make(_general(friendly, unit, device_class, icon, features))
        restores = bool(options.pop("restores", False))
        can_fail = bool(options.pop("can_fail", True))
        entry = None
        if options.pop("registered", True):
            entry = self._entry(entity_id, device, name, platform, options)
        if entry is not None and entry.disabled_by is not None:
            return None
        sim = SimEntity(entity_id, behaviour, entry, restores=restores, can_fail=can_fail)
        self.home.entities[entity_id] = sim
        return sim

    def _entry(
        self,
        entity_id: str,
        device: DeviceEntry | None,
        name: str | None,
        platform: str,
        options: dict[str, Any],
    ) -> EntityEntry:
        created = self.stamp()
        key = slugify(name or "main")
        unique_id = (
            f"{device.identifiers[0][1]}-{key}" if device else f"{platform}-{self.rng.getrandbits(40):010x}"
        )
        entry = EntityEntry(
            id=self.hex_id(),
            entity_id=entity_id,
            unique_id=unique_id,
            platform=platform,
            created_at=created,
            modified_at=created,
            config_entry_id=device.config_entry_id if device else options.pop("config_entry_id", None),
            device_id=device.id if device else None,
            original_name=name,
            has_entity_name=device is not None,
            **options,
        )
        self.home.entity_registry[entity_id] = entry
        return entry

    def _unique_entity_id(self, domain: str, object_id: str) -> str:
        entity_id = f"{domain}.{object_id}"
        suffix = 2
        while entity_id in self.home.entity_registry or entity_id in self.home.entities:
            entity_id = f"{domain}.{object_id}_{suffix}"
            suffix += 1
        return entity_id


def _general(
    friendly: str, unit: str | None, device_class: str | None, icon: str | None, features: int | None
) -> AttrDict:
    general: AttrDict = {}
    if unit is not None:
        general["unit_of_measurement"] = unit
    if device_class is not None:
        general["device_class"] = device_class
    general["friendly_name"] = friendly
    if icon is not None:
        general["icon"] = icon
    if features is not None:
        general["supported_features"] = features
    return general
