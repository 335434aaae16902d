"""export_events: JSON lines with exactly the EnrichedEvent field names."""

from __future__ import annotations

import io
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import orjson

from core.datasources.store import SourcesStore
from core.models import EnrichedEvent
from core.store.export import export_events
from core.store.serialize import event_to_json_dict
from core.weather import FIELDS, SOURCES_DB, Observation
from tests.test_pipeline_support import T0, close_all, make_event, make_pipeline


async def test_export_lines_filters_and_fields(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    try:
        for i in range(5000):  # more than one export page
            entity = "sensor.kitchen_temp" if i % 2 else "switch.plug"
            pipeline.submit(
                make_event(entity, str(i), T0 + timedelta(seconds=i), attributes={"unit_of_measurement": "W"})
            )
        await pipeline.flush()
        expected = (await store.queries.last_events("sensor.kitchen_temp", 1))[0].event
    finally:
        await close_all(pipeline, store)

    out = io.StringIO()
    assert await export_events(tmp_path, out, None, None, None) == 5000
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 5000 and list(lines[0]) == [f.name for f in fields(EnrichedEvent)] + list(FIELDS)
    assert [x["state"] for x in lines[:3]] == ["0", "1", "2"]  # oldest first
    assert lines[0]["time_fired"] == "2026-08-20T07:00:00+00:00" and lines[0]["source"] == "live"

    out = io.StringIO()
    n = await export_events(
        tmp_path, out, T0 + timedelta(seconds=10), T0 + timedelta(seconds=20), "sensor.kitchen_temp"
    )
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert n == 5 and [x["state"] for x in lines] == ["11", "13", "15", "17", "19"]
    assert lines[0]["unit"] == "W" and lines[0]["value"] == 11.0 and lines[0]["area_id"] == "kitchen"

    assert event_to_json_dict(expected)["state"] == "4999"
    assert await export_events(tmp_path / "empty", io.StringIO(), None, None, None) == 0


async def test_export_carries_the_weather_at_each_event(tmp_path: Path) -> None:
    pipeline, store, _ = await make_pipeline(tmp_path)
    try:
        for i in range(0, 7200, 60):  # one event a minute for two hours
            pipeline.submit(make_event("sensor.kitchen_temp", str(i), T0 + timedelta(seconds=i)))
        await pipeline.flush()
    finally:
        await close_all(pipeline, store)
    sources = SourcesStore(tmp_path / SOURCES_DB)
    await sources.open()
    observed = T0 + timedelta(minutes=10)
    await sources.save_observation(Observation(observed, "open_meteo", 9.8, 81.0, 4.0, "overcast"))
    await sources.close()

    out = io.StringIO()
    assert await export_events(tmp_path, out, None, None, None) == 120
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    with_weather = [x for x in lines if x["weather_temperature"] is not None]
    # from the observation (minute 10) for an hour: minutes 10..70; before and after: nulls, no guess
    assert [int(x["state"]) // 60 for x in with_weather] == list(range(10, 71))
    first = with_weather[0]
    assert (first["weather_temperature"], first["weather_humidity"], first["weather_condition"],
            first["weather_wind_speed"]) == (9.8, 81.0, "overcast", 4.0)  # fmt: skip
    assert first["weather_observed_at"] == "2026-08-20T07:10:00Z"
    assert all(x["weather_observed_at"] is None for x in lines if x not in with_weather)
