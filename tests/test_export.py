"""export_events: JSON lines with exactly the EnrichedEvent field names."""

from __future__ import annotations

import io
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import orjson

from core.models import EnrichedEvent
from core.store.export import export_events
from core.store.serialize import event_to_json_dict
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
    assert len(lines) == 5000 and list(lines[0]) == [f.name for f in fields(EnrichedEvent)]
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
