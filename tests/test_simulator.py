"""The built-in HA simulator against HA's WebSocket protocol (docs/home-assistant.md §1), raw websockets."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from websockets.exceptions import ConnectionClosed, ConnectionClosedError

from core.ha.simulator import SimulatorConfig
from core.ha.simulator.activity import Activity
from core.ha.simulator.server import build_home
from tests.sim_helpers import (
    TOKEN,
    authed,
    call,
    collect,
    events_of,
    open_ws,
    recv,
    running,
    send,
    wait_for,
)

ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
HEX32_RE = re.compile(r"^[0-9a-f]{32}$")
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$")
ROOT = Path(__file__).resolve().parent.parent


def iso_ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


# -- auth phase ------------------------------------------------------------------------------------


async def test_auth_required_carries_ha_version() -> None:
    async with running(ha_version="2026.9.0") as sim:
        ws = await open_ws(sim)
        assert await recv(ws) == {"type": "auth_required", "ha_version": "2026.9.0"}
        await send(ws, {"type": "auth", "access_token": TOKEN})
        assert await recv(ws) == {"type": "auth_ok", "ha_version": "2026.9.0"}
        await ws.close()


async def test_auth_timeout_disconnects() -> None:
    async with running(auth_timeout=0.2) as sim:
        ws = await open_ws(sim)
        await recv(ws)
        with pytest.raises(ConnectionClosed):
            await recv(ws, timeout=2.0)
        await wait_for(lambda: bool(sim.disconnect_reasons))
        assert sim.disconnect_reasons == ["Did not receive auth message within 0.2 seconds"]


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"type": "auth", "access_token": TOKEN, "foo": 1}, "extra keys not allowed @ data['foo']. Got 1"),
        (
            {"type": "auth", "access_token": 5},
            "expected str for dictionary value @ data['access_token']. Got 5",
        ),
        ({"access_token": TOKEN}, "required key not provided @ data['type']. Got None"),
        (
            {"type": "login", "access_token": TOKEN},
            "not a valid value for dictionary value @ data['type']. Got 'login'",
        ),
        (
            {"type": "auth", "access_token": TOKEN, "api_password": "x"},
            "two or more values in the same group of exclusion 'auth' @ data[<auth>]. Got None",
        ),
    ],
)
async def test_auth_schema_is_strict(message: dict[str, Any], error: str) -> None:
    async with running() as sim:
        ws = await open_ws(sim)
        await recv(ws)
        await send(ws, message)
        reply = await recv(ws)
        assert reply == {"type": "auth_invalid", "message": f"Auth message incorrectly formatted: {error}"}
        with pytest.raises(ConnectionClosed):
            await recv(ws)


@pytest.mark.parametrize(
    "message", [{"type": "auth", "access_token": "wrong"}, {"type": "auth", "api_password": TOKEN}]
)
async def test_bad_credentials_get_auth_invalid_then_close(message: dict[str, Any]) -> None:
    async with running() as sim:
        ws = await open_ws(sim)
        await recv(ws)
        await send(ws, message)
        assert await recv(ws) == {"type": "auth_invalid", "message": "Invalid access token or password"}
        with pytest.raises(ConnectionClosed):
            await recv(ws)
        assert ws.close_code == 1000


async def test_reject_auth_fault_injection() -> None:
    async with running() as sim:
        sim.reject_auth(True)
        ws = await open_ws(sim)
        await recv(ws)
        await send(ws, {"type": "auth", "access_token": TOKEN})
        assert (await recv(ws))["type"] == "auth_invalid"
        sim.reject_auth(False)
        async with authed(sim) as ok:
            assert (await call(ok, 1, "ping"))["type"] == "pong"


async def test_binary_frame_during_auth_disconnects() -> None:
    async with running() as sim:
        ws = await open_ws(sim)
        await recv(ws)
        await ws.send(b"\x01\x02")
        with pytest.raises(ConnectionClosed):
            await recv(ws)


# -- ids and dispatch ------------------------------------------------------------------------------


async def test_invalid_format_echoes_the_id() -> None:
    async with running() as sim, authed(sim) as ws:
        error = {"code": "invalid_format", "message": "Message incorrectly formatted."}
        for sent, echoed in ((True, True), (0, 0), ("7", "7")):
            await send(ws, {"id": sent, "type": "ping"})
            assert await recv(ws) == {"id": echoed, "type": "result", "success": False, "error": error}
        await send(ws, {"type": "ping"})
        assert (await recv(ws))["id"] is None
        await send(ws, {"id": 3, "type": ""})
        assert (await recv(ws))["error"]["code"] == "invalid_format"
        await send(ws, [5])  # a non-object element is answered with id 0
        assert (await recv(ws))["id"] == 0


async def test_ids_must_increase_and_negative_is_id_reuse() -> None:
    async with running() as sim, authed(sim) as ws:
        assert (await call(ws, 5, "ping"))["type"] == "pong"
        for stale in (5, 3, -1):
            reply = await call(ws, stale, "ping")
            assert reply["error"] == {"code": "id_reuse", "message": "Identifier values have to increase."}
        assert (await call(ws, 6, "ping"))["type"] == "pong"


async def test_unknown_command_does_not_advance_last_id_but_schema_errors_do() -> None:
    async with running() as sim, authed(sim) as ws:
        reply = await call(ws, 10, "no_such_command")
        assert reply == {
            "id": 10,
            "type": "result",
            "success": False,
            "error": {"code": "unknown_command", "message": "Unknown command."},
        }
        assert (await call(ws, 10, "ping"))["type"] == "pong"
        reply = await call(ws, 11, "get_states", foo=1)
        assert reply["error"] == {
            "code": "invalid_format",
            "message": "extra keys not allowed @ data['foo']. Got 1",
        }
        assert (await call(ws, 11, "ping"))["error"]["code"] == "id_reuse"


async def test_client_array_frames_are_split() -> None:
    async with running() as sim, authed(sim) as ws:
        await send(
            ws, [{"id": 1, "type": "ping"}, {"id": 2, "type": "ping"}, {"id": 3, "type": "get_config"}]
        )
        replies = await collect(ws, lambda got: len(got) >= 3)
        assert [(r["id"], r["type"]) for r in replies] == [(1, "pong"), (2, "pong"), (3, "result")]


async def test_ping_answers_pong_not_result() -> None:
    async with running() as sim, authed(sim) as ws:
        await send(ws, {"id": 19, "type": "ping"})
        assert await asyncio.wait_for(ws.recv(), 3) == '{"id":19,"type":"pong"}'


async def test_websocket_level_ping_is_answered() -> None:
    async with running() as sim, authed(sim) as ws:
        await asyncio.wait_for(await ws.ping(), 3)


# -- coalescing and event layout -------------------------------------------------------------------


async def test_coalesce_messages_emits_arrays_up_to_256() -> None:
    async with running(rate=3000) as sim:
        async with authed(sim, coalesce=True) as ws:
            await send(ws, {"id": 2, "type": "subscribe_events", "event_type": "state_changed"})
            assert await recv(ws) == {"id": 2, "type": "result", "success": True, "result": None}
            frames = [orjson.loads(await ws.recv()) for _ in range(30)]
        arrays = [f for f in frames if isinstance(f, list)]
        assert arrays, "expected coalesced array frames"
        assert all(1 < len(f) <= 256 for f in arrays)
        assert all(m["type"] == "event" and m["id"] == 2 for f in arrays for m in f)
        async with authed(sim) as plain:
            await send(plain, {"id": 1, "type": "subscribe_events", "event_type": "state_changed"})
            frames = [orjson.loads(await plain.recv()) for _ in range(60)]
        assert not any(isinstance(f, list) for f in frames)


async def test_event_messages_put_id_last() -> None:
    async with running(rate=200) as sim, authed(sim) as ws:
        await send(ws, {"id": 18, "type": "subscribe_events", "event_type": "state_changed"})
        await recv(ws)
        raw = await asyncio.wait_for(ws.recv(), 3)
        assert isinstance(raw, str)
        assert raw.startswith('{"type":"event","event":{"event_type":"state_changed","data":{')
        assert raw.endswith(',"id":18}')


async def test_state_changed_shape_and_key_order() -> None:
    async with running(rate=200) as sim, authed(sim) as ws:
        await send(ws, {"id": 2, "type": "subscribe_events", "event_type": "state_changed"})
        await recv(ws)
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 3), object_pairs_hook=lambda p: p)
            as_dict = _deep_dict(message)
            if as_dict["event"]["data"]["old_state"] is not None:
                break
    assert [k for k, _ in message] == ["type", "event", "id"]
    event = dict(message)["event"]
    assert [k for k, _ in event] == ["event_type", "data", "origin", "time_fired", "context"]
    data = dict(event)["data"]
    assert [k for k, _ in data] == ["entity_id", "old_state", "new_state"]
    state_keys = [
        "entity_id",
        "state",
        "attributes",
        "last_changed",
        "last_reported",
        "last_updated",
        "context",
    ]
    for state in (dict(data)["old_state"], dict(data)["new_state"]):
        assert [k for k, _ in state] == state_keys
        assert [k for k, _ in dict(state)["context"]] == ["id", "parent_id", "user_id"]
    ev = as_dict["event"]
    new, old = ev["data"]["new_state"], ev["data"]["old_state"]
    assert ev["origin"] == "LOCAL"
    assert ev["time_fired"] == new["last_updated"] == new["last_reported"]
    assert ev["context"] == new["context"]
    assert ev["data"]["entity_id"] == new["entity_id"] == old["entity_id"]
    assert iso_ts(old["last_updated"]) < iso_ts(new["last_updated"])
    assert ULID_RE.match(ev["context"]["id"])
    assert all(
        ISO_RE.match(s[k]) for s in (old, new) for k in ("last_changed", "last_updated", "last_reported")
    )


def _deep_dict(pairs: Any) -> Any:
    if isinstance(pairs, list) and all(isinstance(p, tuple) for p in pairs):
        return {k: _deep_dict(v) for k, v in pairs}
    if isinstance(pairs, list):
        return [_deep_dict(v) for v in pairs]
    return pairs


async def test_attribute_only_update_keeps_last_changed() -> None:
    async with running() as sim, authed(sim) as ws:
        sim.pause()
        await send(ws, {"id": 2, "type": "subscribe_events", "event_type": "state_changed"})
        await recv(ws)
        entity_id = "climate.living_room_thermostat"
        before = sim.home.states.get(entity_id)
        assert before is not None
        sim.set_state(entity_id, before.state, {**before.attributes, "current_temperature": 30.5})
        event = (await recv(ws))["event"]
        new, old = event["data"]["new_state"], event["data"]["old_state"]
        assert new["last_changed"] == old["last_changed"]
        assert new["last_updated"] != old["last_updated"]
        sim.set_state(entity_id, "off")
        new = (await recv(ws))["event"]["data"]["new_state"]
        assert new["last_changed"] == new["last_updated"]


async def test_isoformat_has_no_fraction_on_whole_seconds() -> None:
    async with running() as sim, authed(sim) as ws:
        sim.pause()
        await send(ws, {"id": 2, "type": "subscribe_events", "event_type": "state_changed"})
        await recv(ws)
        whole = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        sim.set_state("switch.hallway_porch_light", "on", at=whole, force_update=True)
        event = (await recv(ws))["event"]
        assert event["time_fired"] == whole.isoformat() == event["data"]["new_state"]["last_updated"]
        assert "." not in event["time_fired"]


async def test_context_ids_are_time_ordered_ulids_and_users_are_32_hex() -> None:
    async with running(rate=3000) as sim, authed(sim, coalesce=True) as ws:
        await send(ws, {"id": 2, "type": "subscribe_events", "event_type": "state_changed"})
        messages = await collect(
            ws,
            lambda got: any(e["context"]["user_id"] for e in events_of(got)) and len(got) > 300,
            timeout=10,
        )
    contexts = [e["context"] for e in events_of(messages)]
    ids = [c["id"] for c in contexts]
    assert all(ULID_RE.match(i) for i in ids)
    assert ids == sorted(ids)
    users = {c["user_id"] for c in contexts if c["user_id"]}
    assert users and all(HEX32_RE.match(u) for u in users)
    assert users <= set(sim.home.users.values())


# -- subscriptions ---------------------------------------------------------------------------------


async def test_subscribe_events_defaults_to_match_all_without_state_reported() -> None:
    async with running() as sim, authed(sim) as ws:
        sim.pause()
        reply = await call(ws, 2, "subscribe_events")
        assert reply["success"] is True
        reports = sim.home.states.reports
        current = sim.home.states.get("sensor.house_energy_meter_voltage")
        assert current is not None
        sim.set_state(current.entity_id, current.state)  # unchanged: only last_reported moves
        assert sim.home.states.reports == reports + 1
        sim.trigger_automation_chain()
        sim.move_device_to_area(next(iter(sim.home.devices)), "garage")
        messages = await collect(ws, lambda got: bool(events_of(got, "device_registry_updated")))
        types = {m["event"]["event_type"] for m in messages}
        assert {"state_changed", "automation_triggered", "call_service", "device_registry_updated"} <= types
        assert "state_reported" not in types
        assert all(m["id"] == 2 for m in messages)
        reply = await call(ws, 3, "subscribe_events", event_type="state_reported")
        assert reply["error"] == {
            "code": "unknown_error",
            "message": "Event filter is required for event state_reported",
        }


async def test_non_admin_subscribe_allowlist() -> None:
    async with running(admin=False) as sim, authed(sim) as ws:
        for msg_id, event_type in enumerate(("*", "automation_triggered", "call_service"), start=1):
            reply = await call(ws, msg_id, "subscribe_events", event_type=event_type)
            assert reply["error"] == {"code": "unauthorized", "message": "Unauthorized"}
        for msg_id, event_type in enumerate(
            ("state_changed", "entity_registry_updated", "floor_registry_updated"), 10
        ):
            assert (await call(ws, msg_id, "subscribe_events", event_type=event_type))["success"] is True
        assert (await call(ws, 20, "auth/current_user"))["result"]["is_admin"] is False


async def test_unsubscribe_events() -> None:
    async with running(rate=500) as sim, authed(sim) as ws:
        await call(ws, 2, "subscribe_events", event_type="state_changed")
        reply = await call(ws, 3, "unsubscribe_events", subscription=2)
        assert reply == {"id": 3, "type": "result", "success": True, "result": None}
        await asyncio.sleep(0.1)
        while True:  # drain what was queued before the unsubscribe
            try:
                await asyncio.wait_for(ws.recv(), 0.1)
            except TimeoutError:
                break
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.3)
        reply = await call(ws, 4, "unsubscribe_events", subscription=2)
        assert reply["error"] == {"code": "not_found", "message": "Subscription not found."}


# -- state and config queries ----------------------------------------------------------------------


async def test_get_states_returns_every_state_in_new_state_shape() -> None:
    async with running() as sim, authed(sim) as ws:
        states = (await call(ws, 1, "get_states"))["result"]
        assert len(states) == len(sim.home.states) >= 120
        keys = [
            "entity_id",
            "state",
            "attributes",
            "last_changed",
            "last_reported",
            "last_updated",
            "context",
        ]
        assert all(list(s) == keys for s in states)
        domains = {s["entity_id"].split(".")[0] for s in states}
        assert {
            "light",
            "switch",
            "sensor",
            "binary_sensor",
            "climate",
            "cover",
            "lock",
            "media_player",
        } <= domains
        assert "automation" in domains
        by_class = {
            s["attributes"].get("device_class") for s in states if s["entity_id"].startswith("sensor.")
        }
        assert {"temperature", "humidity", "power", "energy", "battery"} <= by_class
        energy = [s for s in states if s["attributes"].get("device_class") == "energy"]
        assert all(s["attributes"]["state_class"] == "total_increasing" for s in energy)
        assert all(s["attributes"]["unit_of_measurement"] == "kWh" for s in energy)


async def test_get_config_fields() -> None:
    async with running() as sim, authed(sim) as ws:
        config = (await call(ws, 1, "get_config"))["result"]
    expected = set(
        [
            "allowlist_external_dirs",
            "allowlist_external_urls",
            "components",
            "config_dir",
            "config_source",
            "country",
            "currency",
            "debug",
            "elevation",
            "external_url",
            "internal_url",
            "language",
            "latitude",
            "location_name",
            "longitude",
            "radius",
            "recovery_mode",
            "safe_mode",
            "state",
            "time_zone",
            "unit_system",
            "version",
            "whitelist_external_dirs",
        ]
    )
    assert set(config) == expected
    assert config["version"] == "2026.8.1" and config["state"] == "RUNNING"
    assert config["unit_system"]["area"] == "m²" and config["unit_system"]["temperature"] == "°C"


# -- registries ------------------------------------------------------------------------------------

DEVICE_KEYS = set(
    [
        "area_id",
        "configuration_url",
        "config_entries",
        "config_entries_subentries",
        "config_entry_id",
        "config_subentry_id",
        "connections",
        "created_at",
        "disabled_by",
        "entry_type",
        "hw_version",
        "id",
        "identifiers",
        "labels",
        "manufacturer",
        "model",
        "model_id",
        "modified_at",
        "name_by_user",
        "name",
        "primary_config_entry",
        "serial_number",
        "sw_version",
        "via_device_id",
    ]
)
CHILD_KEYS = set(
    [
        "id",
        "parent_device_id",
        "config_entry_id",
        "config_subentry_id",
        "area_id",
        "name",
        "name_by_user",
        "labels",
        "identifiers",
        "disabled_by",
        "created_at",
        "modified_at",
    ]
)
ENTITY_KEYS = set(
    [
        "area_id",
        "categories",
        "config_entry_id",
        "config_subentry_id",
        "created_at",
        "device_id",
        "disabled_by",
        "entity_category",
        "entity_id",
        "has_entity_name",
        "hidden_by",
        "icon",
        "id",
        "labels",
        "modified_at",
        "name",
        "options",
        "original_name",
        "platform",
        "translation_key",
        "unique_id",
    ]
)


async def test_device_registry_list_with_2026_fields_and_child_devices() -> None:
    async with running() as sim, authed(sim) as ws:
        devices = (await call(ws, 1, "config/device_registry/list"))["result"]
    assert len(devices) >= 30
    by_id = {d["id"]: d for d in devices}
    parents = [d for d in devices if "parent_device_id" not in d]
    children = [d for d in devices if "parent_device_id" in d]
    assert all(set(d) == DEVICE_KEYS for d in parents)
    assert all(d["config_entries"] == [d["config_entry_id"]] == [d["primary_config_entry"]] for d in parents)
    assert len(children) >= 2 and all(set(d) == CHILD_KEYS for d in children)
    assert all(by_id[c["parent_device_id"]]["area_id"] for c in children)
    assert any(c["area_id"] is None for c in children) and any(c["area_id"] for c in children)
    assert any(d["via_device_id"] in by_id for d in parents)
    assert all(HEX32_RE.match(d["id"]) for d in devices)


async def test_entity_registry_list_includes_disabled_entries() -> None:
    async with running() as sim, authed(sim) as ws:
        entries = (await call(ws, 1, "config/entity_registry/list"))["result"]
        states = {s["entity_id"] for s in (await call(ws, 2, "get_states"))["result"]}
    assert all(set(e) == ENTITY_KEYS for e in entries)
    disabled = [e for e in entries if e["disabled_by"]]
    assert disabled and not any(e["entity_id"] in states for e in disabled)
    enabled = {e["entity_id"] for e in entries if not e["disabled_by"]}
    assert enabled <= states
    assert states - enabled, "some entities (no unique_id) have a state but no registry entry"
    assert any(e["area_id"] for e in entries), "some entities override their device's area"


async def test_entity_registry_list_for_display() -> None:
    async with running() as sim, authed(sim) as ws:
        display = (await call(ws, 1, "config/entity_registry/list_for_display"))["result"]
    assert display["entity_categories"] == {"0": "config", "1": "diagnostic"}
    entities = display["entities"]
    disabled = {e.entity_id for e in sim.home.entity_registry.values() if e.disabled_by}
    assert not {e["ei"] for e in entities} & disabled
    allowed = {"ei", "pl", "ai", "di", "lb", "ic", "tk", "ec", "hb", "hn", "en", "dp"}
    assert all(set(e) <= allowed and {"ei", "pl"} <= set(e) for e in entities)
    assert any(e.get("ec") == 1 for e in entities) and any(e.get("hb") for e in entities)
    assert any("dp" in e for e in entities)


async def test_area_floor_and_label_lists() -> None:
    async with running() as sim, authed(sim) as ws:
        areas = (await call(ws, 1, "config/area_registry/list"))["result"]
        floors = (await call(ws, 2, "config/floor_registry/list"))["result"]
        labels = (await call(ws, 3, "config/label_registry/list"))["result"]
    assert len(floors) >= 2 and len(areas) >= 6 and labels
    assert all(
        list(f) == ["aliases", "created_at", "floor_id", "icon", "level", "name", "modified_at"]
        for f in floors
    )
    area_keys = set(
        [
            "aliases",
            "area_id",
            "floor_id",
            "humidity_entity_id",
            "icon",
            "labels",
            "name",
            "picture",
            "temperature_entity_id",
            "created_at",
            "modified_at",
        ]
    )
    assert all(set(a) == area_keys for a in areas)
    assert {a["floor_id"] for a in areas} - {None} <= {f["floor_id"] for f in floors}
    assert any(a["floor_id"] is None for a in areas)
    label_keys = {"color", "created_at", "description", "icon", "label_id", "name", "modified_at"}
    assert all(set(label) == label_keys for label in labels)


async def test_registry_mutations_fire_update_events() -> None:
    async with running() as sim, authed(sim) as ws:
        sim.pause()
        await call(ws, 1, "subscribe_events", event_type="device_registry_updated")
        await call(ws, 2, "subscribe_events", event_type="entity_registry_updated")
        await call(ws, 3, "subscribe_events", event_type="state_changed")
        device = next(d for d in sim.home.devices.values() if d.area_id == "kitchen")
        sim.move_device_to_area(device.id, "office")
        assert (await recv(ws))["event"]["data"] == {
            "action": "update",
            "device_id": device.id,
            "changes": {"area_id": "kitchen"},
        }
        sim.move_entity_to_area("light.office_desk", "garage")
        event = (await recv(ws))["event"]
        assert event["event_type"] == "entity_registry_updated"
        assert event["data"] == {
            "action": "update",
            "entity_id": "light.office_desk",
            "changes": {"area_id": None},
        }
        sim.remove_entity("switch.garden_irrigation")
        first, second = (await recv(ws))["event"], (await recv(ws))["event"]
        assert first["data"] == {"action": "remove", "entity_id": "switch.garden_irrigation"}
        assert second["event_type"] == "state_changed" and second["data"]["new_state"] is None
        sim.add_entity("sensor.test_probe", "12.5", {"unit_of_measurement": "°C"}, device_id=device.id)
        first, second = (await recv(ws))["event"], (await recv(ws))["event"]
        assert first["data"] == {"action": "create", "entity_id": "sensor.test_probe"}
        assert second["data"]["old_state"] is None and second["data"]["new_state"]["state"] == "12.5"
        sim.rename_entity("sensor.test_probe", "sensor.probe")
        renamed = (await recv(ws))["event"]["data"]
        assert renamed == {
            "action": "update",
            "entity_id": "sensor.probe",
            "changes": {"entity_id": "sensor.test_probe"},
            "old_entity_id": "sensor.test_probe",
        }
        removed, added = (await recv(ws))["event"]["data"], (await recv(ws))["event"]["data"]
        assert removed["entity_id"] == "sensor.test_probe" and removed["new_state"] is None
        assert added["entity_id"] == "sensor.probe" and added["old_state"] is None


# -- history ---------------------------------------------------------------------------------------


async def _history(ws: Any, msg_id: int, **fields: Any) -> dict[str, Any]:
    return await call(ws, msg_id, "history/history_during_period", **fields)


async def test_history_rows_are_compressed() -> None:
    async with running() as sim, authed(sim) as ws:
        sim.pause()
        entity_id = "sensor.kitchen_multisensor_illuminance"
        start = datetime.now(UTC)
        await asyncio.sleep(0.01)
        current = sim.home.states.get(entity_id)
        assert current is not None
        sim.set_state(entity_id, "321")
        sim.set_state(entity_id, "321", {**current.attributes, "note": "attr only"})
        reply = await _history(
            ws, 1, start_time=start.isoformat(), entity_ids=[entity_id], significant_changes_only=False
        )
    rows = reply["result"][entity_id]
    assert [set(r) for r in rows] == [{"s", "a", "lu"}, {"s", "a", "lu"}, {"s", "a", "lu", "lc"}]
    assert rows[0]["lu"] == start.timestamp()
    assert rows[2]["lc"] == rows[1]["lu"] < rows[2]["lu"]
    assert rows[2]["a"]["note"] == "attr only"


async def test_history_start_time_state_row_uses_requested_start() -> None:
    async with running() as sim, authed(sim) as ws:
        sim.pause()
        entity_id = "sensor.office_multisensor_temperature"
        sim.set_state(entity_id, "19.5")
        await asyncio.sleep(0.01)
        start = datetime.now(UTC)
        reply = await _history(ws, 1, start_time=start.isoformat(), entity_ids=[entity_id])
        rows = reply["result"][entity_id]
        assert rows == [{"s": "19.5", "a": rows[0]["a"], "lu": start.timestamp()}]
        reply = await _history(
            ws, 2, start_time=start.isoformat(), entity_ids=[entity_id], include_start_time_state=False
        )
        assert reply["result"] == {}


async def test_history_significant_changes_only() -> None:
    async with running() as sim, authed(sim) as ws:
        sim.pause()
        start = datetime.now(UTC)
        await asyncio.sleep(0.01)
        sensor, climate = "sensor.kitchen_multisensor_illuminance", "climate.office_thermostat"
        for entity_id in (sensor, climate):
            current = sim.home.states.get(entity_id)
            assert current is not None
            sim.set_state(entity_id, current.state, {**current.attributes, "note": 1})
            sim.set_state(entity_id, "off" if current.state != "off" else "heat")
        reply = await _history(ws, 1, start_time=start.isoformat(), entity_ids=[sensor, climate])
    rows = reply["result"]
    assert list(rows) == [sensor, climate]
    assert len(rows[sensor]) == 2  # start row + the state change; the attribute-only write is dropped
    assert len(rows[climate]) == 3  # climate is a SIGNIFICANT_DOMAIN: attribute updates stay
    assert not any("lc" in row for entity_rows in rows.values() for row in entity_rows)


async def test_history_minimal_response() -> None:
    async with running() as sim, authed(sim) as ws:
        sim.pause()
        entity_id = "light.bedroom_bedside"
        start = datetime.now(UTC)
        await asyncio.sleep(0.01)
        for state, brightness in (("on", 10), ("on", 200), ("off", None), ("on", 30)):
            current = sim.home.states.get(entity_id)
            assert current is not None
            sim.set_state(entity_id, state, {**current.attributes, "brightness": brightness})
        reply = await _history(
            ws,
            1,
            start_time=start.isoformat(),
            entity_ids=[entity_id],
            minimal_response=True,
            significant_changes_only=False,
        )
    rows = reply["result"][entity_id]
    assert set(rows[0]) == {"s", "a", "lu"}
    assert all(set(row) == {"s", "lu"} for row in rows[1:])
    states = [row["s"] for row in rows]
    assert all(a != b for a, b in itertools.pairwise(states))


async def test_history_errors_and_future_start() -> None:
    async with running() as sim, authed(sim) as ws:
        reply = await _history(ws, 1, start_time="yesterday", entity_ids=["light.hallway_ceiling"])
        assert reply["error"] == {"code": "invalid_start_time", "message": "Invalid start_time"}
        now = datetime.now(UTC).isoformat()
        reply = await _history(ws, 2, start_time=now, end_time="soon", entity_ids=["light.hallway_ceiling"])
        assert reply["error"] == {"code": "invalid_end_time", "message": "Invalid end_time"}
        future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        assert (await _history(ws, 3, start_time=future, entity_ids=["light.hallway_ceiling"]))[
            "result"
        ] == {}
        reply = await _history(ws, 4, start_time=now, entity_ids=["Not An Entity"])
        assert reply["error"]["code"] == "invalid_entity_ids"
        reply = await call(ws, 5, "history/history_during_period", start_time=now)
        assert reply["error"]["message"] == "required key not provided @ data['entity_ids']. Got None"


async def test_history_keeps_every_generated_state() -> None:
    async with running(rate=400, record=True) as sim, authed(sim) as ws:
        start = datetime.now(UTC)
        await wait_for(lambda: sim.events_emitted > 150)
        sim.pause()
        log = [(e, iso_ts(ts)) for e, ts in sim.emitted_log() if iso_ts(ts) > start.timestamp()]
        entity_id = max({e for e, _ in log}, key=lambda e: sum(1 for x, _ in log if x == e))
        generated = [ts for e, ts in log if e == entity_id]
        reply = await _history(
            ws,
            1,
            start_time=start.isoformat(),
            entity_ids=[entity_id],
            significant_changes_only=False,
            include_start_time_state=False,
        )
        assert [row["lu"] for row in reply["result"][entity_id]] == pytest.approx(generated, abs=1e-6)


async def test_history_commit_interval_hides_newest_rows() -> None:
    async with running(history_commit_interval=0.5) as sim, authed(sim) as ws:
        sim.pause()
        start = datetime.now(UTC)
        await asyncio.sleep(0.01)
        sim.set_state("switch.hallway_porch_light", "on", force_update=True)
        fields = {"start_time": start.isoformat(), "entity_ids": ["switch.hallway_porch_light"]}
        first = await _history(ws, 1, include_start_time_state=False, **fields)
        await asyncio.sleep(0.6)
        second = await _history(ws, 2, include_start_time_state=False, **fields)
    assert first["result"] == {}
    assert second["result"]["switch.hallway_porch_light"][0]["s"] == "on"


# -- disconnects and back-pressure -----------------------------------------------------------------


async def test_invalid_json_from_client_disconnects() -> None:
    async with running() as sim, authed(sim) as ws:
        await ws.send('{"id": 1, "type": "ping"')
        with pytest.raises(ConnectionClosed):
            await recv(ws)
        await wait_for(lambda: bool(sim.disconnect_reasons))
        assert sim.disconnect_reasons == ["Received invalid JSON."]


async def test_backpressure_hard_limit_4096() -> None:
    async with running(rate=20000) as sim, authed(sim, max_queue=1) as ws:
        await send(ws, {"id": 1, "type": "subscribe_events", "event_type": "state_changed"})
        await wait_for(lambda: bool(sim.disconnect_reasons), timeout=10, what="overflow")
        assert sim.disconnect_reasons == [
            "Client unable to keep up with pending messages. Reached 4096 pending messages"
        ]
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 5)


async def test_backpressure_peak_for_too_long() -> None:
    async with running(rate=4000, pending_peak_time=0.3) as sim, authed(sim, max_queue=1) as ws:
        await send(ws, {"id": 1, "type": "subscribe_events", "event_type": "state_changed"})
        await wait_for(lambda: bool(sim.disconnect_reasons), timeout=10, what="peak disconnect")
        assert sim.disconnect_reasons == [
            "Client unable to keep up with pending messages. Stayed over 1024 for 0.3 seconds"
        ]


# -- automations, users, generator -----------------------------------------------------------------


async def test_automation_chain_links_contexts() -> None:
    async with running() as sim, authed(sim) as ws:
        sim.pause()
        await call(ws, 1, "subscribe_events")
        root = sim.trigger_automation_chain()
        chain = sim.home.chains[0]
        messages = await collect(
            ws, lambda got: any(e["data"]["entity_id"] == chain.follow_target for e in events_of(got))
        )
    changes = {e["data"]["entity_id"]: e["context"] for e in events_of(messages)}
    assert changes[chain.motion] == {"id": root, "parent_id": None, "user_id": None}
    c1 = changes[chain.automation]
    assert c1["parent_id"] == root
    assert changes[chain.light] == c1
    c2 = changes[chain.follow_automation]
    assert c2["parent_id"] == c1["id"] and changes[chain.follow_target] == c2
    triggered = events_of(messages, "automation_triggered")
    assert [t["context"] for t in triggered] == [c1, c2]
    assert triggered[0]["data"] == {
        "name": "Hallway motion lights",
        "entity_id": chain.automation,
        "source": f"state of {chain.motion}",
    }
    assert {e["context"]["id"] for e in events_of(messages, "call_service")} == {c1["id"], c2["id"]}


async def test_chains_also_happen_spontaneously() -> None:
    # A chain starts when a chain's motion sensor turns on (60 % of the time), and a motion lasts
    # 5-40 s, so a 10 s run sees about one chance per sensor: seed 5 takes its first chance early
    # (with seed 1 the first two both pass, and the next comes only after thousands of events).
    async with running(rate=2000, seed=5) as sim, authed(sim, coalesce=True) as ws:
        await call(ws, 2, "subscribe_events", event_type="state_changed")
        messages = await collect(
            ws, lambda got: any(e["context"]["parent_id"] for e in events_of(got)), timeout=10
        )
    linked = [e for e in events_of(messages) if e["context"]["parent_id"]]
    assert linked[0]["data"]["entity_id"].startswith("automation.")


async def test_rate_pause_resume() -> None:
    async with running(rate=500) as sim:
        await asyncio.sleep(0.2)
        before = sim.events_emitted
        await asyncio.sleep(0.5)
        made = sim.events_emitted - before
        assert 150 <= made <= 400
        sim.pause()
        await asyncio.sleep(0.1)
        paused = sim.events_emitted
        await asyncio.sleep(0.3)
        assert sim.events_emitted == paused
        sim.resume()
        sim.set_rate(1000)
        await wait_for(lambda: sim.events_emitted > paused + 100, timeout=2)
        for bad in (0.5, 20001):
            with pytest.raises(ValueError):
                sim.set_rate(bad)
        with pytest.raises(ValueError):
            SimulatorConfig(rate=0)


def _sequence(seed: int, count: int) -> tuple[list[tuple[str, str]], list[Any]]:
    config = SimulatorConfig(seed=seed, rate=200)
    home = build_home(config)
    captured: list[bytes] = []
    home.bus.subscribe("state_changed", captured.append, 1)
    Activity(home, random.Random(f"{seed}-activity"), config.rate).emit(count)
    changes = []
    for raw in captured:
        data = orjson.loads(raw)["event"]["data"]
        changes.append((data["entity_id"], data["new_state"]["state"] if data["new_state"] else ""))
    registry = [(d.id, d.name, d.area_id) for d in home.devices.values()]
    return changes, registry


def test_demo_home_is_deterministic_per_seed() -> None:
    first, second, other = _sequence(7, 400), _sequence(7, 400), _sequence(8, 400)
    assert first == second
    assert first[0] != other[0] and first[1] != other[1]


def test_demo_home_contents() -> None:
    home = build_home(SimulatorConfig())
    assert len({f for f in home.floors}) >= 3 and len(home.areas) >= 6 and len(home.devices) >= 30
    assert len(home.states) >= 120
    assert sum(1 for d in home.devices.values() if d.parent_device_id) >= 2
    big = build_home(SimulatorConfig(entities=5000))
    assert len(big.states) == 5000


async def test_set_entity_unavailable_and_restore() -> None:
    async with running() as sim, authed(sim) as ws:
        sim.pause()
        await call(ws, 1, "subscribe_events", event_type="state_changed")
        entity_id = "light.living_room_ceiling"
        sim.set_entity_unavailable(entity_id, 0.2)
        new = (await recv(ws))["event"]["data"]["new_state"]
        assert new["state"] == "unavailable"
        static = {"min_color_temp_kelvin", "max_color_temp_kelvin", "supported_color_modes", "friendly_name"}
        assert set(new["attributes"]) == static | {"supported_features"}
        event = (await recv(ws, timeout=2))["event"]["data"]
        assert event["old_state"]["state"] == "unavailable" and event["new_state"]["state"] in ("on", "off")


# -- restart and fault injection -------------------------------------------------------------------


async def test_restart_drops_clients_refuses_then_bursts() -> None:
    async with running(restart_refuse_seconds=0.3, startup_grace=30) as sim:
        async with authed(sim) as ws:
            await call(ws, 1, "subscribe_events", event_type="state_changed")
            restart = asyncio.create_task(sim.restart())
            with pytest.raises(ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 3)
        await asyncio.sleep(0.05)
        with pytest.raises(OSError):
            await open_ws(sim)
        await restart
        entities = len(sim.home.entities)
        restored = [e.entity_id for e in sim.home.entities.values() if e.restores]
        async with authed(sim, coalesce=True) as ws:
            assert (await call(ws, 2, "get_config"))["result"]["state"] == "STARTING"
            await call(ws, 3, "subscribe_events", event_type="state_changed")
            messages = await collect(ws, lambda got: len(events_of(got)) >= entities + len(restored))
            await sim.wait_started()
            assert (await call(ws, 4, "get_config"))["result"]["state"] == "RUNNING"
    burst = events_of(messages)[: entities + len(restored)]
    first_seen: dict[str, dict[str, Any]] = {}
    for event in burst:
        first_seen.setdefault(event["data"]["entity_id"], event["data"])
    assert len(first_seen) == entities and all(d["old_state"] is None for d in first_seen.values())
    assert restored
    for entity_id in restored:
        placeholder = first_seen[entity_id]["new_state"]
        assert placeholder["state"] == "unavailable" and placeholder["attributes"]["restored"] is True
        later = [e["data"] for e in burst if e["data"]["entity_id"] == entity_id][1]
        assert later["old_state"]["state"] == "unavailable" and later["new_state"]["state"] != "unavailable"


async def test_restart_burst_with_5000_entities() -> None:
    async with running(entities=5000, restart_refuse_seconds=0.1) as sim:
        await sim.restart()
        async with authed(sim, coalesce=True) as ws:
            await call(ws, 2, "subscribe_events", event_type="state_changed")
            messages = await collect(ws, lambda got: len(events_of(got)) >= 5000, timeout=20)
        assert len({e["data"]["entity_id"] for e in events_of(messages)}) == 5000


async def test_drop_connections_aborts_without_close_frame() -> None:
    async with running() as sim, authed(sim) as ws:
        await sim.drop_connections()
        with pytest.raises(ConnectionClosedError):
            await recv(ws)
        assert ws.close_code is None or ws.close_code == 1006


async def test_stall_reads_leaves_client_pings_unanswered() -> None:
    async with running() as sim, authed(sim, ping_interval=0.1, ping_timeout=0.3, close_timeout=0.2) as ws:
        await asyncio.sleep(0.25)  # a few keepalive pings are answered fine
        sim.stall_reads(1.2)
        await send(ws, {"id": 1, "type": "ping"})
        with pytest.raises(ConnectionClosedError) as closed:
            await recv(ws, timeout=1.0)  # neither the pong nor any event arrives
        assert closed.value.sent is not None
        assert (closed.value.sent.code, closed.value.sent.reason) == (1011, "keepalive ping timeout")


async def test_send_invalid_json_and_raw_frames() -> None:
    async with running() as sim, authed(sim) as ws:
        await sim.send_invalid_json()
        raw = await asyncio.wait_for(ws.recv(), 3)
        with pytest.raises(json.JSONDecodeError):
            json.loads(raw)
        await sim.send_raw('{"type":"event","event":{"event_type":"state_changed","data":{}},"id":1}')
        assert (await recv(ws))["event"]["data"] == {}
        await sim.send_raw(b"\x00\x01", binary=True)
        assert await asyncio.wait_for(ws.recv(), 3) == b"\x00\x01"


# -- REST, CLI, cost -------------------------------------------------------------------------------


async def test_rest_api_requires_bearer_token() -> None:
    async with running() as sim, aiohttp.ClientSession() as session:
        async with session.get(f"{sim.base_url}/api/") as response:
            assert response.status == 401
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with session.get(f"{sim.base_url}/api/", headers=headers) as response:
            assert await response.json() == {"message": "API running."}
        async with session.get(f"{sim.base_url}/api/states", headers=headers) as response:
            assert len(await response.json()) == len(sim.home.states)


def test_standalone_cli_serves_until_sigterm() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "core.ha.simulator", "--port", "0", "--rate", "50", "--seed", "3"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert re.match(r"^simulator listening on ws://127\.0\.0\.1:\d+/api/websocket$", line.strip())

        async def check(url: str) -> None:
            from websockets.asyncio.client import connect

            async with connect(url) as ws:
                assert json.loads(await ws.recv())["type"] == "auth_required"

        asyncio.run(check(line.split()[-1]))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_simulator_imports_no_gui_toolkit() -> None:
    code = (
        "import sys, core.ha.simulator; "
        "print([m for m in sys.modules if m.split('.')[0] in {'PySide6', 'qasync', 'pyqtgraph'}])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_in_process_demo_rate_is_cheap() -> None:
    async with running() as sim, authed(sim) as ws:
        await call(ws, 1, "subscribe_events", event_type="state_changed")
        cpu, wall = time.process_time(), time.monotonic()
        received = 0
        while time.monotonic() - wall < 1.5:
            try:
                await asyncio.wait_for(ws.recv(), 0.2)
                received += 1
            except TimeoutError:
                pass
        used = (time.process_time() - cpu) / (time.monotonic() - wall)
    assert received >= 15
    assert used < 0.15, f"simulator + client used {used:.0%} of a core at 20 events/s"
