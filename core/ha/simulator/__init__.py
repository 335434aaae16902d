"""Built-in Home Assistant simulator: a WebSocket server speaking HA's protocol, with a live demo home.

It is the app's embedded default (a new user without HA sees live data) and the test peer of the HA
client. The protocol details follow docs/home-assistant.md §1 (HA Core 2025.x - 2026.9):
aiohttp's WebSocketResponse(heartbeat=55) like HA, the auth phase, id rules, coalescing, back-pressure
limits, state_changed byte layout, registries, history back-fill and restarts.

    sim = Simulator(SimulatorConfig(port=0, rate=20))
    await sim.start()
    ...  # connect to sim.url with token "sim-token"
    await sim.stop()
"""

from core.ha.simulator.config import SimulatorConfig
from core.ha.simulator.demo_home import DemoHome
from core.ha.simulator.server import Simulator
from core.ha.simulator.spec import SPEC

__all__ = ["SPEC", "DemoHome", "Simulator", "SimulatorConfig"]
