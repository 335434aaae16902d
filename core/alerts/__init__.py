"""Alerts: rules over real runtime state (rules.py), their own store with history (store.py, alerts.db),
and the engine that raises, clears and publishes them (engine.py)."""

from core.alerts.engine import SPEC, AlertEngine
from core.alerts.rules import AlertThresholds
from core.alerts.store import Alert

__all__ = ["SPEC", "Alert", "AlertEngine", "AlertThresholds"]
