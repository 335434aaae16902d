"""The alert engine ("alerts"): evaluates the rules in core.alerts.rules on real runtime state every
few seconds, raises an alert when a condition starts, clears it when the condition ends, and keeps
every alert with its history in alerts.db. Every raise/ack/resolve is published on Topic.ALERT
(payload: the `Alert` record; its `state` says which).

A manually resolved alert whose condition is still true is not raised again until the condition
has ended once: otherwise "resolve" would be undone five seconds later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from core.alerts.rules import AlertThresholds, Finding, Observation, evaluate
from core.alerts.store import ALERTS_DB, Alert, AlertStore, HistoryEntry
from core.bus import Topic, Unsubscribe
from core.engine import EngineRole, EngineSpec, EngineState, EngineStatus
from core.influx.spec import SPEC as INFLUX
from core.logs import redact

if TYPE_CHECKING:
    from core.deps import Deps
    from core.ha.info import ConnectionInfo
    from core.influx.status import InfluxStatus

_LOGGER = logging.getLogger(__name__)
DETAIL_REFRESH_S = 60.0  # how often an open alert's message ("down for N s") is rewritten


class AlertEngine:
    name = "alerts"

    def __init__(
        self,
        deps: Deps,
        *,
        thresholds: AlertThresholds | None = None,
        interval_s: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.deps = deps
        self.thresholds = thresholds or AlertThresholds()
        self.interval_s = interval_s
        self._clock = clock
        self.store = AlertStore(deps.data_dir / ALERTS_DB)
        self._open: dict[str, Alert] = {}
        self._suppressed: set[str] = set()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: list[Unsubscribe] = []
        self._started_at: float | None = None
        self._raised = 0
        self._errors = 0
        self._last_error: str | None = None
        self._ha_down_since: float | None = None
        self._last_event_at: float | None = None
        self._stored_seen = -1
        self._influx: tuple[float, InfluxStatus] | None = None  # (received at, status)
        self._check_failures: dict[str, str] = {}  # check name -> why it could not run this pass

    # -- engine ---------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.open()
        self._open = {a.rule: a for a in await self.store.open_alerts()}
        bus = self.deps.bus
        self._unsubscribe = [
            bus.subscribe(Topic.HA_CONNECTION, self._on_ha),
            bus.subscribe(Topic.INFLUX_STATUS, self._on_influx),
        ]
        self._started_at = self._clock()
        self._task = asyncio.create_task(self._run(), name="alert-rules")

    async def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.store.close()

    def status(self) -> EngineStatus:
        state = EngineState.RUNNING if self._task is not None else EngineState.STOPPED
        detail = f"{len(self._open)} open" if self._task is not None else ""
        if self._check_failures and state is EngineState.RUNNING:
            # A check that cannot run must never read as "nothing wrong".
            state = EngineState.DEGRADED
            detail += "; failing checks: " + ", ".join(sorted(self._check_failures))
        return EngineStatus(
            self.name,
            state,
            detail=detail,
            started_at=self._started_at,
            last_error=self._last_error,
            errors=self._errors,
            counters={"open": len(self._open), "raised": self._raised},
        )

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.evaluate()
            except Exception as err:  # a failing rule pass must not stop the next one
                self._errors += 1
                self._last_error = redact(f"{type(err).__name__}: {err}")
                _LOGGER.exception("alert evaluation failed")

    # -- bus ------------------------------------------------------------------------------------

    def _on_ha(self, info: ConnectionInfo) -> None:
        if info.state == "connected":
            self._ha_down_since = None
        elif self._ha_down_since is None:
            self._ha_down_since = self._clock()

    def _on_influx(self, status: InfluxStatus) -> None:
        self._influx = (self._clock(), status)

    # -- evaluation -----------------------------------------------------------------------------

    async def observe(self) -> Observation:
        """Gather the real state every rule reads, once."""
        now = self._clock()
        info = self.deps.control.connection_info()
        ha_state = str(info.state) if info is not None else None
        if ha_state is None or ha_state == "connected":
            self._ha_down_since = None
        elif self._ha_down_since is None:
            self._ha_down_since = self._started_at or now
        connected_since = info.connected_since if info is not None else None
        self._note_stored(now)
        age, depth = self._outbox(now)
        return Observation(
            now=now,
            ha_state=ha_state,
            ha_down_since=self._ha_down_since,
            ha_connected_since=connected_since.timestamp() if connected_since is not None else None,
            ha_last_error=_last_error(info),
            last_event_at=self._last_event_at,
            outbox_oldest_age_s=age,
            outbox_depth=depth,
            quarantined=await self._quarantined(),
            disk_free_bytes=_disk_free(self.deps.data_dir),
            data_dir=str(self.deps.data_dir),
            loop_lag_p99_ms=self._loop_lag_p99(),
            failing_checks=tuple(sorted(self._check_failures.items())),
            backfill_unconfirmed=_backfill_unconfirmed(info),
            events_quarantined=stats.quarantined if (stats := self.deps.control.pipeline_stats()) else 0,
        )

    def _note_stored(self, now: float) -> None:
        """Track the last time the stored count moved. Subscribing to EVENTS_STORED instead would make
        the pipeline build an EnrichedEvent for every stored row just for this timestamp."""
        stats = self.deps.control.pipeline_stats()
        stored = stats.stored if stats is not None else 0
        if stored != self._stored_seen:
            if self._stored_seen >= 0 or stored > 0:
                self._last_event_at = now
            self._stored_seen = stored

    def _loop_lag_p99(self) -> float | None:
        sample = self.deps.metrics_history.latest()
        return sample.loop_lag_p99_ms if sample is not None else None

    def _outbox(self, now: float) -> tuple[float | None, int]:
        if self._influx is None or self.deps.control.engine(INFLUX) is None:
            return None, 0
        received_at, status = self._influx
        age, depth = status.oldest_age_s, status.outbox_depth
        # The status was published a while ago: the oldest point has aged since.
        return (None if age is None else age + max(0.0, now - received_at)), depth

    async def _quarantined(self) -> int:
        if self.deps.control.engine(INFLUX) is None:
            self._check_failures.pop("influx_quarantine", None)
            return 0
        try:
            count = await self.deps.store.quarantine_count()
        except Exception as err:  # the check failed: say so (alert + degraded), never "nothing quarantined"
            self._check_failures["influx_quarantine"] = redact(f"{type(err).__name__}: {err}")[:200]
            _LOGGER.warning("alert check failed: quarantine count: %s", err)
            return 0
        self._check_failures.pop("influx_quarantine", None)
        return count

    async def evaluate(self) -> list[Alert]:
        """Apply one pass of every rule; return the alerts raised or cleared by it."""
        findings = evaluate(await self.observe(), self.thresholds)
        changes: list[Alert] = []
        async with self._lock:
            for rule, finding in findings.items():
                change = await self._apply(rule, finding)
                if change is not None:
                    changes.append(change)
        for alert in changes:
            self.deps.bus.publish(Topic.ALERT, alert)
        return changes

    async def _apply(self, rule: str, finding: Finding | None) -> Alert | None:
        current = self._open.get(rule)
        if finding is None:
            self._suppressed.discard(rule)
            if current is None:
                return None
            del self._open[rule]
            _LOGGER.info(
                "alert cleared: %s", current.message, extra={"fields": {"rule": rule, "id": current.id}}
            )
            return await self.store.transition(current, "resolved", "cleared")
        if current is not None:
            if finding.message != current.message and self._clock() - current.updated_at >= DETAIL_REFRESH_S:
                self._open[rule] = await self.store.update_detail(current, finding.message, finding.detail)
            return None
        if rule in self._suppressed:
            return None
        alert = await self.store.insert(rule, finding.severity, finding.message, finding.detail)
        self._open[rule] = alert
        self._raised += 1
        _LOGGER.warning("alert raised: %s", finding.message, extra={"fields": {"rule": rule, "id": alert.id}})
        return alert

    # -- user actions (API and GUI) -------------------------------------------------------------

    def open_alerts(self) -> list[Alert]:
        return sorted(self._open.values(), key=lambda a: a.id)

    async def list_alerts(self, states: tuple[str, ...] | None = None, limit: int = 100) -> list[Alert]:
        return await self.store.find(states, limit)

    async def get(self, alert_id: int) -> tuple[Alert, list[HistoryEntry]] | None:
        alert = await self.store.get(alert_id)
        return None if alert is None else (alert, await self.store.history(alert_id))

    async def acknowledge(self, alert_id: int) -> Alert | None:
        return await self._user_transition(alert_id, "acknowledged")

    async def resolve(self, alert_id: int) -> Alert | None:
        return await self._user_transition(alert_id, "resolved")

    async def _user_transition(self, alert_id: int, state: str) -> Alert | None:
        """None for an unknown id; an alert already in (or past) that state is returned unchanged."""
        async with self._lock:
            alert = await self.store.get(alert_id)
            if alert is None or not alert.is_open or alert.state == state:
                return alert
            alert = await self.store.transition(alert, state, "manual" if state == "resolved" else None)
            if state == "resolved":
                self._open.pop(alert.rule, None)
                self._suppressed.add(alert.rule)
            elif self._open.get(alert.rule) is not None:
                self._open[alert.rule] = alert
        _LOGGER.info("alert %d %s by user", alert_id, state, extra={"fields": {"rule": alert.rule}})
        self.deps.bus.publish(Topic.ALERT, alert)
        return alert


def _backfill_unconfirmed(info: ConnectionInfo | None) -> bool:
    catchup = info.last_catchup if info is not None else None
    return catchup is not None and not catchup.caught_up


def _last_error(info: ConnectionInfo | None) -> str | None:
    error = info.last_error if info is not None else None
    return redact(error) if error else None


def _disk_free(path: Path) -> int | None:
    with contextlib.suppress(OSError):
        target = path if path.exists() else path.parent
        return shutil.disk_usage(target).free
    return None


async def _build(deps: Deps) -> AlertEngine:
    return AlertEngine(deps)


SPEC: EngineSpec[AlertEngine] = EngineSpec(
    name="alerts",
    build=_build,
    label="Alerts",
    role=EngineRole.SERVICE,
    logger="core.alerts",
)
