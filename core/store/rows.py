"""The row records that flow from the pipeline to the writer.

They are NamedTuples rather than dataclasses on purpose: one is built per event on the hot path
(~25k/s), and a tuple is several times cheaper to create than a slotted dataclass.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from core.models import EnrichedEvent, EventSource, JsonDict
from core.store.codec import finite_float, us_to_datetime


class Resolution(NamedTuple):
    """What the registries say about one entity; hashable, so the writer dedupes it to an integer key."""

    device_id: str | None = None
    area_id: str | None = None
    floor_id: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    sw_version: str | None = None


NO_RESOLUTION = Resolution()


class StoreRow(NamedTuple):
    """One state change, validated and enriched, in the form the writer stores.

    `attributes` is the parsed dict when it is still at hand (live path) so that an EnrichedEvent
    can be built for the bus without parsing `attrs_json` again; rows read back from the spill
    file carry None there.
    """

    entity_id: str
    time_us: int  # HA's time_fired, epoch microseconds (UTC)
    state: str | None
    old_state: str | None
    attrs_json: bytes  # orjson of the attributes, exactly what is stored
    context_id: str | None
    context_parent_id: str | None
    context_user_id: str | None
    origin: str | None
    source: str  # an EventSource value
    event_type: str
    duration_ms: int | None
    enrich: Resolution
    attributes: JsonDict | None = None

    def to_spill(self) -> list[Any]:
        """A JSON-able list for the spill file (attributes travel as their stored JSON text)."""
        return [
            self.entity_id, self.time_us, self.state, self.old_state, self.attrs_json.decode(),
            self.context_id, self.context_parent_id, self.context_user_id, self.origin, self.source,
            self.event_type, self.duration_ms, list(self.enrich),
        ]  # fmt: skip

    def to_event(self) -> EnrichedEvent:
        """Build the public EnrichedEvent; value/unit/device_class/friendly_name are derived here."""
        attrs = self.attributes if self.attributes is not None else orjson.loads(self.attrs_json)
        en = self.enrich
        duration = self.duration_ms
        return EnrichedEvent(
            entity_id=self.entity_id,
            domain=self.entity_id.partition(".")[0],
            event_type=self.event_type,
            time_fired=us_to_datetime(self.time_us),
            state=self.state,
            old_state=self.old_state,
            attributes=attrs,
            value=finite_float(self.state),
            unit=_str_attr(attrs, "unit_of_measurement"),
            device_class=_str_attr(attrs, "device_class"),
            friendly_name=_str_attr(attrs, "friendly_name"),
            context_id=self.context_id,
            context_parent_id=self.context_parent_id,
            context_user_id=self.context_user_id,
            origin=self.origin,
            device_id=en.device_id,
            area_id=en.area_id,
            floor_id=en.floor_id,
            duration_in_state=None if duration is None else duration / 1000,
            device_manufacturer=en.manufacturer,
            device_model=en.model,
            device_sw_version=en.sw_version,
            source=EventSource(self.source),
        )

    @classmethod
    def from_spill(cls, item: list[Any]) -> StoreRow:
        eid, t, state, old, attrs, ctx, parent, user, origin, source, etype, dur, enrich = item
        return cls(
            eid,
            t,
            state,
            old,
            attrs.encode(),
            ctx,
            parent,
            user,
            origin,
            source,
            etype,
            dur,
            Resolution(*enrich),
        )


class WriteResult(NamedTuple):
    """What one committed batch did: ids of the inserted rows and how many were duplicates."""

    inserted: list[tuple[int, StoreRow]]
    duplicates: int


def _str_attr(attrs: JsonDict, key: str) -> str | None:
    value = attrs.get(key)
    return value if isinstance(value, str) else None
