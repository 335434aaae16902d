"""Every source's time series in InfluxDB (measurement `data_source`), when InfluxDB is enabled.

A fetch's slots become line-protocol rows in sources.db's outbox in the same transaction that saves
them (store.save_fetch), and `core.influx.drain.OutboxDrain` sends them through the shared writers,
oldest first with backoff: an InfluxDB outage or a restart loses no point. One point per slot:
tags source, provider, series, unit; fields `value` (float) and `duration_s` (the slot's length,
15 min to 3 h), and `label` (carbon band, Tibber level) when the slot has one; time = slot start.
A refetched slot (a forecast revised) is the same series and time, so InfluxDB keeps the newest;
the first fetch of each run queues every slot, later ones only the slots that changed.
Unknown values (None) are not written: "no point" is InfluxDB's unknown. Calendar events are not a
time series (and their titles are private): they stay in sources.db only.
"""

from __future__ import annotations

import logging

from core.config import InfluxConfig
from core.datasources.cache import SeriesCache
from core.datasources.model import Fetched, Source
from core.influx.drain import OutboxDrain, OutboxStore
from core.influx.line import escape_measurement, escape_tag, quote_string, time_ns
from core.slots import Slot

MEASUREMENT = "data_source"
_LOGGER = logging.getLogger("core.datasources.influx")


def _tag(value: str) -> str:
    return escape_tag(value) or "none"  # an empty tag value is invalid line protocol


def slot_lines(
    source: Source, provider: str, fetched: Fetched, known: SeriesCache | None = None
) -> list[str]:
    """The points of one fetch (none for the calendar). With `known` (what an earlier fetch of this
    run already queued), slots equal to a known one are left out: a price day refetched until
    tomorrow's appear, or an unchanged forecast, adds no rows."""
    if source is Source.CALENDAR:
        return []
    measurement = escape_measurement(MEASUREMENT)
    out: list[str] = []
    for series, slots in fetched.series.items():
        labels = fetched.labels.get(series, {})
        for slot in slots:
            if slot.value is None:
                continue
            if known is not None and _unchanged(known, series, slot, labels.get(slot.start)):
                continue
            tags = (
                f"source={_tag(source.value)},provider={_tag(provider)},"
                f"series={_tag(series)},unit={_tag(slot.unit)}"
            )
            fields = f"value={float(slot.value)!r},duration_s={int((slot.end - slot.start).total_seconds())}i"
            label = labels.get(slot.start)
            if label:
                fields += f",label={quote_string(label)}"
            out.append(f"{measurement},{tags} {fields} {time_ns(slot.start)}")
    return out


def _unchanged(known: SeriesCache, series: str, slot: Slot, label: str | None) -> bool:
    before = known.at(series, slot.start)
    return before == slot and known.labels.get(series, {}).get(slot.start) == label


class InfluxOut(OutboxDrain):
    def __init__(self, store: OutboxStore, config: InfluxConfig) -> None:
        super().__init__(store, config, what="data source", logger=_LOGGER)
