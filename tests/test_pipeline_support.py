"""HA-shaped test data for the pipeline/store tests (no tests here; imported by the others)."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.bus import Bus
from core.config import StorageConfig
from core.models import Area, Device, Entity, Floor, Label, RegistrySnapshot
from core.pipeline import Pipeline, RegistryCache
from core.store import EventStore
from core.store.codec import bytes_to_ulid

T0 = datetime(2026, 8, 20, 7, 0, 0, tzinfo=UTC)
_counter = itertools.count(1)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


def ulid_at(t: datetime) -> str:
    """A valid ULID whose time part is `t` (random part from os.urandom)."""
    ms = int(t.timestamp() * 1000)
    return bytes_to_ulid(ms.to_bytes(6, "big") + os.urandom(10))


def state_obj(
    entity_id: str,
    state: str,
    t: datetime,
    *,
    attributes: dict[str, Any] | None = None,
    last_changed: datetime | None = None,
    context_id: str | None = None,
    parent_id: str | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    lc = last_changed or t
    return {
        "entity_id": entity_id,
        "state": state,
        "attributes": attributes if attributes is not None else {"friendly_name": entity_id},
        "last_changed": iso(lc),
        "last_reported": iso(t),
        "last_updated": iso(t),
        "context": {"id": context_id or ulid_at(t), "parent_id": parent_id, "user_id": user_id},
    }


def make_event(
    entity_id: str,
    state: str | None,
    t: datetime,
    *,
    old_state: str | None = "0",
    old_changed: datetime | None = None,
    attributes: dict[str, Any] | None = None,
    last_changed: datetime | None = None,
    context_id: str | None = None,
    parent_id: str | None = None,
    user_id: str | None = None,
    origin: str = "LOCAL",
) -> dict[str, Any]:
    """The `event` object of a state_changed message (HA's key order)."""
    ctx = context_id or ulid_at(t)
    new = (
        None
        if state is None
        else state_obj(
            entity_id, state, t, attributes=attributes, last_changed=last_changed,
            context_id=ctx, parent_id=parent_id, user_id=user_id,
        )
    )  # fmt: skip
    old_t = old_changed or (t - timedelta(seconds=30))
    old = None if old_state is None else state_obj(entity_id, old_state, old_t, attributes=attributes)
    return {
        "event_type": "state_changed",
        "data": {"entity_id": entity_id, "old_state": old, "new_state": new},
        "origin": origin,
        "time_fired": iso(t),
        "context": {"id": ctx, "parent_id": parent_id, "user_id": user_id},
    }


def demo_registry() -> RegistrySnapshot:
    """Two floors, three areas, a hub with a child device (no area: inherits the hub's)."""
    return RegistrySnapshot(
        floors={
            "ground": Floor("ground", "Ground floor", level=0),
            "first": Floor("first", "First floor", level=1),
        },
        areas={
            "kitchen": Area("kitchen", "Kitchen", floor_id="ground", labels=("food",)),
            "office": Area("office", "Office", floor_id="first"),
            "garden": Area("garden", "Garden"),
        },
        labels={"food": Label("food", "Food", color="red")},
        devices={
            "hub": Device("hub", "Hub", manufacturer="Acme", model="H1", sw_version="1.2", area_id="kitchen"),
            "child": Device("child", "Hub child", parent_device_id="hub"),
            "plug": Device(
                "plug", "Plug", manufacturer="Plugco", model="P2", sw_version="7", area_id="office"
            ),
        },
        entities={
            "sensor.kitchen_temp": Entity("sensor.kitchen_temp", device_id="hub"),
            "sensor.child_power": Entity("sensor.child_power", device_id="child"),
            "switch.plug": Entity("switch.plug", device_id="plug", area_id="garden"),
            "light.office": Entity("light.office", device_id="plug"),
            "sensor.loose": Entity("sensor.loose", area_id="office"),
        },
    )


async def open_store(path: Path, **kwargs: Any) -> EventStore:
    kwargs.setdefault("retention", False)
    return await EventStore.open(path, **kwargs)


async def make_pipeline(
    path: Path,
    *,
    config: StorageConfig | None = None,
    registry: RegistrySnapshot | None = None,
    bus: Bus | None = None,
    **store_kwargs: Any,
) -> tuple[Pipeline, EventStore, Bus]:
    config = config or StorageConfig(data_dir=str(path))
    store = await open_store(path, config=config, **store_kwargs)
    bus = bus or Bus()
    pipeline = Pipeline(config, store, RegistryCache(registry or demo_registry()), bus)
    await pipeline.start()
    return pipeline, store, bus


async def close_all(pipeline: Pipeline, store: EventStore) -> None:
    await pipeline.stop()
    await store.close()
