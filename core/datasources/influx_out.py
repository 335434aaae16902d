"""Every source's time series in InfluxDB (measurement `data_source`), when InfluxDB is enabled.

A fetch's slots become line-protocol rows in sources.db's outbox in the same transaction that saves
them (store.save_fetch), and `core.influx.drain.OutboxDrain` sends them through the shared writers,
oldest first with backoff: an InfluxDB outage or a restart loses no point. One point per slot:
tags source, provider, series, unit; fields `value` (float) and `duration_s` (the slot's length,
15 min to 3 h), and `label` (carbon band, Tibber level) when the slot has one; time = slot start.
A refetched slot (a forecast revised) is the same series and time, so InfluxDB keeps the newest.
Unknown values (None) are not written: "no point" is InfluxDB's unknown. Calendar events are not a
time series (and their titles are private): they stay in sources.db only.
"""

from __future__ import annotations

import logging

from core.config import InfluxConfig
from core.datasources.model import Fetched, Source
from core.influx.drain import OutboxDrain, OutboxStore
from core.influx.line import escape_measurement, escape_tag, quote_string, time_ns

MEASUREMENT = "data_source"
_LOGGER = logging.getLogger("core.datasources.influx")


def _tag(value: str) -> str:
    return escape_tag(value) or "none"  # an empty tag value is invalid line protocol


def slot_lines(source: Source, provider: str, fetched: Fetched) -> list[str]:
    """The points of one fetch (none for the calendar)."""
    if source is Source.CALENDAR:
        return []
    measurement = escape_measurement(MEASUREMENT)
    out: list[str] = []
    for series, slots in fetched.series.items():
        labels = fetched.labels.get(series, {})
        for slot in slots:
            if slot.value is None:
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


class InfluxOut(OutboxDrain):
    def __init__(self, store: OutboxStore, config: InfluxConfig) -> None:
        super().__init__(store, config, what="data source", logger=_LOGGER)
