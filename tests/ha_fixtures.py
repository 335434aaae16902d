"""Helpers for the HA client tests: a running simulator, a client, the full ingest stack, polling.

Context managers rather than conftest fixtures, imported explicitly, so each test shows what runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from core.bus import Bus
from core.config import HomeAssistantConfig, StorageConfig
from core.ha.client import ClientTuning, HAClient
from core.ha.simulator import Simulator, SimulatorConfig
from core.models import EventSource, RegistrySnapshot
from core.store.codec import parse_time_us

T = TypeVar("T")
TOKEN = "sim-token-5d1f0c9e7b"  # distinctive, so a leak is unmistakable in captured logs

# Short everything; the auth floor stays long on purpose (tests assert it is respected).
FAST = ClientTuning(
    auth_retry_floor_s=60.0,
    healthy_after_s=0.0,
    open_timeout_s=5.0,
    command_timeout_s=30.0,
    registry_debounce_s=0.1,
    backfill_delay_s=0.0,
    seed=1,
)


async def wait_for(condition: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    """Poll `condition` until it holds; fail with `what` after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.01)


async def eventually(
    probe: Callable[[], Awaitable[T | None]], timeout: float = 15.0, what: str = "result"
) -> T:
    """Await `probe` until it returns something other than None (or fail after `timeout`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (result := await probe()) is None:
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.02)
    return result


@asynccontextmanager
async def running_sim(**overrides: Any) -> AsyncIterator[Simulator]:
    sim = Simulator(SimulatorConfig(**{"token": TOKEN, **overrides}))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def ha_config(sim: Simulator, **overrides: Any) -> HomeAssistantConfig:
    base = HomeAssistantConfig(
        url=sim.url,
        token=TOKEN,
        ping_interval_s=30.0,
        pong_timeout_s=10.0,
        backoff_initial_s=0.05,
        backoff_max_s=0.5,
    )
    return replace(base, **overrides)


class RecordingSink:
    """Stands in for the pipeline where only the client's behaviour matters."""

    def __init__(self) -> None:
        self.live: list[Any] = []
        self.states: list[Any] = []
        self.history: list[tuple[str, Any]] = []
        self.flushes = 0

    def submit(self, event: Any, source: EventSource = EventSource.LIVE) -> bool:
        self.live.append(event)
        return True

    def submit_state(self, state: Any, source: EventSource = EventSource.SNAPSHOT) -> bool:
        self.states.append(state)
        return True

    def submit_history_row(
        self, entity_id: str, row: Any, source: EventSource = EventSource.BACKFILL
    ) -> bool:
        self.history.append((entity_id, row))
        return True

    async def flush(self) -> None:
        self.flushes += 1


class RecordingRegistry:
    def __init__(self) -> None:
        self.snapshots: list[RegistrySnapshot] = []

    def update(self, snapshot: RegistrySnapshot) -> None:
        self.snapshots.append(snapshot)


async def no_last_stored() -> datetime | None:
    return None


@asynccontextmanager
async def running_client(
    config: HomeAssistantConfig,
    sink: Any = None,
    *,
    registry: Any = None,
    bus: Bus | None = None,
    last_stored: Any = no_last_stored,
    tuning: ClientTuning = FAST,
) -> AsyncIterator[HAClient]:
    client = HAClient(
        config,
        sink or RecordingSink(),
        registry or RecordingRegistry(),
        bus or Bus(),
        last_stored,
        tuning=tuning,
    )
    await client.start()
    try:
        yield client
    finally:
        await client.stop()


@dataclass
class Stack:
    """Client + pipeline + store + registry on one bus, in this process."""

    bus: Bus
    store: Any
    registry: Any
    pipeline: Any
    data_dir: Path

    def client(self, config: HomeAssistantConfig, tuning: ClientTuning = FAST) -> HAClient:
        return HAClient(
            config, self.pipeline, self.registry, self.bus, self.store.queries.last_time_fired, tuning=tuning
        )


@asynccontextmanager
async def ingest_stack(data_dir: Path, storage: StorageConfig | None = None) -> AsyncIterator[Stack]:
    from core.pipeline.pipeline import Pipeline
    from core.pipeline.registry import RegistryCache
    from core.store import EventStore

    storage = storage or StorageConfig(data_dir=str(data_dir))
    bus = Bus()
    store = await EventStore.open(data_dir, config=storage, retention=False)
    registry = RegistryCache()
    pipeline = Pipeline(storage, store, registry, bus)
    await pipeline.start()
    try:
        yield Stack(bus, store, registry, pipeline, data_dir)
    finally:
        await pipeline.stop()
        await store.close()


def stored_rows(db_path: Path) -> list[tuple[str, int, int]]:
    """(entity_id, time_us, source code) of every stored event, read straight from SQLite."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        sql = (
            "SELECT e.entity_id, ev.time_us, ev.source FROM events ev JOIN entity_ids e ON e.id = entity_key"
        )
        return [(str(a), int(b), int(c)) for a, b, c in conn.execute(sql)]
    finally:
        conn.close()


def emitted_keys(sim: Simulator) -> list[tuple[str, int]]:
    """(entity_id, time_us) of every state_changed the simulator emitted (SimulatorConfig(record=True))."""
    return [(entity_id, parse_time_us(lu)) for entity_id, lu in sim.emitted_log()]
