"""HAClient + Pipeline + EventStore against the simulator: what reaches SQLite."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from core.config import StorageConfig
from core.models import EventSource
from core.store.codec import SOURCE_CODES
from tests.ha_fixtures import (
    FAST,
    emitted_keys,
    eventually,
    ha_config,
    ingest_stack,
    running_sim,
    stored_rows,
    wait_for,
)


def _storage(tmp_path: Path) -> StorageConfig:
    return StorageConfig(data_dir=str(tmp_path), flush_interval_ms=20)


async def test_registry_change_reaches_later_stored_events(tmp_path: Path) -> None:
    async with running_sim(rate=5) as sim, ingest_stack(tmp_path, _storage(tmp_path)) as stack:
        home = sim.home
        # A device-area entity (no area of its own) whose new area is on another floor.
        entry = next(
            e for e in home.entity_registry.values()
            if e.device_id and e.area_id is None and e.entity_id in home.entities
            and home.devices[e.device_id].area_id and not home.devices[e.device_id].parent_device_id
        )  # fmt: skip
        assert entry.device_id is not None
        device = home.devices[entry.device_id]
        old_area = device.area_id  # the entry is mutated by the move
        assert old_area is not None
        old_floor = home.areas[old_area].floor_id
        new_area = next(a for a in home.areas.values() if a.floor_id and a.floor_id != old_floor)
        client = stack.client(ha_config(sim))
        await client.start()
        try:
            await wait_for(lambda: client.connection_info.synced, what="sync")
            sim.set_state(entry.entity_id, "before-move")
            sim.move_device_to_area(device.id, new_area.area_id)
            await wait_for(
                lambda: stack.registry.snapshot.devices[device.id].area_id == new_area.area_id,
                what="re-fetch",
            )
            sim.set_state(entry.entity_id, "after-move")

            async def stored_states() -> dict[str, Any] | None:
                found = {
                    e.event.state: e.event for e in await stack.store.queries.last_events(entry.entity_id, 50)
                }
                return found if "after-move" in found else None

            events = await eventually(stored_states, what="the event after the move stored")
        finally:
            await client.stop()
        assert (events["after-move"].area_id, events["after-move"].floor_id) == (
            new_area.area_id,
            new_area.floor_id,
        )
        assert (events["before-move"].area_id, events["before-move"].floor_id) == (old_area, old_floor)


async def test_bad_events_are_counted_by_reason_and_ingest_goes_on(tmp_path: Path) -> None:
    async with running_sim(rate=20) as sim, ingest_stack(tmp_path, _storage(tmp_path)) as stack:
        client = stack.client(ha_config(sim))
        await client.start()
        try:
            await wait_for(lambda: client.connection_info.synced, what="sync")
            sub = client.subscription_ids["state_changed"]
            good_state = {"entity_id": "sensor.x", "state": "1", "last_updated": "2026-08-20T07:00:00+00:00"}
            bad_events = [
                5,
                {"event_type": "state_changed", "data": {"new_state": good_state}},
                {"event_type": "state_changed", "data": {"entity_id": "nodot", "new_state": good_state}},
                {
                    "event_type": "state_changed",
                    "data": {"entity_id": "sensor.x", "old_state": None, "new_state": None},
                },
                {"time_fired": "yesterday", "data": {"entity_id": "sensor.x", "new_state": good_state}},
                {"data": "not an object"},
            ]
            for event in bad_events:
                await sim.send_raw(orjson.dumps({"type": "event", "event": event, "id": sub}))
            await wait_for(lambda: stack.pipeline.stats.rejected >= len(bad_events), what="all rejected")
            stored = stack.pipeline.stats.stored
            await wait_for(lambda: stack.pipeline.stats.stored > stored + 3, what="ingest continues")
        finally:
            await client.stop()
        reasons = stack.pipeline.stats.rejected_by_reason
        expected = {
            "not_an_object",
            "missing_entity_id",
            "bad_entity_id",
            "missing_state",
            "bad_timestamp",
            "wrong_type",
        }
        assert expected <= set(reasons), reasons
        assert client.connection_info.reconnects == 0


async def test_startup_burst_of_5000_entities_is_stored_completely(tmp_path: Path) -> None:
    async with running_sim(rate=20, entities=5000, record=True) as sim, ingest_stack(tmp_path) as stack:
        client = stack.client(ha_config(sim), tuning=replace(FAST, command_timeout_s=60))
        await client.start()
        try:
            await wait_for(lambda: client.connection_info.synced, 60, what="first sync")
            assert client.connection_info.entity_count == len(sim.home.entities) >= 5000
            await stack.pipeline.flush()
            # Every get_states row is stored; one that matches a live event already stored (the
            # entity changed between subscribing and get_states) is that same row, kept once.
            assert {e for e, _, _ in stored_rows(stack.store.path)} >= set(sim.home.entities)
            await sim.restart()  # HA restarts: every entity comes back with old_state null, ~25k ev/s
            await wait_for(lambda: client.connection_info.reconnects == 1, 30, what="reconnect")
            await sim.wait_started()
            await wait_for(lambda: client.connection_info.synced, 60, what="second sync")
            sim.pause()
            await stack.pipeline.flush()
        finally:
            await client.stop()
        await stack.pipeline.flush()
        rows = stored_rows(stack.store.path)
        stored = {(e, t) for e, t, _ in rows}
        assert sum(1 for r in rows if r[2] == SOURCE_CODES[EventSource.SNAPSHOT]) >= 4900
        missing = set(emitted_keys(sim)) - stored
        assert not missing, f"{len(missing)} emitted events not stored, e.g. {sorted(missing)[:3]}"
        assert not [r for r in sim.disconnect_reasons if "keep up" in r]
        assert stack.pipeline.stats.rejected == 0
