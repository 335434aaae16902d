"""EnrichedEvent <-> JSON-ready dict, shared by the export command and the REST API."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC
from typing import Any

from core.models import EnrichedEvent

_FIELDS = tuple(f.name for f in fields(EnrichedEvent))


def event_to_json_dict(ev: EnrichedEvent) -> dict[str, Any]:
    """Every EnrichedEvent field by its own name; time_fired as ISO 8601 UTC, source as its string."""
    out = {name: getattr(ev, name) for name in _FIELDS}
    out["time_fired"] = ev.time_fired.astimezone(UTC).isoformat()
    out["source"] = str(ev.source)
    return out
