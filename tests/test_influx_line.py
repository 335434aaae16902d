"""The line protocol encoder: escaping, omitted tags/fields, and a full round trip through influxd 1.x."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from influxdb_client import Point

from core.config import InfluxConfig
from core.influx.line import LineEncoder, attributes_json, escape_tag, quote_string, time_ns
from core.influx.writer import rows
from core.influx.writer_v1 import WriterV1
from core.models import EventSource
from tests.influx_servers import InfluxdServer, make_event

T0 = datetime(2026, 11, 27, 12, 0, 0, 123456, tzinfo=UTC)

FULL = make_event(
    "sensor.kitchen_temp",
    "21.5",
    T0,
    old_state="21.25",
    attributes={
        "unit_of_measurement": "°C",
        "friendly_name": 'Kitchen "main" temp',
        "list": [1, 2],
        "n": None,
    },
    unit="°C",
    device_class="temperature",
    friendly_name='Kitchen "main" temp',
    context_id="01JDCTX0000000000000000000",
    context_parent_id="01JDPARENT0000000000000000",
    context_user_id="abc123user",
    device_id="dev1",
    area_id="kitchen",
    floor_id="ground",
    duration_in_state=12.5,
    device_manufacturer="Acme, Inc.",
    device_model="T 1000=x",
    source=EventSource.BACKFILL,
)


def test_full_event_line() -> None:
    line = LineEncoder().encode(FULL)
    assert line.startswith(
        "state_changed,area_id=kitchen,device_class=temperature,device_id=dev1,domain=sensor,"
        "entity_id=sensor.kitchen_temp,event_type=state_changed,floor_id=ground,unit=°C "
    )
    assert 'state="21.5",value=21.5,old_state="21.25",attributes="{' in line
    assert "duration_in_state=12.5,context_id=" in line
    assert 'device_manufacturer="Acme, Inc.",device_model="T 1000=x",source="backfill"' in line
    assert line.endswith(f" {time_ns(T0)}")
    assert time_ns(T0) == 1_795_780_800_123_456_000


def test_empty_tags_and_absent_fields_are_omitted() -> None:
    removed = make_event("light.gone", None, T0, old_state="on", origin=None)
    line = LineEncoder().encode(removed)
    series = "state_changed,domain=light,entity_id=light.gone,event_type=state_changed"
    assert line == f'{series} old_state="on",source="live" {time_ns(T0)}'
    text = LineEncoder().encode(make_event("switch.a", "on", T0))
    assert "value=" not in text and "attributes=" not in text


@pytest.mark.parametrize("state", ["nan", "inf", "-inf"])
def test_non_finite_numbers_are_not_values(state: str) -> None:
    ev = make_event("sensor.x", state, T0, value=float(state), duration_in_state=float("nan"))
    line = LineEncoder().encode(ev)
    assert "value=" not in line and "duration_in_state" not in line and f'state="{state}"' in line


def test_escaping() -> None:
    assert escape_tag("a b,c=d") == "a\\ b\\,c\\=d"
    assert escape_tag("back\\slash\nnl") == "back/slash nl"
    assert quote_string('say "hi" \\o/') == '"say \\"hi\\" \\\\o/"'
    enc = LineEncoder("my meas,x")
    assert enc.encode(make_event("sensor.a", "1", T0)).startswith("my\\ meas\\,x,domain=sensor,")


def test_same_point_as_influxdb_client() -> None:
    """Our hand-written line parses to what influxdb_client.Point would write for the same data."""
    ev = make_event("sensor.p", "2092", T0, unit="W", device_id="d 1", attributes={"a": 'x"y'})
    point = (
        Point("state_changed")
        .tag("device_id", "d 1")
        .tag("domain", "sensor")
        .tag("entity_id", "sensor.p")
        .tag("event_type", "state_changed")
        .tag("unit", "W")
        .field("state", "2092")
        .field("value", 2092.0)
        .field("attributes", attributes_json({"a": 'x"y'}))
        .field("source", "live")
        .time(time_ns(T0))
    )
    ours = LineEncoder().encode(ev)
    theirs = point.to_line_protocol()  # Point sorts fields and writes 2092.0 as 2092: the same float
    assert _normalised(ours) == _normalised(theirs.replace("value=2092 ", "value=2092.0 "))


def _normalised(line: str) -> tuple[str, list[str], str]:
    """(series key, sorted fields, timestamp); the key ends at the first unescaped space."""
    key, rest = re.split(r"(?<!\\) ", line, maxsplit=1)
    body, _, stamp = rest.rpartition(" ")
    return key, sorted(body.split(",")), stamp


def test_oversized_attributes_become_a_marker() -> None:
    big = {"blob": "x" * 70_000}
    assert orjson.loads(attributes_json(big)) == {"_truncated": True, "bytes": 70_011}


def test_prefix_cache_follows_registry_changes() -> None:
    enc = LineEncoder()
    a = enc.encode(make_event("sensor.a", "1", T0, area_id="kitchen"))
    b = enc.encode(make_event("sensor.a", "1", T0, area_id="office"))
    assert "area_id=kitchen" in a and "area_id=office" in b


@pytest.mark.influx
async def test_round_trip_every_field_and_tag(influxd: InfluxdServer, influx_db: str) -> None:
    weird = make_event(
        "input_text.note",
        'multi\nline "quoted" \\ back',
        T0 + timedelta(seconds=1),
        unit="kWh per day, net=x",
        attributes={"emoji": "🙂", "nested": {"k": [1, "two"]}},
    )
    now = datetime.now(UTC)
    events = [
        FULL.__class__(**{**_as_dict(FULL), "time_fired": now}),
        weird.__class__(**{**_as_dict(weird), "time_fired": now + timedelta(microseconds=1)}),
    ]
    writer = WriterV1(InfluxConfig(enabled=True, url=influxd.url, database=influx_db))
    try:
        await writer.prepare()
        enc = LineEncoder()
        await writer.write("\n".join(enc.encode(ev) for ev in events).encode())
        got = rows(await writer.query("SELECT * FROM state_changed ORDER BY time"))
    finally:
        await writer.close()
    assert len(got) == 2
    first, second = got
    assert first["time"] == time_ns(now)
    expected = {
        "area_id": "kitchen", "device_class": "temperature", "device_id": "dev1", "domain": "sensor",
        "entity_id": "sensor.kitchen_temp", "event_type": "state_changed", "floor_id": "ground", "unit": "°C",
        "state": "21.5", "value": 21.5, "old_state": "21.25", "duration_in_state": 12.5,
        "context_id": FULL.context_id, "context_parent_id": FULL.context_parent_id,
        "context_user_id": "abc123user", "device_manufacturer": "Acme, Inc.", "device_model": "T 1000=x",
        "source": "backfill",
    }  # fmt: skip
    assert {k: first[k] for k in expected} == expected
    assert orjson.loads(first["attributes"]) == FULL.attributes
    assert second["state"] == weird.state
    assert second["unit"] == "kWh per day, net=x"
    assert orjson.loads(second["attributes"]) == weird.attributes
    assert second["value"] is None and second["area_id"] is None


def _as_dict(ev: object) -> dict[str, object]:
    return {name: getattr(ev, name) for name in ev.__slots__}  # type: ignore[attr-defined]


async def test_weather_fields_round_trip_and_unknown_ones_are_left_out(
    influxd: InfluxdServer, influx_db: str
) -> None:
    now = datetime.now(UTC)
    known = {"weather_temperature": 9.8, "weather_humidity": 81, "weather_condition": "light rain",
             "weather_wind_speed": 4.0, "weather_observed_at": "2026-11-27T11:45:00Z"}  # fmt: skip
    unknown = dict.fromkeys(known)
    events = [
        FULL.__class__(**{**_as_dict(FULL), "time_fired": now}),
        FULL.__class__(**{**_as_dict(FULL), "time_fired": now + timedelta(microseconds=1)}),
    ]
    lines = LineEncoder().encode_many(events, [known, unknown])
    assert 'weather_condition="light rain"' in lines[0] and "weather_humidity=81.0" in lines[0]
    assert "weather_" not in lines[1]  # line protocol has no null: unknown weather is absent
    writer = WriterV1(InfluxConfig(enabled=True, url=influxd.url, database=influx_db))
    try:
        await writer.prepare()
        await writer.write("\n".join(lines).encode())
        got = rows(await writer.query("SELECT * FROM state_changed ORDER BY time"))
    finally:
        await writer.close()
    assert {k: got[0][k] for k in known} == {**known, "weather_humidity": 81.0}
    assert all(got[1][k] is None for k in known)
