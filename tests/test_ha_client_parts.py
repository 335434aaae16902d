"""The HA client's pure parts: registry parsing, backoff schedule, back-fill planning."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from core.ha.backfill import Backfiller, BackfillPlan, plan_window
from core.ha.backoff import Backoff
from core.ha.client import safe_url
from core.ha.registry_parse import build_snapshot, parse_device, parse_entity, replace_registries
from core.models import EventSource

DEVICE_2025 = {
    "area_id": "kitchen",
    "configuration_url": None,
    "config_entries": ["01JAB"],
    "config_entries_subentries": {"01JAB": [None]},
    "connections": [["mac", "aa:bb"]],
    "created_at": 1723987200.0,
    "disabled_by": None,
    "entry_type": None,
    "hw_version": None,
    "id": "8f1c",
    "identifiers": [["hue", "00:17"]],
    "labels": [],
    "manufacturer": "Signify",
    "model": "LCT015",
    "model_id": None,
    "modified_at": 1754000000.0,
    "name_by_user": None,
    "name": "Kitchen lamp",
    "primary_config_entry": "01JAB",
    "serial_number": None,
    "sw_version": "1.104.2",
    "via_device_id": "3a9e",
}


def test_device_2025_shape_takes_primary_config_entry() -> None:
    device = parse_device(DEVICE_2025)
    assert device is not None
    assert (device.id, device.area_id, device.manufacturer, device.model) == (
        "8f1c",
        "kitchen",
        "Signify",
        "LCT015",
    )
    assert device.config_entry_id == "01JAB"
    assert device.identifiers == (("hue", "00:17"),)
    assert device.via_device_id == "3a9e"


def test_device_2026_8_prefers_config_entry_id_and_ignores_unknown_keys() -> None:
    row = {**DEVICE_2025, "config_entry_id": "01NEW", "config_subentry_id": None, "brand_new_field": {"x": 1}}
    device = parse_device(row)
    assert device is not None and device.config_entry_id == "01NEW"


def test_device_2026_9_child_has_parent_and_no_model() -> None:
    child = {
        "id": "c1",
        "parent_device_id": "8f1c",
        "config_entry_id": "01NEW",
        "config_subentry_id": None,
        "area_id": None,
        "name": "Lamp segment",
        "name_by_user": None,
        "labels": ["x"],
        "identifiers": [],
        "disabled_by": None,
        "created_at": 1.0,
        "modified_at": 2.0,
    }
    device = parse_device(child)
    assert device is not None
    assert (device.parent_device_id, device.area_id, device.manufacturer, device.labels) == (
        "8f1c",
        None,
        None,
        ("x",),
    )


def test_bad_rows_are_skipped_not_fatal() -> None:
    raw = {
        "entities": [{"entity_id": "light.a", "area_id": 5}, {"entity_id": "nodot"}, "junk", {"no": "id"}],
        "devices": None,
        "areas": [{"area_id": "kitchen", "floor_id": "ground", "name": "Kitchen"}],
        "floors": [{"floor_id": "ground", "name": "Ground", "level": 0}],
        "labels": [{"label_id": "crit", "name": "Critical", "color": "red"}],
    }
    snapshot = build_snapshot(raw)
    assert list(snapshot.entities) == ["light.a"]
    assert snapshot.entities["light.a"].area_id is None  # wrong type -> None, not a crash
    assert snapshot.devices == {}
    assert snapshot.areas["kitchen"].floor_id == "ground"
    assert snapshot.floors["ground"].level == 0
    assert snapshot.labels["crit"].color == "red"


def test_replace_registries_keeps_the_others() -> None:
    base = build_snapshot({"areas": [{"area_id": "a"}], "entities": [{"entity_id": "light.a"}]})
    new = replace_registries(base, {"areas": [{"area_id": "b"}]})
    assert list(new.areas) == ["b"]
    assert new.entities is base.entities


def test_entity_fields() -> None:
    entity = parse_entity(
        {
            "entity_id": "light.k",
            "device_id": "8f1c",
            "area_id": None,
            "has_entity_name": True,
            "labels": ["l"],
            "disabled_by": None,
            "platform": "hue",
            "options": {"conversation": {}},
        }
    )
    assert entity is not None
    assert (entity.device_id, entity.has_entity_name, entity.labels, entity.platform) == (
        "8f1c",
        True,
        ("l",),
        "hue",
    )


def test_backoff_doubles_to_the_cap_with_bounded_jitter() -> None:
    backoff = Backoff(1.0, 300.0, 0.1, random.Random(7))
    delays = [backoff.next_delay() for _ in range(12)]
    for n, delay in enumerate(delays):
        base = min(300.0, 2.0**n)
        assert base * 0.9 <= delay <= base * 1.1
    backoff.reset()
    assert 0.9 <= backoff.next_delay() <= 1.1


def test_backoff_floor_for_auth_failures() -> None:
    backoff = Backoff(1.0, 300.0, 0.1, random.Random(1))
    assert backoff.next_delay(floor_s=60.0) == 60.0
    assert backoff.failures == 1


def test_plan_window_caps_and_overlaps() -> None:
    now = datetime(2026, 8, 20, 12, tzinfo=UTC)
    assert plan_window(None, now, 24, 10) is None
    assert plan_window(now - timedelta(hours=1), now, 0, 10) is None  # disabled
    start, end = plan_window(now - timedelta(hours=1), now, 24, 10) or (now, now)
    assert (now - start, end) == (timedelta(hours=1, seconds=10), now)
    start, _ = plan_window(now - timedelta(days=3), now, 24, 10) or (now, now)
    assert now - start == timedelta(hours=24)


class _HistoryRecorder:
    def __init__(self) -> None:
        self.rows: list[tuple[str, Any, EventSource]] = []

    def submit_history_row(
        self, entity_id: str, row: Any, source: EventSource = EventSource.BACKFILL
    ) -> None:
        self.rows.append((entity_id, row, source))


async def test_backfiller_skips_start_rows_and_duplicates() -> None:
    t0 = datetime(2026, 8, 20, tzinfo=UTC)
    sent: list[dict[str, Any]] = []

    async def command(msg: dict[str, Any]) -> Any:
        sent.append(msg)
        start = datetime.fromisoformat(msg["start_time"]).timestamp()
        # the synthetic start row, a real one, and a real one repeated in the next slice
        return {
            "sensor.a": [
                {"s": "1", "lu": start},
                {"s": "2", "lu": start + 5},
                {"s": "3", "lu": t0.timestamp() + 7200},
            ]
        }

    sink = _HistoryRecorder()
    plan = BackfillPlan(t0, t0 + timedelta(hours=2), ("sensor.a", "sensor.b", "sensor.c"), 3600, 2)
    result = await Backfiller(command, sink).run(plan)
    assert result.requests == 4  # 2 slices x 2 entity chunks
    assert all(m["significant_changes_only"] is False and m["minimal_response"] is False for m in sent)
    assert all(m["include_start_time_state"] is True for m in sent)
    assert result.start_rows == 4
    assert [r[1]["s"] for r in sink.rows] == ["2", "3", "2"]  # slice 2 has its own "+5" row
    assert {r[2] for r in sink.rows} == {EventSource.BACKFILL}
    assert result.duplicates == 5  # 8 real rows returned, 3 distinct


def test_safe_url_drops_credentials() -> None:
    assert (
        safe_url("wss://user:pw@ha.local:8123/api/websocket?token=x") == "wss://ha.local:8123/api/websocket"
    )


async def test_backfill_slices_adapt_so_no_reply_is_huge() -> None:
    """A busy hour (50 rows/s per entity) comes in replies near the target size, each row once;
    the quiet hour after it is fetched in a few long slices."""
    t0 = datetime(2026, 8, 20, tzinfo=UTC).timestamp()
    busy_until = t0 + 3600
    entities = ("sensor.a", "sensor.b")
    sizes: list[int] = []

    async def command(msg: dict[str, Any]) -> Any:
        start = datetime.fromisoformat(msg["start_time"]).timestamp()
        end = datetime.fromisoformat(msg["end_time"]).timestamp()
        times = [t0 + i / 50 for i in range(int((min(end, busy_until) - t0) * 50) + 1)]
        reply = {e: [{"s": "1", "lu": start}] + [{"s": "2", "lu": t} for t in times if start < t < end]
                 for e in msg["entity_ids"]}  # fmt: skip
        sizes.append(sum(len(rows) for rows in reply.values()))
        return reply

    sink = _HistoryRecorder()
    plan = BackfillPlan(
        datetime.fromtimestamp(t0, UTC), datetime.fromtimestamp(t0 + 2 * 3600, UTC), entities,
        chunk_size=250, first_slice_s=1.0, target_rows=2000,
    )  # fmt: skip
    result = await Backfiller(command, sink).run(plan)
    assert len(sink.rows) == result.rows == 2 * 3600 * 50  # every row of the busy hour, once
    assert max(sizes) <= 2 * 2000  # no reply grows far past the target
    assert result.requests < 2 * 3600 * 100 / 2000 + 20  # near the target, and the quiet hour costs a handful
