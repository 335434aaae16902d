"""A small synchronous publish/subscribe bus: the only way engines announce things.

The GUI bridge subscribes here and re-emits Qt signals; the API and alert rules read the same
topics. Delivery is synchronous and in the publisher's thread (the event loop), so subscribers
must be cheap; a failing subscriber is logged and never breaks the publisher.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from enum import StrEnum
from typing import Any

log = logging.getLogger(__name__)

Subscriber = Callable[[Any], None]
Unsubscribe = Callable[[], None]


class Topic(StrEnum):
    EVENTS_STORED = "events.stored"  # payload: list[EnrichedEvent] just committed to SQLite
    HA_CONNECTION = "ha.connection"  # payload: core.ha.client.ConnectionInfo
    REGISTRY_UPDATED = "registry.updated"  # payload: RegistrySnapshot
    ENGINE_STATUS = "engine.status"  # payload: core.engine.EngineStatus
    INFLUX_STATUS = "influx.status"  # payload: influx sender status dataclass
    ALERT = "alert"  # payload: an alert record (raised, acknowledged, resolved)
    LOG = "log"  # payload: a structured log record dict
    METRICS = "metrics"  # payload: core.metrics.MetricsSample, once a second
    HEALTH = "health"  # payload: overall health summary


class Bus:
    def __init__(self) -> None:
        self._subscribers: defaultdict[str, list[Subscriber]] = defaultdict(list)

    def subscribe(self, topic: Topic | str, callback: Subscriber) -> Unsubscribe:
        subscribers = self._subscribers[str(topic)]
        subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in subscribers:
                subscribers.remove(callback)

        return unsubscribe

    def publish(self, topic: Topic | str, payload: Any = None) -> None:
        # Copy: a subscriber may unsubscribe itself while being called.
        for callback in tuple(self._subscribers.get(str(topic), ())):
            try:
                callback(payload)
            except Exception:
                log.exception("bus subscriber failed on %s", topic)

    def subscriber_count(self, topic: Topic | str) -> int:
        return len(self._subscribers.get(str(topic), ()))
