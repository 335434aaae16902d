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


_STRICT = ("switch", "light", "fan", "input_boolean", "humidifier")


def is_on(domain: str, state: str | None) -> bool | None:
    """Whether a switchable entity draws power in `state`: off/standby no, any other real state yes
    (a climate's heat/cool, a media player's playing/paused/idle)."""
    if state is None or state in _NOT_A_STATE:
        return None
    if domain in _STRICT:
        return {"on": True, "off": False}.get(state)
    return state not in _OFF


def is_on_sql(column: str, domain: str) -> str:
    """`is_on` as an SQLite expression over `column` (1.0, 0.0 or NULL), so months of switch rows
    become numbers in C. tests/test_energy_states.py checks it against is_on."""
    if domain in _STRICT:
        return f"CASE {column} WHEN 'on' THEN 1.0 WHEN 'off' THEN 0.0 END"
    return (
        f"CASE WHEN {column} IS NULL OR {column} IN ('unknown', 'unavailable', '') THEN NULL "
        f"WHEN {column} IN ('off', 'standby') THEN 0.0 ELSE 1.0 END"
    )
