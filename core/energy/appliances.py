"""Appliance entries of the [energy] config: "dishwasher:2h", "washing_machine:90m",
"ev_charge:4h:11kWh" (name, run time, optionally the energy of one run for the expected cost)."""

from __future__ import annotations

import re
from datetime import timedelta

from core.energy.model import Appliance

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|m|min)\s*$", re.IGNORECASE)
_ENERGY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(kwh)?\s*$", re.IGNORECASE)


def parse_appliance(text: str) -> Appliance | None:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0].strip():
        return None
    duration = _DURATION.match(parts[1])
    if duration is None:
        return None
    amount = float(duration.group(1))
    delta = timedelta(hours=amount) if duration.group(2).lower() == "h" else timedelta(minutes=amount)
    if delta <= timedelta(0) or delta > timedelta(hours=48):
        return None
    kwh = None
    if len(parts) == 3:
        energy = _ENERGY.match(parts[2])
        if energy is None:
            return None
        kwh = float(energy.group(1))
    return Appliance(parts[0].strip(), delta, kwh)


def parse_all(entries: list[str]) -> list[Appliance]:
    return [a for a in (parse_appliance(e) for e in entries) if a is not None]
