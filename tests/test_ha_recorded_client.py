"""The HA client against frames recorded from a real Home Assistant 2025.4.4.

A local WebSocket server replays each recorded session verbatim (tests/ha_recorded.py); the client's
own connection code sends the commands and parses the replies, the registry parser builds the
snapshot, and the pipeline's row builder turns states, events and history rows into stored rows.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from websockets.asyncio.client import connect

from core.ha.conn_check import check_connection
from core.ha.connection import AuthInvalid, CommandError, HAConnection, authenticate
from core.ha.registry_parse import ParseStats, build_snapshot
from core.models import EventSource, RegistrySnapshot
from core.pipeline.enrich import RowBuilder
from core.pipeline.registry import RegistryCache
from core.store.codec import parse_time_us
from core.store.rows import NO_RESOLUTION, StoreRow
from tests import ha_recorded as rec
from tests.ha_recorded import HA_VERSION, TOKEN, replay_server

ATTRS_LIMIT = 64 * 1024


def _snapshot() -> RegistrySnapshot:
    """The registries of the recorded home, parsed from the recorded list replies."""
    raw = {
        "areas": rec.reply("discovery", 4)["result"],
        "floors": rec.reply("discovery", 5)["result"],
        "labels": rec.reply("discovery", 6)["result"],
        "devices": rec.reply("discovery", 7)["result"],
        "entities": rec.reply("discovery", 8)["result"],
    }
    return build_snapshot(raw)


async def _without_handshake(url: str) -> HAConnection:
    """Authenticated, but without the supported_features step (the history and errors sessions were
    recorded without it, so their first command is id 1)."""
    ws = await connect(url, compression=None, max_size=None, open_timeout=5)
    return HAConnection(ws, await authenticate(ws, TOKEN))


def _builder() -> RowBuilder:
    return RowBuilder(RegistryCache(_snapshot()), ATTRS_LIMIT)


async def test_discovery_session_authenticates_and_parses_every_reply() -> None:
    async with replay_server("discovery") as replay:
        conn = await HAConnection.open(replay.url, TOKEN, timeout_s=5)
        try:
            assert conn.ha_version == HA_VERSION
            config = await conn.command({"type": "get_config"}, 5)
            states = await conn.command({"type": "get_states"}, 5)
            lists = {}
            for name in ("area", "floor", "label", "device", "entity"):
                lists[name] = await conn.command({"type": f"config/{name}_registry/list"}, 5)
            recorder = await conn.command({"type": "recorder/info"}, 5)
            rtt = await conn.ping(5)
        finally:
            await conn.close()
    assert replay.mismatches == []  # the client sent exactly what the real client sent
    assert config["version"] == HA_VERSION and config["time_zone"] and config["state"] == "RUNNING"
    assert len(states) == 129 and rtt >= 0
    assert recorder["backlog"] == 0 and recorder["recording"] is True
    stats = ParseStats()
    snap = build_snapshot(
        {
            "areas": lists["area"],
            "floors": lists["floor"],
            "labels": lists["label"],
            "devices": lists["device"],
            "entities": lists["entity"],
        },
        stats,
    )
    assert stats.skipped == 0  # unknown keys and nulls are accepted
    assert (len(snap.floors), len(snap.areas), len(snap.labels)) == (2, 7, 0)
    assert (len(snap.devices), len(snap.entities)) == (51, 92)
    assert snap.floors["first_floor"].level == 1 and snap.floors["ground_floor"].name == "Ground Floor"
    assert snap.areas["bedroom"].floor_id == "first_floor" and snap.areas["garden"].floor_id is None
    bed_light = snap.entities["light.bed_light"]
    assert (bed_light.platform, bed_light.unique_id, bed_light.area_id) == ("demo", "light_1", None)
    device = snap.devices[bed_light.device_id or ""]
    # 2025.4 has no config_entry_id on devices: the primary entry stands in for it.
    assert device.name == "Bed Light" and device.area_id == "bedroom"
    assert device.config_entry_id == "01M8SZNP8RJWCD3KE2DKSTFXF8"
    disabled = sorted(e.entity_id for e in snap.entities.values() if e.disabled_by)
    assert disabled == ["sensor.sun_solar_azimuth", "sensor.sun_solar_elevation", "sensor.sun_solar_rising"]


def test_recorded_states_become_rows_enriched_from_the_recorded_registries() -> None:
    builder = _builder()
    rows = {
        row.entity_id: row
        for row in (builder.from_state(s, EventSource.SNAPSHOT) for s in rec.reply("discovery", 3)["result"])
    }
    assert len(rows) == 129
    snap = _snapshot()
    unregistered = [r for r in rows.values() if r.entity_id not in snap.entities]
    assert len(unregistered) == 40  # states without a registry entry are stored, without device or area
    assert all(r.enrich == NO_RESOLUTION for r in unregistered)
    light = rows["light.bed_light"]
    # The light's own entry has no area: it comes from its device, and the floor from the area.
    assert (light.enrich.area_id, light.enrich.floor_id) == ("bedroom", "first_floor")
    power = rows["sensor.kitchen_power"]
    assert (power.enrich.area_id, power.enrich.floor_id, power.enrich.device_id) == (
        "kitchen",
        "ground_floor",
        None,
    )
    state = next(s for s in rec.reply("discovery", 3)["result"] if s["entity_id"] == "light.bed_light")
    assert light.time_us == parse_time_us(state["last_updated"]) and light.state == state["state"]


async def test_live_session_delivers_array_frames_to_the_subscriptions() -> None:
    got: dict[str, list[Any]] = {"state_changed": [], "entity_registry_updated": [], "other": []}
    async with replay_server("live") as replay:
        conn = await HAConnection.open(replay.url, TOKEN, timeout_s=5)
        try:
            sub = await conn.subscribe("state_changed", got["state_changed"].append, 5)
            await conn.subscribe("entity_registry_updated", got["entity_registry_updated"].append, 5)
            for event_type in ("device_registry_updated", "area_registry_updated"):
                await conn.subscribe(event_type, got["other"].append, 5)
            async with asyncio.timeout(10):
                while len(got["entity_registry_updated"]) < 2:
                    await asyncio.sleep(0.01)
            assert await conn.command({"type": "unsubscribe_events", "subscription": sub}, 5) is None
            stats = conn.stats
        finally:
            await conn.close()
    assert replay.mismatches == []
    assert sub == 2 and len(got["state_changed"]) == 36 and got["other"] == []
    # 5 array frames carry 36 + 2 events; 6 replies come as single objects.
    assert (stats.frames, stats.messages, stats.events) == (11, 44, 38)
    assert (stats.unexpected, stats.invalid_json, stats.handler_errors) == (0, 0, 0)
    assert [e["data"]["changes"] for e in got["entity_registry_updated"]] == [
        {"name": None},
        {"name": "Kitchen power (renamed)"},
    ]


def _live_rows() -> list[StoreRow]:
    builder = _builder()
    return [builder.from_event(event, EventSource.LIVE) for event in rec.events("live")]


def test_recorded_events_keep_the_automation_chain_and_the_times() -> None:
    rows = _live_rows()
    assert len(rows) == 36
    party, automation, light, automation_done, lights_on = rows[:5]
    assert party.entity_id == "input_boolean.party_mode" and (party.old_state, party.state) == ("off", "on")
    assert party.context_parent_id is None and party.context_user_id is not None
    for caused in (automation, light, automation_done, lights_on):
        assert caused.context_parent_id == party.context_id and caused.context_user_id is None
    assert light.entity_id == "light.bed_light" and light.enrich.area_id == "bedroom"
    # An automation run changes only the automation's attributes: it is stored as a change anyway.
    assert (automation.old_state, automation.state) == ("on", "on")
    assert automation.attributes is not None and automation.attributes["current"] == 1
    assert automation_done.attributes is not None and automation_done.attributes["current"] == 0
    assert lights_on.state == "6" and party.origin == "LOCAL"
    event = rec.events("live")[0]
    assert party.time_us == parse_time_us(event["time_fired"])
    old_lc = parse_time_us(event["data"]["old_state"]["last_changed"])
    assert party.duration_ms == round((party.time_us - old_lc) / 1000)


def test_quick_toggles_and_a_rename_arrive_in_order() -> None:
    rows = _live_rows()
    toggles = [r.state for r in rows if r.entity_id == "input_boolean.load_a"]
    assert toggles == ["on", "off"] * 10
    times = [r.time_us for r in rows if r.entity_id == "input_boolean.load_a"]
    assert times == sorted(times) and len(set(times)) == 20
    renamed = [r for r in rows if r.entity_id == "sensor.kitchen_power"][-2:]
    names = [r.attributes["friendly_name"] for r in renamed if r.attributes is not None]
    assert names == ["Kitchen power (renamed)", "Kitchen Power"]
    assert all(r.state == r.old_state == "1234.0" for r in renamed)


async def test_history_session_rows_are_parsed_with_their_float_times() -> None:
    requests = [m for m in rec.sent("history") if m["type"] == "history/history_during_period"]
    async with replay_server("history") as replay:
        conn = await _without_handshake(replay.url)
        try:
            full, minimal, empty = [
                await conn.command({k: v for k, v in m.items() if k != "id"}, 5) for m in requests
            ]
        finally:
            await conn.close()
    assert replay.mismatches == [] and empty == {}
    builder = _builder()
    power = [
        builder.from_history("sensor.kitchen_power", r, EventSource.BACKFILL)
        for r in full["sensor.kitchen_power"]
    ]
    assert [r.state for r in power] == ["unknown", "120.0", "1234.0", "1234.0", "1234.0"]
    for row, raw in zip(power, full["sensor.kitchen_power"], strict=True):
        assert isinstance(raw["lu"], float) and abs(row.time_us - raw["lu"] * 1e6) <= 1
    assert power[2].duration_ms is not None and power[2].old_state == "120.0"
    assert (
        power[3].attributes is not None and power[3].attributes["friendly_name"] == "Kitchen power (renamed)"
    )
    assert power[0].enrich.area_id == "kitchen"
    lean = RowBuilder(RegistryCache(_snapshot()), ATTRS_LIMIT)
    rows = [lean.from_history("light.bed_light", r, EventSource.BACKFILL) for r in minimal["light.bed_light"]]
    assert [(r.state, r.attrs_json) for r in rows] == [("off", b"{}"), ("on", b"{}"), ("off", b"{}")]


async def test_error_replies_carry_hass_code_and_message() -> None:
    async with replay_server("errors") as replay:
        conn = await _without_handshake(replay.url)
        try:
            with pytest.raises(CommandError) as unknown:
                await conn.command({"type": "no_such_command"}, 5)
            with pytest.raises(CommandError) as missing:
                await conn.command({"type": "history/history_during_period", "start_time": "not a date"}, 5)
            with pytest.raises(CommandError) as wrong_type:
                await conn.subscribe(5, print, 5)  # type: ignore[arg-type]  # what HA says to a wrong type
            # The client never reuses an id; HA's reply to a reused one is counted, not fatal.
            await conn.ws.send('{"id": 3, "type": "ping"}')
            await conn.ws.send("{not json")
            reason = await asyncio.wait_for(conn.wait_closed(), 5)
            stats = conn.stats
        finally:
            await conn.close()
    assert replay.mismatches == []
    assert (unknown.value.code, str(unknown.value)) == (
        "unknown_command",
        "unknown_command: Unknown command.",
    )
    assert missing.value.code == "invalid_format"
    assert "required key not provided @ data['entity_ids']" in str(missing.value)
    assert wrong_type.value.code == "invalid_format"
    assert "expected str for dictionary value @ data['event_type']. Got 5" in str(wrong_type.value)
    assert stats.unexpected == 1
    assert "1000" in str(reason)  # HA closed the connection normally after the non-JSON frame


async def test_a_wrong_token_is_auth_invalid_with_hass_message() -> None:
    async with replay_server("auth_invalid") as replay:
        with pytest.raises(AuthInvalid) as err:
            await HAConnection.open(replay.url, TOKEN, timeout_s=5)
    assert str(err.value) == "Invalid access token or password"
    async with replay_server("auth_invalid") as replay:
        result = await check_connection(replay.url, TOKEN, 5)
    assert not result.ok
    assert result.error == "Authentication failed: Invalid access token or password"
    assert TOKEN not in (result.error or "")
