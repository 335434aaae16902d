"""Energy and power units as Home Assistant reports them, normalised to kWh and W.

HA's energy sensors may use J, kJ, MJ, GJ, mWh, Wh, kWh, MWh, GWh, TWh and calories; power sensors
mW, W, kW, MW, GW, TW and BTU/h. Everything the energy engine computes is in kWh and W, so a unit is
converted once, at the edge, and an unknown unit is refused (None) instead of guessed.
"""

from __future__ import annotations

_KWH_PER: dict[str, float] = {
    "mWh": 1e-6,
    "Wh": 1e-3,
    "kWh": 1.0,
    "MWh": 1e3,
    "GWh": 1e6,
    "TWh": 1e9,
    "J": 1.0 / 3.6e6,
    "kJ": 1.0 / 3.6e3,
    "MJ": 1.0 / 3.6,
    "GJ": 1e3 / 3.6,
    "cal": 4.184 / 3.6e6,
    "kcal": 4.184 / 3.6e3,
    "Mcal": 4.184 / 3.6,
    "Gcal": 4.184e3 / 3.6,
}

_W_PER: dict[str, float] = {
    "mW": 1e-3,
    "W": 1.0,
    "kW": 1e3,
    "MW": 1e6,
    "GW": 1e9,
    "TW": 1e12,
    "BTU/h": 0.29307107,
}


def kwh_factor(unit: str | None) -> float | None:
    """Multiplier from `unit` to kWh; None when the unit is not an energy unit."""
    return None if unit is None else _KWH_PER.get(unit.strip())


def watt_factor(unit: str | None) -> float | None:
    """Multiplier from `unit` to W; None when the unit is not a power unit."""
    return None if unit is None else _W_PER.get(unit.strip())


def is_energy_unit(unit: str | None) -> bool:
    return kwh_factor(unit) is not None


def is_power_unit(unit: str | None) -> bool:
    return watt_factor(unit) is not None
