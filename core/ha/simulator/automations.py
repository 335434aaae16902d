"""The motion -> automation -> light -> follow-up chain, with HA's context parent links.

As in HA: the automation's trigger context C1 has parent_id = the motion state's context; the automation
entity's state writes (`current` 1 when the run starts, 0 when it ends), automation_triggered and the
service call it makes all carry C1; the light changes under C1; a second automation triggered by the
light runs under C2 (parent C1) and switches something.
"""

from __future__ import annotations

import random
from typing import TypeVar

from core.ha.simulator import clock, const
from core.ha.simulator.behaviours import Behaviour, Motion, Reading, Tick, Toggle
from core.ha.simulator.behaviours_devices import Automation, Light
from core.ha.simulator.demo_home import Chain, DemoHome
from core.ha.simulator.model import Context


class ChainRunner:
    """Runs chains on a home; returns the root context id and the number of state_changed events."""

    def __init__(self, home: DemoHome, rng: random.Random) -> None:
        self._home = home
        self._rng = rng

    def run(self, chain: Chain, tick: Tick, motion_on: Reading | None = None) -> tuple[str, int]:
        """Fire the chain now. `motion_on` is the motion reading if the generator already made it."""
        home, states = self._home, self._home.states
        motion = _behaviour(home, chain.motion, Motion)
        events = 0
        if motion_on is None:
            if motion.on:  # the root must be a real change, so clear motion first
                events += self._write(chain.motion, motion.set_off(), None)
            motion_on = motion.set_on(self._rng, tick)
        root = states.new_context(clock.now_us())
        events += self._write(chain.motion, motion_on, root)
        c1 = states.new_context(clock.now_us(), parent_id=root.id)
        events += self._automation(chain.automation, c1, source=chain.motion)
        self._call_service("light", "turn_on", chain.light, c1)
        light = _behaviour(home, chain.light, Light)
        events += self._write(chain.light, light.turn_on(self._rng), c1)
        events += self._finish(chain.automation, c1)  # its action is done (real HA: right after the light)
        c2 = states.new_context(clock.now_us(), parent_id=c1.id)
        events += self._automation(chain.follow_automation, c2, source=chain.light)
        self._call_service("switch", "toggle", chain.follow_target, c2)
        target = _behaviour(home, chain.follow_target, Toggle)
        events += self._write(chain.follow_target, target.toggle(), c2)
        events += self._finish(chain.follow_automation, c2)
        return root.id, events

    def _finish(self, entity_id: str, context: Context) -> int:
        """A run ends: HA writes the automation's state again with `current` 0, under the run's context."""
        return self._write(entity_id, _behaviour(self._home, entity_id, Automation).finish(), context)

    def _automation(self, entity_id: str, context: Context, *, source: str) -> int:
        now = clock.now_us()
        automation = _behaviour(self._home, entity_id, Automation)
        events = self._write(entity_id, automation.trigger(now), context)
        data = {
            "name": automation.static_attributes["friendly_name"],
            "entity_id": entity_id,
            "source": f"state of {source}",
        }
        self._home.bus.fire(const.EVENT_AUTOMATION_TRIGGERED, data, context, clock.now_us())
        return events

    def _call_service(self, domain: str, service: str, entity_id: str, context: Context) -> None:
        data = {"domain": domain, "service": service, "service_data": {"entity_id": entity_id}}
        self._home.bus.fire(const.EVENT_CALL_SERVICE, data, context, clock.now_us())

    def _write(self, entity_id: str, reading: Reading, context: Context | None) -> int:
        entity = self._home.entities[entity_id]
        entity.unavailable_until = None  # an automation's write brings the entity back
        states = self._home.states
        return int(states.set(entity_id, reading.state, reading.attributes, reading.attrs_json, context))


B = TypeVar("B", bound=Behaviour)


def _behaviour(home: DemoHome, entity_id: str, kind: type[B]) -> B:
    behaviour = home.entities[entity_id].behaviour
    if not isinstance(behaviour, kind):
        raise TypeError(f"{entity_id} is not a {kind.__name__}")
    return behaviour
