"""Power steps of switch changes on a whole-home meter: accurate for real loads, no claim for none."""

from __future__ import annotations

import random

import pytest

from core.energy.attribution import StepFunction, SwitchEvent, attribute_all, median_interval

DEVICES = {"switch.heater": 150.0, "switch.lamp": 60.0, "switch.relay": 0.0}


def synthetic_home(seed: int, hours: float) -> tuple[StepFunction, list[SwitchEvent]]:
    """A 2-second mains meter: drifting base load, a fridge cycling on its own, three switches."""
    rng = random.Random(seed)
    on = dict.fromkeys(DEVICES, False)
    base, fridge = 250.0, False
    next_change = {eid: rng.expovariate(1 / 600) for eid in DEVICES}
    events: list[SwitchEvent] = []
    ts: list[float] = []
    watts: list[float | None] = []
    t = 0.0
    while t < hours * 3600:
        for eid, when in next_change.items():
            if when <= t:
                on[eid] = not on[eid]
                events.append(SwitchEvent(eid, when, on[eid]))
                next_change[eid] = t + rng.expovariate(1 / 600)
        if rng.random() < 2 / 900:
            fridge = not fridge
        base += rng.gauss(0, 4) + 0.02 * (250 - base)
        ts.append(t + rng.uniform(0.5, 1.5))  # the meter reports a moment after the change
        watts.append(base + 90 * fridge + sum(DEVICES[e] for e in DEVICES if on[e]))
        t += 2.0
    return StepFunction(ts, watts), events


def test_estimates_match_the_true_power_and_zero_draw_gets_no_claim() -> None:
    mains, events = synthetic_home(7, hours=72)
    results = {a.entity_id: a for a in attribute_all(events, mains)}
    heater, lamp, relay = results["switch.heater"], results["switch.lamp"], results["switch.relay"]
    assert heater.confident and heater.watts == pytest.approx(150.0, rel=0.15)
    assert lamp.confident and lamp.watts == pytest.approx(60.0, rel=0.15)
    assert heater.low is not None and heater.high is not None and heater.watts is not None
    assert heater.low <= heater.watts <= heater.high
    assert heater.high - heater.low < 0.2 * 150.0  # a tight interval from many changes
    assert heater.events >= 50 and heater.dropped > 0  # overlapping changes were set aside
    assert not relay.confident and relay.watts is not None and abs(relay.watts) < 20.0


def test_too_few_changes_make_no_claim() -> None:
    mains, events = synthetic_home(3, hours=1.5)
    for a in attribute_all(events, mains):
        if a.events < 8:
            assert not a.confident and "only" in a.reason


def test_no_mains_data_around_a_change_drops_it() -> None:
    mains = StepFunction([0.0, 100.0, 200.0], [300.0, None, 300.0])
    (a,) = attribute_all([SwitchEvent("switch.x", 130.0, True)], mains)
    assert a.watts is None and a.events == 0 and a.dropped == 1 and not a.confident


def test_median_interval_brackets_the_median() -> None:
    values = [float(v) for v in range(1, 101)]
    low, high = median_interval(values)
    assert low < 50.5 < high
    assert (low, high) == (41.0, 60.0)
