"""Dashboard-query timings on a big store (default 10M events at 100 events/s ≈ 28 hours).

Builds the database once (kept in --dir, reused on later runs), then times each EventQueries
method 20 times and prints p50/p95 in ms. Compare with docs/perf-limits.md §4 (raw SQLite:
count by domain for the last hour 297–476 ms, 5-minute buckets over 24 h 3.1–3.9 s).

Usage: python bench/store_queries.py [--dir /tmp/ha_store_10m] [-n 10000000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_micro import iter_events, make_entities, registry

from core.config import StorageConfig
from core.models import EventSource
from core.pipeline.enrich import RowBuilder
from core.pipeline.registry import RegistryCache
from core.store import EventFilter, EventStore

RATE = 100.0


async def build(store: EventStore, n: int) -> None:
    rng = random.Random(1)
    entities = make_entities(rng)
    builder = RowBuilder(RegistryCache(registry(entities)), 1 << 20)
    builder.keep_attributes = False
    batch, done, started = [], 0, time.perf_counter()
    for ev in iter_events(n, RATE, entities, rng):
        batch.append(builder.from_event(ev, EventSource.LIVE))
        if len(batch) == 5000:
            await store.write_events(batch)
            done += len(batch)
            batch = []
            if done % 500_000 == 0:
                print(f"  {done:,} events, {done / (time.perf_counter() - started):,.0f}/s", flush=True)
    if batch:
        await store.write_events(batch)


async def timed(name: str, fn: Callable[[], Awaitable[Any]], runs: int = 20) -> None:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(0.95 * len(samples)))]
    print(f"{name:52s} p50 {statistics.median(samples):8.1f} ms   p95 {p95:8.1f} ms")


async def main(args: argparse.Namespace) -> None:
    args.dir.mkdir(parents=True, exist_ok=True)
    config = StorageConfig(data_dir=str(args.dir))
    store = await EventStore.open(args.dir, config=config, retention=False)
    try:
        end = await store.queries.last_time_fired()
        if end is None:
            print(f"building {args.n:,} events in {args.dir} ...", flush=True)
            await build(store, args.n)
            end = await store.queries.last_time_fired()
        assert end is not None
        q = store.queries
        size = await q.store_size_bytes()
        print(f"store: {size / 1e6:,.0f} MB, last event {end.isoformat()}")
        hour, day = end - timedelta(hours=1), end - timedelta(hours=24)
        await timed(
            "last 100 events of an entity", lambda: q.last_events("sensor.kitchen_temperature_0", 100)
        )
        await timed("counts by domain, last hour (unaligned)", lambda: q.counts_by_domain(hour, end))
        await timed("counts by domain, last 24 h (unaligned)", lambda: q.counts_by_domain(day, end))
        await timed("counts by area, last 24 h (unaligned)", lambda: q.counts_by_area(day, end))
        await timed("events per 5-min bucket, last 24 h", lambda: q.event_buckets(day, end, 300))
        await timed("one entity's 5-min buckets, last 24 h", lambda: q.event_buckets(
            day, end, 300, entity_id="sensor.kitchen_temperature_0"))  # fmt: skip
        await timed(
            "events per hour, last 24 h, one area", lambda: q.event_buckets(day, end, 3600, area_id="kitchen")
        )
        await timed("active entities, last 24 h", lambda: q.active_entities(day, end))
        await timed("totals today", lambda: q.totals_today(now=end))
        await timed(
            "page of 100, domain filter, newest", lambda: q.events(filter=EventFilter(domain="light"))
        )
        await timed(
            "page of 100, area filter, last hour", lambda: q.events(hour, end, EventFilter(area_id="office"))
        )
    finally:
        await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=Path("/tmp/ha_store_10m"))
    parser.add_argument("-n", type=int, default=10_000_000)
    asyncio.run(main(parser.parse_args()))
