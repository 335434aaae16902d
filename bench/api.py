"""REST API dashboard latency on a big store (default 10M events), measured over real HTTP.

Builds the store once through the store's own write path (bench/store_queries.py's generator:
10M events at 100 events/s, about 28 hours; plus the registry so devices/entities exist), kept in
--dir and reused. Then it starts the real ApiServer on 127.0.0.1, times each dashboard endpoint
(--runs requests after 3 warm-ups) and prints p50/p95 per endpoint against the 50 ms budget.
Windows end at the newest stored event and are not aligned to buckets, as a dashboard's are not.

As the baseline, the same questions are answered the naive way from raw rows (through the time
index, no rollups) in the same run, and their times are printed beside the API's.

Usage: python bench/api.py [--dir /tmp/ha_api_bench_10m] [-n 10000000] [--runs 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_micro import make_entities, registry
from store_queries import build

from core.api.server import ApiServer
from core.config import ApiConfig, AppConfig, StorageConfig
from core.deps import Deps
from core.runtime import Runtime
from core.store import EventStore
from core.store.codec import datetime_to_us

BUDGET_MS = 50.0
ENTITY = "sensor.kitchen_temperature_0"
US = 1_000_000


def _busy_jiffies() -> int | None:
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    values = [int(v) for v in fields]
    return sum(values) - values[3] - values[4]  # minus idle and iowait


def others_cpu(seconds: float = 1.0) -> float | None:
    """Cores used by other processes over `seconds` (Linux); None where /proc is missing."""
    before, own_before = _busy_jiffies(), sum(os.times()[:2])
    time.sleep(seconds)
    after, own_after = _busy_jiffies(), sum(os.times()[:2])
    if before is None or after is None:
        return None
    hz = os.sysconf("SC_CLK_TCK")
    return max(0.0, (after - before) / hz - (own_after - own_before)) / seconds


def wait_quiet(limit: float = 0.3, timeout: float = 120.0) -> float | None:
    """Wait (up to `timeout`) until other processes use less than `limit` cores; return their use."""
    deadline = time.monotonic() + timeout
    while True:
        load = others_cpu()
        if load is None or load < limit or time.monotonic() > deadline:
            return load


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def open_store(directory: Path, n: int) -> EventStore:
    store = await EventStore.open(directory, config=StorageConfig(data_dir=str(directory)), retention=False)
    if await store.queries.last_time_fired() is None:
        print(f"building {n:,} events in {directory} (once; reused by later runs) ...", flush=True)
        await build(store, n)
    if not await store.queries.devices():
        await store.sync_registry(registry(make_entities(random.Random(1))))
    return store


def dashboard(end: datetime) -> list[tuple[str, str, dict[str, Any]]]:
    hour, day = (end - timedelta(hours=1)).isoformat(), (end - timedelta(hours=24)).isoformat()
    stop = end.isoformat()
    return [
        ("stats, last hour", "/api/v1/events/stats", {"start": hour, "end": stop}),
        ("stats, last 24 h", "/api/v1/events/stats", {"start": day, "end": stop}),
        ("events per 5 min, 24 h", "/api/v1/analytics/timeline", {"start": day, "end": stop, "bucket": "5m"}),
        ("area activity (area x hour), 24 h", "/api/v1/analytics/area-activity", {"start": day, "end": stop}),
        ("last 100 events of an entity", "/api/v1/events", {"entity_id": ENTITY, "limit": 100}),
        ("device list", "/api/devices", {}),
        # Not in the 50 ms list, shown for context:
        ("entity activity, 24 h", "/api/v1/analytics/entity-activity", {"start": day, "end": stop}),
        ("spatial analytics, 24 h", "/api/v1/events/spatial-analytics", {"start": day, "end": stop}),
        ("device reliability, 7 d", "/api/devices/reliability", {"end": stop, "period": "7d"}),
        ("page of 100, domain filter", "/api/v1/events", {"domain": "light", "limit": 100}),
    ]


async def time_endpoint(
    session: aiohttp.ClientSession, url: str, params: dict[str, Any], runs: int
) -> list[float]:
    samples = []
    for i in range(runs + 3):
        t0 = time.perf_counter()
        async with session.get(url, params=params) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"{url} -> {response.status}: {await response.text()}")
        if i >= 3:
            samples.append((time.perf_counter() - t0) * 1000)
    return samples


def naive_queries(end_us: int) -> list[tuple[str, str, tuple[int, ...]]]:
    """The same dashboard questions answered from raw rows (time index, no rollups)."""
    hour, day = end_us - 3600 * US, end_us - 86400 * US
    by_domain = (
        "SELECT m.domain, count(*) FROM events e JOIN entity_ids m ON m.id = e.entity_key "
        "WHERE e.time_us >= ? AND e.time_us < ? GROUP BY 1"
    )
    return [
        ("stats, last hour", by_domain, (hour, end_us)),
        ("stats, last 24 h", by_domain, (day, end_us)),
        (
            "events per 5 min, 24 h",
            "SELECT e.time_us / 300000000, count(*) FROM events e "
            "WHERE e.time_us >= ? AND e.time_us < ? GROUP BY 1",
            (day, end_us),
        ),
        (
            "area activity (area x hour), 24 h",
            "SELECT x.area_id, e.time_us / 3600000000, count(*) FROM events e JOIN enrichments x "
            "ON x.id = e.enrich_key WHERE e.time_us >= ? AND e.time_us < ? GROUP BY 1, 2",
            (day, end_us),
        ),
    ]


def time_naive(path: Path, end_us: int, runs: int) -> dict[str, float]:
    conn = sqlite3.connect(path)
    out = {}
    try:
        for name, sql, params in naive_queries(end_us):
            samples = []
            for _ in range(runs):
                t0 = time.perf_counter()
                conn.execute(sql, params).fetchall()
                samples.append((time.perf_counter() - t0) * 1000)
            out[name] = statistics.median(samples)
    finally:
        conn.close()
    return out


def report(
    rows: list[tuple[str, float, float]], naive: dict[str, float], events: int, size_mb: float
) -> None:
    print(
        f"\nstore: {events:,} events, {size_mb:,.0f} MB; API over HTTP on 127.0.0.1; "
        f"budget p95 <= {BUDGET_MS:.0f} ms"
    )
    print(f"{'endpoint':40s} {'p50 ms':>8s} {'p95 ms':>8s}  {'naive raw scan (median ms)':>27s}")
    for name, p50, p95 in rows:
        mark = "" if p95 <= BUDGET_MS else "  OVER BUDGET"
        base = f"{naive[name]:,.1f}" if name in naive else "-"
        print(f"{name:40s} {p50:8.1f} {p95:8.1f}  {base:>27s}{mark}")


async def serve(store: EventStore, data_dir: Path) -> ApiServer:
    """The API over `store` alone, started on a free port."""
    config = AppConfig(api=ApiConfig(port=0), storage=StorageConfig(data_dir=str(data_dir)),
                       source_path=str(data_dir / "config.toml"))  # fmt: skip
    runtime = Runtime(config, specs=())  # not started: it only answers the Admin routes' questions
    server = ApiServer(Deps(runtime.bus, store, runtime.registry, runtime.metrics_history, data_dir, runtime))
    await server.start()
    return server


async def main(args: argparse.Namespace) -> None:
    store = await open_store(args.dir, args.n)
    server = await serve(store, args.dir)
    try:
        end = await store.queries.last_time_fired()
        assert end is not None
        events = await store.queries.count_events(end - timedelta(days=3650), end + timedelta(seconds=1))
        size_mb = await store.queries.store_size_bytes() / 1e6
        rows: list[tuple[str, float, float]] = []
        busy: list[float] = []
        async with aiohttp.ClientSession() as session:
            for name, path, params in dashboard(end):
                # The machine may be shared: start each endpoint when others are quiet, and say how busy.
                load = await asyncio.to_thread(wait_quiet)
                samples = await time_endpoint(session, server.base_url + path, params, args.runs)
                rows.append((name, *percentiles(samples)))
                busy.append(load if load is not None else 0.0)
        naive = await asyncio.to_thread(time_naive, store.path, datetime_to_us(end), args.naive_runs)
        report(rows, naive, events, size_mb)
        print(f"other processes used at most {max(busy):.2f} cores when an endpoint's timing started")
    finally:
        await server.stop()
        await store.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=Path("/tmp/ha_api_bench_10m"))
    parser.add_argument("-n", type=int, default=10_000_000, help="events to build (only when --dir is empty)")
    parser.add_argument("--runs", type=int, default=40, help="timed requests per endpoint")
    parser.add_argument("--naive-runs", type=int, default=3, help="runs of each naive raw-row query")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
