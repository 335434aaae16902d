"""The energy engine: every `refresh_s` it finds the home's meters, brings their history up to date
and computes consumption, cost, carbon, attributions, correlations and recommendations in the store's
read process (`worker.py`: the rows stay there between refreshes), and keeps the result as one
immutable snapshot for the API and the Energy tab.

Home Assistant is asked (through the HA client's live connection) for the energy dashboard's
preferences and its time zone and currency; prices, grid carbon and temperature come from the data
sources engine through the `SlotSource` protocol. Without a price source, the dashboard's price sensor
or fixed price is used, and failing that, costs are unknown (never zero).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.config import EnergyConfig
from core.energy import reader, statistics, worker
from core.energy.analysis import Inputs
from core.energy.appliances import parse_all
from core.energy.binning import local_month_start
from core.energy.convert import price_slots
from core.energy.discovery import Meters, Overrides, choose
from core.energy.model import EnergySnapshot
from core.energy.prefs import EnergyPrefs, parse_prefs
from core.energy.vector import Intervals, Numeric
from core.energy.window import ReadPlan
from core.engine import EngineState, EngineStatus
from core.ha.connection import CommandError, HAError
from core.slots import SeriesKind, Slot, SlotSource
from core.store import EventStore

log = logging.getLogger(__name__)
FIRST_REFRESH_S = 5.0  # after start: the HA client has usually connected and synced by then
FUTURE = timedelta(days=2)  # how far ahead prices and carbon are asked for


class HACommands(Protocol):
    """The one thing the energy engine needs from the HA client."""

    async def command(self, msg: dict[str, Any], timeout_s: float | None = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class HAFacts:
    """What HA told us last: None where it never answered."""

    prefs: EnergyPrefs | None = None
    prefs_state: str = "not asked"  # "set up", "not set up" (not_found), "not asked", "unreachable"
    time_zone: str | None = None
    currency: str | None = None


class EnergyEngine:
    name = "energy"

    def __init__(
        self,
        config: EnergyConfig,
        store: EventStore,
        *,
        ha: Callable[[], HACommands | None] = lambda: None,
        slots: Callable[[], SlotSource | None] = lambda: None,
        first_refresh_s: float = FIRST_REFRESH_S,
    ) -> None:
        self._config = config
        self._store = store
        self._queries = store.queries
        self._ha = ha
        self._slots = slots
        self._first_refresh_s = first_refresh_s
        self._facts = HAFacts()
        self._snapshot: EnergySnapshot | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._started_at: float | None = None
        self._last_error: str | None = None
        self._last_error_at: float | None = None
        self._errors = 0
        self._refreshes = 0
        self._last_cpu_s = 0.0
        self._key = uuid.uuid4().hex  # names this engine's rows in the read process
        self._rows_read = 0
        self._rows_held = False  # the read process holds rows under our key

    # -- Engine ------------------------------------------------------------------------------

    async def start(self) -> None:
        self._started_at = time.time()
        self._task = asyncio.create_task(self._loop(), name="energy-refresh")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._rows_held:  # else there is nothing to forget (and no process to start for it)
            with contextlib.suppress(Exception):  # the store may be closing too: the rows go with it
                await self._store.read_process.call(worker.forget, self._key)
            self._rows_held = False

    def status(self) -> EngineStatus:
        snap = self._snapshot
        counters = {
            "refreshes": self._refreshes,
            "events_analysed": snap.events_read if snap else 0,
            "events_read_last": self._rows_read,  # from the store at the last refresh (new rows only)
        }
        rates = {"refresh_cpu_s": round(self._last_cpu_s, 3)}
        common: dict[str, Any] = {
            "started_at": self._started_at,
            "last_error": self._last_error,
            "last_error_at": self._last_error_at,
            "errors": self._errors,
            "counters": counters,
            "rates": rates,
        }
        if self._task is None:
            return EngineStatus(self.name, EngineState.STOPPED, **common)
        if snap is None:
            state = EngineState.FAILED if self._last_error else EngineState.STARTING
            return EngineStatus(self.name, state, self._last_error or "first analysis pending", **common)
        if not snap.meters.found:
            return EngineStatus(self.name, EngineState.DEGRADED, "no energy sensors found", **common)
        detail = f"meters from {snap.meters.source.value}; analysed {snap.computed_at:%H:%M:%S} UTC"
        return EngineStatus(self.name, EngineState.RUNNING, detail, **common)

    # -- what the API and the tab read -----------------------------------------------------

    @property
    def snapshot(self) -> EnergySnapshot | None:
        """The latest analysis (None until the first one finished)."""
        return self._snapshot

    async def current(self) -> EnergySnapshot:
        """The latest analysis; the first caller before any finished runs it (later ones wait for it)."""
        if self._snapshot is None:
            async with self._lock:
                if self._snapshot is None:
                    await self._refresh_locked(datetime.now(UTC))
        assert self._snapshot is not None
        return self._snapshot

    @property
    def ha_facts(self) -> HAFacts:
        return self._facts

    def request_refresh(self) -> None:
        """Analyse again now instead of at the next interval."""
        self._wake.set()

    def rates(self, kind: SeriesKind, start: datetime, end: datetime) -> list[Slot]:
        """Slots from the data sources engine (empty when it is not running)."""
        source = self._slots()
        return [] if source is None else list(source.slots(kind, start, end))

    # -- the refresh -------------------------------------------------------------------------

    async def _loop(self) -> None:
        delay = self._first_refresh_s
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            self._wake.clear()
            delay = self._config.refresh_s
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as err:  # one bad refresh must not end the engine
                self._errors += 1
                self._last_error, self._last_error_at = f"{type(err).__name__}: {err}", time.time()
                log.exception("energy analysis failed")

    async def refresh(self, now: datetime | None = None) -> EnergySnapshot:
        """Ask HA, update the rows and analyse them (the read process), publish the snapshot."""
        async with self._lock:
            return await self._refresh_locked(now or datetime.now(UTC))

    async def _refresh_locked(self, now: datetime) -> EnergySnapshot:
        await self._ask_ha()
        inputs = await self._inputs(now)
        snapshot, cpu = await self._store.read_process.call(worker.analyse_rows, self._key, inputs)
        self._snapshot, self._last_cpu_s = snapshot, cpu
        self._refreshes += 1
        self._last_error = None
        return snapshot

    async def _ask_ha(self) -> None:
        client = self._ha()
        if client is None:
            if self._facts.prefs_state == "not asked":
                self._facts = HAFacts(prefs_state="unreachable")
            return
        facts = self._facts
        try:
            result = await client.command({"type": "energy/get_prefs"})
            facts = HAFacts(parse_prefs(result), "set up", facts.time_zone, facts.currency)
        except CommandError as err:
            if err.code == "not_found":
                facts = HAFacts(None, "not set up", facts.time_zone, facts.currency)
        except (HAError, TimeoutError):
            facts = HAFacts(
                facts.prefs,
                "unreachable" if facts.prefs is None else facts.prefs_state,
                facts.time_zone,
                facts.currency,
            )
        with contextlib.suppress(HAError, TimeoutError):
            config = await client.command({"type": "get_config"})
            if isinstance(config, dict):
                zone, currency = config.get("time_zone"), config.get("currency")
                facts = HAFacts(
                    facts.prefs,
                    facts.prefs_state,
                    zone if isinstance(zone, str) else facts.time_zone,
                    currency if isinstance(currency, str) else facts.currency,
                )
        self._facts = facts

    def _zone(self) -> tuple[tzinfo, str]:
        for name in (self._config.time_zone, self._facts.time_zone):
            if name:
                with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
                    return ZoneInfo(name), name
        local = datetime.now().astimezone().tzinfo or UTC
        return local, str(local)

    async def _inputs(self, now: datetime) -> Inputs:
        cfg = self._config
        catalogue = await self._queries.run_read(reader.sensor_catalogue)
        overrides = Overrides(
            cfg.grid_import, cfg.grid_export, cfg.mains_power, tuple(cfg.device_meters),
            cfg.solar, cfg.battery_out, cfg.battery_in,
        )  # fmt: skip
        meters = choose(self._facts.prefs, catalogue, overrides)
        tz, tz_name = self._zone()
        # At least this whole local month, for "this month so far" (a 30-day history misses the 1st
        # on the 31st).
        start = min(now - timedelta(days=cfg.history_days), local_month_start(now, tz))
        notes = _meter_notes(meters, self._facts)
        switchables = await self._queries.run_read(reader.switchable_entities) if meters.mains_power else []
        numeric_ids = [*meters.grid_import, *(d.energy for d in meters.devices), *_flows(meters)]
        numeric_ids += [m for m in (meters.mains_power, meters.price_entity) if m]
        numeric_ids = list(dict.fromkeys(numeric_ids))
        resets = [
            eid
            for eid in numeric_ids
            if (info := catalogue.get(eid)) is not None and info.state_class == "total"
        ]
        plan = ReadPlan(tuple(numeric_ids), tuple(switchables), tuple(resets))
        # The rows stay in the store's read process, and the analysis runs there (worker.py).
        request = worker.ReadRequest(self._key, plan, start.timestamp(), time.monotonic())
        self._rows_held = True
        read = await self._store.read_process.call(worker.update, request, meters.price_entity)
        self._rows_read = read.rows_read
        wanted = [*numeric_ids, *switchables]
        names = await self._queries.run_read(lambda c: reader.friendly_names(c, wanted))
        seeds = await self._seed(meters, read.first_reading, start)
        if seeds:
            notes.append("older consumption comes from HA's hourly statistics (even use within each hour)")
        prices, price_note = self._prices(meters, catalogue, read.price_rows, start, now)
        notes += [price_note] if price_note else []
        carbon = self.rates(SeriesKind.CARBON, start, now + FUTURE)
        temperature = self.rates(SeriesKind.TEMPERATURE, start, now)
        if not carbon:
            notes.append("no grid carbon intensity yet: carbon is unknown")
        # No rows here ({}, {}): worker.analyse_rows puts the read process's own in before analysing.
        return Inputs(
            now, tz, tz_name, start, meters, catalogue, {}, {}, seeds, switchables, names,
            prices, carbon, temperature, parse_all(list(cfg.appliances)), tuple(notes),
        )  # fmt: skip

    async def _seed(
        self, meters: Meters, first_reading: dict[str, float], start: datetime
    ) -> dict[str, Intervals]:
        """HA's hourly statistics for the meters whose stored readings begin after `start` (the app
        was installed later): one command for all of them; nothing when HA is not reachable."""
        client = self._ha()
        ids = [*meters.grid_import, *(d.energy for d in meters.devices), *_flows(meters)]
        begins = {
            eid: t
            for eid in ids
            if (t := first_reading.get(eid)) is not None and t > start.timestamp() + 3600
        }
        if client is None or not begins:
            return {}
        end = datetime.fromtimestamp(max(begins.values()), UTC)
        try:
            result = await client.command(statistics.request(list(begins), start, end))
        except (HAError, TimeoutError) as err:
            log.info("no long-term statistics from HA: %s", err)
            return {}
        if not isinstance(result, dict):
            return {}
        seeds = {eid: statistics.intervals(result.get(eid) or [], t) for eid, t in begins.items()}
        return {eid: iv for eid, iv in seeds.items() if len(iv.start)}

    def _prices(
        self,
        meters: Meters,
        catalogue: dict[str, reader.SensorInfo],
        price_rows: Numeric | None,
        start: datetime,
        now: datetime,
    ) -> tuple[list[Slot], str | None]:
        prices = self.rates(SeriesKind.PRICE, start, now + FUTURE)
        if prices:
            return prices, None
        if meters.price_entity and price_rows is not None:
            slots = price_slots(price_rows, catalogue.get(meters.price_entity), now.timestamp())
            return (
                slots,
                f"prices from HA's price sensor {meters.price_entity} (no forecast: no cheapest window)",
            )
        if meters.fixed_price is not None and self._facts.currency:
            step = timedelta(hours=1)
            first = start.replace(minute=0, second=0, microsecond=0)
            hours = int((now + FUTURE - first) / step)
            unit = f"{self._facts.currency}/kWh"
            flat = [
                Slot(first + i * step, first + (i + 1) * step, meters.fixed_price, unit) for i in range(hours)
            ]
            return flat, "a fixed price from HA's energy dashboard: every window costs the same"
        return [], "no electricity prices: costs are unknown"


def _flows(meters: Meters) -> list[str]:
    """The meters besides grid import that the home's own usage needs (only read when it is shown)."""
    if not meters.has_home_usage:
        return []
    return [*meters.grid_export, *meters.solar, *meters.battery_out, *meters.battery_in]


def _meter_notes(meters: Meters, facts: HAFacts) -> list[str]:
    notes = []
    if facts.prefs_state == "not set up":
        notes.append("HA's energy dashboard is not set up: meters were guessed from sensor metadata")
    if not meters.found:
        notes.append("no energy sensors found")
    elif meters.mains_power is None:
        notes.append("no whole-home power sensor: which switch costs what cannot be estimated")
    return notes
