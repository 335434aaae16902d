"""HAClient and HAConnection against the real simulator (in-process, 127.0.0.1, port 0).

One test per behaviour; no timed assertions: every wait polls a condition with a deadline.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from core.bus import Bus, Topic
from core.config import HomeAssistantConfig
from core.ha.client import ConnectionInfo, ConnState, HAClient
from core.ha.connection import HAConnection
from core.models import RegistrySnapshot
from tests.ha_fixtures import (
    FAST,
    TOKEN,
    RecordingRegistry,
    RecordingSink,
    ha_config,
    running_client,
    running_sim,
    wait_for,
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _record(bus: Bus) -> list[ConnectionInfo]:
    infos: list[ConnectionInfo] = []
    bus.subscribe(Topic.HA_CONNECTION, infos.append)
    return infos


async def test_auth_ok_connects_subscribes_and_syncs() -> None:
    async with running_sim(rate=50) as sim:
        sink, registry, bus = RecordingSink(), RecordingRegistry(), Bus()
        infos, published = _record(bus), list[RegistrySnapshot]()
        bus.subscribe(Topic.REGISTRY_UPDATED, published.append)
        async with running_client(ha_config(sim), sink, registry=registry, bus=bus) as client:
            await wait_for(lambda: client.connection_info.synced, what="initial sync")
            await wait_for(lambda: len(sink.live) >= 5, what="live events")
            info = client.connection_info
            assert info.state == ConnState.CONNECTED and info.ha_version == sim.config.ha_version
            assert info.entity_count == len(sink.states) == len(sim.home.entities)
            assert info.url == sim.url and info.connected_since is not None
            assert [i.state for i in infos[:3]] == [
                ConnState.CONNECTING,
                ConnState.AUTHENTICATING,
                ConnState.CONNECTED,
            ]
            snapshot = registry.snapshots[-1]
            assert published == registry.snapshots and isinstance(snapshot, RegistrySnapshot)
            assert set(snapshot.devices) == set(sim.home.devices) and set(snapshot.floors) == set(
                sim.home.floors
            )
            assert all(e["event_type"] == "state_changed" for e in sink.live)
            assert client.status().state == "running"


async def test_auth_invalid_is_its_own_state_and_is_not_hammered() -> None:
    async with running_sim(rate=5) as sim:
        sim.reject_auth(True)
        config = ha_config(sim, backoff_initial_s=0.01, backoff_max_s=0.02)
        async with running_client(config) as client:
            await wait_for(
                lambda: client.connection_info.state == ConnState.AUTH_INVALID, what="auth_invalid"
            )
            # A window in which a plain backoff (10-20 ms) would have retried ~50 times.
            await asyncio.sleep(1.0)
            attempts = [r for r in sim.disconnect_reasons if "Invalid access token" in r]
            info = client.connection_info
            assert len(attempts) == 1
            assert info.state == ConnState.AUTH_INVALID and "Invalid access token or password" in (
                info.last_error or ""
            )
            assert info.next_retry_at is not None
            assert (info.next_retry_at - datetime.now(UTC)).total_seconds() > 55  # the 60 s floor
            assert client.status().state == "failed"


async def test_auth_invalid_recovers_once_the_token_is_accepted() -> None:
    async with running_sim(rate=5) as sim:
        sim.reject_auth(True)
        tuning = replace(FAST, auth_retry_floor_s=0.2)
        async with running_client(ha_config(sim), tuning=tuning) as client:
            await wait_for(
                lambda: client.connection_info.state == ConnState.AUTH_INVALID, what="auth_invalid"
            )
            sim.reject_auth(False)
            await wait_for(lambda: client.connection_info.state == ConnState.CONNECTED, what="reconnect")
            assert client.connection_info.reconnects == 0  # the first successful connection


async def test_coalesced_array_frames_are_handled_without_loss() -> None:
    async with running_sim(rate=3000, record=True) as sim:
        sink = RecordingSink()
        async with running_client(ha_config(sim), sink) as client:
            await wait_for(lambda: len(sink.live) >= 3000, what="3000 live events")
            sim.pause()
            emitted = sim.events_emitted
            first = sink.live[0]["time_fired"]
            expected = {(e, t) for e, t in sim.emitted_log() if t >= first}
            await wait_for(
                lambda: client.reader_stats().events >= len(expected), what="the tail of the stream"
            )
            received = {(e["data"]["entity_id"], e["time_fired"]) for e in sink.live}
            stats = client.reader_stats()
            assert stats.frames < stats.events  # arrays did arrive...
            assert expected <= received  # ...and every event in them was handed on
            assert sim.events_emitted == emitted and stats.unexpected == 0


async def test_ids_strictly_increase_under_50_concurrent_commands() -> None:
    async with running_sim(rate=500) as sim:
        conn = await HAConnection.open(sim.url, TOKEN)
        sent_ids: list[int] = []
        real_send = conn.ws.send

        async def spy(message: Any, text: bool | None = None) -> None:
            sent_ids.append(orjson.loads(message)["id"])
            await asyncio.sleep(0)  # give other senders every chance to interleave
            await real_send(message, text=text)

        conn.ws.send = spy  # type: ignore[method-assign]
        try:
            kinds = [
                "get_config",
                "ping",
                "config/area_registry/list",
                "config/label_registry/list",
                "config/floor_registry/list",
            ]
            requests = [conn.request({"type": kinds[i % len(kinds)]}, 10) for i in range(50)]
            replies = await asyncio.gather(*requests)
        finally:
            await conn.close()
        assert sent_ids == sorted(sent_ids) and len(set(sent_ids)) == 50 and sent_ids[0] == 2  # 1: features
        assert all(r.get("success", True) for r in replies), [
            r for r in replies if not r.get("success", True)
        ]


async def test_results_are_routed_to_their_own_waiters() -> None:
    async with running_sim(rate=2000) as sim:
        conn = await HAConnection.open(sim.url, TOKEN)
        try:
            await conn.subscribe("state_changed", lambda _event: None)
            states, config, areas, floors, pong = await asyncio.gather(
                conn.command({"type": "get_states"}),
                conn.command({"type": "get_config"}),
                conn.command({"type": "config/area_registry/list"}),
                conn.command({"type": "config/floor_registry/list"}),
                conn.request({"type": "ping"}),
            )
        finally:
            await conn.close()
        assert {s["entity_id"] for s in states} == set(sim.home.entities)
        assert config["version"] == sim.config.ha_version
        assert {a["area_id"] for a in areas} == set(sim.home.areas)
        assert {f["floor_id"] for f in floors} == set(sim.home.floors)
        assert pong["type"] == "pong"


async def test_ping_pong_keeps_the_link_and_missing_pongs_reconnect() -> None:
    async with running_sim(rate=20) as sim:
        config = ha_config(sim, ping_interval_s=0.1, pong_timeout_s=0.5)
        async with running_client(config) as client:
            await wait_for(lambda: client.connection_info.synced, what="sync")
            commands_before = client.reader_stats().commands
            await wait_for(
                lambda: client.reader_stats().commands >= commands_before + 5, what="5 pings answered"
            )
            assert client.connection_info.reconnects == 0
            sim.stall_reads(5.0)
            await wait_for(lambda: client.connection_info.reconnects >= 1, what="reconnect after lost pongs")
            await wait_for(
                lambda: client.connection_info.state == ConnState.CONNECTED, what="connected again"
            )
            assert "no pong within 0.5 s" in (client.connection_info.last_error or "")


async def test_reconnects_with_backoff_after_a_dropped_connection() -> None:
    async with running_sim(rate=50) as sim:
        bus = Bus()
        infos = _record(bus)
        async with running_client(ha_config(sim, backoff_initial_s=0.2), bus=bus) as client:
            await wait_for(lambda: client.connection_info.synced, what="sync")
            await sim.drop_connections()
            await wait_for(lambda: client.connection_info.reconnects == 1, what="reconnect")
            await wait_for(lambda: client.connection_info.synced, what="sync again")
        waits = [i for i in infos if i.state == ConnState.BACKING_OFF]
        assert len(waits) == 1 and waits[0].last_error and waits[0].next_retry_at
        assert ConnState.DISCONNECTED in [i.state for i in infos]


async def test_backoff_doubles_while_ha_is_unreachable() -> None:
    bus = Bus()
    infos = _record(bus)
    config = HomeAssistantConfig(url=f"ws://127.0.0.1:{_free_port()}", token=TOKEN)
    config = replace(config, backoff_initial_s=0.05, backoff_max_s=0.4)
    seen: list[float] = []

    def on_info(info: ConnectionInfo) -> None:
        if info.state == ConnState.BACKING_OFF and info.next_retry_at is not None:
            seen.append((info.next_retry_at - datetime.now(UTC)).total_seconds())

    bus.subscribe(Topic.HA_CONNECTION, on_info)
    async with running_client(config, bus=bus):
        await wait_for(lambda: len(seen) >= 6, what="six retries")
    for delay, base in zip(seen, (0.05, 0.1, 0.2, 0.4, 0.4, 0.4), strict=False):
        assert base * 0.85 <= delay <= base * 1.1, seen
    assert "refused" in (infos[-1].last_error or "")


async def test_restart_of_ha_reconnects_and_resyncs() -> None:
    async with running_sim(rate=50, restart_refuse_seconds=0.3) as sim:
        sink = RecordingSink()
        async with running_client(ha_config(sim), sink) as client:
            await wait_for(lambda: client.connection_info.synced, what="sync")
            states_before = len(sink.states)
            await sim.restart()
            await wait_for(lambda: client.connection_info.reconnects == 1, what="reconnect after restart")
            await wait_for(lambda: client.connection_info.synced, what="resync")
            await sim.wait_started()
            assert len(sink.states) > states_before
            assert any(e["data"]["old_state"] is None for e in sink.live)  # the start-up burst came live


async def test_invalid_json_from_server_reconnects() -> None:
    async with running_sim(rate=50) as sim, running_client(ha_config(sim)) as client:
        await wait_for(lambda: client.connection_info.synced, what="sync")
        await sim.send_invalid_json()
        await wait_for(lambda: client.connection_info.reconnects == 1, what="reconnect")
        await wait_for(lambda: client.connection_info.state == ConnState.CONNECTED, what="connected")
        assert client.reader_stats().invalid_json == 1
        assert client.status().counters["invalid_json"] == 1


async def test_unexpected_messages_are_counted_and_the_reader_survives() -> None:
    async with running_sim(rate=50) as sim:
        sink = RecordingSink()
        async with running_client(ha_config(sim), sink) as client:
            await wait_for(lambda: client.connection_info.synced, what="sync")
            for payload in (
                b"[1, 2]",
                b'{"type":"mystery"}',
                b'{"type":"event","id":999,"event":{}}',
                b'"x"',
            ):
                await sim.send_raw(payload)
            await wait_for(lambda: client.reader_stats().unexpected >= 5, what="5 unexpected messages")
            live = len(sink.live)
            await wait_for(lambda: len(sink.live) > live + 3, what="events still flowing")
            assert client.connection_info.reconnects == 0


async def test_registry_events_trigger_a_debounced_refetch() -> None:
    async with running_sim(rate=5) as sim:
        registry, bus = RecordingRegistry(), Bus()
        async with running_client(ha_config(sim), registry=registry, bus=bus) as client:
            await wait_for(lambda: client.connection_info.synced, what="sync")
            device_id = next(d.id for d in sim.home.devices.values() if d.area_id and not d.parent_device_id)
            other = next(a for a in sim.home.areas if a != sim.home.devices[device_id].area_id)
            before = len(registry.snapshots)
            sim.move_device_to_area(device_id, other)
            sim.move_device_to_area(device_id, other)  # no-op or second event: still one re-fetch
            await wait_for(
                lambda: registry.snapshots[-1].devices[device_id].area_id == other, what="new area"
            )
            assert len(registry.snapshots) == before + 1
            assert client.status().counters["registry_refreshes"] == 1


async def test_test_connection_reports_success_and_exact_failures() -> None:
    async with running_sim(rate=5) as sim:
        ok = await HAClient.test_connection(sim.base_url, TOKEN, 5)
        assert ok.ok and ok.ha_version == sim.config.ha_version and ok.entity_count == len(sim.home.entities)
        bad = await HAClient.test_connection(sim.url, "wrong-token", 5)
        assert not bad.ok and bad.error == "Authentication failed: Invalid access token or password"
    refused = await HAClient.test_connection(f"http://127.0.0.1:{_free_port()}", TOKEN, 5)
    assert (
        not refused.ok and refused.error and refused.error.startswith("Connection refused by ws://127.0.0.1:")
    )


async def test_token_never_appears_in_logs_or_status(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, websockets' frame dumps included
    async with running_sim(rate=200) as sim:
        bus = Bus()
        infos = _record(bus)
        sim.reject_auth(True)
        tuning = replace(FAST, auth_retry_floor_s=0.1)
        async with running_client(ha_config(sim, ping_interval_s=0.2), bus=bus, tuning=tuning) as client:
            await wait_for(
                lambda: client.connection_info.state == ConnState.AUTH_INVALID, what="auth_invalid"
            )
            sim.reject_auth(False)
            await wait_for(lambda: client.connection_info.synced, what="sync")
            await sim.drop_connections()
            await wait_for(
                lambda: client.connection_info.reconnects == 1 and client.connection_info.synced, what="re"
            )
            statuses = repr(client.status()) + repr(client.connection_info)
        await HAClient.test_connection(sim.url, TOKEN, 5)
        await HAClient.test_connection(sim.url, TOKEN + "-wrong", 5)
    messages = [record.getMessage() for record in caplog.records]
    assert any("TEXT" in m and "auth" in m for m in messages)  # the auth frames were logged, masked
    assert not [m for m in messages if TOKEN in m]
    assert TOKEN not in caplog.text and TOKEN not in statuses and TOKEN not in repr(infos)
