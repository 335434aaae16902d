"""The built-in simulator answers like the real Home Assistant 2025.4.4 recorded in tests/fixtures.

For the same commands, the simulator's replies must have the same key sets and JSON types as the
recorded ones (values differ: it is another home), the same error codes and messages, and the same
closes. Keys HA added after 2025.4 are allowed only where listed, with the version that added them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests import ha_recorded as rec
from tests.sim_helpers import authed, call, collect, events_of, open_ws, recv, running, send

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$")
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
# config/device_registry/list: 2026.8 names the device's config entry directly.
DEVICE_KEYS_SINCE_2026_8 = frozenset({"config_entry_id", "config_subentry_id"})


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    return {int: "int", float: "float", str: "str", list: "array", dict: "object"}[type(value)]


def assert_same_records(
    sim: list[dict[str, Any]], real: list[dict[str, Any]], what: str, newer: frozenset[str] = frozenset()
) -> None:
    """Each simulator record has a key set real HA sends (keys in `newer` aside), and every key's
    non-null types are ones real HA sends for that key (null is allowed where HA has a value)."""
    assert sim and real, what
    real_key_sets = {frozenset(r) for r in real}
    odd = {frozenset(r) - newer for r in sim} - real_key_sets
    assert odd == set(), f"{what}: key sets real HA never sends: {odd} (real: {real_key_sets})"
    real_kinds: dict[str, set[str]] = {}
    for record in real:
        for key, value in record.items():
            real_kinds.setdefault(key, set()).add(kind(value))
    for record in sim:
        for key, value in record.items():
            known = real_kinds.get(key, set()) - {"null"}
            if key in newer or not known or value is None:
                continue
            assert kind(value) in known, f"{what}.{key}: {kind(value)} where real HA sends {known}"


def assert_state_shape(
    sim_states: list[dict[str, Any]], real_states: list[dict[str, Any]], what: str
) -> None:
    assert_same_records(sim_states, real_states, what)
    assert_same_records(
        [s["context"] for s in sim_states], [s["context"] for s in real_states], what + ".context"
    )
    for state in sim_states:
        for key in ("last_changed", "last_updated", "last_reported"):
            assert ISO_UTC.match(state[key]), (what, key, state[key])
        assert ULID.match(state["context"]["id"]), state["context"]


async def test_auth_phase_matches() -> None:
    real = rec.messages("discovery")
    async with running(ha_version=rec.HA_VERSION) as sim:
        ws = await open_ws(sim)
        assert await recv(ws) == real[0]  # auth_required with the version
        await send(ws, {"type": "auth", "access_token": sim.config.token})
        assert await recv(ws) == real[1]
        await ws.close()
        ws = await open_ws(sim)
        await recv(ws)
        await send(ws, {"type": "auth", "access_token": "not-the-token"})
        assert await recv(ws) == rec.messages("auth_invalid")[-1]
        with pytest.raises(ConnectionClosed):  # then HA closes the connection
            await recv(ws)


async def test_discovery_commands_answer_in_the_recorded_shapes() -> None:
    replies: dict[int, dict[str, Any]] = {}
    async with running(ha_version=rec.HA_VERSION) as sim, authed(sim, coalesce=True) as ws:
        for request in rec.sent("discovery")[1:]:
            if request["type"] in ("supported_features", "recorder/info"):
                continue  # supported_features was sent by authed(); recorder/info: see below
            fields = {k: v for k, v in request.items() if k not in ("id", "type")}
            replies[request["id"]] = await call(ws, request["id"], request["type"], **fields)
    real = {i: rec.reply("discovery", i) for i in replies}
    for msg_id, reply in replies.items():
        assert set(reply) == set(real[msg_id]) and reply.get("success", True) is True, msg_id
    assert reply == {"id": 10, "type": "pong"}  # ping's reply is not a result
    assert_same_records([replies[2]["result"]], [real[2]["result"]], "get_config")
    assert_state_shape(replies[3]["result"], real[3]["result"], "get_states")
    assert_same_records(replies[4]["result"], real[4]["result"], "area")
    assert_same_records(replies[5]["result"], real[5]["result"], "floor")
    assert isinstance(replies[6]["result"], list)  # the recorded home has no labels to compare
    devices = [d for d in replies[7]["result"] if "parent_device_id" not in d]  # 2026.9 children aside
    assert_same_records(devices, real[7]["result"], "device", DEVICE_KEYS_SINCE_2026_8)
    assert_same_records(replies[8]["result"], real[8]["result"], "entity")


async def test_recorder_info_answers_like_hass_when_the_simulator_has_it() -> None:
    async with running(ha_version=rec.HA_VERSION) as sim, authed(sim) as ws:
        if "recorder/info" not in sim.commands:
            pytest.skip("the simulator has no recorder/info yet")
        reply = await call(ws, 1, "recorder/info")
    assert_same_records([reply["result"]], [rec.reply("discovery", 9)["result"]], "recorder/info")


async def test_events_come_as_array_frames_in_the_recorded_shapes() -> None:
    real_events = rec.events("live")
    async with running(ha_version=rec.HA_VERSION) as sim, authed(sim, coalesce=True) as ws:
        sim.pause()
        reply = await call(ws, 2, "subscribe_events", event_type="state_changed")
        assert set(reply) == set(rec.reply("live", 2)) and reply["result"] is None
        await call(ws, 3, "subscribe_events", event_type="entity_registry_updated")
        sim.trigger_automation_chain()
        first = await recv(ws)
        entity_id = next(iter(sim.home.entity_registry))
        sim.rename_entity(entity_id, name="Renamed by the test")
        rest = await collect(ws, lambda got: bool(events_of(got, "entity_registry_updated")))
        unsubscribed = await call(ws, 4, "unsubscribe_events", subscription=2)
    assert isinstance(first, list) and len(first) > 1  # several events of one chain: one array frame
    messages = [*first, *rest]
    assert_same_records(
        [m for m in messages if m["type"] == "event"],
        [m for m in rec.messages("live") if m["type"] == "event"],
        "event message",
    )
    sim_events = events_of(messages)
    assert_same_records(sim_events, real_events, "event")
    assert_same_records([e["data"] for e in sim_events], [e["data"] for e in real_events], "event.data")
    changed = [e["data"][k] for e in sim_events for k in ("old_state", "new_state") if e["data"][k]]
    real_changed = [e["data"][k] for e in real_events for k in ("old_state", "new_state")]
    assert_state_shape(changed, real_changed, "event state")
    assert all(ISO_UTC.match(e["time_fired"]) for e in sim_events)
    registry = events_of(messages, "entity_registry_updated")
    real_registry = rec.events("live", "entity_registry_updated")
    assert_same_records([e["data"] for e in registry], [e["data"] for e in real_registry], "registry event")
    assert unsubscribed == {**rec.reply("live", 6), "id": 4}


async def test_an_automation_run_is_two_attribute_changes_like_hass() -> None:
    """Real HA: the automation entity's `current` goes 0 -> 1 when triggered and back to 0 when its
    action is done, both under the automation's context, around the state it changed."""
    real = [e for e in rec.events("live")[:5] if e["data"]["entity_id"].startswith("automation.")]
    assert [e["data"]["new_state"]["attributes"]["current"] for e in real] == [1, 0]
    async with running(ha_version=rec.HA_VERSION) as sim, authed(sim) as ws:
        sim.pause()
        await call(ws, 1, "subscribe_events", event_type="state_changed")
        chain = sim.home.chains[0]
        sim.trigger_automation_chain()
        got = await collect(
            ws, lambda m: sum(e["data"]["entity_id"] == chain.follow_automation for e in events_of(m)) == 2
        )
    order = [e["data"]["entity_id"] for e in events_of(got)]
    runs = [e for e in events_of(got) if e["data"]["entity_id"] == chain.automation]
    assert [e["data"]["new_state"]["attributes"]["current"] for e in runs] == [1, 0]
    assert runs[0]["context"] == runs[1]["context"]
    assert (
        order.index(chain.automation)
        < order.index(chain.light)
        < len(order) - 1 - order[::-1].index(chain.automation)
    )
    assert runs[0]["data"]["new_state"]["attributes"]["last_triggered"] is not None


async def test_a_rename_sends_the_state_change_before_the_registry_event_like_hass() -> None:
    real = [m["event"]["event_type"] for m in rec.messages("live")[-3:-1]]
    assert real == ["state_changed", "entity_registry_updated"]
    async with running(ha_version=rec.HA_VERSION) as sim, authed(sim, coalesce=True) as ws:
        sim.pause()
        await call(ws, 2, "subscribe_events", event_type="state_changed")
        await call(ws, 3, "subscribe_events", event_type="entity_registry_updated")
        entity_id = next(e for e in sim.home.entity_registry if e in sim.home.states)
        sim.rename_entity(entity_id, name="Renamed by the test")
        frame = await recv(ws)
    assert isinstance(frame, list)
    assert [m["event"]["event_type"] for m in frame] == real
    assert frame[0]["event"]["data"]["new_state"]["attributes"]["friendly_name"] == "Renamed by the test"


async def test_history_rows_have_the_recorded_keys_and_float_times() -> None:
    requests = [m for m in rec.sent("history") if m["type"] == "history/history_during_period"]
    real = [rec.reply("history", m["id"])["result"] for m in requests]
    async with running(ha_version=rec.HA_VERSION) as sim, authed(sim) as ws:
        entity_ids = ["light.bedroom_bedside", "sensor.kitchen_multisensor_illuminance"]
        sim.pause()
        start = datetime.now(UTC)
        for value in ("101", "102"):
            sim.set_state(entity_ids[1], value)
        end = datetime.now(UTC) + timedelta(seconds=1)
        window = {"start_time": start.isoformat(), "end_time": end.isoformat(), "entity_ids": entity_ids}
        past = {
            "start_time": (start - timedelta(days=3)).isoformat(),
            "end_time": (start - timedelta(days=2)).isoformat(),
            "entity_ids": entity_ids,
        }
        fields = [{**m, **window} for m in requests[:2]] + [{**requests[2], **past}]
        replies = [
            await call(ws, i, m["type"], **{k: v for k, v in m.items() if k not in ("id", "type")})
            for i, m in enumerate(fields, 1)
        ]
    for reply, recorded in zip(replies, real, strict=True):
        rows = [r for entity_rows in reply["result"].values() for r in entity_rows]
        real_rows = [r for entity_rows in recorded.values() for r in entity_rows]
        if not real_rows:
            assert reply["result"] == {}
            continue
        assert_same_records(rows, real_rows, "history row")
        assert all(isinstance(r["lu"], float) for r in rows)


@pytest.mark.parametrize("index", [0, 1, 2])
async def test_error_replies_have_the_recorded_code_and_message(index: int) -> None:
    request = rec.sent("errors")[1 + index]
    recorded = [m for m in rec.messages("errors") if m.get("type") == "result"][index]
    fields = {k: v for k, v in request.items() if k not in ("id", "type")}
    async with running(ha_version=rec.HA_VERSION) as sim, authed(sim) as ws:
        reply = await call(ws, request["id"], request["type"], **fields)
    assert reply == recorded


async def test_id_reuse_and_a_non_json_frame_close_like_hass() -> None:
    recorded = rec.session("errors")
    reuse = rec.messages("errors")[-1]
    async with running(ha_version=rec.HA_VERSION) as sim, authed(sim) as ws:
        await call(ws, 3, "ping")
        assert await call(ws, 3, "ping") == reuse
        await ws.send("{not json")
        with pytest.raises(ConnectionClosed):
            await recv(ws)
        assert recorded[-1].close_code == ws.close_code == 1000
