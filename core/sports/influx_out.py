"""Sports in InfluxDB (measurement `sports`), when InfluxDB is enabled: the poll puts line-protocol
rows into an outbox table of sports.db in the same transaction as the timeline and the events, and
this task drains it oldest first with backoff. So an InfluxDB outage or a crash loses no point, and
a point is deleted from the outbox only after InfluxDB accepted it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from core.config import InfluxConfig
from core.influx.errors import InfluxError
from core.influx.line import escape_measurement
from core.influx.writer import InfluxWriter, describe, make_writer
from core.sports.model import Game
from core.sports.store import SportsStore

_LOGGER = logging.getLogger("core.sports.influx")
MEASUREMENT = "sports"
BATCH = 1000


def _tag(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ") or "none"


def _string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def game_line(game: Game, observed_at: float, event: str | None = None) -> str:
    """One point: the game's state and scores when observed (and the event type, for event points)."""
    tags = (
        f"league={_tag(game.league)},game_id={_tag(game.game_id)},home={_tag(game.home.abbr)},"
        f"away={_tag(game.away.abbr)},kind={'event' if event else 'state'}"
    )
    fields = [f"state={_string(str(game.state))}", f"period={game.period}i", f"clock={_string(game.clock)}"]
    if game.home.score is not None and game.away.score is not None:
        fields += [f"home_score={game.home.score}i", f"away_score={game.away.score}i"]
    if event:
        fields.append(f"event={_string(event)}")
    return f"{escape_measurement(MEASUREMENT)},{tags} {','.join(fields)} {int(observed_at * 1e9)}"


class InfluxOut:
    def __init__(self, store: SportsStore, config: InfluxConfig) -> None:
        self.store = store
        self.config = config
        self.written = 0
        self.last_error: str | None = None
        self._writer: InfluxWriter | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sports-influx")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._writer is not None:
            await self._writer.close()

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
                _LOGGER.log(
                    logging.WARNING if failures == 1 else logging.DEBUG,
                    "sports points not written to InfluxDB: %s (retry in %.0f s)",
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
        _LOGGER.debug(
            "%d sports points written in %.0f ms", len(rows), (time.perf_counter() - started) * 1000
        )
        return len(rows)
