"""The simulator as an engine ("simulator"): the built-in demo home runs when no Home Assistant URL is
configured, and the HA client connects to it like to a real HA. As an engine it shows on the
Services tab, restarts from there, and the HA client is rewired to it whenever it restarts.
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING

from core.engine import EngineState, EngineStatus
from core.ha.simulator.config import SimulatorConfig
from core.ha.simulator.server import Simulator
from core.logs import register_secret

if TYPE_CHECKING:
    from core.config import SimulatorConfig as SimulatorSettings


class SimulatorEngine:
    name = "simulator"

    def __init__(self, settings: SimulatorSettings) -> None:
        token = secrets.token_urlsafe(24)  # a fresh token per start: nothing to configure, nothing to leak
        register_secret(token)
        self.simulator = Simulator(
            SimulatorConfig(token=token, rate=settings.rate, seed=settings.seed, entities=settings.entities)
        )
        self._started_at: float | None = None

    @property
    def token(self) -> str:
        return self.simulator.config.token

    async def start(self) -> None:
        await self.simulator.start()
        self._started_at = time.time()

    async def stop(self) -> None:
        await self.simulator.stop()
        self._started_at = None

    def status(self) -> EngineStatus:
        running = self._started_at is not None
        return EngineStatus(
            self.name,
            EngineState.RUNNING if running else EngineState.STOPPED,
            detail=f"demo home at {self.simulator.base_url}, {self.simulator.rate:g} events/s"
            if running
            else "",
            started_at=self._started_at,
            rates={"events_per_s": self.simulator.rate} if running else {},
            counters={"emitted": self.simulator.events_emitted},
        )
