"""InfluxDB benchmark: the durable outbox path vs the raw write ceiling, and replay after an outage.

Starts a private influxd 1.x on 127.0.0.1 (temp dir) and reports:

1. encode: µs per point of our hand-written line protocol (vs influxdb_client.Point on a sample);
2. ceiling: the same points, pre-encoded, POSTed in batch_size batches with no outbox (fresh db);
3. outbox: InfluxSender draining the same events from the SQLite outbox (read, decode, encode,
   POST, ack) into a fresh db; the ratio outbox / ceiling (target >= 0.5);
4. replay: a 5-minute outage at 1,000 events/s (--backlog events already queued), drained while
   live ingest continues at --live-rate events/s: time until the backlog is gone, and the live
   events' store-commit latency (p50/p99) during the drain.

Events are HA-shaped state_changed objects from bench/store_micro.py (the demo-home mix with
registry enrichment), stored through the real Pipeline and EventStore.

Usage: python bench/influx.py [-n 200000] [--backlog 300000] [--live-rate 1000] [--batch 5000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from store_micro import iter_events, make_entities, registry  # noqa: E402

from core.bus import Bus  # noqa: E402
from core.config import InfluxConfig, StorageConfig  # noqa: E402
from core.influx.breaker import SenderTimings  # noqa: E402
from core.influx.line import LineEncoder, join_lines  # noqa: E402
from core.influx.sender import InfluxSender  # noqa: E402
from core.influx.writer_v1 import WriterV1  # noqa: E402
from core.pipeline import Pipeline, RegistryCache  # noqa: E402
from core.store import EventStore  # noqa: E402
from tests.influx_servers import InfluxdServer  # noqa: E402


class Bench:
    def __init__(self, args: argparse.Namespace, root: Path) -> None:
        self.args = args
        self.root = root
        self.rng = random.Random(7)
        self.entities = make_entities(self.rng)
        self.server = InfluxdServer("influxd", root / "influxd")

    async def open_stack(self, name: str, outbox: bool = True) -> tuple[EventStore, Pipeline]:
        config = StorageConfig(batch_size=1000, queue_size=1_000_000, flush_interval_ms=100)
        store = await EventStore.open(self.root / name, outbox_enabled=outbox, config=config, retention=False)
        pipeline = Pipeline(config, store, RegistryCache(registry(self.entities)), Bus())
        await pipeline.start()
        return store, pipeline

    async def fill(self, pipeline: Pipeline, n: int, start: datetime, rate: float) -> None:
        for i, ev in enumerate(iter_events(n, rate, self.entities, self.rng, start)):
            pipeline.submit(ev)
            if i % 1000 == 999:
                await asyncio.sleep(0)
        await pipeline.flush()

    def config(self, db: str) -> InfluxConfig:
        return InfluxConfig(enabled=True, url=self.server.url, database=db, batch_size=self.args.batch)


async def encode_cost(store: EventStore) -> dict[str, float]:
    from influxdb_client import Point

    events = [ev for _, ev in await store.read_outbox_batch(20_000)]
    enc = LineEncoder()
    t0 = time.perf_counter()
    lines = enc.encode_many(events)
    ours = (time.perf_counter() - t0) / len(events)
    sample = events[:2000]
    t0 = time.perf_counter()
    for ev in sample:
        p = Point("state_changed").tag("entity_id", ev.entity_id).tag("domain", ev.domain)
        p = p.field("state", ev.state or "").field("attributes", str(ev.attributes)).time(1)
        p.to_line_protocol()
    point = (time.perf_counter() - t0) / len(sample)
    return {"encode_us": ours * 1e6, "point_us": point * 1e6, "line_bytes": sum(map(len, lines)) / len(lines)}


async def ceiling(bench: Bench, store: EventStore, n: int) -> float:
    """Pre-encoded lines POSTed back to back (no outbox, no SQLite, no encode in the timing)."""
    batch = bench.args.batch
    events = [ev for _, ev in await store.read_outbox_batch(n)]
    bodies = [
        join_lines(LineEncoder().encode_many(events[i : i + batch])) for i in range(0, len(events), batch)
    ]
    writer = WriterV1(bench.config("ceiling"))
    await writer.prepare()
    t0 = time.perf_counter()
    for body in bodies:
        await writer.write(body)
    elapsed = time.perf_counter() - t0
    await writer.close()
    return len(events) / elapsed


async def through_outbox(bench: Bench, store: EventStore, n: int) -> float:
    sender = InfluxSender(bench.config("outbox"), store, Bus(), timings=SenderTimings(idle_poll_s=0.01))
    t0 = time.perf_counter()
    await sender.start()
    while sender.influx_status().written_total < n:
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - t0
    await sender.stop()
    assert sender.influx_status().written_total == n, sender.influx_status()
    return n / elapsed


async def live(pipeline: Pipeline, bench: Bench, rate: float, stop: asyncio.Event) -> int:
    """Submit `rate` events/s with time_fired = now (so the pipeline's latency is real)."""
    sent, t0 = 0, time.perf_counter()
    rng = random.Random(11)
    while not stop.is_set():
        due = int((time.perf_counter() - t0) * rate) - sent
        for ev in iter_events(due, rate, bench.entities, rng, datetime.now(UTC) - timedelta(milliseconds=5)):
            pipeline.submit(ev)
        sent += max(0, due)
        await asyncio.sleep(0.01)
    return sent


async def replay(bench: Bench) -> dict[str, float]:
    store, pipeline = await bench.open_stack("replay")
    backlog = bench.args.backlog
    await bench.fill(pipeline, backlog, datetime.now(UTC) - timedelta(minutes=10), 1000.0)
    live_start = datetime.now(UTC)
    baseline = await latency_window(pipeline, bench, 3.0)
    sender = InfluxSender(bench.config("replay"), store, Bus(), timings=SenderTimings(idle_poll_s=0.05))
    stop = asyncio.Event()
    pipeline.stats.latency_ms.clear()
    producer = asyncio.create_task(live(pipeline, bench, bench.args.live_rate, stop))
    t0 = time.perf_counter()
    await sender.start()
    while True:
        depth, oldest = await store.outbox_stats()
        if depth == 0 or (oldest is not None and oldest >= live_start):
            break
        await asyncio.sleep(0.05)
    drain_s = time.perf_counter() - t0
    during = list(pipeline.stats.latency_ms)
    stop.set()
    live_sent = await producer
    await pipeline.flush()
    await sender.stop()
    await pipeline.stop()
    await store.close()
    return {"backlog": backlog, "drain_s": drain_s, "drain_pts_s": backlog / drain_s, "live_sent": live_sent,
            **pcts("during", during), **pcts("before", baseline)}  # fmt: skip


async def latency_window(pipeline: Pipeline, bench: Bench, seconds: float) -> list[float]:
    pipeline.stats.latency_ms.clear()
    stop = asyncio.Event()
    task = asyncio.create_task(live(pipeline, bench, bench.args.live_rate, stop))
    await asyncio.sleep(seconds)
    stop.set()
    await task
    await pipeline.flush()
    return list(pipeline.stats.latency_ms)


def pcts(prefix: str, values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {f"{prefix}_p50_ms": float("nan"), f"{prefix}_p99_ms": float("nan")}
    q = statistics.quantiles(values, n=100)
    return {f"{prefix}_p50_ms": q[49], f"{prefix}_p99_ms": q[98]}


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-influx-") as tmp:
        bench = Bench(args, Path(tmp))
        (Path(tmp) / "influxd").mkdir()
        bench.server.start()
        try:
            await run_all(bench)
        finally:
            bench.server.stop()


async def run_all(bench: Bench) -> None:
    args = bench.args
    ratios: list[float] = []
    for rep in range(args.repeat):  # a fresh store each time: the outbox path starts from a full outbox
        store, pipeline = await bench.open_stack(f"throughput{rep}")
        await bench.fill(pipeline, args.n, datetime.now(UTC) - timedelta(hours=6), 20.0)
        if rep == 0:
            enc = await encode_cost(store)
            print(f"encode: {enc['encode_us']:.2f} µs/point (influxdb_client.Point with fewer fields: "
                  f"{enc['point_us']:.1f} µs); {enc['line_bytes']:.0f} bytes/line")  # fmt: skip
        top = await ceiling(bench, store, args.n)
        ours = await through_outbox(bench, store, args.n)
        print(f"ceiling {top:,.0f} pts/s | through the outbox {ours:,.0f} pts/s | ratio {ours / top:.2f}")
        ratios.append(ours / top)
        await pipeline.stop()
        await store.close()
    print(f"median ratio outbox / ceiling: {statistics.median(ratios):.2f} (target >= 0.5)")
    r = await replay(bench)
    print(
        f"replay: {r['backlog']:,} queued points drained in {r['drain_s']:.1f} s "
        f"({r['drain_pts_s']:,.0f} pts/s) "
        f"while {bench.args.live_rate:.0f} ev/s of live ingest continued ({r['live_sent']:,} live events); "
        f"live store latency p50/p99 {r['before_p50_ms']:.0f}/{r['before_p99_ms']:.0f} ms before, "
        f"{r['during_p50_ms']:.0f}/{r['during_p99_ms']:.0f} ms during the drain"
    )


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", type=int, default=200_000, help="events for the throughput comparison")
    p.add_argument("--backlog", type=int, default=300_000, help="events queued by the simulated outage")
    p.add_argument("--live-rate", type=float, default=1000.0, help="live events/s during the replay")
    p.add_argument("--batch", type=int, default=5000, help="points per POST (influxdb.batch_size)")
    p.add_argument("--repeat", type=int, default=3, help="repetitions of ceiling vs outbox")
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = p.parse_args()
    if args.quick:
        args.n, args.backlog, args.repeat = 20_000, 30_000, 1
    return args


if __name__ == "__main__":
    asyncio.run(main(parse()))
