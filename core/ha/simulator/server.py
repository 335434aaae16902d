"""Simulator: the aiohttp server around the demo home, its lifecycle and fault injection."""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from aiohttp import web

from core.ha.simulator import clock, const, registry_ops, rest
from core.ha.simulator.activity import Activity
from core.ha.simulator.bus import EventBus
from core.ha.simulator.command_table import Command
from core.ha.simulator.commands_core import COMMANDS as CORE_COMMANDS
from core.ha.simulator.commands_core import config_dict
from core.ha.simulator.commands_energy import COMMANDS as ENERGY_COMMANDS
from core.ha.simulator.commands_history import COMMANDS as HISTORY_COMMANDS
from core.ha.simulator.commands_recorder import COMMANDS as RECORDER_COMMANDS
from core.ha.simulator.commands_registry import COMMANDS as REGISTRY_COMMANDS
from core.ha.simulator.commands_statistics import COMMANDS as STATISTICS_COMMANDS
from core.ha.simulator.config import SimulatorConfig
from core.ha.simulator.connection import ClientConnection
from core.ha.simulator.demo_home import UNAVAILABLE_FOREVER, DemoHome
from core.ha.simulator.generator import Generator
from core.ha.simulator.history import HistoryStore
from core.ha.simulator.home_layout import populate
from core.ha.simulator.outbox import RawFrame
from core.ha.simulator.startup import Startup
from core.ha.simulator.state_machine import StateMachine
from core.ha.simulator.ulid import UlidFactory

_LOGGER = logging.getLogger(__name__)
_INVALID_JSON = b'{"type":"event","event":{"event_type":"state_changed","data":'


MIN_HISTORY_ROWS = 64


def build_home(config: SimulatorConfig) -> DemoHome:
    """Create the demo home for `config`, with its initial states in place."""
    history = HistoryStore(MIN_HISTORY_ROWS, config.history_max_age)
    bus = EventBus()
    ulids = UlidFactory(random.Random(f"{config.seed}-ulid"))
    states = StateMachine(bus, history, ulids, record=config.record)
    home = DemoHome(bus=bus, states=states, history=history)
    populate(home, config)
    history.set_capacities(_history_capacities(home, config.history_rows))
    now = clock.now_us()
    history.start_run(now)
    home.seed_states(now)
    return home


def _history_capacities(home: DemoHome, total_rows: int) -> dict[str, int]:
    """Share the row budget by pick weight, so chatty and quiet entities keep about the same time span."""
    weights = {entity_id: max(entity.behaviour.weight, 0.05) for entity_id, entity in home.entities.items()}
    total = sum(weights.values())
    return {entity_id: max(MIN_HISTORY_ROWS, int(total_rows * w / total)) for entity_id, w in weights.items()}


def _server_ssl_context(config: SimulatorConfig) -> ssl.SSLContext | None:
    """The server side of TLS from config.tls_cert / tls_key; None serves plain ws:// and http://."""
    if not (config.tls_cert and config.tls_key):
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(config.tls_cert, config.tls_key)
    return context


class Simulator:
    """A Home Assistant WebSocket API server with a live demo home (see the package docstring)."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.time_zone = clock.local_zone("Europe/Berlin")
        self.home = build_home(config)
        self.commands: Mapping[str, Command] = {
            **CORE_COMMANDS, **REGISTRY_COMMANDS, **HISTORY_COMMANDS, **RECORDER_COMMANDS, **ENERGY_COMMANDS,
            **STATISTICS_COMMANDS,
        }  # fmt: skip
        self.disconnect_reasons: list[str] = []
        """Why the server ended connections (HA's log lines), oldest first."""
        self._activity = Activity(self.home, random.Random(f"{config.seed}-activity"), config.rate)
        self._generator = Generator(self._activity, config.rate)
        self._startup = Startup(self.home, self._activity, self._generator, config.startup_grace)
        self._connections: set[ClientConnection] = set()
        self._reject_auth = False
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._ssl: ssl.SSLContext | None = None
        self._port = config.port
        self._started_us = clock.now_us()
        self._restores: dict[str, asyncio.TimerHandle] = {}

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and start generating events; afterwards .url is valid."""
        self._ssl = _server_ssl_context(self.config)
        app = web.Application()
        app.router.add_get(const.URL, self._handle_websocket)
        rest.add_routes(app, self)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        await self._open_site()
        self._started_us = clock.now_us()
        self._generator.start()

    async def stop(self) -> None:
        """Stop generating, disconnect every client (as HA does on stop) and unbind."""
        self._startup.cancel()
        await self._generator.stop()
        for handle in self._restores.values():
            handle.cancel()
        self._restores.clear()
        await self._close_all("Home Assistant is stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner, self._site = None, None

    async def restart(self) -> None:
        """Like an HA restart: drop all clients, refuse connections for a while, then come back STARTING;
        the start-up burst runs on the first state subscription (or after config.startup_grace)."""
        self._startup.begin()
        if self._site is not None:
            await self._site.stop()
            self._site = None
        await self._close_all("Home Assistant is restarting")
        await asyncio.sleep(self.config.restart_refuse_seconds)
        await self._open_site()
        self._startup.arm()

    async def wait_started(self) -> None:
        """Wait for a running start-up burst to finish (tests)."""
        await self._startup.wait()

    @property
    def port(self) -> int:
        """The bound TCP port."""
        return self._port

    @property
    def url(self) -> str:
        """ws://127.0.0.1:PORT/api/websocket (wss:// when serving TLS)"""
        scheme = "wss" if self.config.tls else "ws"
        return f"{scheme}://{self.config.host}:{self._port}{const.URL}"

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT (https:// when serving TLS)"""
        scheme = "https" if self.config.tls else "http"
        return f"{scheme}://{self.config.host}:{self._port}"

    @property
    def events_emitted(self) -> int:
        """state_changed events generated since start (all causes: generator, chains, API, bursts)."""
        return self.home.states.events_emitted

    @property
    def connection_count(self) -> int:
        """WebSocket clients connected now (authenticated or not)."""
        return len(self._connections)

    @property
    def rate(self) -> float:
        """The current generation rate in events per second."""
        return self._generator.rate

    def emitted_log(self) -> list[tuple[str, str]]:
        """(entity_id, new_state.last_updated) per state_changed; needs SimulatorConfig(record=True)."""
        return self.home.states.emitted_log()

    # -- generation control ----------------------------------------------------------------------

    def set_rate(self, rate: float) -> None:
        """Change the rate (1 .. 20000 state_changed events per second)."""
        self._generator.set_rate(rate)

    def pause(self) -> None:
        """Stop generating events; time still flows."""
        self._generator.paused = True

    def resume(self) -> None:
        """Generate events again."""
        self._generator.paused = False

    def trigger_automation_chain(self) -> str:
        """Fire motion -> automation -> light -> follow-up now; returns the root context id."""
        return self._activity.run_chain(0)

    def set_state(
        self,
        entity_id: str,
        state: str,
        attributes: dict[str, Any] | None = None,
        *,
        at: datetime | None = None,
        user_id: str | None = None,
        force_update: bool = False,
    ) -> bool:
        """Write a state directly, like hass.states.async_set (tests); False if nothing changed."""
        states = self.home.states
        current = states.get(entity_id)
        attrs = attributes if attributes is not None else (current.attributes if current else {})
        at_us = clock.from_datetime(at) if at is not None else None
        context = states.new_context(at_us or clock.now_us(), user_id=user_id) if user_id else None
        return states.set(entity_id, state, attrs, None, context, force_update=force_update, at=at_us)

    # -- fault injection -------------------------------------------------------------------------

    async def drop_connections(self) -> None:
        """Abort every client's TCP connection (no close frame)."""
        for conn in list(self._connections):
            conn.abort("Connection dropped (fault injection)")
        await self._wait_detached(2.0)

    def reject_auth(self, reject: bool) -> None:
        """While True every auth attempt gets auth_invalid and is closed."""
        self._reject_auth = reject

    def stall_reads(self, seconds: float) -> None:
        """Stop reading from and writing to every client for `seconds` (pings go unanswered)."""
        for conn in list(self._connections):
            conn.stall(seconds)

    async def send_invalid_json(self) -> None:
        """Send a truncated JSON text frame to every authenticated client."""
        await self.send_raw(_INVALID_JSON)

    async def send_raw(self, payload: bytes | str, *, binary: bool = False) -> None:
        """Send one frame, as is, to every authenticated client (text unless binary=True)."""
        data = payload.encode() if isinstance(payload, str) else payload
        for conn in list(self._connections):
            conn.send(RawFrame(data, binary))
        await asyncio.sleep(0)

    # -- registry mutation -----------------------------------------------------------------------

    def move_device_to_area(self, device_id: str, area_id: str | None) -> None:
        """Move a device (device_registry_updated update, changes {"area_id": old})."""
        registry_ops.move_device_to_area(self.home, device_id, area_id)

    def move_entity_to_area(self, entity_id: str, area_id: str | None) -> None:
        """Set an entity's own area (entity_registry_updated update, changes {"area_id": old})."""
        registry_ops.move_entity_to_area(self.home, entity_id, area_id)

    def rename_entity(
        self, entity_id: str, new_entity_id: str | None = None, *, name: str | None = None
    ) -> str:
        """Rename (user name and/or entity_id); returns the entity_id now in use."""
        result = registry_ops.rename_entity(self.home, entity_id, new_entity_id, name)
        self._activity.rebuild()
        return result

    def remove_entity(self, entity_id: str) -> None:
        """Delete an entity (registry remove event, then state_changed with new_state null)."""
        registry_ops.remove_entity(self.home, entity_id)
        self._activity.rebuild()

    def add_entity(
        self,
        entity_id: str,
        state: str,
        attributes: dict[str, Any] | None = None,
        *,
        device_id: str | None = None,
        area_id: str | None = None,
    ) -> None:
        """Create an entity with a fixed state (registry create event, then old_state null)."""
        registry_ops.add_entity(self.home, entity_id, state, attributes, device_id=device_id, area_id=area_id)
        self._activity.rebuild()

    def remove_device(self, device_id: str) -> None:
        """Delete a device and its entities."""
        registry_ops.remove_device(self.home, device_id)
        self._activity.rebuild()

    def update_area(self, area_id: str, *, name: str | None = None, floor_id: str | None = None) -> None:
        """Rename an area or move it to another floor (area_registry_updated update)."""
        registry_ops.update_area(self.home, area_id, name=name, floor_id=floor_id)

    def remove_area(self, area_id: str) -> None:
        """Delete an area; its devices and entities lose their area first."""
        registry_ops.remove_area(self.home, area_id)

    def set_entity_unavailable(self, entity_id: str, seconds: float) -> None:
        """Make an entity unavailable now and restore its value after `seconds`."""
        entity = self.home.entities[entity_id]
        entity.unavailable_until = UNAVAILABLE_FOREVER
        self.home.write(entity, entity.behaviour.unavailable())
        if (previous := self._restores.pop(entity_id, None)) is not None:
            previous.cancel()
        self._restores[entity_id] = asyncio.get_running_loop().call_later(seconds, self._restore, entity_id)

    def _restore(self, entity_id: str) -> None:
        self._restores.pop(entity_id, None)
        entity = self.home.entities.get(entity_id)
        if entity is not None and entity.unavailable_until == UNAVAILABLE_FOREVER:
            entity.unavailable_until = None
            self.home.write(entity, entity.behaviour.current())

    # -- ConnectionHost --------------------------------------------------------------------------

    @property
    def starting(self) -> bool:
        """True while the simulated HA is starting after restart()."""
        return self._startup.pending

    def auth_rejected(self) -> bool:
        """Return True while reject_auth(True) is in force."""
        return self._reject_auth

    def attach(self, conn: ClientConnection) -> None:
        """Track a new connection."""
        self._connections.add(conn)

    def detach(self, conn: ClientConnection) -> None:
        """Forget a finished connection."""
        self._connections.discard(conn)

    def note_disconnect(self, reason: str) -> None:
        """Remember why a connection ended (the last 100 reasons)."""
        self.disconnect_reasons.append(reason)
        del self.disconnect_reasons[:-100]

    def on_state_subscription(self) -> None:
        """A client subscribed to state changes: a pending start-up burst starts now."""
        self._startup.trigger()

    def history_visible_until(self) -> int:
        """Newest row time the recorder has committed (config.history_commit_interval, recorder_lag)."""
        now = clock.now_us() - int(self.config.recorder_lag * clock.US_PER_S)
        interval = int(self.config.history_commit_interval * clock.US_PER_S)
        if interval <= 0:
            return now
        return now - (now - self._started_us) % interval

    def recorder_backlog(self) -> int:
        """Rows recorded but not committed yet (recorder/info's `backlog`)."""
        return self.home.history.count_after(clock.ts(self.history_visible_until()))

    def config_json(self) -> bytes:
        """GET /api/config body."""
        return orjson.dumps(config_dict(self))

    def states_json(self) -> bytes:
        """GET /api/states body."""
        return b"[" + b",".join(state.json for state in self.home.states.all()) + b"]"

    # -- internals -------------------------------------------------------------------------------

    async def _handle_websocket(self, request: web.Request) -> web.StreamResponse:
        return await ClientConnection(self, request).run()

    async def _open_site(self) -> None:
        assert self._runner is not None
        site = web.TCPSite(
            self._runner, self.config.host, self._port, reuse_address=True, ssl_context=self._ssl
        )
        await site.start()
        self._site = site
        self._port = int(self._runner.addresses[-1][1])
        _LOGGER.debug("simulator listening on %s", self.url)

    async def _close_all(self, reason: str) -> None:
        for conn in list(self._connections):
            conn.kill(reason)
        await self._wait_detached(3.0)

    async def _wait_detached(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._connections and loop.time() < deadline:
            await asyncio.sleep(0.01)
