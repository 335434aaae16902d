"""HA state strings turned into what the energy algorithms use: numbers in kWh or W, on/off for
switchable entities. `unknown` and `unavailable` are never 0 and never "off": they are None."""

from __future__ import annotations

import math

SWITCHABLE_DOMAINS = frozenset(
    {"switch", "light", "fan", "climate", "media_player", "water_heater", "humidifier", "input_boolean"}
)
_OFF = frozenset({"off", "standby"})
_NOT_A_STATE = frozenset({"unknown", "unavailable", ""})


def number(state: str | None, factor: float) -> float | None:
    """The state as a finite number times `factor` (a unit conversion), else None."""
    if state is None:
        return None
    try:
        value = float(state)
    except ValueError:
        return None
    return value * factor if math.isfinite(value) else None


def is_on(domain: str, state: str | None) -> bool | None:
    """Whether a switchable entity draws power in `state`: off/standby no, any other real state yes
    (a climate's heat/cool, a media player's playing/paused/idle)."""
    if state is None or state in _NOT_A_STATE:
        return None
    if domain in ("switch", "light", "fan", "input_boolean", "humidifier"):
        return {"on": True, "off": False}.get(state)
    return state not in _OFF
