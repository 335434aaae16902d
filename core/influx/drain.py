"""The sender of an engine's own InfluxDB outbox (sports.db, sources.db): the engine puts
line-protocol rows into an outbox table in the same transaction as the data they describe, and this
task drains it oldest first with backoff, through the shared writers (`make_writer`). So an
InfluxDB outage or a crash loses no point, and a row leaves the outbox only after InfluxDB
accepted it. (The event pipeline's own outbox and sender are `outbox.py` and `sender.py`.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Protocol

from core.config import InfluxConfig
from core.influx.errors import InfluxError
from core.influx.writer import InfluxWriter, describe, make_writer

BATCH = 1000


class OutboxStore(Protocol):
    async def influx_batch(self, limit: int) -> list[tuple[int, str]]:
        """The oldest rows, (id, line), at most `limit`."""
        ...

    async def influx_done(self, up_to_id: int) -> None:
        """Delete every row up to this id (InfluxDB accepted them)."""
        ...


class OutboxDrain:
    def __init__(
        self, store: OutboxStore, config: InfluxConfig, *, what: str, logger: logging.Logger
    ) -> None:
        self.store = store
        self.config = config
        self.what = what  # "sports", "data source": for the task name and the log lines
        self.written = 0
        self.last_error: str | None = None
        self._logger = logger
        self._writer: InfluxWriter | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.what.replace(' ', '-')}-influx")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._writer is not None:
            await self._writer.close()
            self._writer = None

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                sent = await self._drain()
                failures, self.last_error = 0, None
                if sent:
                    continue
                wait = 30.0
            except InfluxError as err:
                failures += 1
                self.last_error = describe(err)
                wait = min(300.0, 2.0**failures)
                self._logger.log(
                    logging.WARNING if failures == 1 else logging.DEBUG,
                    "%s points not written to InfluxDB: %s (retry in %.0f s)",
                    self.what,
                    self.last_error,
                    wait,
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
            self._wake.clear()

    async def _drain(self) -> int:
        rows = await self.store.influx_batch(BATCH)
        if not rows:
            return 0
        if self._writer is None:
            writer = make_writer(self.config)
            try:
                await writer.prepare()
            except BaseException:
                await writer.close()
                raise
            self._writer = writer
        started = time.perf_counter()
        await self._writer.write("\n".join(line for _, line in rows).encode())
        await self.store.influx_done(rows[-1][0])
        self.written += len(rows)
        self._logger.debug(
            "%d %s points written in %.0f ms", len(rows), self.what, (time.perf_counter() - started) * 1000
        )
        return len(rows)
