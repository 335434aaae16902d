"""The clock that drives Activity: every tick emits rate * elapsed events, in chunks, yielding between."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from core.ha.simulator.activity import Activity
from core.ha.simulator.config import check_rate

_LOGGER = logging.getLogger(__name__)

CHUNK = 256
"""Events produced between two yields to the loop, so writers and readers keep running."""
MAX_BACKLOG_S = 1.0
"""If the loop was blocked, catch up at most this much; older demand is dropped, not burst out."""


def tick_interval(rate: float) -> float:
    """Ticks are 10-100 ms apart: about one event per tick at low rates (cheap), 10 ms at high rates."""
    return min(0.1, max(0.01, 1.0 / rate))


class Generator:
    """Runs Activity at `rate` events per second until stopped; pause() and hold() stop output."""

    def __init__(self, activity: Activity, rate: float) -> None:
        self._activity = activity
        self.rate = check_rate(rate)
        activity.tick.rate = self.rate
        self.paused = False
        """Set by the user (Simulator.pause)."""
        self.held = False
        """Set while the simulated HA restarts."""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start ticking on the running loop."""
        self._task = asyncio.create_task(self._run(), name="sim-generator")

    async def stop(self) -> None:
        """Stop ticking."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def set_rate(self, rate: float) -> None:
        """Change the rate (1 .. 20000 events/s) from the next tick on."""
        self.rate = check_rate(rate)
        self._activity.tick.rate = self.rate

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last, budget = loop.time(), 0.0
        while True:
            await asyncio.sleep(tick_interval(self.rate))
            now = loop.time()
            elapsed, last = now - last, now
            if self.paused or self.held:
                budget = 0.0
                continue
            budget = min(budget + elapsed * self.rate, self.rate * MAX_BACKLOG_S)
            if budget >= 1.0:
                budget -= await self._produce(int(budget))

    async def _produce(self, wanted: int) -> int:
        produced = 0
        while produced < wanted and not (self.paused or self.held):
            made = self._activity.emit(min(CHUNK, wanted - produced))
            if made == 0:
                break  # nothing can change right now (e.g. every entity unavailable)
            produced += made
            if produced < wanted:
                await asyncio.sleep(0)
        # When nothing could be produced, drop the demand instead of letting it pile up.
        return produced or wanted
