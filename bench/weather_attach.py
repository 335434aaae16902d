"""Cost of "weather on every event" with the join-on-read design (core/weather.py).

Events store no weather: a reader adds the `weather_*` fields of the latest observation at or
before each event's time_fired. This measures, in one run:

* the read cost: serialising N exported-event-shaped dicts with orjson, without and with the
  weather join (`WeatherIndex.fields_at`), as ns per event and the ratio with/without;
* the end-to-end `export` throughput on a real store (events written through the Pipeline, as in
  bench/store_micro.py) with an empty sources.db (every weather field null) and with one
  observation per 15 minutes covering the events, interleaved runs, and the ratio;
* the storage cost: bytes added per event row (none: no column), and bytes per observation row
  in sources.db (one row per weather fetch, every 15 minutes), after VACUUM.

The ingest path is not measured: it is unchanged (no weather work while ingesting).

Usage: python bench/weather_attach.py [-n 300000] [--export-n 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_micro import messages, registry  # the ingest benchmark's realistic event mix

from core.bus import Bus
from core.config import StorageConfig
from core.datasources.store import _MIGRATIONS, SourcesStore
from core.pipeline.pipeline import Pipeline
from core.pipeline.registry import RegistryCache
from core.store.export import export_events
from core.store.store import EventStore
from core.weather import SOURCES_DB, Observation, WeatherIndex

T0 = datetime(2025, 11, 3, tzinfo=UTC)


def observations(days: int) -> list[Observation]:
    return [
        Observation(
            T0 + timedelta(minutes=15 * i), "open_meteo", 5.0 + (i % 40) / 4, 70.0 + i % 20, 3.5, "overcast"
        )
        for i in range(days * 96)
    ]


def events(n: int) -> list[dict[str, Any]]:
    """Exported-event-shaped dicts (the fields `export` writes), spread over the two days."""
    step = 2 * 86400 / n
    return [
        {"entity_id": f"sensor.s{i % 310}", "domain": "sensor", "event_type": "state_changed",
         "time_fired": T0 + timedelta(seconds=i * step), "state": "21.4", "old_state": "21.3",
         "attributes": {"unit_of_measurement": "°C", "device_class": "temperature"}, "value": 21.4,
         "unit": "°C", "device_class": "temperature", "friendly_name": "Living room temperature",
         "context_id": "01JBX7Q2K9", "context_parent_id": None, "context_user_id": None, "origin": "LOCAL",
         "device_id": "d1", "area_id": "living_room", "floor_id": "ground", "duration_in_state": 61.0}
        for i in range(n)
    ]  # fmt: skip


def serialise(rows: list[dict[str, Any]], index: WeatherIndex | None) -> float:
    start = time.perf_counter()
    for row in rows:
        if index is not None:
            orjson.dumps({**row, **index.fields_at(row["time_fired"])})
        else:
            orjson.dumps(row)
    return time.perf_counter() - start


def observation_bytes(obs: list[Observation]) -> tuple[float, int]:
    """sources.db's own schema (its migrations), filled with `obs`, size growth after VACUUM."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sources.db"
        db = sqlite3.connect(path)
        for version in sorted(_MIGRATIONS):
            db.executescript(_MIGRATIONS[version])
        db.execute("VACUUM")
        empty = path.stat().st_size
        db.executemany(
            "INSERT INTO observations VALUES (?, ?, ?, ?, ?, ?)",
            [(int(o.observed_at.timestamp()), o.provider, o.temperature, o.humidity, o.wind_speed,
              o.condition) for o in obs],
        )  # fmt: skip
        db.commit()
        db.execute("VACUUM")
        full = path.stat().st_size
        db.close()
    return (full - empty) / len(obs), len(obs)


class Null(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


async def build_store(data_dir: Path, n: int) -> tuple[datetime, datetime]:
    msgs, entities = messages(n, 20.0)
    config = StorageConfig(data_dir=str(data_dir), queue_size=max(50_000, n))
    store = await EventStore.open(data_dir, config=config, retention=False)
    pipeline = Pipeline(config, store, RegistryCache(registry(entities)), Bus())
    await pipeline.start()
    for i, m in enumerate(msgs):
        pipeline.submit(orjson.loads(m)["event"])
        if i % 64 == 63:
            await asyncio.sleep(0)
    await pipeline.flush()
    await pipeline.stop()
    await store.close()
    first = datetime.fromisoformat(orjson.loads(msgs[0])["event"]["time_fired"])
    last = datetime.fromisoformat(orjson.loads(msgs[-1])["event"]["time_fired"])
    return first, last


async def add_observations(data_dir: Path, first: datetime, last: datetime) -> int:
    store = SourcesStore(data_dir / SOURCES_DB)
    await store.open()
    t, count = first.replace(minute=first.minute - first.minute % 15, second=0, microsecond=0), 0
    while t <= last:
        await store.db.execute(
            "INSERT OR REPLACE INTO observations VALUES (?, 'open_meteo', 9.5, 80.0, 3.9, 'overcast')",
            (int(t.timestamp()),),
        )
        t, count = t + timedelta(minutes=15), count + 1
    await store.db.commit()
    await store.close()
    return count


async def export_runs(n: int, runs: int) -> tuple[float, float, int]:
    """Median events/s of `export` without and with observations, interleaved."""
    with tempfile.TemporaryDirectory() as tmp:
        off_dir, on_dir = Path(tmp) / "off", Path(tmp) / "on"
        first, last = await build_store(off_dir, n)
        shutil.copytree(off_dir, on_dir)
        empty = SourcesStore(off_dir / SOURCES_DB)  # the file exists, without observations
        await empty.open()
        await empty.close()
        count = await add_observations(on_dir, first, last)
        off, on = [], []
        for _ in range(runs):
            for directory, results in ((off_dir, off), (on_dir, on)):
                t0 = time.perf_counter()
                exported = await export_events(directory, Null(), None, None, None)
                results.append(exported / (time.perf_counter() - t0))
        return statistics.median(off), statistics.median(on), count


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=300_000)
    parser.add_argument("--export-n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    obs = observations(2)
    index = WeatherIndex(obs)
    rows = events(args.n)
    serialise(rows[:10_000], index)  # warm-up
    off, on = [], []
    for _ in range(args.runs):  # interleaved, so drift in machine load hits both alike
        off.append(serialise(rows, None))
        on.append(serialise(rows, index))
    off_ns = statistics.median(off) / args.n * 1e9
    on_ns = statistics.median(on) / args.n * 1e9
    lookup = time.perf_counter()
    for row in rows:
        index.at(row["time_fired"])
    lookup_ns = (time.perf_counter() - lookup) / args.n * 1e9
    per_obs, count = observation_bytes(observations(30))
    print(f"events: {args.n:,}, observations in the index: {len(index)}, runs: {args.runs} (median)")
    print(f"export serialisation without weather: {off_ns:,.0f} ns/event")
    print(f"export serialisation with weather:    {on_ns:,.0f} ns/event  (ratio {on_ns / off_ns:.2f})")
    print(f"lookup alone (WeatherIndex.at):       {lookup_ns:,.0f} ns/event")
    off_rate, on_rate, observed = asyncio.run(export_runs(args.export_n, args.runs))
    print(f"export of {args.export_n:,} stored events ({observed} observations), median of {args.runs}:")
    print(f"  without observations: {off_rate:,.0f} events/s")
    print(f"  with observations:    {on_rate:,.0f} events/s  (ratio {on_rate / off_rate:.3f})")
    print("bytes added per stored event row:     0 (time_fired is the reference; no column)")
    print(f"bytes per observation row (sources.db, {count:,} rows, after VACUUM): {per_obs:.1f}")
    print(f"  = {per_obs * 96:,.0f} bytes a day at one observation per 15 minutes")


if __name__ == "__main__":
    main()
