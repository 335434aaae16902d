"""Which sensors are the home's meters: the user's overrides first, then HA's energy dashboard, then
sensor metadata (device class, state class and unit).

From metadata alone, a whole-home import meter is an energy total whose name says so (grid, import,
mains, house, home, P1, total); export, solar, battery and gas meters never count as consumption.
The remaining energy totals are per-device meters. A power sensor named like the house meter is the
mains power used to tell which switch costs what; one that says it measures the home's use beats one
named after the grid, and with solar or a battery on site the dashboard's grid power gives way to a
house power sensor of another name: the grid's power is the use net of production (negative while
exporting), which would drift with the sun under every switch's step and integrate to less than
the home used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from core.energy.prefs import DeviceMeter, EnergyPrefs
from core.energy.reader import SensorInfo
from core.energy.units import is_energy_unit, is_power_unit

_HOUSE = re.compile(r"(grid|import|mains|house|home|p1|total|whole)", re.IGNORECASE)
_GRID = re.compile(r"grid", re.IGNORECASE)
_NOT_USE = re.compile(r"(export|return|feed|solar|pv|battery|batt|gas|water|produc)", re.IGNORECASE)


class MeterSource(StrEnum):
    CONFIG = "configuration"
    DASHBOARD = "energy dashboard"
    METADATA = "sensor metadata"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Meters:
    source: MeterSource
    grid_import: tuple[str, ...] = ()
    grid_export: tuple[str, ...] = ()
    mains_power: str | None = None
    devices: tuple[DeviceMeter, ...] = ()
    price_entity: str | None = None
    fixed_price: float | None = None
    solar: tuple[str, ...] = ()  # production meters
    battery_out: tuple[str, ...] = ()  # energy the battery gave to the home
    battery_in: tuple[str, ...] = ()  # energy that charged the battery

    @property
    def found(self) -> bool:
        return bool(self.grid_import or self.mains_power or self.devices)

    @property
    def has_home_usage(self) -> bool:
        """The home's own use differs from its grid import only when something besides the grid
        supplies it: a solar or battery meter (an export meter alone, perhaps guessed from a name,
        says nothing about what was produced)."""
        return bool(self.grid_import and (self.solar or self.battery_out or self.battery_in))


@dataclass(frozen=True, slots=True)
class Overrides:
    """The [energy] config keys that name meters ("" / empty: discover)."""

    grid_import: str = ""
    grid_export: str = ""
    mains_power: str = ""
    device_meters: tuple[str, ...] = ()
    solar: str = ""
    battery_out: str = ""
    battery_in: str = ""

    def any(self) -> bool:
        return any((self.grid_import, self.grid_export, self.mains_power, self.device_meters,
                    self.solar, self.battery_out, self.battery_in))  # fmt: skip


def is_energy_total(info: SensorInfo) -> bool:
    return (
        info.device_class == "energy"
        and info.state_class in ("total", "total_increasing")
        and is_energy_unit(info.unit)
    )


def is_power(info: SensorInfo) -> bool:
    return info.device_class == "power" and is_power_unit(info.unit)


def _label(info: SensorInfo) -> str:
    return f"{info.entity_id} {info.name or ''}"


def from_metadata(catalogue: Mapping[str, SensorInfo]) -> Meters:
    totals = [i for i in catalogue.values() if is_energy_total(i)]
    house = [i.entity_id for i in totals if _HOUSE.search(_label(i)) and not _NOT_USE.search(_label(i))]
    export = [i.entity_id for i in totals if re.search(r"(export|return|feed)", _label(i), re.IGNORECASE)]
    devices = [
        DeviceMeter(i.entity_id, None, i.name)
        for i in totals
        if i.entity_id not in house and not _NOT_USE.search(_label(i))
    ]
    mains = _house_power(catalogue)
    if not (house or devices or mains):
        return Meters(MeterSource.NONE)
    return Meters(
        MeterSource.METADATA, tuple(sorted(house)[:1]), tuple(sorted(export)[:1]), mains, tuple(devices)
    )


def _house_power(catalogue: Mapping[str, SensorInfo], skip: Sequence[str] = ()) -> str | None:
    """A power sensor named like the house meter, not one of `skip`; one not named after the grid
    (whose power may be net of production) first."""
    houses = [
        i for i in catalogue.values()
        if is_power(i) and i.entity_id not in skip
        and _HOUSE.search(_label(i)) and not _NOT_USE.search(_label(i))
    ]  # fmt: skip
    use = [i for i in houses if not _GRID.search(_label(i))]
    return (use or houses)[0].entity_id if houses else None


def from_prefs(prefs: EnergyPrefs, catalogue: Mapping[str, SensorInfo]) -> Meters:
    grid = prefs.grid_power[0] if prefs.grid_power else None
    mains = grid
    if grid is None or prefs.solar or prefs.battery_out or prefs.battery_in:
        # No grid power named, or it is net of production: a house power sensor if there is one.
        mains = _house_power(catalogue, skip=prefs.grid_power) or grid
    return Meters(
        MeterSource.DASHBOARD,
        prefs.grid_import,
        prefs.grid_export,
        mains,
        prefs.devices,
        prefs.price_entity,
        prefs.fixed_price,
        prefs.solar,
        prefs.battery_out,
        prefs.battery_in,
    )


def choose(prefs: EnergyPrefs | None, catalogue: Mapping[str, SensorInfo], overrides: Overrides) -> Meters:
    """The meters to use; every override replaces what was discovered for its role."""
    found = from_prefs(prefs, catalogue) if prefs is not None else from_metadata(catalogue)
    if not overrides.any():
        return found
    devices: Sequence[DeviceMeter] = found.devices
    if overrides.device_meters:
        devices = [DeviceMeter(eid, None, None) for eid in overrides.device_meters]
    return Meters(
        MeterSource.CONFIG,
        (overrides.grid_import,) if overrides.grid_import else found.grid_import,
        (overrides.grid_export,) if overrides.grid_export else found.grid_export,
        overrides.mains_power or found.mains_power,
        tuple(devices),
        found.price_entity,
        found.fixed_price,
        (overrides.solar,) if overrides.solar else found.solar,
        (overrides.battery_out,) if overrides.battery_out else found.battery_out,
        (overrides.battery_in,) if overrides.battery_in else found.battery_in,
    )
