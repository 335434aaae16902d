"""The demo home: registries, live entities and the "hass" core (bus, state machine, recorder)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from core.ha.simulator import clock
from core.ha.simulator.behaviours import Behaviour, Reading
from core.ha.simulator.bus import EventBus
from core.ha.simulator.history import HistoryStore
from core.ha.simulator.registries import AreaEntry, DeviceEntry, EntityEntry, FloorEntry, LabelEntry
from core.ha.simulator.state_machine import StateMachine

UNAVAILABLE_FOREVER = sys.maxsize
"""unavailable_until for entities made unavailable through the API; a timer restores them."""


@dataclass(slots=True)
class SimEntity:
    """An entity with a state: its behaviour and registry entry (None for entities without unique_id)."""

    entity_id: str
    behaviour: Behaviour
    entry: EntityEntry | None
    restores: bool = False
    """At start-up it first shows as unavailable with restored: true (its integration loads late)."""
    can_fail: bool = True
    """May go unavailable on its own now and then."""
    unavailable_until: int | None = None
    """Event index at which a spontaneous outage ends; None while available."""


@dataclass(frozen=True, slots=True)
class Chain:
    """motion -> automation (C1) -> light (C1) -> follow-up automation (C2, parent C1) -> switch (C2)."""

    motion: str
    automation: str
    light: str
    follow_automation: str
    follow_target: str


@dataclass
class DemoHome:
    """Everything the simulated HA knows. Tests may read it; mutate it through Simulator methods."""

    bus: EventBus
    states: StateMachine
    history: HistoryStore
    floors: dict[str, FloorEntry] = field(default_factory=dict)
    areas: dict[str, AreaEntry] = field(default_factory=dict)
    labels: dict[str, LabelEntry] = field(default_factory=dict)
    devices: dict[str, DeviceEntry] = field(default_factory=dict)
    entity_registry: dict[str, EntityEntry] = field(default_factory=dict)
    """Every registry entry, disabled ones included."""
    entities: dict[str, SimEntity] = field(default_factory=dict)
    """Entities that have a state (enabled registry entries and entities without unique_id)."""
    chains: list[Chain] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)
    """User name -> 32-hex user id; these ids appear as context.user_id."""
    config_entries: dict[str, str] = field(default_factory=dict)
    """Integration (platform) -> config entry id."""
    energy_prefs: dict[str, Any] | None = None
    """What energy/get_prefs answers; None: the energy dashboard was never set up (not_found)."""

    def write(self, entity: SimEntity, reading: Reading, user_id: str | None = None) -> bool:
        """Write a reading to the state machine; True when it fired state_changed."""
        context = None
        if user_id is not None:
            context = self.states.new_context(clock.now_us(), user_id=user_id)
        return self.states.set(
            entity.entity_id, reading.state, reading.attributes, reading.attrs_json, context
        )

    def seed_states(self, us: int) -> None:
        """Give every entity its initial state silently (the home "was already running")."""
        for entity in self.entities.values():
            reading = entity.behaviour.current()
            self.states.seed(entity.entity_id, reading.state, reading.attributes, reading.attrs_json, us)
