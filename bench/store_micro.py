"""Micro-benchmark of our part of the ingest path: Pipeline.submit -> validate, enrich, SQLite.

Feeds N synthetic HA-shaped state_changed events (the demo-home mix: 310 entities, ~93 %
sensors, ~1.1 KB of JSON each on the wire) into Pipeline.submit, as the WebSocket reader would
(orjson.loads of each message, a yield to the loop every frame of 64), flushes, and reports:

* events/s end to end (parse + pipeline + commit), and without the parse (measured apart);
* bytes per stored event on disk, indexes and rollups included, after a WAL checkpoint.

Usage: python bench/store_micro.py [-n 200000] [--rate 20] [--batch 500] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.bus import Bus
from core.config import StorageConfig
from core.models import Area, Device, Entity, RegistrySnapshot
from core.pipeline import Pipeline, RegistryCache
from core.store import EventStore
from core.store.codec import bytes_to_ulid

SENSOR_KINDS = [
    ("temperature", "°C", 21.0, 0.1, 1),
    ("humidity", "%", 45.0, 0.5, 1),
    ("power", "W", 300.0, 15.0, 1),
    ("energy", "kWh", 1200.0, 0.01, 3),
    ("illuminance", "lx", 200.0, 20.0, 0),
    ("voltage", "V", 230.0, 0.4, 1),
]
AREAS = ["kitchen", "living_room", "bedroom", "office", "bathroom", "garage", "garden", "hall"]


class Entity_:
    def __init__(self, entity_id: str, attrs: dict[str, Any], states: Any) -> None:
        self.entity_id = entity_id
        self.attrs = attrs
        self.next_state = states
        self.state = self.next_state()
        self.last_changed: datetime = datetime(2026, 1, 1, tzinfo=UTC)


def make_entities(rng: random.Random) -> list[Entity_]:
    out: list[Entity_] = []
    for i in range(288):
        kind, unit, base, step, digits = SENSOR_KINDS[i % len(SENSOR_KINDS)]
        value = [base]

        def walk(
            value: list[float] = value, step: float = step, digits: int = digits, kind: str = kind
        ) -> str:
            value[0] += step if kind == "energy" else rng.uniform(-step, step)
            return f"{value[0]:.{digits}f}"

        area = AREAS[i % len(AREAS)]
        name = f"{area.replace('_', ' ').title()} {kind.title()} {i}"
        attrs: dict[str, Any] = {
            "state_class": "total_increasing" if kind == "energy" else "measurement",
            "unit_of_measurement": unit,
            "device_class": kind,
            "friendly_name": name,
        }
        out.append(Entity_(f"sensor.{area}_{kind}_{i}", attrs, walk))
    for i in range(10):
        cls = "motion" if i % 2 else "door"
        attrs = {"device_class": cls, "friendly_name": f"{AREAS[i % 8].title()} {cls} {i}"}
        out.append(Entity_(f"binary_sensor.{cls}_{i}", attrs, lambda: rng.choice(["on", "off"])))
    for i in range(6):
        attrs = {"supported_color_modes": ["brightness"], "color_mode": "brightness", "brightness": 128,
                 "friendly_name": f"Light {i}", "supported_features": 40}  # fmt: skip
        out.append(Entity_(f"light.light_{i}", attrs, lambda: rng.choice(["on", "off"])))
    for i in range(3):
        out.append(
            Entity_(f"switch.plug_{i}", {"friendly_name": f"Plug {i}"}, lambda: rng.choice(["on", "off"]))
        )
    for i in range(3):
        attrs = {"hvac_modes": ["off", "heat", "auto"], "min_temp": 7, "max_temp": 35,
                 "current_temperature": 20.5, "temperature": 21, "hvac_action": "idle",
                 "friendly_name": f"Thermostat {i}", "supported_features": 385}  # fmt: skip
        out.append(Entity_(f"climate.thermostat_{i}", attrs, lambda: rng.choice(["heat", "auto"])))
    return out


def registry(entities: list[Entity_]) -> RegistrySnapshot:
    snap = RegistrySnapshot(areas={a: Area(a, a.title()) for a in AREAS})
    for i, ent in enumerate(entities):
        dev_id = f"{i // 3:032x}"  # three entities per device
        area = AREAS[(i // 3) % len(AREAS)]
        snap.devices.setdefault(dev_id, Device(dev_id, f"Device {i // 3}", manufacturer="Acme", model="Z-42",
                                               sw_version="1.4.2", area_id=area))  # fmt: skip
        snap.entities[ent.entity_id] = Entity(ent.entity_id, device_id=dev_id)
    return snap


def ulid(t: datetime, rng: random.Random) -> str:
    return bytes_to_ulid(int(t.timestamp() * 1000).to_bytes(6, "big") + rng.randbytes(10))


def state_dict(ent: Entity_, state: str, attrs: dict[str, Any], t: datetime, lc: datetime, ctx: str) -> Any:
    return {"entity_id": ent.entity_id, "state": state, "attributes": attrs, "last_changed": lc.isoformat(),
            "last_reported": t.isoformat(), "last_updated": t.isoformat(),
            "context": {"id": ctx, "parent_id": None, "user_id": None}}  # fmt: skip


def messages(n: int, rate: float, seed: int = 1) -> tuple[list[bytes], list[Entity_]]:
    """N websocket messages, time_fired spaced at `rate` events/s (sensors weighted as in a home)."""
    rng = random.Random(seed)
    entities = make_entities(rng)
    out = [
        orjson.dumps({"id": 18, "type": "event", "event": ev}) for ev in iter_events(n, rate, entities, rng)
    ]
    return out, entities


def iter_events(
    n: int, rate: float, entities: list[Entity_], rng: random.Random, start: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """N state_changed `event` objects over the entities, time_fired spaced at `rate` events/s."""
    weights = [3.0 if e.entity_id.startswith("sensor.") else 1.0 for e in entities]
    t = start or datetime(2026, 8, 20, tzinfo=UTC)
    for i in range(n):
        t += timedelta(microseconds=int(1_000_000 / rate * rng.uniform(0.5, 1.5)) + 1)
        ent = rng.choices(entities, weights)[0]
        old_state, old_attrs, old_lc = ent.state, dict(ent.attrs), ent.last_changed
        new_state = ent.next_state()
        if "current_temperature" in ent.attrs:
            ent.attrs["current_temperature"] = round(rng.uniform(18, 23), 1)
        if "brightness" in ent.attrs:
            ent.attrs["brightness"] = rng.choice([64, 128, 192, 255])
        lc = t if new_state != old_state else old_lc
        ent.state, ent.last_changed = new_state, lc
        parent = ulid(t - timedelta(milliseconds=3), rng) if i % 20 == 0 else None
        ctx = ulid(t, rng)
        event = {
            "event_type": "state_changed",
            "data": {"entity_id": ent.entity_id,
                     "old_state": state_dict(ent, old_state, old_attrs, old_lc, old_lc, ulid(old_lc, rng)),
                     "new_state": state_dict(ent, new_state, dict(ent.attrs), t, lc, ctx)},
            "origin": "LOCAL",
            "time_fired": t.isoformat(),
            "context": {"id": ctx, "parent_id": parent, "user_id": None},
        }  # fmt: skip
        if parent:
            event["data"]["new_state"]["context"]["parent_id"] = parent  # type: ignore[index]
        yield event


async def run(args: argparse.Namespace, data_dir: Path) -> dict[str, float]:
    msgs, entities = messages(args.n, args.rate)
    wire = sum(len(m) for m in msgs) / len(msgs)
    t0 = time.perf_counter()
    for m in msgs:
        orjson.loads(m)["event"]
    parse_s = time.perf_counter() - t0

    config = StorageConfig(data_dir=str(data_dir), batch_size=args.batch, queue_size=max(50_000, args.n))
    store = await EventStore.open(data_dir, config=config, retention=False)
    pipeline = Pipeline(config, store, RegistryCache(registry(entities)), Bus())
    await pipeline.start()
    cpu0, t0 = time.process_time(), time.perf_counter()
    for i, m in enumerate(msgs):
        pipeline.submit(orjson.loads(m)["event"])
        if i % 64 == 63:
            await asyncio.sleep(0)  # one websocket frame
    await pipeline.flush()
    total_s, cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
    stats = pipeline.stats
    await pipeline.stop()
    await store.close()
    size = await asyncio.to_thread(db_size, data_dir)
    return {"events": args.n, "stored": stats.stored, "wire_bytes": wire, "total_s": total_s, "cpu_s": cpu_s,
            "parse_s": parse_s, "db_bytes": size, "batches": stats.batches}  # fmt: skip


def db_size(data_dir: Path) -> int:
    return sum(os.path.getsize(p) for p in data_dir.glob("events.sqlite3*"))


def table_sizes(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
    except sqlite3.OperationalError:
        rows = []
    conn.close()
    return dict(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=200_000, help="events (default 200000)")
    parser.add_argument(
        "--rate", type=float, default=20.0, help="simulated HA event rate for time_fired spacing"
    )
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="keep the database in this directory")
    args = parser.parse_args()
    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="store_micro_"))
    try:
        r = asyncio.run(run(args, data_dir))
        n = r["stored"]
        print(f"events submitted      {r['events']:,}  stored {n:,} in {r['batches']:.0f} transactions")
        print(f"wire size             {r['wire_bytes']:.0f} B/event (compact JSON message)")
        print(
            f"end to end            {r['events'] / r['total_s']:,.0f} events/s  "
            f"({r['total_s'] / r['events'] * 1e6:.1f} µs/event wall, "
            f"{r['cpu_s'] / r['events'] * 1e6:.1f} µs CPU)"
        )
        ours_cpu = (r["cpu_s"] - r["parse_s"]) / r["events"]
        print(
            f"our part, CPU         {ours_cpu * 1e6:.1f} µs/event = {1 / ours_cpu:,.0f} events/s per core "
            "(CPU of the whole process minus the orjson parse; robust on a shared machine)"
        )
        ours = (r["total_s"] - r["parse_s"]) / r["events"]
        print(
            f"without orjson parse  {1 / ours:,.0f} events/s  ({ours * 1e6:.1f} µs/event: "
            f"validate + enrich + encode + insert + rollups)"
        )
        print(
            f"database              {r['db_bytes']:,} B = {r['db_bytes'] / n:.1f} B/event (indexes, rollups)"
        )
        for name, size in table_sizes(data_dir / "events.sqlite3").items():
            print(f"  {name:32s} {size:>12,} B  {size / n:7.1f} B/event")
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
