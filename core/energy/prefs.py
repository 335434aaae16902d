"""HA's energy dashboard preferences (`energy/get_prefs`) read into which meters the home has.

Two grid shapes exist: the older one (until early 2026) nests imports in `flow_from` and exports in
`flow_to` (late-2025 versions add an optional `power` list); the unified one (2026.3 on) puts
`stat_energy_from`, `stat_energy_to` and `stat_rate` on the grid source itself, and several grids may
exist. `stat_rate` (a power sensor, positive = import) can also sit in `power_config`. Devices may
nest (`included_in_stat`), so summing every device would count some twice: only top-level devices
add up. Unknown keys are ignored; HA adds some every few releases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DeviceMeter:
    energy: str  # stat_consumption (an energy sensor or an external statistic id)
    power: str | None = None  # stat_rate
    name: str | None = None
    included_in: str | None = None  # the device meter this one is part of


@dataclass(frozen=True, slots=True)
class EnergyPrefs:
    grid_import: tuple[str, ...] = ()
    grid_export: tuple[str, ...] = ()
    grid_power: tuple[str, ...] = ()
    solar: tuple[str, ...] = ()
    battery_out: tuple[str, ...] = ()
    battery_in: tuple[str, ...] = ()
    devices: tuple[DeviceMeter, ...] = ()
    price_entity: str | None = None  # entity_energy_price of the (first) import
    fixed_price: float | None = None  # number_energy_price of the (first) import, currency/kWh

    @property
    def top_level_devices(self) -> tuple[DeviceMeter, ...]:
        return tuple(d for d in self.devices if d.included_in is None)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _power_ids(source: Mapping[str, Any]) -> list[str]:
    ids = [_str(source.get("stat_rate"))]
    config = source.get("power_config")
    if isinstance(config, Mapping):
        ids += [_str(config.get(k)) for k in ("stat_rate", "stat_rate_inverted", "stat_rate_from")]
    for item in source.get("power") or []:  # legacy late-2025: optional list of power sensors
        if isinstance(item, Mapping):
            ids.append(_str(item.get("stat_rate")))
    return list(dict.fromkeys(i for i in ids if i))


class _Builder:
    def __init__(self) -> None:
        self.lists: dict[str, list[str]] = {k: [] for k in ("imp", "exp", "pow", "solar", "b_out", "b_in")}
        self.price_entity: str | None = None
        self.fixed_price: float | None = None

    def add(self, key: str, value: Any) -> None:
        text = _str(value)
        if text and text not in self.lists[key]:
            self.lists[key].append(text)

    def price(self, source: Mapping[str, Any]) -> None:
        if self.price_entity is None and self.fixed_price is None:
            self.price_entity = _str(source.get("entity_energy_price"))
            number = source.get("number_energy_price")
            if isinstance(number, int | float) and not isinstance(number, bool):
                self.fixed_price = float(number)

    def grid(self, source: Mapping[str, Any]) -> None:
        if "flow_from" in source or "flow_to" in source:  # the older shape
            for flow in source.get("flow_from") or []:
                if isinstance(flow, Mapping):
                    self.add("imp", flow.get("stat_energy_from"))
                    self.price(flow)
            for flow in source.get("flow_to") or []:
                if isinstance(flow, Mapping):
                    self.add("exp", flow.get("stat_energy_to"))
        else:
            self.add("imp", source.get("stat_energy_from"))
            self.add("exp", source.get("stat_energy_to"))
            if source.get("stat_energy_from"):
                self.price(source)
        for power in _power_ids(source):
            self.add("pow", power)


def parse_prefs(result: Mapping[str, Any]) -> EnergyPrefs:
    """The meters named in an `energy/get_prefs` result (either grid shape)."""
    b = _Builder()
    for source in result.get("energy_sources") or []:
        if not isinstance(source, Mapping):
            continue
        kind = source.get("type")
        if kind == "grid":
            b.grid(source)
        elif kind == "solar":
            b.add("solar", source.get("stat_energy_from"))
        elif kind == "battery":
            b.add("b_out", source.get("stat_energy_from"))
            b.add("b_in", source.get("stat_energy_to"))
    devices = []
    for item in result.get("device_consumption") or []:
        energy = _str(item.get("stat_consumption")) if isinstance(item, Mapping) else None
        if energy:
            devices.append(
                DeviceMeter(
                    energy,
                    _str(item.get("stat_rate")),
                    _str(item.get("name")),
                    _str(item.get("included_in_stat")),
                )
            )
    lists = b.lists
    return EnergyPrefs(
        tuple(lists["imp"]),
        tuple(lists["exp"]),
        tuple(lists["pow"]),
        tuple(lists["solar"]),
        tuple(lists["b_out"]),
        tuple(lists["b_in"]),
        tuple(devices),
        b.price_entity,
        b.fixed_price,
    )
