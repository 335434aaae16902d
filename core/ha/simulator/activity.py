"""Turns "make N events" into entity updates: weighted picks, behaviours, outages, automation chains.

All randomness is drawn per event in a fixed order from one seeded Random, and durations are counted in
events, so for a given seed and rate the sequence of (entity_id, state) is the same on every run no matter
how the ticks fall.
"""

from __future__ import annotations

import bisect
import itertools
import random

from core.ha.simulator.automations import ChainRunner
from core.ha.simulator.behaviours import Tick
from core.ha.simulator.demo_home import Chain, DemoHome, SimEntity

OUTAGES_PER_MINUTE = 1.0
"""Spontaneous outages (5-60 s each) per minute across the home, whatever the rate."""
CHAIN_CHANCE = 0.6
"""Chance that motion turning on at a chain's sensor runs its automation chain."""


class Activity:
    """The event producer of one demo home."""

    def __init__(
        self, home: DemoHome, rng: random.Random, rate: float, *, origin_us: int | None = None
    ) -> None:
        """`origin_us` puts the home on a virtual clock starting there (see Tick.origin_us)."""
        self._home = home
        self._rng = rng
        self.tick = Tick(0, rate, origin_us)
        self._chains = ChainRunner(home, rng)
        self._pool: list[SimEntity] = []
        self._cumulative: list[float] = []
        self._chain_by_motion: dict[str, Chain] = {}
        self._users = list(home.users.values())
        self.rebuild()

    def rebuild(self) -> None:
        """Refresh the weighted pick list after entities were added or removed."""
        self._pool = [entity for entity in self._home.entities.values() if entity.behaviour.weight > 0]
        self._cumulative = list(itertools.accumulate(entity.behaviour.weight for entity in self._pool))
        self._chain_by_motion = {chain.motion: chain for chain in self._home.chains}

    def emit(self, count: int) -> int:
        """Produce at least `count` state_changed events (a chain may add a few more); returns how many."""
        produced, attempts = 0, 0
        # Picks that write nothing (motion still on, a repeated value) cost an attempt, not an event;
        # the cap keeps a home of idle entities from spinning forever.
        while produced < count and attempts < 8 * count + 16 and self._pool:
            attempts += 1
            produced += self._advance(self._pick())
        return produced

    def run_chain(self, index: int = 0) -> str:
        """Fire automation chain `index` now; returns its root context id."""
        root, events = self._chains.run(self._home.chains[index], self.tick)
        self.tick.index += events
        return root

    def _pick(self) -> SimEntity:
        total = self._cumulative[-1]
        index = bisect.bisect_right(self._cumulative, self._rng.random() * total)
        return self._pool[min(index, len(self._pool) - 1)]

    def _advance(self, entity: SimEntity) -> int:
        tick, rng, behaviour = self.tick, self._rng, entity.behaviour
        if entity.unavailable_until is not None:
            if tick.index < entity.unavailable_until:
                return 0
            entity.unavailable_until = None
            return self._count(self._home.write(entity, behaviour.current()))
        if entity.can_fail and rng.random() < OUTAGES_PER_MINUTE / 60.0 / tick.rate:
            entity.unavailable_until = tick.after(rng.uniform(5.0, 60.0))
            return self._count(self._home.write(entity, behaviour.unavailable()))
        reading = behaviour.step(rng, tick)
        if reading is None:
            return 0
        chain = self._chain_by_motion.get(entity.entity_id)
        if chain is not None and reading.state == "on" and rng.random() < CHAIN_CHANCE:
            _, events = self._chains.run(chain, tick, motion_on=reading)
            tick.index += events
            return events
        user = rng.choice(self._users) if reading.by_user else None
        return self._count(self._home.write(entity, reading, user))

    def _count(self, fired: bool) -> int:
        if fired:
            self.tick.index += 1
            return 1
        return 0
