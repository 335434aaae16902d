"""Appliance entries of the [energy] config: "dishwasher:2h", "washing_machine:90m",
"ev_charge:4h:11kWh" (name, run time, optionally the energy of one run for the expected cost)."""

from __future__ import annotations

from datetime import timedelta

from core.config import APPLIANCE_ENTRY, appliance_minutes
from core.energy.model import Appliance


def parse_appliance(text: str) -> Appliance | None:
    minutes = appliance_minutes(text)
    match = APPLIANCE_ENTRY.match(text)
    if minutes is None or match is None:
        return None
    kwh = float(match["kwh"]) if match["kwh"] else None
    return Appliance(match["name"].strip(), timedelta(minutes=minutes), kwh)


def parse_all(entries: list[str]) -> list[Appliance]:
    return [a for a in (parse_appliance(e) for e in entries) if a is not None]
