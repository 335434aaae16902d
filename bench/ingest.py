"""Ingest benchmark: simulator process(es) -> HAClient -> Pipeline -> SQLite on disk, in this process.

Prints, from one run:
  1. sustained events/s committed to SQLite at the simulator's maximum rate, next to the ceiling
     measured on the same streams with the same websockets library (receive + orjson parse only);
  2. time_fired -> committed latency p50/p99 at 1,000 events/s (default storage config, and with
     a short flush interval for comparison);
  3. bytes on disk per stored event for the demo home mix (from run 1's database).

    python bench/ingest.py                 # 60 s per phase
    python bench/ingest.py --quick         # 10 s per phase (smoke test)
    python bench/ingest.py --duration 30 --sims 2 --json results.json

The simulator caps its rate at 20,000 ev/s; `--sims N` runs N simulator processes (different
seeds), one HAClient each, into one pipeline and store, to offer more than that.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.bus import Bus, Topic  # noqa: E402
from core.config import HomeAssistantConfig, StorageConfig  # noqa: E402
from core.ha.client import ClientTuning, HAClient  # noqa: E402
from core.models import EnrichedEvent  # noqa: E402
from core.pipeline import Pipeline, RegistryCache  # noqa: E402
from core.store import EventStore  # noqa: E402

TOKEN = "bench-token"
MAX_SIM_RATE = 20_000.0
WARMUP_S = 2.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    events: int = 0  # parsed (ceiling) or committed (pipeline)
    received: int = 0
    cpu_self: float = 0.0  # cores used by this process
    cpu_sims: float = 0.0  # cores used by the simulator processes
    backlog_end: int = 0  # received but not yet committed when the window closed
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def per_core(self) -> float:
        """Events per CPU-second of this process: the rate one fully used core would give."""
        return self.rate / self.cpu_self if self.cpu_self else 0.0

    @property
    def kept_up(self) -> bool:
        """No disconnect by HA for lagging, and less than half a second of events left queued."""
        return not self.extra.get("reconnects") and self.backlog_end <= 0.5 * self.rate

    def summary(self) -> dict[str, Any]:
        return asdict(self) | {"rate": self.rate, "per_core": self.per_core, "kept_up": self.kept_up}


# -- simulator processes --------------------------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@contextmanager
def simulators(count: int, rate: float) -> Iterator[list[tuple[str, int]]]:
    """Start `count` simulators (`python -m core.ha.simulator`); yield their (url, pid)."""
    procs = []
    try:
        for seed in range(1, count + 1):
            cmd = [sys.executable, "-m", "core.ha.simulator", "--port", "0", "--rate", str(rate)]
            cmd += ["--seed", str(seed), "--token", TOKEN]
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
            procs.append(proc)
        urls = []
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()  # "simulator listening on ws://127.0.0.1:PORT/api/websocket"
            urls.append((line.strip().rsplit(" ", 1)[-1], proc.pid))
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)


class CpuMeter:
    def __init__(self, pids: list[int]) -> None:
        self._pids = pids
        self._t0 = time.perf_counter()
        self._self0 = time.process_time()
        self._sims0 = sum(_proc_cpu(p) for p in pids)

    def read(self) -> tuple[float, float, float]:
        """(seconds, cores of this process, cores of the simulators) since construction."""
        dt = time.perf_counter() - self._t0
        return (
            dt,
            (time.process_time() - self._self0) / dt,
            (sum(_proc_cpu(p) for p in self._pids) - self._sims0) / dt,
        )


# -- phase 1a: the ceiling ------------------------------------------------------------------------


async def _raw_stream(url: str, counter: list[int], stop: asyncio.Event) -> None:
    """Receive + orjson-parse only, over the same protocol the client uses (coalesced arrays)."""
    async with connect(url, compression=None, max_size=64 * 2**20, ping_interval=None) as ws:
        await ws.recv()
        await ws.send(orjson.dumps({"type": "auth", "access_token": TOKEN}), text=True)
        await ws.recv()
        await ws.send(b'{"id":1,"type":"supported_features","features":{"coalesce_messages":1}}', text=True)
        await ws.send(b'{"id":2,"type":"subscribe_events","event_type":"state_changed"}', text=True)
        recv, loads, since_yield = ws.recv, orjson.loads, 0
        while not stop.is_set():
            msg = loads(await recv(decode=False))
            n = len(msg) if type(msg) is list else 1
            counter[0] += n
            since_yield += n
            if since_yield >= 50:  # the same cooperative yield as the client's reader
                since_yield = 0
                await asyncio.sleep(0)


async def run_ceiling(sims: list[tuple[str, int]], duration: float) -> Phase:
    counter, stop = [0], asyncio.Event()
    tasks = [asyncio.create_task(_raw_stream(url, counter, stop)) for url, _ in sims]
    await asyncio.sleep(WARMUP_S)
    start, meter = counter[0], CpuMeter([pid for _, pid in sims])
    await asyncio.sleep(duration)
    seconds, cpu_self, cpu_sims = meter.read()
    events = counter[0] - start
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return Phase("ceiling (receive + parse)", seconds, events, events, cpu_self, cpu_sims)


# -- phases 1b and 2: the real pipeline -----------------------------------------------------------


@dataclass
class Headless:
    store: EventStore
    pipeline: Pipeline
    clients: list[HAClient]
    bus: Bus


@asynccontextmanager
async def headless(
    sims: list[tuple[str, int]], data_dir: Path, storage: StorageConfig
) -> AsyncIterator[Headless]:
    store = await EventStore.open(data_dir, config=storage, retention=False)
    registry, bus = RegistryCache(), Bus()
    pipeline = Pipeline(storage, store, registry, bus)
    await pipeline.start()
    tuning = ClientTuning(backfill_delay_s=0.0)
    clients = [
        HAClient(
            HomeAssistantConfig(url=url, token=TOKEN),
            pipeline,
            registry,
            bus,
            store.queries.last_time_fired,
            tuning=tuning,
        )
        for url, _ in sims
    ]
    for client in clients:
        await client.start()
    try:
        deadline = time.monotonic() + 30
        # Under overload HA (the simulator) may drop a client before it ever syncs: measure anyway,
        # the phase then reports the reconnects and does not count as keeping up.
        while not all(c.connection_info.synced for c in clients) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        yield Headless(store, pipeline, clients, bus)
    finally:
        for client in clients:
            await client.stop()
        await pipeline.stop()
        await store.close()


def _received(h: Headless) -> int:
    return sum(c.reader_stats().events for c in h.clients)


def _backlog(h: Headless) -> int:
    return h.pipeline.status().counters.get("queue_depth", 0) + h.pipeline.stats.spill_pending


async def run_throughput(sims: list[tuple[str, int]], duration: float, data_dir: Path) -> Phase:
    storage = StorageConfig(data_dir=str(data_dir))
    async with headless(sims, data_dir, storage) as h:
        await asyncio.sleep(WARMUP_S)
        stored0, received0, meter = h.pipeline.stats.stored, _received(h), CpuMeter([pid for _, pid in sims])
        await asyncio.sleep(duration)
        seconds, cpu_self, cpu_sims = meter.read()
        phase = Phase(
            "HAClient + Pipeline + SQLite", seconds, h.pipeline.stats.stored - stored0,
            _received(h) - received0, cpu_self, cpu_sims, _backlog(h),
        )  # fmt: skip
        phase.extra = {
            "reconnects": sum(c.connection_info.reconnects for c in h.clients),
            "spilled": h.pipeline.stats.spilled,
            "duplicates": h.pipeline.stats.duplicates,
            "rejected": h.pipeline.stats.rejected,
            "batches": h.pipeline.stats.batches,
        }
    return phase


async def run_latency(sims: list[tuple[str, int]], duration: float, data_dir: Path, flush_ms: int) -> Phase:
    storage = StorageConfig(data_dir=str(data_dir), flush_interval_ms=flush_ms)
    latencies: list[float] = []
    recording = False

    def on_stored(events: list[EnrichedEvent]) -> None:
        if recording:
            now = time.time()
            latencies.extend((now - e.time_fired.timestamp()) * 1000 for e in events if e.source == "live")

    async with headless(sims, data_dir, storage) as h:
        h.bus.subscribe(Topic.EVENTS_STORED, on_stored)
        await asyncio.sleep(WARMUP_S)
        recording, meter, stored0 = True, CpuMeter([pid for _, pid in sims]), h.pipeline.stats.stored
        await asyncio.sleep(duration)
        recording = False
        seconds, cpu_self, cpu_sims = meter.read()
        phase = Phase(f"latency, flush_interval_ms={flush_ms}", seconds, h.pipeline.stats.stored - stored0)
        phase.cpu_self, phase.cpu_sims = cpu_self, cpu_sims
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 100 else [float("nan")] * 99
    phase.extra = {
        "samples": len(latencies),
        "p50_ms": quantiles[49],
        "p99_ms": quantiles[98],
        "max_ms": max(latencies, default=0),
    }
    return phase


def bytes_per_event(data_dir: Path) -> tuple[int, int, float]:
    import sqlite3

    db = data_dir / "events.sqlite3"
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        conn.close()
    size = sum(p.stat().st_size for p in data_dir.glob("events.sqlite3*"))
    return size, rows, size / rows if rows else float("nan")


# -- main -----------------------------------------------------------------------------------------


def _print(phase: Phase) -> None:
    cpu = f"self {phase.cpu_self:4.2f} cores  sims {phase.cpu_sims:4.2f}"
    print(f"  {phase.name:<40} {phase.rate:>9,.0f} ev/s  {cpu}")
    if phase.received:
        per_s = phase.received / phase.seconds
        print(f"  {'':<40} received {per_s:,.0f} ev/s, backlog at end {phase.backlog_end:,}")
    if phase.extra:
        print(f"  {'':<40} {phase.extra}")


async def find_sustained(
    args: argparse.Namespace, probe_s: float, data_dir: Path
) -> tuple[float, Phase | None]:
    """Step the offered rate down until the pipeline keeps up (short probes); return that rate."""
    step = args.rate * 0.125
    per_sim = args.rate - step  # the full rate was just measured and fell behind
    while per_sim >= args.rate * 0.25:
        with simulators(args.sims, per_sim) as sims:
            probe = await run_throughput(sims, probe_s, data_dir / f"probe{int(per_sim)}")
        verdict = "keeps up" if probe.kept_up else "falls behind"
        print(f"  probe {args.sims} x {per_sim:,.0f} ev/s: {probe.rate:,.0f} ev/s stored, {verdict}")
        if probe.kept_up:
            return per_sim, probe
        per_sim -= step
    return per_sim, None


async def throughput_section(args: argparse.Namespace, duration: float, tmp: Path) -> dict[str, Any]:
    offered = args.sims * args.rate
    print(
        f"1. throughput: {args.sims} simulator process(es) x {args.rate:,.0f} = {offered:,.0f} ev/s offered"
    )
    with simulators(args.sims, args.rate) as sims:
        ceiling = await run_ceiling(sims, duration)
        _print(ceiling)
        at_max = await run_throughput(sims, duration, tmp / "max")
        _print(at_max)
    best, sustained = at_max, at_max
    if not at_max.kept_up and not args.no_search:
        per_sim, probe = await find_sustained(args, max(8.0, duration / 6), tmp)
        if probe is not None:
            with simulators(args.sims, per_sim) as sims:
                sustained = await run_throughput(sims, duration, tmp / "sustained")
            sustained.name = f"sustained at {args.sims} x {per_sim:,.0f} ev/s"
            _print(sustained)
            best = sustained
    ratio_rate = best.rate / ceiling.rate
    ratio_core = best.rate / ceiling.per_core
    print(f"  ceiling capacity: {ceiling.per_core:,.0f} ev/s per core (it used {ceiling.cpu_self:.2f} cores)")
    print(f"  sustained {best.rate:,.0f} ev/s; ratio to the measured ceiling {ratio_rate:.2f}, "
          f"to the ceiling's one-core capacity {ratio_core:.2f}")  # fmt: skip
    size, rows, per_event = bytes_per_event(tmp / ("sustained" if best is not at_max else "max"))
    print(f"3. disk: {size / 1e6:,.1f} MB for {rows:,} events = {per_event:,.1f} bytes/event")
    return {
        "ceiling": ceiling.summary(),
        "at_max_offered": at_max.summary(),
        "sustained": best.summary(),
        "ratio_to_ceiling_rate": ratio_rate,
        "ratio_to_ceiling_per_core": ratio_core,
        "disk": {"bytes": size, "events": rows, "bytes_per_event": per_event},
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    duration = 10.0 if args.quick else args.duration
    results: dict[str, Any] = {"duration_s": duration, "sims": args.sims, "rate_per_sim": args.rate}
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        tmp_dir = Path(tmp)
        results |= await throughput_section(args, duration, tmp_dir)
        print(f"2. latency time_fired -> committed at {args.latency_rate:,.0f} ev/s")
        latency = []
        with simulators(1, args.latency_rate) as sims:
            for flush_ms in args.flush_ms:
                phase = await run_latency(sims, duration, tmp_dir / f"lat{flush_ms}", flush_ms)
                _print(phase)
                latency.append(phase.summary())
    results["latency"] = latency
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--duration", type=float, default=60.0, help="seconds per measured phase (default 60)"
    )
    parser.add_argument("--quick", action="store_true", help="10 s phases, for smoke testing")
    parser.add_argument("--sims", type=int, default=2, help="simulator processes for the throughput phase")
    parser.add_argument("--rate", type=float, default=MAX_SIM_RATE, help="ev/s per simulator (max 20000)")
    parser.add_argument("--latency-rate", type=float, default=1000.0)
    parser.add_argument(
        "--flush-ms", type=int, nargs="+", default=[StorageConfig().flush_interval_ms, 20],
        help="pipeline flush_interval_ms values for the latency phase (default: the config default, and 20)",
    )  # fmt: skip
    parser.add_argument("--no-search", action="store_true", help="do not search for the sustainable rate")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    results = asyncio.run(main_async(args))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
