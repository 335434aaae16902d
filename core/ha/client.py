"""The Home Assistant client engine: connect, authenticate, subscribe, sync, stay alive, reconnect.

After every (re)connect, in this order: subscribe (state_changed + the registry events) so nothing
fired from now on is missed; fetch the registries so rows are enriched; get_states as snapshot rows;
then back-fill the gap since the last stored event from HA's recorder. Live events flow to the
pipeline from the moment of subscribing; the pipeline and store drop what arrives twice.

The start of an unfinished back-fill is persisted in the store's meta table before subscribing and
advanced slice by slice: after a crash or a quit mid back-fill, the store's newest row is a live
event that hides the unfilled part, so the next start resumes from the marker instead. When the
store holds nothing of this HA (a new store, or events of another HA such as the demo home), the
first connection imports its last `initial_backfill_hours` of history.

The token is only ever sent in the auth frame, and only to the configured origin (redirects elsewhere
are refused): it is in no log line (websockets' frame logging
is masked by core.logs, error texts are redacted), not in ConnectionInfo or status.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Protocol

from core.bus import Bus, Topic
from core.config import HomeAssistantConfig
from core.engine import EngineStatus
from core.ha.backfill import Backfiller, BackfillPlan, BackfillResult, Gap, choose_gap, plan_window
from core.ha.backfill_catchup import CatchUp, LiveMarker, wait_for_recorder
from core.ha.backfill_state import BackfillState, MetaStore
from core.ha.backoff import Backoff
from core.ha.conn_check import check_connection
from core.ha.connection import AuthInvalid, HAConnection, HAError, ReaderStats
from core.ha.errors import describe_error
from core.ha.info import (
    ClientTuning,
    ConnectionInfo,
    ConnectionTest,
    ConnState,
    engine_state,
    safe_url,
    status_detail,
)
from core.ha.registry_parse import REGISTRY_EVENTS
from core.ha.registry_sync import RegistrySink, RegistrySync
from core.logs import redact
from core.models import EventSource

log = logging.getLogger(__name__)


class EventSink(Protocol):
    """The pipeline's intake, as the client uses it (sync submits never block)."""

    def submit(self, event: Any, source: EventSource = ..., /) -> object: ...

    def submit_state(self, state: Any, source: EventSource, /) -> object: ...

    def submit_history_row(self, entity_id: str, row: Any, source: EventSource = ..., /) -> object: ...

    async def flush(self) -> object: ...


LastStored = Callable[[], Awaitable[datetime | None]]


def _now() -> datetime:
    return datetime.now(UTC)


class HAClient:
    """Engine "ha_client": one HA WebSocket connection, kept alive forever until stop()."""

    name = "ha_client"

    def __init__(
        self,
        config: HomeAssistantConfig,
        pipeline: EventSink,
        registry: RegistrySink,
        bus: Bus,
        last_stored: LastStored,
        *,
        meta: MetaStore | None = None,
        tuning: ClientTuning | None = None,
    ) -> None:
        self._config = config
        self._pipeline = pipeline
        self._bus = bus
        self._last_stored = last_stored
        self._state = BackfillState(meta)  # without a store, the pending back-fill is kept in memory
        self._tuning = tuning or ClientTuning()
        self._backoff = Backoff(
            config.backoff_initial_s,
            config.backoff_max_s,
            self._tuning.jitter,
            random.Random(self._tuning.seed),
        )
        self._registry = RegistrySync(
            registry,
            bus,
            debounce_s=self._tuning.registry_debounce_s,
            timeout_s=self._tuning.command_timeout_s,
        )
        self._info = ConnectionInfo(url=safe_url(config.websocket_url))
        self._task: asyncio.Task[None] | None = None
        self._conn: HAConnection | None = None
        self._connected_at = 0.0  # monotonic
        self._connections = 0
        self._totals = ReaderStats()
        self._streamed = False  # the last connection delivered events before it ended
        self.backfill_totals = BackfillResult()
        self.snapshot_rows = 0
        self._known_ids: set[str] = set()
        self.subscription_ids: dict[str, int] = {}  # event type -> subscription id on the current connection
        self._started_at: float | None = None
        self._errors = 0
        self._last_error_at: float | None = None
        self._rate_mark = (time.monotonic(), 0)
        self._rate = 0.0  # events/s over the last whole second or more (see status)

    # -- Engine --------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._started_at = time.time()
        self._task = asyncio.create_task(self._run(), name="ha-client")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._update(state=ConnState.STOPPED, connected_since=None, next_retry_at=None, synced=False)

    @property
    def connection_info(self) -> ConnectionInfo:
        return self._info

    async def command(self, msg: dict[str, Any], timeout_s: float | None = None) -> Any:
        """Send one command on the live connection and return its result (other engines ask HA things
        this way, e.g. energy/get_prefs). Raises HAError when not connected, CommandError (an HAError
        with `.code`) when HA answers success=false."""
        conn = self._conn
        if conn is None:
            raise HAError("not connected to Home Assistant")
        return await conn.command(msg, timeout_s or self._tuning.command_timeout_s)

    def reader_stats(self) -> ReaderStats:
        """Totals over every connection so far, including the current one."""
        total = replace(self._totals)
        if self._conn is not None:
            _add_stats(total, self._conn.stats)
        return total

    def status(self) -> EngineStatus:
        info, stats = self._info, self.reader_stats()
        now = time.monotonic()
        mark_t, mark_events = self._rate_mark
        if now - mark_t >= 1.0:
            # Over whole seconds only: the GUI, health and metrics all ask several times a second, and
            # a window of a few ms would read as 0 events/s.
            self._rate = (stats.events - mark_events) / (now - mark_t)
            self._rate_mark = (now, stats.events)
        rate = self._rate
        return EngineStatus(
            name=self.name,
            state=engine_state(info, self._connections),
            detail=status_detail(info),
            started_at=self._started_at,
            last_error=info.last_error,
            last_error_at=self._last_error_at,
            errors=self._errors,
            rates={"events_per_s": rate},
            counters={
                "events": stats.events,
                "frames": stats.frames,
                "invalid_json": stats.invalid_json,
                "unexpected": stats.unexpected,
                "handler_errors": stats.handler_errors,
                "reconnects": info.reconnects,
                "snapshot_rows": self.snapshot_rows,
                "backfill_rows": self.backfill_totals.rows,
                "backfill_requests": self.backfill_totals.requests,
                "backfill_unconfirmed": info.backfill_unconfirmed,
                "registry_refreshes": self._registry.refreshes,
            },
        )

    @staticmethod
    async def test_connection(
        url: str, token: str, timeout: float = 10.0, *, verify_ssl: bool = True, ca_cert: str = ""
    ) -> ConnectionTest:
        """Really connect, authenticate, get_states and close (the GUI's "Test" button)."""
        return await check_connection(url, token, timeout, verify_ssl=verify_ssl, ca_cert=ca_cert)

    # -- the connection loop -------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            auth_failed = False
            try:
                error = str(await self._session())
            except AuthInvalid as err:
                auth_failed, error = True, f"Authentication failed: {err}"
            except Exception as err:  # every failure means: back off and try again, forever
                error = describe_error(err, self._config.token)
                if not isinstance(err, HAError | OSError | TimeoutError):
                    log.warning("HA connection failed unexpectedly", exc_info=True)
            await self._back_off(error, auth_failed)

    async def _back_off(self, error: str, auth_failed: bool) -> None:
        error = redact(error)  # HA's own messages may quote the token (auth_invalid does): never kept
        was_synced = self._info.synced
        if was_synced and time.monotonic() - self._connected_at >= self._tuning.healthy_after_s:
            self._backoff.reset()
        streamed, self._streamed = self._streamed, False
        if streamed and not auth_failed:
            # HA ended a connection that was delivering events: it dropped us for falling behind
            # (its back-pressure limit) or restarted. Waiting longer each time only widens the gap
            # the back-fill must close, so start again at the initial delay, and come back as soon
            # as storage has caught up (see _catch_up): time spent idle here is capacity lost.
            self._backoff.reset()
        floor = self._tuning.auth_retry_floor_s if auth_failed else 0.0
        delay = self._backoff.next_delay(floor)
        if streamed and not auth_failed:
            delay = min(delay, self._tuning.reconnect_after_drop_s)
        self._errors += 1
        self._last_error_at = time.time()
        if self._info.state == ConnState.CONNECTED:
            self._update(state=ConnState.DISCONNECTED, last_error=error, connected_since=None, synced=False)
        state = ConnState.AUTH_INVALID if auth_failed else ConnState.BACKING_OFF
        retry_at = _now() + timedelta(seconds=delay)
        self._update(
            state=state, last_error=error, next_retry_at=retry_at, connected_since=None, synced=False
        )
        log.warning("HA %s: %s; retrying in %.1f s", state.value.replace("_", " "), error, delay)
        if streamed:
            await asyncio.gather(asyncio.sleep(delay), self._catch_up())
        else:
            await asyncio.sleep(delay)

    async def _catch_up(self) -> None:
        """Let storage commit what the lost connection delivered before reconnecting (bounded).

        When HA dropped us for falling behind, reconnecting while the pipeline still holds a
        backlog only adds live events and a back-fill on top of it, and HA drops us again at once;
        the gap this wait adds is back-filled. Planning the gap after it also starts the back-fill
        at the true last event instead of re-reading the rows that were still queued."""
        limit = self._tuning.reconnect_catch_up_s
        started = time.monotonic()
        try:
            async with asyncio.timeout(limit):
                await self._pipeline.flush()
        except TimeoutError:
            log.info("storage still behind after %.0f s; reconnecting anyway", limit)
        except RuntimeError as err:  # the pipeline is stopped (a restart in progress): nothing to wait for
            log.debug("not waiting for storage before reconnecting: %s", err)
        else:
            log.debug("storage caught up in %.2f s before reconnecting", time.monotonic() - started)

    async def _session(self) -> HAError:
        """One connection from connect to loss; returns why it ended, raises if it never came up."""
        gap = await self._plan_gap()
        self._update(state=ConnState.CONNECTING, next_retry_at=None)
        conn = await HAConnection.open(
            self._config.websocket_url,
            self._config.token,
            timeout_s=self._tuning.open_timeout_s,
            yield_every=self._tuning.yield_every,
            verify_ssl=self._config.verify_ssl,
            ca_cert=self._config.ca_cert,
            on_authenticating=lambda: self._update(state=ConnState.AUTHENTICATING),
        )
        self._conn = conn
        pinger = asyncio.create_task(self._ping_loop(conn), name="ha-ping")
        try:
            self._on_connected(conn)
            try:
                await self._sync(conn, gap)
            except HAError:
                if not conn.closed:
                    raise
            return await conn.wait_closed()
        finally:
            pinger.cancel()
            self._registry.detach()
            await conn.close()
            _add_stats(self._totals, conn.stats)
            self._streamed = conn.stats.events > 0
            self._conn = None

    def _on_connected(self, conn: HAConnection) -> None:
        self._connections += 1
        self._connected_at = time.monotonic()
        self._update(
            state=ConnState.CONNECTED,
            ha_version=conn.ha_version or None,
            connected_since=_now(),
            reconnects=max(0, self._connections - 1),
            next_retry_at=None,
            synced=False,
        )
        log.info("connected to Home Assistant %s at %s", conn.ha_version, self._info.url)

    async def _ping_loop(self, conn: HAConnection) -> None:
        """An app-level ping proves HA's event loop answers, not just its socket."""
        interval, timeout = self._config.ping_interval_s, self._config.pong_timeout_s
        while not conn.closed:
            await asyncio.sleep(interval)
            try:
                await conn.ping(timeout)
            except TimeoutError:
                log.warning("no pong from HA within %g s; reconnecting", timeout)
                await conn.close(f"no pong within {timeout:g} s")
                return
            except HAError:
                return

    # -- initial sync --------------------------------------------------------------------------

    async def _sync(self, conn: HAConnection, gap: Gap | None) -> None:
        timeout = self._tuning.command_timeout_s
        # Before subscribing: once live events are stored, only the marker still knows the gap.
        await self._state.save_pending(gap.since if gap is not None else None)
        await self._state.save_instance(self._info.url)
        marker = LiveMarker(self._pipeline.submit)  # notes where the gap ends: the first live event
        self.subscription_ids = {"state_changed": await conn.subscribe("state_changed", marker, timeout)}
        for event_type, registry_name in REGISTRY_EVENTS.items():
            on_event = partial(_registry_event, self._registry, registry_name)
            try:
                self.subscription_ids[event_type] = await conn.subscribe(event_type, on_event, timeout)
            except HAError as err:
                log.warning("cannot follow %s (%s); registry changes need a reconnect", event_type, err)
        await self._registry.fetch_all(conn)
        states = await conn.command({"type": "get_states"}, timeout)
        newest = await self._submit_states(states if isinstance(states, list) else [])
        entity_ids = self._known_entities(states if isinstance(states, list) else [])
        self._update(entity_count=len(states) if isinstance(states, list) else 0)
        await self._backfill(conn, gap, entity_ids, newest, marker)
        self._update(synced=True)

    async def _submit_states(self, states: list[Any]) -> datetime | None:
        """Submit get_states rows as snapshot rows; return the newest last_updated (HA's clock)."""
        submit, yield_every = self._pipeline.submit_state, self._tuning.yield_every
        newest = ""
        for i, state in enumerate(states, 1):
            submit(state, EventSource.SNAPSHOT)
            if isinstance(state, dict):
                lu = state.get("last_updated")
                if isinstance(lu, str) and lu > newest:  # same format and zone: string order is time order
                    newest = lu
            if i % yield_every == 0:
                await asyncio.sleep(0)
        self.snapshot_rows += len(states)
        try:
            return datetime.fromisoformat(newest) if newest else None
        except ValueError:
            return None

    def _known_entities(self, states: list[Any]) -> tuple[str, ...]:
        """Entities to back-fill: those HA has now, plus those of earlier connections (an entity
        removed during the gap has no state any more, but its history still holds the removal)."""
        ids = {s["entity_id"] for s in states if isinstance(s, dict) and isinstance(s.get("entity_id"), str)}
        ids.update(e.entity_id for e in self._registry.snapshot.entities.values() if e.disabled_by is None)
        self._known_ids |= ids
        return tuple(sorted(self._known_ids))

    # -- back-fill -----------------------------------------------------------------------------

    async def _plan_gap(self) -> Gap | None:
        """What to back-fill: from the last stored event, an unfinished back-fill, or (nothing of
        this HA stored) its recent history.

        Read before subscribing: once live events are stored, the store's newest row hides the gap.
        """
        stored, pending = await self._read_last_stored(), None
        same_ha = await self._state.same_instance(self._info.url)
        if same_ha:
            pending = await self._state.load_pending()
        else:
            stored = None  # another HA's events say nothing about this one's gap
        cfg = self._config
        gap = choose_gap(stored, pending, _now(), cfg.backfill_max_hours, cfg.initial_backfill_hours)
        log.debug(
            "gap %s (last stored %s, same HA %s, unfinished back-fill %s)", gap, stored, same_ha, pending
        )
        return gap

    async def _read_last_stored(self) -> datetime | None:
        try:
            stored = await self._last_stored()
        except Exception as err:
            log.warning("cannot read the last stored event time (%s); back-fill limited", err)
            return None
        return stored.replace(tzinfo=UTC) if stored is not None and stored.tzinfo is None else stored

    async def _backfill(
        self,
        conn: HAConnection,
        gap: Gap | None,
        entity_ids: tuple[str, ...],
        ha_now: datetime | None,
        marker: LiveMarker,
    ) -> None:
        tuning = self._tuning
        if gap is None:
            return  # _sync cleared the marker already
        if not entity_ids:
            await self._state.save_pending(None)  # HA has no entity: nothing to fill
            return
        if tuning.backfill_delay_s > 0:
            await asyncio.sleep(tuning.backfill_delay_s)
        # End on HA's clock when it runs ahead of ours; rows already stored live are deduplicated.
        end = max(_now(), (ha_now or _now()) + timedelta(seconds=tuning.backfill_delay_s)) + timedelta(
            seconds=1
        )
        window = plan_window(gap.since, end, gap.max_hours, tuning.backfill_overlap_s)
        if window is not None:
            catchup = await self._wait_for_recorder(conn, marker)
            result = await self._run_backfill(conn, window, entity_ids)
            _log_backfill(gap, window, result)
            if not catchup.caught_up:
                self._update(backfill_unconfirmed=self._info.backfill_unconfirmed + 1)
                _warn_unconfirmed(window, catchup)
        await self._state.save_pending(None)

    async def _wait_for_recorder(self, conn: HAConnection, marker: LiveMarker) -> CatchUp:
        """Wait (bounded) until HA's recorder has written up to the first live event."""
        tuning = self._tuning
        command = partial(conn.command, timeout_s=tuning.command_timeout_s)
        catchup = await wait_for_recorder(
            command, marker, max_wait_s=tuning.backfill_catchup_max_s, poll_s=tuning.backfill_catchup_poll_s
        )
        self._update(last_catchup=catchup)
        return catchup

    async def _run_backfill(
        self, conn: HAConnection, window: tuple[datetime, datetime], entity_ids: tuple[str, ...]
    ) -> BackfillResult:
        tuning = self._tuning
        plan = BackfillPlan(
            window[0], window[1], entity_ids, tuning.backfill_slice_s, tuning.backfill_chunk_entities,
            first_slice_s=tuning.backfill_first_slice_s,
        )  # fmt: skip
        backfiller = Backfiller(partial(conn.command, timeout_s=tuning.command_timeout_s), self._pipeline)
        try:
            # after_chunk flushes, so each slice is stored before the marker moves past it.
            flush, progress = self._pipeline.flush, self._state.save_pending
            return await backfiller.run(plan, after_chunk=flush, on_progress=progress)
        finally:
            _add_backfill(self.backfill_totals, backfiller.result)

    # -- publishing ----------------------------------------------------------------------------

    def _update(self, **changes: Any) -> None:
        info = replace(self._info, **changes)
        if info != self._info:
            self._info = info
            self._bus.publish(Topic.HA_CONNECTION, info)


def _registry_event(sync: RegistrySync, registry_name: str, _event: Any) -> None:
    sync.on_event(registry_name)


def _log_backfill(gap: Gap, window: tuple[datetime, datetime], result: BackfillResult) -> None:
    if gap.initial:
        log.info(
            "imported %d rows of the last %g h of Home Assistant history (no stored events of this HA; "
            "%d requests, from %s)", result.rows, gap.max_hours, result.requests, window[0].isoformat(),
        )  # fmt: skip
        return
    log.info(
        "back-filled %d rows from %s to %s (%d requests, %d start rows skipped)",
        result.rows, window[0].isoformat(), window[1].isoformat(), result.requests, result.start_rows,
    )  # fmt: skip


def _warn_unconfirmed(window: tuple[datetime, datetime], catchup: CatchUp) -> None:
    until = catchup.end.isoformat() if catchup.end else "the reconnect"
    log.warning(
        "the back-fill from %s may miss the gap's last events: HA's recorder had not written up to %s "
        "after %.0f s (backlog %s events)", window[0].isoformat(), until, catchup.waited_s, catchup.backlog,
    )  # fmt: skip


def _add_stats(total: ReaderStats, part: ReaderStats) -> None:
    for name in ReaderStats.__slots__:
        setattr(total, name, getattr(total, name) + getattr(part, name))


def _add_backfill(total: BackfillResult, part: BackfillResult) -> None:
    for name in BackfillResult.__slots__:
        setattr(total, name, getattr(total, name) + getattr(part, name))


__all__ = [
    "ClientTuning",
    "ConnState",
    "ConnectionInfo",
    "ConnectionTest",
    "EventSink",
    "HAClient",
    "LastStored",
    "MetaStore",
    "check_connection",
    "safe_url",
]
