"""Read-only lookups in the registry snapshot the runtime holds (names for ids, choices for filters)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.models import RegistrySnapshot
    from core.runtime import Runtime


def snapshot(rt: Runtime) -> RegistrySnapshot | None:
    return rt.registry.snapshot


def area_name(rt: Any, area_id: str | None) -> str:
    if not area_id:
        return ""
    snap = snapshot(rt)
    area = snap.areas.get(area_id) if snap is not None else None
    return area.name if area is not None else area_id


def area_choices(rt: Any) -> list[tuple[str, str]]:
    """(name, area_id) sorted by name."""
    snap = snapshot(rt)
    if snap is None:
        return []
    return sorted((a.name, a.area_id) for a in snap.areas.values())


def domain_choices(rt: Any) -> list[str]:
    snap = snapshot(rt)
    if snap is None:
        return []
    return sorted({e.domain for e in snap.entities.values()})
