"""Behaviours with richer attributes: lights, climate, covers, media players, automations, the sun."""

from __future__ import annotations

import random

from core.ha.simulator import clock
from core.ha.simulator.behaviours import AttrDict, Behaviour, Reading, Tick


class Light(Behaviour):
    """On/off with brightness; while on, some writes only change brightness (attribute-only update)."""

    weight = 0.6

    def __init__(self, general: AttrDict, *, color_temp: bool, user_share: float = 0.3) -> None:
        capability: AttrDict = {"supported_color_modes": ["brightness"]}
        if color_temp:
            capability = {
                "min_color_temp_kelvin": 2202,
                "max_color_temp_kelvin": 6535,
                "supported_color_modes": ["color_temp", "xy"],
            }
        super().__init__(capability, general)
        self._color_temp, self._user_share = color_temp, user_share
        self.on, self.brightness, self.kelvin = False, 0, 2700

    def _initial(self) -> Reading:
        return self._make(by_user=False)

    def _next(self, rng: random.Random, tick: Tick) -> Reading:
        by_user = rng.random() < self._user_share
        if self.on and rng.random() < 0.6:
            return self.turn_off(by_user) if rng.random() < 0.5 else self.dim(rng, by_user)
        return self.turn_on(rng, by_user)

    def turn_on(self, rng: random.Random, by_user: bool = False) -> Reading:
        """Switch on at a random brightness (a brightness change if already on)."""
        self.on = True
        self.brightness = rng.randrange(30, 256)
        self.kelvin = rng.choice((2202, 2700, 3000, 4000, 5000))
        return self._make(by_user)

    def dim(self, rng: random.Random, by_user: bool = False) -> Reading:
        """Change the brightness only."""
        self.brightness = max(1, min(255, self.brightness + rng.choice((-40, -20, 20, 40))))
        return self._make(by_user)

    def turn_off(self, by_user: bool = False) -> Reading:
        """Switch off."""
        self.on = False
        return self._make(by_user)

    def _make(self, by_user: bool) -> Reading:
        if not self.on:
            dynamic: AttrDict = {"color_mode": None, "brightness": None}
            if self._color_temp:
                dynamic["color_temp_kelvin"] = None
            self._current = self._reading("off", dynamic, by_user)
            return self._current
        if self._color_temp:
            dynamic = {
                "color_mode": "color_temp",
                "brightness": self.brightness,
                "color_temp_kelvin": self.kelvin,
            }
        else:
            dynamic = {"color_mode": "brightness", "brightness": self.brightness}
        self._current = self._reading("on", dynamic, by_user)
        return self._current


class Climate(Behaviour):
    """A heating thermostat: mostly current_temperature moves (attribute-only updates)."""

    weight = 1.2

    def __init__(self, general: AttrDict, *, current: float, target: float) -> None:
        capability = {"hvac_modes": ["off", "heat"], "min_temp": 7, "max_temp": 35, "target_temp_step": 0.5}
        super().__init__(capability, general)
        self.mode, self.current_temp, self.target = "heat", current, target

    def _initial(self) -> Reading:
        return self._make(False)

    def _next(self, rng: random.Random, tick: Tick) -> Reading:
        roll = rng.random()
        if roll < 0.05:
            self.mode = "off" if self.mode == "heat" else "heat"
            return self._make(rng.random() < 0.5)
        if roll < 0.15:
            self.target = rng.choice((18.0, 19.5, 20.0, 21.0, 21.5, 22.0))
            return self._make(True)
        heating = self.mode == "heat" and self.current_temp < self.target
        drift = 0.08 if heating else -0.05
        self.current_temp = round(min(26.0, max(14.0, self.current_temp + drift + rng.gauss(0, 0.05))), 1)
        return self._make(False)

    def _make(self, by_user: bool) -> Reading:
        heating = self.mode == "heat" and self.current_temp < self.target
        dynamic = {
            "current_temperature": self.current_temp,
            "temperature": self.target if self.mode == "heat" else None,
            "hvac_action": "heating" if heating else ("idle" if self.mode == "heat" else "off"),
        }
        return self._reading(self.mode, dynamic, by_user)


class Cover(Behaviour):
    """Blinds and garage doors: open/closed with current_position."""

    weight = 0.2

    def __init__(self, general: AttrDict) -> None:
        super().__init__({}, general)
        self.position = 100

    def _initial(self) -> Reading:
        return self._make(False)

    def _next(self, rng: random.Random, tick: Tick) -> Reading:
        self.position = 0 if self.position else rng.choice((40, 70, 100))
        return self._make(rng.random() < 0.4)

    def _make(self, by_user: bool) -> Reading:
        return self._reading(
            "open" if self.position else "closed", {"current_position": self.position}, by_user
        )


_TRACKS = (
    ("Clair de Lune", "Claude Debussy", 302),
    ("So What", "Miles Davis", 562),
    ("Teardrop", "Massive Attack", 330),
    ("Evening News", "Channel 1", 1800),
    ("Blue in Green", "Bill Evans", 337),
)


class MediaPlayer(Behaviour):
    """A TV or speaker cycling idle -> playing -> paused."""

    weight = 0.4

    def __init__(self, general: AttrDict) -> None:
        super().__init__({}, general)
        self.mode, self.volume, self.track = "idle", 0.3, 0

    def _initial(self) -> Reading:
        return self._make(False)

    def _next(self, rng: random.Random, tick: Tick) -> Reading:
        by_user = rng.random() < 0.5
        if self.mode == "playing":
            self.mode = rng.choice(("paused", "idle", "playing"))
        else:
            self.mode = "playing"
        if self.mode == "playing":
            self.track = rng.randrange(len(_TRACKS))
            self.volume = round(rng.uniform(0.1, 0.6), 2)
        return self._make(by_user)

    def _make(self, by_user: bool) -> Reading:
        dynamic: AttrDict = {"volume_level": self.volume, "is_volume_muted": False}
        if self.mode != "idle":
            title, artist, duration = _TRACKS[self.track]
            dynamic |= {
                "media_content_type": "music",
                "media_duration": duration,
                "media_title": title,
                "media_artist": artist,
            }
        return self._reading(self.mode, dynamic, by_user)


class Automation(Behaviour):
    """An automation entity; it only changes when triggered (last_triggered moves, state stays "on")."""

    weight = 0.0

    def __init__(self, general: AttrDict, *, automation_id: str) -> None:
        super().__init__({}, general)
        self._id = automation_id
        self._last: str | None = None

    def _initial(self) -> Reading:
        return self._make()

    def _next(self, rng: random.Random, tick: Tick) -> Reading | None:
        return None

    def trigger(self, us: int) -> Reading:
        """Start a run at time `us`: last_triggered moves and `current` (runs in progress) is 1."""
        self._last = clock.iso(us)
        self._current = self._make(running=1)
        return self._current

    def finish(self) -> Reading:
        """The run's actions are done: `current` is back to 0 (HA writes the state again)."""
        self._current = self._make()
        return self._current

    def _make(self, running: int = 0) -> Reading:
        return self._reading(
            "on", {"id": self._id, "last_triggered": self._last, "mode": "single", "current": running}
        )


class Sun(Behaviour):
    """sun.sun: elevation and azimuth crawl (attribute-only), the state flips at the horizon."""

    weight = 0.2

    def __init__(self, general: AttrDict, *, elevation: float) -> None:
        super().__init__({}, general)
        self.elevation, self.azimuth, self.rising = elevation, 140.0, True

    def _initial(self) -> Reading:
        return self._make()

    def _next(self, rng: random.Random, tick: Tick) -> Reading:
        self.elevation = round(self.elevation + (0.3 if self.rising else -0.3), 2)
        if abs(self.elevation) > 45:
            self.rising = not self.rising
        self.azimuth = round((self.azimuth + 0.4) % 360, 2)
        return self._make()

    def _make(self) -> Reading:
        state = "above_horizon" if self.elevation > 0 else "below_horizon"
        return self._reading(
            state, {"elevation": self.elevation, "azimuth": self.azimuth, "rising": self.rising}
        )
