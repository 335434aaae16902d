"""How each demo entity's value moves. One instance per entity; all randomness comes from the caller's rng.

Attributes follow HA's order: capability attributes, then state attributes, then the general ones
(unit_of_measurement, device_class, friendly_name, icon, supported_features).
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from core.ha.simulator import clock, const
from core.ha.simulator.model import Attributes
from core.jsonb import dumps_kept

AttrDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reading:
    """A value the integration writes: state, attributes (with their JSON) and whether a person did it."""

    state: str
    attributes: Attributes
    attrs_json: bytes
    by_user: bool = False


@dataclass(slots=True)
class Tick:
    """Where the generator is: events emitted so far and the rate, so durations can be counted in events
    (which keeps the event sequence a pure function of the seed and the rate)."""

    index: int = 0
    rate: float = 20.0
    origin_us: int | None = None
    """Set: a virtual clock, event `index` happens at origin_us + index / rate seconds (a run that
    builds days of history in minutes). None: the wall clock (the live simulator)."""

    def now_us(self) -> int:
        """The time of the current event: on the virtual clock if one is set, else the wall clock."""
        if self.origin_us is None:
            return clock.now_us()
        return self.origin_us + round(self.index / self.rate * clock.US_PER_S)

    def after(self, seconds: float) -> int:
        """Return the event index `seconds` from now at the current rate."""
        return self.index + max(1, int(seconds * self.rate))


class Behaviour(ABC):
    """Base: holds the attribute layout and the current reading."""

    weight = 1.0
    """Relative chance to be picked for the next event."""

    def __init__(self, capability: AttrDict, general: AttrDict) -> None:
        self._capability = capability
        self._general = general
        self.static_attributes: Attributes = {**capability, **general}
        self.static_json = dumps_kept(self.static_attributes)
        self._current: Reading | None = None

    def current(self) -> Reading:
        """Return the value the entity has now."""
        if self._current is None:
            self._current = self._initial()
        return self._current

    def step(self, rng: random.Random, tick: Tick) -> Reading | None:
        """Advance the value; None means the integration writes nothing this time."""
        reading = self._next(rng, tick)
        if reading is not None:
            self._current = reading
        return reading

    def unavailable(self) -> Reading:
        """Return the unavailable state: only the static attributes remain, as in HA."""
        return Reading(const.STATE_UNAVAILABLE, self.static_attributes, self.static_json)

    def restored(self) -> Reading:
        """Return the placeholder HA writes at start-up for a restored entity."""
        attrs = {const.ATTR_RESTORED: True, **self.static_attributes}
        return Reading(const.STATE_UNAVAILABLE, attrs, dumps_kept(attrs))

    def rename(self, friendly_name: str) -> Reading:
        """Change friendly_name; returns the current reading carrying the new name."""
        self._general = {**self._general, "friendly_name": friendly_name}
        self.static_attributes = {**self._capability, **self._general}
        self.static_json = dumps_kept(self.static_attributes)
        current = self.current()
        attrs = {**current.attributes, "friendly_name": friendly_name}
        self._current = Reading(current.state, attrs, dumps_kept(attrs))
        return self._current

    def _reading(self, state: str, dynamic: AttrDict | None = None, by_user: bool = False) -> Reading:
        if not dynamic:
            return Reading(state, self.static_attributes, self.static_json, by_user)
        attrs = {**self._capability, **dynamic, **self._general}
        return Reading(state, attrs, dumps_kept(attrs), by_user)

    @abstractmethod
    def _initial(self) -> Reading: ...

    @abstractmethod
    def _next(self, rng: random.Random, tick: Tick) -> Reading | None: ...


def fmt(value: float, decimals: int) -> str:
    """Format a sensor value the way integrations usually report it."""
    return str(round(value)) if decimals == 0 else f"{value:.{decimals}f}"


class NumericSensor(Behaviour):
    """A mean-reverting random walk inside [low, high] (temperature, humidity, power, ...)."""

    def __init__(
        self,
        general: AttrDict,
        *,
        value: float,
        low: float,
        high: float,
        sigma: float,
        decimals: int,
        weight: float = 1.0,
        state_class: str | None = "measurement",
    ) -> None:
        super().__init__({"state_class": state_class} if state_class else {}, general)
        self.value, self.low, self.high, self.sigma, self.decimals = value, low, high, sigma, decimals
        self._mean = value
        self.weight = weight

    def _initial(self) -> Reading:
        return self._reading(fmt(self.value, self.decimals))

    def _next(self, rng: random.Random, tick: Tick) -> Reading:
        value = self.value + rng.gauss(0.0, self.sigma) + 0.05 * (self._mean - self.value)
        self.value = min(self.high, max(self.low, value))
        return self._reading(fmt(self.value, self.decimals))


class Counter(Behaviour):
    """A total_increasing meter (energy): never decreases."""

    def __init__(self, general: AttrDict, *, value: float, step: float, weight: float = 1.0) -> None:
        super().__init__({"state_class": "total_increasing"}, general)
        self.value, self._step = value, step
        self.weight = weight

    def _initial(self) -> Reading:
        return self._reading(fmt(self.value, 3))

    def _next(self, rng: random.Random, tick: Tick) -> Reading:
        self.value += rng.uniform(0.2, 1.0) * self._step
        return self._reading(fmt(self.value, 3))


class Battery(Behaviour):
    """A battery percentage draining slowly; most writes repeat the value (state_reported only)."""

    weight = 0.1

    def __init__(self, general: AttrDict, *, value: int) -> None:
        super().__init__({"state_class": "measurement"}, general)
        self.value = value

    def _initial(self) -> Reading:
        return self._reading(str(self.value))

    def _next(self, rng: random.Random, tick: Tick) -> Reading:
        if rng.random() < 0.3:
            self.value = 100 if self.value <= 5 else self.value - 1
        return self._reading(str(self.value))


class Motion(Behaviour):
    """Motion: turns on, stays on for 5-40 s (in events), then off on a later pick."""

    weight = 1.5

    def __init__(self, general: AttrDict) -> None:
        super().__init__({}, general)
        self.on = False
        self._until = 0

    def _initial(self) -> Reading:
        return self._reading("on" if self.on else "off")

    def _next(self, rng: random.Random, tick: Tick) -> Reading | None:
        if not self.on:
            return self.set_on(rng, tick)
        if tick.index < self._until:
            return None
        self.on = False
        return self._reading("off")

    def set_on(self, rng: random.Random, tick: Tick) -> Reading:
        """Detect motion now (also used by the automation chain)."""
        self.on = True
        self._until = tick.after(rng.uniform(5.0, 40.0))
        self._current = self._reading("on")
        return self._current

    def set_off(self) -> Reading:
        """Clear motion now."""
        self.on = False
        self._current = self._reading("off")
        return self._current


class Toggle(Behaviour):
    """Two-state entities: switch on/off, door on/off, lock locked/unlocked, person home/not_home."""

    def __init__(
        self,
        general: AttrDict,
        *,
        states: tuple[str, str] = ("on", "off"),
        user_share: float = 0.0,
        weight: float = 0.3,
        start_on: bool = False,
        static: AttrDict | None = None,
    ) -> None:
        super().__init__(static or {}, general)
        self._states, self._user_share, self.on = states, user_share, start_on
        self.weight = weight

    def _initial(self) -> Reading:
        return self._reading(self._states[0] if self.on else self._states[1])

    def _next(self, rng: random.Random, tick: Tick) -> Reading:
        return self.toggle(rng.random() < self._user_share)

    def toggle(self, by_user: bool = False) -> Reading:
        """Flip the state now."""
        self.on = not self.on
        self._current = self._reading(self._states[0] if self.on else self._states[1], by_user=by_user)
        return self._current


class Fixed(Behaviour):
    """An entity whose value does not move on its own (zone, script, automation at rest)."""

    weight = 0.0

    def __init__(self, general: AttrDict, state: str, dynamic: AttrDict | None = None) -> None:
        super().__init__({}, general)
        self._state, self._dynamic = state, dynamic

    def _initial(self) -> Reading:
        return self._reading(self._state, self._dynamic)

    def _next(self, rng: random.Random, tick: Tick) -> Reading | None:
        return None
