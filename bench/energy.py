"""Energy analysis over 30 days of the demo home (120 entities, about 5 million events): the CPU the
energy engine's refresh takes (consumption, cost, carbon, which switch costs what, correlations,
recommendations) and the event loop's lag while it runs beside it.

The store is built once in --dir (reused later) from the simulator's own demo home driven on a
virtual clock: the events of 30 days, written through the store's write path. Prices (15 min), grid
carbon and outdoor temperature (hourly) come from a hand-made SlotSource with daily shapes.
Baseline, same run: reading the same entities' rows with one bare SQL query per entity through the
(entity_key, time_us) index (in the app's reader thread), the way the engine read them before. CPU is
the app process's plus the store's read worker process's (the big read runs there), measured as
process CPU time before and after each refresh.

Each run makes a fresh engine and refreshes twice: "cold" reads the whole period (what the first
refresh after a start costs), "warm" reads only the rows stored since (none here: nothing writes
between the two; at this home's rate a real 5-minute refresh adds about 600) and analyses again.

Usage: python bench/energy.py [--dir /tmp/ha_energy_bench] [-n 5000000] [--days 30] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import math
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.config import EnergyConfig, StorageConfig
from core.energy.engine import EnergyEngine
from core.gc_watch import freeze_long_lived
from core.ha.simulator.activity import Activity
from core.ha.simulator.config import SimulatorConfig
from core.ha.simulator.energy_home import EXPORT_ID, IMPORT_ID, SOLAR_ENERGY_ID
from core.ha.simulator.server import build_home
from core.slots import SeriesKind, Slot
from core.store import EventStore
from core.store.rows import NO_RESOLUTION, StoreRow

END = datetime(2026, 11, 30, tzinfo=UTC)
BATCH = 5000


async def build(store: EventStore, n: int, days: int) -> None:
    """The demo home's next `n` events on a virtual clock spanning `days` up to END."""
    rate = n / (days * 86400)
    home = build_home(SimulatorConfig(rate=max(rate, 1.0), seed=3))
    frames: list[bytes] = []
    home.bus.subscribe("state_changed", frames.append, 1)
    start_us = int((END - timedelta(days=days)).timestamp() * 1e6)
    # On the virtual clock, so the roof's production follows the sun of each simulated day.
    activity = Activity(home, random.Random("bench-energy"), rate, origin_us=start_us)
    step_us = days * 86400e6 / n
    done, t0 = 0, time.perf_counter()
    while done < n:
        activity.emit(BATCH)
        rows = []
        for frame in frames:
            data = orjson.loads(frame)["event"]["data"]
            new, old = data["new_state"], data["old_state"]
            rows.append(StoreRow(
                data["entity_id"], start_us + int(done * step_us), new["state"] if new else None,
                old["state"] if old else None, orjson.dumps(new["attributes"] if new else {}),
                None, None, None,
                "LOCAL", "live", "state_changed", None, NO_RESOLUTION,
            ))  # fmt: skip
            done += 1
        frames.clear()
        await store.write_events(rows)
        if done % 500_000 < BATCH:
            print(f"  {done:,} events, {done / (time.perf_counter() - t0):,.0f}/s", flush=True)


class DailyShapes:
    """15-minute prices (cheap at noon, dear at 18:00), hourly carbon and temperature, from 60 days
    before END to a day after. Made once and windowed on each call, as the data sources engine
    serves its cache (making 9,000 slots per refresh on the loop would be the bench's own lag)."""

    def __init__(self) -> None:
        self._series = {kind: self._make(kind) for kind in SeriesKind}

    @staticmethod
    def _make(kind: SeriesKind) -> list[Slot]:
        step = timedelta(minutes=15 if kind is SeriesKind.PRICE else 60)
        t, out = END - timedelta(days=60), []
        while t < END + timedelta(days=1):
            hour = t.hour + t.minute / 60
            day = (t - END).total_seconds() / 86400
            if kind is SeriesKind.PRICE:
                value, unit = 0.25 + 0.08 * math.cos((hour - 18) / 24 * 2 * math.pi), "EUR/kWh"
            elif kind is SeriesKind.CARBON:
                value, unit = 300 - 120 * math.cos((hour - 13) / 24 * 2 * math.pi), "gCO2/kWh"
            else:
                value, unit = 6 + 5 * math.sin(day / 9) + 4 * math.cos((hour - 15) / 24 * 2 * math.pi), "°C"
            out.append(Slot(t, t + step, value, unit))
            t += step
        return out

    def slots(self, kind: SeriesKind, start: datetime, end: datetime) -> Sequence[Slot]:
        if kind not in (SeriesKind.PRICE, SeriesKind.CARBON, SeriesKind.TEMPERATURE):
            return []
        series = self._series[kind]
        first = bisect.bisect_right([s.end for s in series], start)
        last = bisect.bisect_left([s.start for s in series], end)
        return series[first:last]


SHAPES = DailyShapes()


async def lag_sampler(samples: list[float], stop: asyncio.Event, period: float = 0.005) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        expected = loop.time() + period
        await asyncio.sleep(period)
        samples.append(max(0.0, loop.time() - expected) * 1000)


async def lag_baselines(seconds: float = 3.0) -> tuple[float, float]:
    """Loop-lag p99 with nothing running, and beside a plain pure-Python thread that never yields
    (what any worker thread costs the loop on this machine right now)."""
    out = []
    for spin in (False, True):
        samples: list[float] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(lag_sampler(samples, stop))
        if spin:
            await asyncio.to_thread(_spin, seconds)
        else:
            await asyncio.sleep(seconds)
        stop.set()
        await sampler
        out.append(p99(samples))
    return out[0], out[1]


def _spin(seconds: float) -> None:
    end, x = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        x += 1


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 100 else max(values, default=0.0)


def baseline_scan(conn: object, *, entity_ids: list[str], start_us: int) -> int:
    import sqlite3

    assert isinstance(conn, sqlite3.Connection)
    count = 0
    keys = dict(conn.execute("SELECT entity_id, id FROM entity_ids"))
    for eid in entity_ids:
        rows = conn.execute(
            "SELECT time_us, state, old_state FROM events WHERE entity_key = ? AND time_us >= ?",
            (keys[eid], start_us),
        ).fetchall()
        count += len(rows)
    return count


def energy_config(days: int) -> EnergyConfig:
    """The demo home's whole-home meters named as a user names them in Configuration (the bench has
    no HA to ask for the energy dashboard): import, export and the roof's production."""
    return EnergyConfig(
        history_days=days, time_zone="Europe/Berlin", refresh_s=86400,
        grid_import=IMPORT_ID, grid_export=EXPORT_ID, solar=SOLAR_ENERGY_ID,
    )  # fmt: skip


async def baseline(store: EventStore, days: int) -> float:
    """Wall time of the bare per-entity queries over the rows the engine reads (measured once,
    before the refreshes: its million Python tuples would otherwise burden the next refresh's GC)."""
    snap = await EnergyEngine(energy_config(days), store, slots=lambda: SHAPES).refresh(END)
    wanted = [*snap.meters.grid_import, *snap.meters.grid_export, *(d.energy for d in snap.meters.devices)]
    wanted += list(snap.meters.solar)
    wanted += [a.estimate.entity_id for a in snap.attributions] + [snap.meters.mains_power or ""]
    wanted = [w for w in dict.fromkeys(wanted) if w]
    start_us = int((END - timedelta(days=days)).timestamp() * 1e6)
    b0 = time.perf_counter()
    scanned = await store.queries.run_read(partial(baseline_scan, entity_ids=wanted, start_us=start_us))
    base = time.perf_counter() - b0
    print(f"baseline: bare per-entity queries, {scanned:,} rows, {base:.2f} s", flush=True)
    return base


@dataclass
class Totals:
    """Every refresh of one kind across the runs: CPU seconds and the loop-lag samples."""

    cpu: list[float] = field(default_factory=list)
    lag: list[float] = field(default_factory=list)

    def line(self, kind: str) -> str:
        return (
            f"{kind}: {len(self.cpu)} refreshes, CPU {min(self.cpu):.2f}-{max(self.cpu):.2f} s "
            f"(median {statistics.median(self.cpu):.2f}); loop lag over all {len(self.lag)} samples "
            f"p99 {p99(self.lag):.1f} ms, max {max(self.lag):.1f} ms"
        )


async def measure(store: EventStore, engine: EnergyEngine, base: float, label: str, totals: Totals) -> None:
    """One refresh: its CPU (app process + read worker), the loop's lag meanwhile, and the baseline."""
    samples: list[float] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(lag_sampler(samples, stop))
    worker0 = await store.read_process.worker_cpu_s()  # starts the worker before the clock
    cpu0, wall0 = time.process_time(), time.perf_counter()
    snap = await engine.refresh(END)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    worker1 = await store.read_process.worker_cpu_s()
    worker = 0.0 if worker0 is None or worker1 is None else worker1 - worker0
    stop.set()
    await sampler
    totals.cpu.append(cpu + worker)
    totals.lag += samples
    status = engine.status()
    confident = sum(1 for a in snap.attributions if a.estimate.confident)
    print(
        f"{label}: refresh wall {wall:.2f} s, CPU {cpu + worker:.2f} s "
        f"= app process {cpu:.2f} s (analysis thread {status.rates['refresh_cpu_s']:.2f} s) "
        f"+ read worker {worker:.2f} s"
        f"{'' if worker1 is not None else ' (no worker process: reads counted in the app)'}, "
        f"rows read from the store {status.counters['events_read_last']:,}, analysed {snap.events_read:,}; "
        f"loop lag p99 {p99(samples):.1f} ms, max {max(samples, default=0):.1f} ms ({len(samples)} samples); "
        f"ratio to the baseline {wall / base:.2f}x; "
        f"{confident} confident switch estimates, {len(snap.suggestions)} shifting suggestions",
        flush=True,
    )


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="/tmp/ha_energy_bench")
    ap.add_argument("-n", type=int, default=5_000_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    data_dir = Path(args.dir)
    fresh = not (data_dir / "events.sqlite3").exists()
    store = await EventStore.open(data_dir, config=StorageConfig(), retention=False)
    try:
        if fresh:
            print(f"building {args.n:,} events over {args.days} days in {data_dir} …", flush=True)
            await build(store, args.n, args.days)
            await store.flush_rollups()
        total = await store.queries.run_read(lambda c: c.execute("SELECT count(*) FROM events").fetchone()[0])
        print(f"store: {total:,} events", flush=True)
        config = energy_config(args.days)
        idle, spin = await lag_baselines()
        print(
            f"loop lag p99 baselines: idle {idle:.1f} ms, beside a plain Python thread {spin:.1f} ms",
            flush=True,
        )
        base = await baseline(store, args.days)
        freeze_long_lived()  # as the runtime does once it has started
        totals = {"cold": Totals(), "warm": Totals()}
        for run in range(args.runs):
            engine = EnergyEngine(
                config, store, slots=lambda: SHAPES
            )  # a fresh one: the first refresh reads all
            for kind in ("cold", "warm", "warm", "warm"):
                await measure(store, engine, base, f"run {run + 1} {kind}", totals[kind])
        for kind, total in totals.items():
            print(total.line(kind), flush=True)
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
