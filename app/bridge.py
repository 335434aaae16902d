"""The one place app/ touches the core bus: subscribe to every topic and re-emit Qt signals.

Bus delivery is synchronous on the event loop, which under qasync is the Qt thread, so signals are
emitted directly. High-rate topics (stored events, log records) are coalesced and emitted at most
ten times a second, so no view ever repaints per event.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.widgets import ui
from core.bus import Bus, Topic, Unsubscribe

log = logging.getLogger(__name__)
FLUSH_MS = 100
MAX_PENDING = 50_000  # events kept between flushes if the GUI stalls; older ones are counted, not kept


class Bridge(QObject):
    events_stored = Signal(list)  # list[EnrichedEvent], coalesced
    log_records = Signal(list)  # list of structured log records, coalesced
    ha_connection = Signal(object)
    registry_updated = Signal(object)
    engine_status = Signal(object)
    influx_status = Signal(object)
    alert = Signal(object)
    metrics = Signal(object)  # MetricsSample, once a second
    health_changed = Signal(object)  # HealthReport, when its status or reasons change
    topic_event = Signal(str, object)  # (topic, payload) for topics a tab asked for with watch()

    def __init__(
        self, bus: Bus, health: Callable[[], Any] | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._bus = bus
        self._health_source = health
        self._unsubscribe: list[Unsubscribe] = []
        self._events: list[Any] = []
        self._logs: list[Any] = []
        self._health_dirty = False
        self.dropped_events = 0
        self.last_health: Any = None
        self._flush_timer = ui.timer(self, FLUSH_MS, self.flush, single_shot=True)
        self._last_flush = 0.0  # monotonic start of the last flush
        self._watched: set[str] = set()

    def attach(self) -> None:
        direct = {
            Topic.HA_CONNECTION: self.ha_connection,
            Topic.REGISTRY_UPDATED: self.registry_updated,
            Topic.ENGINE_STATUS: self.engine_status,
            Topic.INFLUX_STATUS: self.influx_status,
            Topic.ALERT: self.alert,
            Topic.METRICS: self.metrics,
        }
        for topic, signal in direct.items():
            self._unsubscribe.append(self._bus.subscribe(topic, self._relay(signal)))
        for topic in (Topic.ENGINE_STATUS, Topic.HA_CONNECTION, Topic.METRICS, Topic.HEALTH):
            self._unsubscribe.append(self._bus.subscribe(topic, self._mark_health))
        self._unsubscribe.append(self._bus.subscribe(Topic.EVENTS_STORED, self._on_events))
        self._unsubscribe.append(self._bus.subscribe(Topic.LOG, self._on_log))

    def watch(self, topic: str) -> None:
        """Relay an engine's own bus topic (low-rate: game events, source updates) as `topic_event`.
        New engines need no new signal here: their tab watches the topic its engine publishes."""
        if topic in self._watched:
            return
        self._watched.add(topic)
        self._unsubscribe.append(
            self._bus.subscribe(topic, lambda payload: self.topic_event.emit(topic, payload))
        )

    def detach(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._watched.clear()
        self._flush_timer.stop()

    def refresh_health(self) -> Any:
        """Recompute health now (core.health via the runtime) and emit it if it changed."""
        self._health_dirty = False
        if self._health_source is None:
            return None
        report = self._health_source()
        key = (report.status, report.reasons)
        last = self.last_health
        if last is None or (last.status, last.reasons) != key:
            self.last_health = report
            self.health_changed.emit(report)
        return report

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if self._events:
            batch, self._events = self._events, []
            self.events_stored.emit(batch)
        if self._logs:
            records, self._logs = self._logs, []
            self.log_records.emit(records)
        if self._health_dirty:
            self.refresh_health()

    def _relay(self, signal: Any) -> Callable[[Any], None]:
        return lambda payload: signal.emit(payload)

    def _schedule(self) -> None:
        """Flush FLUSH_MS after the previous flush *started*, not after this event: under load a
        flush takes tens of ms, and counting from its end held the cadence to ~6 Hz instead of 10."""
        if not self._flush_timer.isActive():
            since_ms = (time.monotonic() - self._last_flush) * 1000
            self._flush_timer.start(max(0, round(FLUSH_MS - since_ms)))

    def _mark_health(self, _payload: Any) -> None:
        self._health_dirty = True
        self._schedule()

    def _on_events(self, batch: Any) -> None:
        self._events.extend(batch)
        overflow = len(self._events) - MAX_PENDING
        if overflow > 0:
            del self._events[:overflow]
            self.dropped_events += overflow
        self._schedule()

    def _on_log(self, record: Any) -> None:
        self._logs.append(record)
        if len(self._logs) > MAX_PENDING:
            del self._logs[: len(self._logs) - MAX_PENDING]
        self._schedule()
