"""Event bus: encodes each event once and fans the bytes out to every WS subscription.

Like HA's cached_event_message, the event is serialized once per event, not per client; each subscription
only appends its own `,"id":N}`, so `id` is the last key of the message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from core.ha.simulator import clock, const
from core.ha.simulator.model import Context

SendFn = Callable[[bytes], None]

EVENT_MESSAGE_START = b'{"type":"event","event":'


@dataclass(frozen=True, slots=True)
class Subscription:
    event_type: str
    send: SendFn
    suffix: bytes


def id_suffix(msg_id: int) -> bytes:
    """Return the tail that turns an event prefix into a message for subscription `msg_id`."""
    return b',"id":' + str(msg_id).encode() + b"}"


def encode_event(event_type: str, data: Mapping[str, Any], context: Context, us: int) -> bytes:
    """Encode Event._as_dict: event_type, data, origin, time_fired, context."""
    return orjson.dumps(
        {
            "event_type": event_type,
            "data": data,
            "origin": "LOCAL",
            "time_fired": clock.iso(us),
            "context": context.as_dict(),
        }
    )


class EventBus:
    """Subscriptions by event type; `*` receives everything except EVENTS_EXCLUDED_FROM_MATCH_ALL."""

    def __init__(self) -> None:
        self._by_type: dict[str, dict[object, Subscription]] = {}
        self._targets: dict[str, tuple[Subscription, ...]] = {}

    def subscribe(self, event_type: str, send: SendFn, msg_id: int) -> Callable[[], None]:
        """Register a WS subscription and return the function that removes it."""
        key = object()
        self._by_type.setdefault(event_type, {})[key] = Subscription(event_type, send, id_suffix(msg_id))
        self._targets.clear()

        def unsubscribe() -> None:
            subs = self._by_type.get(event_type, {})
            if subs.pop(key, None) is not None:
                self._targets.clear()

        return unsubscribe

    def listening(self, event_type: str) -> bool:
        """Return True when some subscription would receive this event type."""
        return bool(self._targets_for(event_type))

    def deliver(self, event_type: str, event_json: bytes) -> None:
        """Send an already encoded event to every matching subscription."""
        targets = self._targets_for(event_type)
        if not targets:
            return
        prefix = EVENT_MESSAGE_START + event_json
        for sub in targets:
            sub.send(prefix + sub.suffix)

    def fire(self, event_type: str, data: Mapping[str, Any], context: Context, us: int) -> None:
        """Encode and deliver a non-state event (registry updates, automation_triggered, ...)."""
        if self.listening(event_type):
            self.deliver(event_type, encode_event(event_type, data, context, us))

    def _targets_for(self, event_type: str) -> tuple[Subscription, ...]:
        targets = self._targets.get(event_type)
        if targets is None:
            direct = list(self._by_type.get(event_type, {}).values())
            if event_type not in const.EVENTS_EXCLUDED_FROM_MATCH_ALL:
                direct.extend(self._by_type.get(const.MATCH_ALL, {}).values())
            targets = self._targets[event_type] = tuple(direct)
        return targets
