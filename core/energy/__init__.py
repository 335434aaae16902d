"""The energy engine: the home's consumption, cost and carbon from its own sensors, which switch costs
what, and the cheapest and greenest windows. The algorithms (meter, binning, cost, windows,
attribution, correlation, shifting) are pure functions without I/O; the engine wires them to the store
and the data sources."""

from core.energy.spec import SPEC

__all__ = ["SPEC"]
