"""Keeps the RegistryCache in step with HA: a full fetch per connection, then debounced re-fetches.

HA's frontend re-fetches a whole registry list, debounced 500 ms, on every *_registry_updated
event; so do we, for only the registries that changed. Each new RegistrySnapshot goes to
registry.update() (enrichment of later events) and to Topic.REGISTRY_UPDATED (GUI, API).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from core.bus import Bus, Topic
from core.ha.connection import CommandError, HAConnection, HAError
from core.ha.registry_parse import REGISTRY_COMMANDS, ParseStats, build_snapshot, replace_registries
from core.models import RegistrySnapshot

log = logging.getLogger(__name__)


class RegistrySink(Protocol):
    def update(self, snapshot: RegistrySnapshot, /) -> object: ...


class RegistrySync:
    def __init__(
        self, registry: RegistrySink, bus: Bus, *, debounce_s: float = 0.5, timeout_s: float = 60.0
    ) -> None:
        self.snapshot = RegistrySnapshot()
        self.stats = ParseStats()
        self.refreshes = 0
        self._registry = registry
        self._bus = bus
        self._debounce_s = debounce_s
        self._timeout_s = timeout_s
        self._conn: HAConnection | None = None
        self._dirty: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    async def fetch_all(self, conn: HAConnection) -> RegistrySnapshot:
        """Fetch every registry on a new connection, publish, and follow changes on it from now on."""
        self.detach()
        raw = await self._fetch(conn, list(REGISTRY_COMMANDS))
        self._conn = conn
        self._publish(build_snapshot(raw, self.stats))
        return self.snapshot

    def on_event(self, registry_name: str) -> None:
        """A *_registry_updated event arrived (called from the reader: only schedules work)."""
        self._dirty.add(registry_name)
        if self._conn is not None and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._refresh_later(self._conn), name="ha-registry-refresh")

    def detach(self) -> None:
        """The connection ended: stop following it (the next one fetches everything anyway)."""
        self._conn = None
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _refresh_later(self, conn: HAConnection) -> None:
        # Events keep arriving during a fetch: loop until a fetch finishes with nothing new dirty.
        while self._dirty and self._conn is conn:
            await asyncio.sleep(self._debounce_s)
            names, self._dirty = sorted(self._dirty), set()
            try:
                raw = await self._fetch(conn, names)
            except (HAError, TimeoutError) as err:
                log.info("registry refresh of %s abandoned: %s", ", ".join(names), err)
                return
            self.refreshes += 1
            self._publish(replace_registries(self.snapshot, raw, self.stats))

    async def _fetch(self, conn: HAConnection, names: list[str]) -> dict[str, Any]:
        results = await asyncio.gather(*(self._fetch_one(conn, n) for n in names))
        return dict(zip(names, results, strict=True))

    async def _fetch_one(self, conn: HAConnection, name: str) -> Any:
        try:
            return await conn.command({"type": REGISTRY_COMMANDS[name]}, self._timeout_s)
        except CommandError as err:
            if err.code != "unknown_command":
                raise
            return []  # HA older than floors/labels (2024.4): an empty registry, not a failure

    def _publish(self, snapshot: RegistrySnapshot) -> None:
        self.snapshot = snapshot
        self._registry.update(snapshot)
        self._bus.publish(Topic.REGISTRY_UPDATED, snapshot)
