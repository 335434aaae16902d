"""Data API against a real runtime fed by the simulator: filters, paging, search, stats, traces,
analytics and the Home Assistant metadata endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.api.schemas import WEATHER_FIELDS
from core.models import EnrichedEvent
from tests.api_live import LiveRuntime, start_live

EVENT_KEYS = {f.name for f in fields(EnrichedEvent)} | {"id"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRuntime]:
    rt = start_live(tmp_path_factory.mktemp("api_data"))
    try:
        rt.wait_stored(600)
        rt.call_soon(rt.runtime.simulator.pause)  # a fixed data set from here on
        rt.flush()
        yield rt
    finally:
        rt.stop()


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def all_events(live: LiveRuntime, **params: Any) -> list[dict[str, Any]]:
    response = live.get("/api/v1/events", limit=1000, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None, "the fixture holds fewer than 1000 matching events"
    return list(body["events"])


# -- events ---------------------------------------------------------------------------------------


def test_events_use_the_export_field_names_plus_id(live: LiveRuntime) -> None:
    body = live.get("/api/v1/events", limit=5).json()
    assert set(body) == {"events", "next_cursor", "count"}
    assert body["count"] == 5 and body["next_cursor"] is not None
    for event in body["events"]:
        assert set(event) == EVENT_KEYS | set(WEATHER_FIELDS)  # + the weather at its time (joined on read)


@pytest.mark.parametrize(
    "key", ["entity_id", "domain", "device_id", "area_id", "floor_id", "source", "event_type"]
)
def test_each_filter_keeps_only_matching_events(live: LiveRuntime, key: str) -> None:
    sample = next(e for e in live.get("/api/v1/events", limit=200).json()["events"] if e[key] is not None)
    events = live.get("/api/v1/events", limit=1000, **{key: sample[key]}).json()["events"]
    assert sample["id"] in {e["id"] for e in events}
    assert all(e[key] == sample[key] for e in events)


def test_unknown_filter_value_gives_an_empty_page_not_an_error(live: LiveRuntime) -> None:
    body = live.get("/api/v1/events", entity_id="light.does_not_exist").json()
    assert body == {"events": [], "next_cursor": None, "count": 0}


def test_time_range_is_start_inclusive_end_exclusive(live: LiveRuntime) -> None:
    events = live.get("/api/v1/events", limit=100).json()["events"]
    newest, older = parse(events[0]["time_fired"]), parse(events[60]["time_fired"])
    inside = all_events(live, start=iso(older), end=iso(newest))
    assert inside and all(older <= parse(e["time_fired"]) < newest for e in inside)
    assert events[60]["id"] in {e["id"] for e in inside}
    assert events[0]["id"] not in {e["id"] for e in inside}


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_cursor_paging_walks_every_event_exactly_once(live: LiveRuntime, order: str) -> None:
    end = iso(parse(live.get("/api/v1/events", limit=1).json()["events"][0]["time_fired"]))
    expected = [
        e["id"] for e in live.get("/api/v1/events", limit=1000, end=end, order=order).json()["events"]
    ]
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 37, "end": end, "order": order}
        if cursor:
            params["cursor"] = cursor
        body = live.get("/api/v1/events", **params).json()
        seen += [e["id"] for e in body["events"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None or len(seen) >= len(expected):
            break
    assert pages > 3
    assert seen == expected[: len(seen)] and len(seen) >= min(len(expected), 37 * 3)
    assert len(set(seen)) == len(seen)


def test_event_by_id_and_unknown_id(live: LiveRuntime) -> None:
    event = live.get("/api/v1/events", limit=1).json()["events"][0]
    assert live.get(f"/api/v1/events/{event['id']}").json() == event
    missing = live.get("/api/v1/events/999999999")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    not_a_number = live.get("/api/v1/events/abc")  # only digits match the route
    assert not_a_number.status_code == 404 and set(not_a_number.json()) == {
        "error",
        "detail",
        "correlation_id",
    }
    assert live.get("/api/v1/events/0").status_code == 400


# -- search ---------------------------------------------------------------------------------------


def test_search_matches_entity_id_friendly_name_and_state(live: LiveRuntime) -> None:
    sample = next(e for e in live.get("/api/v1/events", limit=300).json()["events"] if e["friendly_name"])
    by_id = live.post(
        "/api/v1/events/search", json={"query": sample["entity_id"].split(".")[1].upper()}
    ).json()
    assert by_id["events"] and all(
        sample["entity_id"].split(".")[1] in e["entity_id"] for e in by_id["events"]
    )
    name_part = sample["friendly_name"].split()[-1]
    by_name = live.post("/api/v1/events/search", json={"query": name_part, "limit": 500}).json()["events"]
    assert any(name_part.lower() in (e["friendly_name"] or "").lower() for e in by_name)
    for e in by_name:
        haystack = f"{e['entity_id']} {e['friendly_name'] or ''} {e['state'] or ''}".lower()
        assert name_part.lower() in haystack
    by_state = live.post("/api/v1/events/search", json={"query": "unavailable", "domain": "sensor"}).json()
    assert all(e["domain"] == "sensor" for e in by_state["events"])


def test_search_pages_and_treats_wildcards_literally(live: LiveRuntime) -> None:
    first = live.post("/api/v1/events/search", json={"query": "sensor", "limit": 20}).json()
    second = live.post(
        "/api/v1/events/search", json={"query": "sensor", "limit": 20, "cursor": first["next_cursor"]}
    ).json()
    assert first["next_cursor"] and second["events"]
    assert not {e["id"] for e in first["events"]} & {e["id"] for e in second["events"]}
    assert live.post("/api/v1/events/search", json={"query": "%"}).json()["events"] == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "missing_parameter"),
        ({"query": ""}, "bad_request"),
        ({"query": "x", "limit": 0}, "bad_request"),
        ({"query": "x", "bogus": 1}, "unknown_parameter"),
        ({"query": "x", "cursor": "nonsense"}, "bad_cursor"),
        ([1, 2], "bad_request"),
    ],
)
def test_search_rejects_bad_bodies(live: LiveRuntime, body: Any, error: str) -> None:
    response = live.post("/api/v1/events/search", json=body)
    assert response.status_code == 400 and response.json()["error"] == error


def test_search_rejects_invalid_json(live: LiveRuntime) -> None:
    response = live.session.post(
        live.base_url + "/api/v1/events/search",
        data=b"{nope",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400


# -- statistics and analytics ---------------------------------------------------------------------


def aligned_window(live: LiveRuntime) -> tuple[str, str]:
    """A window on hour boundaries holding every stored event (rollups and raw rows agree)."""
    newest = parse(live.get("/api/v1/events", limit=1).json()["events"][0]["time_fired"])
    end = newest.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(days=2)
    return iso(start), iso(end)


def test_stats_totals_agree_with_the_events_and_the_timeline(live: LiveRuntime) -> None:
    start, end = aligned_window(live)
    stats = live.get("/api/v1/events/stats", start=start, end=end, top=5).json()
    assert stats["total"] == sum(
        r["count"] for r in live.get("/api/v1/events/stats", start=start, end=end, top=100).json()["domains"]
    )
    assert stats["total"] >= 600 and len(stats["top_entities"]) == 5
    counts = [e["count"] for e in stats["top_entities"]]
    assert counts == sorted(counts, reverse=True)
    top = stats["top_entities"][0]
    assert len(all_events(live, entity_id=top["entity_id"], start=start, end=end)) == top["count"]
    assert stats["per_minute"] == pytest.approx(stats["per_second"] * 60)
    timeline = live.get("/api/v1/analytics/timeline", start=start, end=end, bucket="1h").json()
    assert sum(b["count"] for b in timeline["buckets"]) == stats["total"]


def test_realtime_counts_the_last_minutes(live: LiveRuntime) -> None:
    body = live.get("/api/v1/analytics/realtime", window_s=3600).json()
    assert body["events"] > 0 and body["active_entities"] > 0
    assert body["events_per_s"] == pytest.approx(body["events"] / 3600)
    assert body["top_domains"][0]["count"] >= body["top_domains"][-1]["count"]


def test_area_activity_heatmap_matches_the_area_counts(live: LiveRuntime) -> None:
    start, end = aligned_window(live)
    heat = live.get("/api/v1/analytics/area-activity", start=start, end=end).json()
    assert len(heat["hours"]) == 48
    stats = live.get("/api/v1/events/stats", start=start, end=end, top=100).json()
    by_area = {r["key"]: r["count"] for r in stats["areas"]}
    for row in heat["areas"]:
        assert len(row["counts"]) == 48 and sum(row["counts"]) == row["total"]
        assert row["total"] == by_area.get(row["area_id"], 0)


def test_entity_activity_filters_by_domain(live: LiveRuntime) -> None:
    body = live.get("/api/v1/analytics/entity-activity", domain="light", limit=5).json()
    assert body["entities"] and all(e["domain"] == "light" for e in body["entities"])


def test_spatial_analytics_per_area_and_floor(live: LiveRuntime) -> None:
    body = live.get("/api/v1/events/spatial-analytics", period="24h", tz="Europe/Berlin").json()
    assert body["timezone"] == "Europe/Berlin"
    assert body["areas"] and body["floors"]
    for place in body["areas"] + body["floors"]:
        assert sum(place["hour_of_day"]) == place["events"] and len(place["hour_of_day"]) == 24
        assert place["busiest_hours"] and place["hour_of_day"][place["busiest_hours"][0]] == max(
            place["hour_of_day"]
        )
    assert sum(a["events"] for a in body["areas"]) == sum(f["events"] for f in body["floors"])
    assert live.get("/api/v1/events/spatial-analytics", tz="Not/AZone").status_code == 400


def test_duration_analytics_reports_typical_times_and_outliers(live: LiveRuntime) -> None:
    body = live.get("/api/v1/events/duration-analytics", domain="sensor", limit=500).json()
    assert body["entities"]
    for entity in body["entities"]:
        assert entity["entity_id"].startswith("sensor.")
        for state in entity["states"]:
            assert state["min_s"] <= state["p1_s"] <= state["typical_s"] <= state["p99_s"] <= state["max_s"]
            for example in state["outlier_examples"]:
                assert example["duration_s"] < state["p1_s"] or example["duration_s"] > state["p99_s"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/events/stats", {"start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"}),
        ("/api/v1/events/stats", {"period": "2w"}),
        ("/api/v1/analytics/area-activity", {"start": "2020-01-01T00:00:00Z"}),
        ("/api/v1/analytics/timeline", {"bucket": "7m"}),
        ("/api/v1/events", {"limit": "1001"}),
        ("/api/v1/events", {"limit": "ten"}),
        ("/api/v1/events", {"start": "yesterday"}),
        ("/api/v1/events", {"source": "radio"}),
        ("/api/v1/events", {"entity": "light.x"}),
        ("/api/v1/events", {"cursor": "12:ab"}),
        ("/api/v1/events/automation-trace/x", {"max_depth": "0"}),
    ],
)
def test_bad_parameters_are_400_with_error_and_detail(
    live: LiveRuntime, path: str, params: dict[str, str]
) -> None:
    response = live.get(path, **params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] and body["detail"] and body["correlation_id"] == response.headers["X-Correlation-ID"]


# -- automation trace -----------------------------------------------------------------------------


def test_trace_of_a_three_level_automation_chain(live: LiveRuntime) -> None:
    sim = live.runtime.simulator
    root_id = live.call_soon(sim.trigger_automation_chain)
    live.wait_until(
        lambda: live.get(f"/api/v1/events/automation-trace/{root_id}").status_code == 200, "chain"
    )
    live.flush()
    trace = live.get(f"/api/v1/events/automation-trace/{root_id}").json()
    root = trace["root"]
    assert trace["root_context_id"] == root_id and root["depth"] == 0 and trace["nodes"] == 3
    assert [e["domain"] for e in root["events"]] == ["binary_sensor"]
    (c1,) = root["children"]
    assert {e["domain"] for e in c1["events"]} == {"automation", "light"}
    assert all(e["context_parent_id"] == root_id for e in c1["events"])
    (c2,) = c1["children"]
    assert (
        c2["depth"] == 2
        and c2["parent_id"] == c1["context_id"]
        and "automation" in {e["domain"] for e in c2["events"]}
    )
    assert trace["events"] == len(root["events"]) + len(c1["events"]) + len(c2["events"])
    # From the leaf the walk goes up to the same root cause.
    from_leaf = live.get(f"/api/v1/events/automation-trace/{c2['context_id']}").json()
    assert from_leaf["root_context_id"] == root_id and from_leaf["nodes"] == 3
    shallow = live.get(f"/api/v1/events/automation-trace/{root_id}", max_depth=1).json()
    assert shallow["truncated"] and shallow["nodes"] == 2
    assert live.get("/api/v1/events/automation-trace/01ARZ3NDEKTSV4RRFFQ69G5FAV").status_code == 404


# -- Home Assistant metadata ----------------------------------------------------------------------


def test_devices_with_filters_and_entity_counts(live: LiveRuntime) -> None:
    devices = live.get("/api/devices").json()
    assert devices["count"] == len(devices["devices"]) > 5
    device = next(d for d in devices["devices"] if d["manufacturer"] and d["entity_count"] > 0)
    same = live.get("/api/devices", manufacturer=device["manufacturer"].upper()).json()["devices"]
    assert device["id"] in {d["id"] for d in same} and all(
        d["manufacturer"] == device["manufacturer"] for d in same
    )
    assert all(
        d["model"] == device["model"]
        for d in live.get("/api/devices", model=device["model"]).json()["devices"]
    )
    in_area = live.get("/api/devices", area_id=device["area_id"]).json()["devices"]
    assert all(d["area_id"] == device["area_id"] for d in in_area)
    assert (
        live.get("/api/devices", disabled="true").json()["count"]
        + live.get("/api/devices", disabled="false").json()["count"]
        == devices["count"]
    )
    one = live.get(f"/api/devices/{device['id']}").json()
    assert len(one["entities"]) == device["entity_count"] and all(
        e["device_id"] == device["id"] for e in one["entities"]
    )
    assert live.get("/api/devices/nope").status_code == 404


def test_entities_areas_and_floors(live: LiveRuntime) -> None:
    lights = live.get("/api/entities", domain="light").json()["entities"]
    assert lights and all(e["domain"] == "light" for e in lights)
    platform = lights[0]["platform"]
    assert all(
        e["platform"] == platform for e in live.get("/api/entities", platform=platform).json()["entities"]
    )
    device_id = lights[0]["device_id"]
    assert all(
        e["device_id"] == device_id for e in live.get("/api/entities", device_id=device_id).json()["entities"]
    )
    one = live.get(f"/api/entities/{lights[0]['entity_id']}").json()
    assert one["in_registry"] and one["entity"]["entity_id"] == lights[0]["entity_id"]
    assert one["last_event"] is None or one["last_event"]["entity_id"] == lights[0]["entity_id"]
    assert live.get("/api/entities/light.nope").status_code == 404
    floors = live.get("/api/floors").json()["floors"]
    areas = live.get("/api/areas", floor_id=floors[0]["floor_id"]).json()["areas"]
    assert areas and all(a["floor_id"] == floors[0]["floor_id"] for a in areas)
    assert sum(a["entity_count"] for a in areas) <= floors[0]["entity_count"]


def test_reliability_of_a_device_that_went_unavailable(live: LiveRuntime) -> None:
    sim = live.runtime.simulator
    lights = [e for e in live.get("/api/entities", domain="light").json()["entities"] if e["device_id"]]
    flaky, dead = lights[0], next(e for e in lights if e["device_id"] != lights[0]["device_id"])

    def back_from_unavailable() -> bool:
        last = live.get("/api/v1/events", entity_id=flaky["entity_id"], limit=1).json()["events"]
        return bool(last) and last[0]["old_state"] == "unavailable"

    live.call_soon(lambda: sim.set_entity_unavailable(flaky["entity_id"], 0.3))
    live.call_soon(lambda: sim.set_entity_unavailable(dead["entity_id"], 3600))

    def flushed_and_back() -> bool:
        live.flush()
        return back_from_unavailable()

    live.wait_until(flushed_and_back, "the flaky light to come back")
    body = live.get("/api/devices/reliability", period="24h").json()
    rows = {r["device_id"]: r for r in body["devices"]}
    flaky_row, dead_row = rows[flaky["device_id"]], rows[dead["device_id"]]
    assert flaky_row["unavailable_s"] > 0 and flaky_row["availability_pct"] < 100
    assert not flaky_row["unavailable_now"] and flaky_row["last_seen"] is not None
    assert dead_row["unavailable_now"] and dead_row["availability_pct"] < 100
    assert flaky_row["events"] > 0 and flaky_row["events_per_day"] > 0
    # Worst first, and the static path is not shadowed by /api/devices/{device_id}.
    pcts = [r["availability_pct"] for r in body["devices"] if r["availability_pct"] is not None]
    assert pcts == sorted(pcts)


@pytest.mark.parametrize(
    ("bucket_s", "filters"), [(300, {}), (900, {"domain": "sensor"}), (3600, {"area_id": "kitchen"})]
)
def test_timeline_matches_the_store_event_buckets(
    live: LiveRuntime, bucket_s: int, filters: dict[str, str]
) -> None:
    from core.analytics import timeline

    start_text, end_text = aligned_window(live)
    start, end = parse(start_text) + timedelta(minutes=7), parse(end_text)
    store = live.runtime.store
    ours = live.call(timeline(store, start, end, bucket_s, **filters))
    theirs = live.call(store.queries.event_buckets(start, end, bucket_s, **filters))
    assert ours == theirs and sum(b.count for b in ours) > 0
