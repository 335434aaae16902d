"""The data sources engine: one task per source fetching on its own schedule, a breaker each, the
last data in memory and in sources.db. Nothing here is ever awaited by the ingest path: a provider
that hangs or fails only changes that source's status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from core.config import DataSourcesConfig, InfluxConfig
from core.datasources.choice import base_url, cache_key, choose, provider_for
from core.datasources.influx_out import InfluxOut, slot_lines
from core.datasources.model import (
    Fetched,
    Location,
    NotPublished,
    ProviderError,
    RateLimited,
    Source,
    SourceState,
    SourceStatus,
)
from core.datasources.providers.base import FetchContext
from core.datasources.providers.ha_calendar import HaCalendar
from core.datasources.runner import Runner, runner_status
from core.datasources.schedule import Breaker, Tuning, jittered, next_price_fetch
from core.datasources.store import SourcesStore
from core.engine import EngineState, EngineStatus
from core.logs import redact
from core.slots import SeriesKind, Slot
from core.weather import MAX_AGE, SOURCES_DB, WeatherIndex, observation_from

_LOGGER = logging.getLogger("core.datasources")
KEEP_IN_MEMORY = timedelta(days=2)  # history the tab and the energy engine read; the rest is in SQLite
RETENTION_EVERY_S = 6 * 3600.0
LOCATE_EVERY_S = 30.0
KIND_SOURCE: dict[SeriesKind, Source] = {
    SeriesKind.PRICE: Source.PRICES,
    SeriesKind.CARBON: Source.CARBON,
    SeriesKind.TEMPERATURE: Source.WEATHER,
    SeriesKind.HUMIDITY: Source.WEATHER,
    SeriesKind.WIND_SPEED: Source.WEATHER,
    SeriesKind.PRECIPITATION: Source.WEATHER,
    SeriesKind.AQI: Source.AIR_QUALITY,
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class DataSourcesEngine:
    name = "data_sources"

    def __init__(
        self,
        settings: DataSourcesConfig,
        data_dir: Path,
        location: Location | None,
        *,
        tuning: Tuning | None = None,
        rng: random.Random | None = None,
        demo: Any = None,  # a DemoProviderServer the engine starts and stops (simulator mode)
        locate: Callable[[], Awaitable[Location | None]] | None = None,  # HA's home, polled until found
        calendar: HaCalendar | None = None,  # HA's calendars (needs HA's URL and token)
        ha_config: Callable[[aiohttp.ClientSession], Awaitable[Location | None]] | None = None,
        influx: InfluxConfig | None = None,  # set when InfluxDB is enabled: every fetch's slots go there too
    ) -> None:
        self.settings = settings
        self.location = location
        self.tuning = tuning or Tuning()
        self.store = SourcesStore(data_dir / SOURCES_DB)
        self.demo = demo
        if demo is not None:  # the demo's provider choices (its URLs are known once it listens)
            self.settings = settings = demo.settings_for(settings, "")
        self._rng = rng or random.Random()
        self._session: aiohttp.ClientSession | None = None
        self._started_at: float | None = None
        self._retention_task: asyncio.Task[None] | None = None
        self._locate = locate
        self._locate_task: asyncio.Task[None] | None = None
        self._fetches = 0
        self._failures = 0
        self.weather = WeatherIndex()  # observations, for the weather at an event's time
        self.runners: dict[Source, Runner] = {}
        self.calendar = calendar
        self._ha_config = ha_config  # HA's location (REST /api/config), asked once at start
        self.influx_config = influx
        self.influx: InfluxOut | None = None
        self._influx_primed: set[Source] = set()  # sources whose slots this run queued in full
        self._choose()

    def _choose(self) -> None:
        """A runner per source for the provider the config (or the country, for "auto") picks."""
        chosen = choose(self.settings, self.location, calendar=self.calendar.label if self.calendar else "")
        for source, choice in chosen.items():
            provider = (
                self.calendar if source is Source.CALENDAR and choice.provider else provider_for(choice)
            )
            self.runners[source] = Runner(choice, provider, Breaker(self.tuning, self._rng))

    # -- engine ---------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.demo is not None:
            url = await self.demo.start()
            self.settings = self.demo.settings_for(self.settings, url)
            if self.calendar is not None and not self.settings.calendar_url:
                self.calendar.url = url
        await self.store.open()
        self._influx_primed.clear()
        if self.influx_config is not None:  # drains what a previous run left in the outbox, too
            self.influx = InfluxOut(self.store, self.influx_config)
            self.influx.start()
        self._session = aiohttp.ClientSession()
        if self._ha_config is not None:
            found = await self._ha_config(self._session)
            if found is not None:  # HA's country may change what "auto" picks: choose again
                self.location, self._locate = found, None
                self._choose()
                _LOGGER.info(
                    "data sources: location from Home Assistant (country %s)", found.country or "unknown"
                )
        await self._load_cache()
        self._started_at = time.time()
        for source, runner in self.runners.items():
            if runner.provider is not None:
                runner.task = asyncio.create_task(self._run(source, runner), name=f"datasource-{source}")
        self._retention_task = asyncio.create_task(self._retention(), name="datasource-retention")
        if self._locate is not None:
            self._locate_task = asyncio.create_task(self._find_location(), name="datasource-locate")
        enabled = {s.value: r.choice.provider for s, r in self.runners.items() if r.provider}
        _LOGGER.info("data sources started: %s", enabled or "none enabled")

    async def stop(self) -> None:
        tasks = [r.task for r in self.runners.values() if r.task] + [self._retention_task, self._locate_task]
        for task in tasks:
            if task is not None:
                task.cancel()
        for task in tasks:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for runner in self.runners.values():
            runner.task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self.influx is not None:
            await self.influx.stop()
            self.influx = None
        await self.store.close()
        if self.demo is not None:
            await self.demo.stop()
        self._started_at = None

    def status(self) -> EngineStatus:
        statuses = self.source_statuses()
        enabled = [s for s in statuses if s.enabled]
        bad = [
            s for s in enabled if s.state in (SourceState.ERROR, SourceState.STALE, SourceState.RATE_LIMITED)
        ]
        running = self._started_at is not None
        state = EngineState.STOPPED if not running else EngineState.DEGRADED if bad else EngineState.RUNNING
        detail = ", ".join(f"{s.source.value} {s.state.value}" for s in enabled) or "no source enabled"
        if self.influx is not None and self.influx.last_error:  # points wait in sources.db meanwhile
            detail += f"; InfluxDB: {self.influx.last_error}"
        last = max(
            (s for s in bad if s.last_error_at), key=lambda s: s.last_error_at or utcnow(), default=None
        )
        return EngineStatus(
            self.name,
            state,
            detail=detail,
            started_at=self._started_at,
            last_error=None if last is None else f"{last.source.value}: {last.last_error}",
            last_error_at=None
            if last is None or last.last_error_at is None
            else last.last_error_at.timestamp(),
            errors=self._failures,
            counters={
                "fetches": self._fetches,
                "failures": self._failures,
                "influx_points_written": self.influx.written if self.influx else 0,
            },
        )

    # -- reads (from memory; never wait on a provider) --------------------------------------------

    def slots(self, kind: SeriesKind, start: datetime, end: datetime) -> Sequence[Slot]:
        """SlotSource for the energy engine: the cached slots of `kind` overlapping [start, end)."""
        return self.series(KIND_SOURCE[kind], kind.value, start, end)

    def series(self, source: Source, name: str, start: datetime, end: datetime) -> list[Slot]:
        runner = self.runners.get(source)
        return [] if runner is None else runner.cache.window(name, start, end)

    def series_names(self, source: Source) -> list[str]:
        runner = self.runners.get(source)
        return [] if runner is None else sorted(runner.cache.series)

    def labels(self, source: Source, name: str) -> dict[datetime, str]:
        runner = self.runners.get(source)
        return {} if runner is None else dict(runner.cache.labels.get(name, {}))

    def upcoming_events(self, start: datetime, end: datetime) -> list[tuple[Slot, str, str]]:
        """Calendar events overlapping [start, end): (slot, summary, calendar entity), by start."""
        runner = self.runners[Source.CALENDAR]
        found = [
            (slot, runner.cache.labels.get(entity, {}).get(slot.start, ""), entity)
            for entity in runner.cache.series
            for slot in runner.cache.window(entity, start, end)
        ]
        return sorted(found, key=lambda f: f[0].start)

    def current(self, source: Source) -> dict[str, Any]:
        runner = self.runners.get(source)
        return {} if runner is None else dict(runner.cache.current)

    async def history(self, source: Source, name: str, start: datetime, end: datetime) -> list[Slot]:
        """Older than memory holds: from sources.db."""
        return await self.store.range(source, name, start, end)

    def source_statuses(self) -> list[SourceStatus]:
        return [self.source_status(s) for s in Source]

    def source_status(self, source: Source) -> SourceStatus:
        return runner_status(source, self.runners[source], utcnow(), demo=self.demo is not None)

    # -- fetching -------------------------------------------------------------------------------

    async def test(self, source: Source) -> SourceStatus:
        """The Test button: fetch now (outside the schedule and the breaker) and report."""
        runner = self.runners[source]
        if runner.provider is not None:
            await self._fetch(source, runner)
        return self.source_status(source)

    def set_location(self, location: Location) -> None:
        """A location learned after start (Home Assistant's config); takes effect on the next fetch."""
        self.location = location

    def fetch_soon(self, source: Source) -> None:
        """Fetch this source now, outside its schedule (a location or a key just changed)."""
        runner = self.runners[source]
        runner.next_fetch = utcnow()
        runner.wake.set()

    async def _run(self, source: Source, runner: Runner) -> None:
        while True:
            now = utcnow()
            due = runner.next_fetch or now
            if due > now and not runner.wake.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(runner.wake.wait(), (due - now).total_seconds())
                if not runner.wake.is_set() and utcnow() < due:
                    continue
            runner.wake.clear()
            await self._fetch(source, runner)

    async def _fetch(self, source: Source, runner: Runner) -> None:
        assert runner.provider is not None and self._session is not None
        async with runner.fetching:
            now = utcnow()
            ctx = FetchContext(
                self._session,
                self.location or Location(None, None),
                self.settings,
                base_url(runner.provider, self.settings, self.location),
                now,
            )
            self._fetches += 1
            try:
                fetched = await runner.provider.fetch(ctx)
            except ProviderError as err:
                await self._failed(source, runner, err, now)
            except Exception as err:  # a parser bug must not kill the source's task
                _LOGGER.exception("data source %s: unexpected error", source.value)
                await self._failed(source, runner, ProviderError(f"{type(err).__name__}: {err}"), now)
            else:
                await self._succeeded(source, runner, fetched, now)

    async def _succeeded(self, source: Source, runner: Runner, fetched: Fetched, now: datetime) -> None:
        assert runner.provider is not None
        lines: list[str] = []
        if self.influx is not None:  # the first fetch of a run sends all (InfluxDB may be new to it)
            known = runner.cache if source in self._influx_primed else None
            lines = slot_lines(source, runner.choice.provider, fetched, known)
        try:  # saved before the status says "ok", so an "ok" source is also on disk
            await self.store.save_fetch(source, self._cache_key(source), fetched, now.timestamp(), lines)
        except Exception:  # the disk cache is a convenience; the data is in memory
            _LOGGER.exception("data source %s: could not save to %s", source.value, SOURCES_DB)
        else:
            self._influx_primed.add(source)
            if self.influx is not None and lines:
                self.influx.wake()
        if source is Source.WEATHER:
            await self._observed(fetched, runner.provider.name, now)
        runner.cache.merge(fetched)
        runner.cache.trim(now - KEEP_IN_MEMORY)
        runner.breaker.success()
        runner.last_success, runner.last_error, runner.waiting = now, None, None
        runner.rate_limited_until = None
        runner.next_fetch = self._next_after_success(runner, now)
        _LOGGER.debug(
            "data source %s: %d slots from %s", source.value, fetched.slot_count, runner.provider.name
        )

    async def _observed(self, fetched: Fetched, provider: str, now: datetime) -> None:
        obs = observation_from(fetched.current, provider)
        if obs is None:
            return
        self.weather.add(obs)
        self.weather.trim(now - KEEP_IN_MEMORY)
        try:
            await self.store.save_observation(obs)
        except Exception:
            _LOGGER.exception("data sources: could not save a weather observation")

    def weather_at(self, moment: datetime) -> Mapping[str, Any]:
        """The `weather_*` fields for an event fired at `moment` (nulls when none or stale): from
        memory, a binary search (`weather_for` reads older ones from sources.db)."""
        return self.weather.fields_at(moment)

    async def weather_for(self, times: Sequence[datetime]) -> list[Mapping[str, Any]]:
        """The `weather_*` fields for events fired at `times` (a page of the events API, an export
        batch): from memory when they are recent, else one read of sources.db for their span."""
        if not times:
            return []
        oldest = min(times)
        index = self.weather
        if oldest < utcnow() - KEEP_IN_MEMORY + MAX_AGE:
            index = WeatherIndex(await self.store.observations_around(oldest, max(times)))
        return [index.fields_at(t) for t in times]

    async def _failed(self, source: Source, runner: Runner, err: ProviderError, now: datetime) -> None:
        assert runner.provider is not None
        message = redact(str(err))[:300]
        runner.next_fetch = runner.breaker.failure(err, now)
        if isinstance(err, NotPublished):
            runner.waiting = message
            runner.last_error = None
        else:
            self._failures += 1
            runner.last_error, runner.last_error_at = message, now
            if isinstance(err, RateLimited):
                runner.rate_limited_until = runner.next_fetch
            _LOGGER.warning(
                "data source %s (%s) failed: %s; next try %s",
                source.value,
                runner.provider.name,
                message,
                runner.next_fetch.isoformat(timespec="seconds"),
            )
        try:
            await self.store.save_failure(source, self._cache_key(source), message, now.timestamp())
        except Exception as err:  # the failure is in memory and on screen; only its record on disk is lost
            _LOGGER.warning(
                "data source %s: could not record the failure in sources.db: %s", source.value, err
            )

    def _next_after_success(self, runner: Runner, now: datetime) -> datetime:
        assert runner.provider is not None
        if runner.choice.source is Source.PRICES:
            when = next_price_fetch(runner.provider.name, runner.cache.covered_until("price"), now)
            if when is None:  # published time passed, tomorrow still missing: the retry window
                return now + timedelta(seconds=jittered(self.tuning.price_retry_s, self.tuning, self._rng))
            # spread installs over 5 minutes after publication
            return when + timedelta(seconds=self._rng.uniform(0, 300))
        period = runner.provider.interval.total_seconds()
        return now + timedelta(seconds=jittered(period, self.tuning, self._rng))

    def _cache_key(self, source: Source) -> str:
        return cache_key(source, self.runners[source].choice.provider, self.settings, self.location)

    async def _load_cache(self) -> None:
        """Serve the last data at once; schedule from the last success, so a restart does not refetch."""
        states = await self.store.fetch_states()
        now = utcnow()
        changed = [s for s, st in states.items() if st.provider != self._cache_key(s)]
        if changed:
            await self.store.forget(changed)
        for source, runner in self.runners.items():
            state = states.get(source)
            if state is None or source in changed or runner.provider is None:
                continue
            if source is Source.WEATHER:
                for obs in await self.store.observations(now - KEEP_IN_MEMORY, now + timedelta(days=1)):
                    self.weather.add(obs)
            series, labels = await self.store.load(source, now - KEEP_IN_MEMORY)
            runner.cache.series, runner.cache.labels = series, labels
            runner.cache.current = dict(state.current)
            if state.last_success is not None:
                runner.last_success = datetime.fromtimestamp(state.last_success, UTC)
                due = self._next_after_success(runner, runner.last_success)
                runner.next_fetch = due if due > now else now
            if state.last_error and (state.last_attempt or 0) > (state.last_success or 0):
                runner.last_error = state.last_error
                runner.last_error_at = datetime.fromtimestamp(state.last_attempt or 0, UTC)

    async def _find_location(self) -> None:
        """Until Home Assistant's home zone is stored, look for it every LOCATE_EVERY_S."""
        assert self._locate is not None
        while True:
            try:
                found = await self._locate()
            except Exception:
                _LOGGER.exception("data sources: could not read Home Assistant's location")
                found = None
            if found is not None:
                self.set_location(found)
                _LOGGER.info("data sources: using Home Assistant's home location")
                for source in (Source.WEATHER, Source.AIR_QUALITY):
                    if self.runners[source].provider is not None:
                        self.fetch_soon(source)
                return
            await asyncio.sleep(LOCATE_EVERY_S)

    async def _retention(self) -> None:
        while True:
            try:
                removed = await self.store.apply_retention(self.settings.retention_days)
                if removed:
                    _LOGGER.info("data sources retention: removed %d old slots", removed)
            except Exception:
                _LOGGER.exception("data sources retention failed")
            await asyncio.sleep(RETENTION_EVERY_S)
