"""A restart of the simulated HA: the state machine empties, then refills in a start-up burst.

As in HA, every entity reappears with old_state null; entities of slow integrations ("restores") first
appear as unavailable with restored: true and get their real value at the end of the burst.
"""

from __future__ import annotations

import asyncio
import contextlib

from core.ha.simulator import clock, const
from core.ha.simulator.activity import Activity
from core.ha.simulator.demo_home import DemoHome
from core.ha.simulator.generator import Generator

BURST_CHUNK = 250
BURST_PAUSE = 0.01
"""Seconds between chunks: the burst runs at about 25k events/s, leaving the writers room to drain."""


class Startup:
    """Tracks the pending start-up burst after a restart."""

    def __init__(self, home: DemoHome, activity: Activity, generator: Generator, grace: float) -> None:
        self._home = home
        self._activity = activity
        self._generator = generator
        self._grace = grace
        self.pending = False
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    def begin(self) -> None:
        """HA stopped: hold the generator and forget all states (no events: the process is gone)."""
        self.cancel()
        self._generator.held = True
        self._home.states.clear()
        for entity in self._home.entities.values():
            entity.unavailable_until = None
        self.pending = True

    def arm(self) -> None:
        """HA is back (STARTING): a new recorder run begins; the burst waits for a state subscriber."""
        self._home.history.start_run(clock.now_us())
        self._timer = asyncio.get_running_loop().call_later(self._grace, self.trigger)

    def trigger(self) -> None:
        """Start the burst now, if one is pending and not already running."""
        if self.pending and self._task is None:
            self._task = asyncio.create_task(self._burst(), name="sim-startup-burst")

    def cancel(self) -> None:
        """Abandon a pending or running burst."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def wait(self) -> None:
        """Wait until a running burst has finished."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._task)

    async def _burst(self) -> None:
        home = self._home
        entities = list(home.entities.values())
        written = 0
        for entity in entities:
            reading = entity.behaviour.restored() if entity.restores else entity.behaviour.current()
            written += home.write(entity, reading)
            if written % BURST_CHUNK == 0:
                await asyncio.sleep(BURST_PAUSE)
        for entity in entities:
            if entity.restores:
                written += home.write(entity, entity.behaviour.current())
        now = clock.now_us()
        home.bus.fire(const.EVENT_HOMEASSISTANT_STARTED, {}, home.states.new_context(now), now)
        self._activity.tick.index += written
        self.pending = False
        self._generator.held = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
