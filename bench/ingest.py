"""Ingest benchmark: simulator process(es) -> HAClient -> Pipeline -> SQLite on disk, in this process.

Prints, from one run:
  1. sustained events/s committed to SQLite at the simulator's maximum rate, next to the ceiling
     measured on the same streams with the same websockets library (receive + orjson parse only);
     the overload phase: what is stored while more is offered than this process can take (HA, the
     simulator, drops a client that falls behind; it reconnects and back-fills), as a ratio to the
     rate sustained without overload, with reconnects and the events lost (the store compared with
     what the simulators record they fired, after generation pauses and the gaps close);
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
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.bus import Bus, Topic  # noqa: E402
from core.config import HomeAssistantConfig, StorageConfig  # noqa: E402
from core.ha.client import ClientTuning, HAClient  # noqa: E402
from core.models import EnrichedEvent, EventSource  # noqa: E402
from core.pipeline import Pipeline, RegistryCache  # noqa: E402
from core.store import EventStore  # noqa: E402

TOKEN = "bench-token"
MAX_SIM_RATE = 20_000.0
SIM_NICE = 0  # --sims-nice
WARMUP_S = 2.0
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RECOVER_MAX_S = 180.0
MAX_PROBES = 10
MIN_PROBE_RATE = 250.0  # per simulator  # after an overload phase: how long the gaps may take to close
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


def _lower_priority() -> None:
    os.nice(SIM_NICE)


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@contextmanager
def simulators(
    count: int, rate: float, *, history_rows: int | None = None, record_dir: Path | None = None
) -> Iterator[list[tuple[str, int]]]:
    """Start `count` simulators (`python -m core.ha.simulator`); yield their (url, pid).

    With `record_dir`, each writes every state_changed it fired to record_dir/sim<seed>.tsv when it
    stops (after this context ends)."""
    procs = []
    try:
        for seed in range(1, count + 1):
            cmd = [sys.executable, "-m", "core.ha.simulator", "--port", "0", "--rate", str(rate)]
            cmd += ["--seed", str(seed), "--token", TOKEN]
            if history_rows is not None:
                cmd += ["--history-rows", str(history_rows)]
            if record_dir is not None:
                cmd += ["--record", str(record_dir / f"sim{seed}.tsv")]
            # --sims-nice: HA on its own hardware, as in a real home: the app gets the CPU first and
            # the simulators use what is left (on a 2-core machine both otherwise compete, and the
            # overload phase's 40,000 ev/s of generation takes CPU the sustained phase keeps).
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                                    preexec_fn=_lower_priority if SIM_NICE else None)  # fmt: skip
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
            proc.wait(60)  # a recording simulator writes its record first


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


class IdleMeter:
    """Share of wall time the event loop waited in select() with nothing to do.

    On a shared machine a low stored rate has two causes: this process was busy but got little
    CPU (others ran), or it sat idle (waiting on a reconnect, say). Only the second is ours."""

    def __init__(self) -> None:
        self._selector: Any = getattr(asyncio.get_running_loop(), "_selector", None)
        self._idle = 0.0
        self._t0 = time.perf_counter()
        self._select = None
        if self._selector is not None:
            self._select = self._selector.select
            self._selector.select = self._timed

    def _timed(self, timeout: float | None = None) -> Any:
        assert self._select is not None
        t = time.perf_counter()
        try:
            return self._select(timeout)
        finally:
            self._idle += time.perf_counter() - t

    def read(self) -> float:
        """The idle share since construction; stops measuring."""
        if self._selector is not None:
            self._selector.select = self._select
        return self._idle / (time.perf_counter() - self._t0)


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


class OneHA:
    """The pipeline as one HAClient sees it, remembering the newest event time it delivered.

    The app stores one HA per store; the bench feeds several simulators into one store, where the
    store's newest event may be another simulator's, which would start this client's back-fill too
    late. So each client's "last stored" is the newest time it delivered (the client waits for
    storage to catch up before it reconnects, so delivered is stored by then)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self._newest_iso = ""  # live events and states: one format and zone, string order is time order
        self._newest_lu = 0.0  # history rows: float seconds

    def submit(self, event: Any, source: EventSource = EventSource.LIVE) -> None:
        fired = event.get("time_fired") if type(event) is dict else None
        if type(fired) is str and fired > self._newest_iso:
            self._newest_iso = fired
        self._pipeline.submit(event, source)

    def submit_state(self, state: Any, source: EventSource) -> None:
        updated = state.get("last_updated") if type(state) is dict else None
        if type(updated) is str and updated > self._newest_iso:
            self._newest_iso = updated
        self._pipeline.submit_state(state, source)

    def submit_history_row(
        self, entity_id: str, row: Any, source: EventSource = EventSource.BACKFILL
    ) -> None:
        lu = row.get("lu") if type(row) is dict else None
        if type(lu) is float and lu > self._newest_lu:
            self._newest_lu = lu
        self._pipeline.submit_history_row(entity_id, row, source)

    async def flush(self) -> None:
        await self._pipeline.flush()

    async def last_stored(self) -> datetime | None:
        times = [datetime.fromisoformat(self._newest_iso)] if self._newest_iso else []
        if self._newest_lu:
            times.append(datetime.fromtimestamp(self._newest_lu, UTC))
        return max(times, default=None)


@asynccontextmanager
async def headless(
    sims: list[tuple[str, int]], data_dir: Path, storage: StorageConfig, sync_timeout_s: float = 30.0
) -> AsyncIterator[Headless]:
    store = await EventStore.open(data_dir, config=storage, retention=False)
    registry, bus = RegistryCache(), Bus()
    pipeline = Pipeline(storage, store, registry, bus)
    await pipeline.start()
    tuning = ClientTuning(backfill_delay_s=0.0)
    clients = []
    for url, _ in sims:
        sink = OneHA(pipeline) if len(sims) > 1 else pipeline
        last_stored = sink.last_stored if isinstance(sink, OneHA) else store.queries.last_time_fired
        config = HomeAssistantConfig(url=url, token=TOKEN)
        clients.append(HAClient(config, sink, registry, bus, last_stored, tuning=tuning))
    for client in clients:
        await client.start()
    try:
        deadline = time.monotonic() + sync_timeout_s
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
        return await _measure(h, sims, duration, "HAClient + Pipeline + SQLite")


def _reconnects(h: Headless) -> int:
    return sum(c.connection_info.reconnects for c in h.clients)


async def _measure(h: Headless, sims: list[tuple[str, int]], duration: float, name: str) -> Phase:
    """Committed events (live and back-filled, duplicates not counted) over `duration` from now."""
    stored0, received0, meter = h.pipeline.stats.stored, _received(h), CpuMeter([pid for _, pid in sims])
    reconnects0, duplicates0, idle = _reconnects(h), h.pipeline.stats.duplicates, IdleMeter()
    await asyncio.sleep(duration)
    seconds, cpu_self, cpu_sims = meter.read()
    loop_idle = idle.read()
    phase = Phase(
        name, seconds, h.pipeline.stats.stored - stored0,
        _received(h) - received0, cpu_self, cpu_sims, _backlog(h),
    )  # fmt: skip
    phase.extra = {
        "reconnects": _reconnects(h) - reconnects0,
        "spilled": h.pipeline.stats.spilled,
        "duplicates": h.pipeline.stats.duplicates - duplicates0,
        "rejected": h.pipeline.stats.rejected,
        "batches": h.pipeline.stats.batches,
        "loop_idle": round(loop_idle, 3),
    }
    return phase


# -- phase 1b: overload ---------------------------------------------------------------------------


@dataclass
class Overload:
    phase: Phase
    recovered_s: float | None  # after generation paused, until every gap was closed (None: not in time)
    fired: int  # state_changed events the simulators fired, from their records
    lost: int  # of those, not in the store
    lost_examples: list[str]


async def run_overload(args: argparse.Namespace, duration: float, tmp: Path) -> Overload:
    """The full offered rate on fresh simulators that record what they fire, then: pause generation,
    wait until every client's back-fill closed its gaps, and compare the store with the records."""
    data_dir, record_dir = tmp / "overload", tmp / "records"
    record_dir.mkdir()
    history_rows = int(args.rate * (WARMUP_S + duration + 60))  # HA's recorder keeps days; so must this one
    storage = StorageConfig(data_dir=str(data_dir))
    with simulators(args.sims, args.rate, history_rows=history_rows, record_dir=record_dir) as sims:
        async with headless(sims, data_dir, storage, sync_timeout_s=0) as h:
            await asyncio.sleep(WARMUP_S)
            phase = await _measure(h, sims, duration, "overload: HAClient + Pipeline + SQLite")
            for _, pid in sims:
                os.kill(pid, signal.SIGUSR1)  # the overload ends: generation pauses, gaps can close
            recovered = await _recover(h)
            phase.extra["reconnects_total"] = _reconnects(h)
    fired, lost, examples = compare_with_records(record_dir, data_dir / "events.sqlite3")
    return Overload(phase, recovered, fired, lost, examples)


async def _recover(h: Headless) -> float | None:
    """Seconds until every client is synced (its back-fill reached its live events) and stored."""
    start = time.monotonic()
    while time.monotonic() - start < RECOVER_MAX_S:
        if all(c.connection_info.synced for c in h.clients):
            await h.pipeline.flush()
            return time.monotonic() - start
        await asyncio.sleep(0.1)
    return None


def _time_us(iso: str) -> int:
    t = datetime.fromisoformat(iso)
    return (t - EPOCH) // timedelta(microseconds=1)


def compare_with_records(record_dir: Path, db: Path) -> tuple[int, int, list[str]]:
    """(fired, lost, a few lost ones): every recorded (entity_id, last_updated) must be stored.

    A time may differ by 2 µs: history floats and ISO strings of one instant can round apart."""
    stored: dict[str, set[int]] = {}
    conn = sqlite3.connect(db)
    try:
        sql = "SELECT e.entity_id, ev.time_us FROM events ev JOIN entity_ids e ON e.id = ev.entity_key"
        for entity_id, time_us in conn.execute(sql):
            stored.setdefault(entity_id, set()).add(time_us)
    finally:
        conn.close()
    fired = lost = 0
    examples: list[str] = []
    for path in sorted(record_dir.glob("*.tsv")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                entity_id, updated = line.rstrip("\n").split("\t")
                fired += 1
                us, times = _time_us(updated), stored.get(entity_id, set())
                if not any(us + d in times for d in (0, -1, 1, -2, 2)):
                    lost += 1
                    if len(examples) < 5:
                        examples.append(f"{path.stem} {entity_id} {updated}")
    return fired, lost, examples


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
    """Step the offered rate down until the pipeline keeps up (short probes); return that rate.

    Steps of 1/8 of the rate while above half of it, then a quarter less each time (a busy shared
    machine may sustain only a small fraction), at most MAX_PROBES probes."""
    per_sim, probes = args.rate, 0
    while probes < MAX_PROBES:
        per_sim = per_sim - args.rate * 0.125 if per_sim > args.rate * 0.5 else per_sim * 0.75
        per_sim = round(per_sim / 50) * 50
        if per_sim < MIN_PROBE_RATE:
            break
        with simulators(args.sims, per_sim) as sims:
            probe = await run_throughput(sims, probe_s, data_dir / f"probe{int(per_sim)}")
        probes += 1
        verdict = "keeps up" if probe.kept_up else "falls behind"
        print(f"  probe {args.sims} x {per_sim:,.0f} ev/s: {probe.rate:,.0f} ev/s stored, {verdict}")
        if probe.kept_up:
            return per_sim, probe
    return per_sim, None


def _print_overload(overload: Overload) -> None:
    extra = overload.phase.extra
    recovered = f"{overload.recovered_s:.1f} s" if overload.recovered_s is not None else "(not in time)"
    print(f"  {'':<40} reconnects {extra['reconnects']} in the window ({extra['reconnects_total']} in all), "
          f"duplicates skipped {extra['duplicates']:,}, loop idle {extra['loop_idle']:.0%}")  # fmt: skip
    print(f"  {'':<40} generation paused: every gap closed after {recovered}; "
          f"lost {overload.lost:,} of {overload.fired:,} events fired (the simulators' records)")  # fmt: skip
    for example in overload.lost_examples:
        print(f"  {'':<40} lost: {example}")


async def throughput_section(args: argparse.Namespace, duration: float, tmp: Path) -> dict[str, Any]:
    offered = args.sims * args.rate
    print(
        f"1. throughput: {args.sims} simulator process(es) x {args.rate:,.0f} = {offered:,.0f} ev/s offered"
    )
    with simulators(args.sims, args.rate) as sims:
        ceiling = await run_ceiling(sims, duration)
        _print(ceiling)
    overload = await run_overload(args, duration, tmp)
    at_max = overload.phase
    _print(at_max)
    _print_overload(overload)
    overloaded = not at_max.kept_up
    best, sustained = at_max, at_max
    if overloaded and not args.no_search:
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
    overload_ratio = at_max.rate / best.rate if best.rate and best is not at_max else float("nan")
    per_core_ratio = at_max.per_core / best.per_core if best.per_core and best is not at_max else float("nan")
    if not overloaded:
        print(f"  overload: none, the pipeline kept up with {offered:,.0f} ev/s offered")
    elif best is at_max:
        print("  overload: no offered rate kept up (see the probes); no sustained figure to compare with")
    else:
        print(f"  overload: stored {at_max.rate:,.0f} ev/s with {offered:,.0f} offered vs {best.rate:,.0f} "
              f"sustained without overload: ratio {overload_ratio:.2f} (target >= 0.80); "
              f"lost {overload.lost:,} of {overload.fired:,}")  # fmt: skip
        print(f"  {'':<10}per CPU-second of this process: {at_max.per_core:,.0f} vs {best.per_core:,.0f} "
              f"ev/s, ratio {per_core_ratio:.2f} (below 1: work overload wastes); loop idle "
              f"{at_max.extra['loop_idle']:.0%} vs {best.extra['loop_idle']:.0%}")  # fmt: skip
    size, rows, per_event = bytes_per_event(tmp / ("sustained" if best is not at_max else "overload"))
    print(f"3. disk: {size / 1e6:,.1f} MB for {rows:,} events = {per_event:,.1f} bytes/event")
    return {
        "ceiling": ceiling.summary(),
        "at_max_offered": at_max.summary(),
        "sustained": best.summary(),
        "ratio_to_ceiling_rate": ratio_rate,
        "ratio_to_ceiling_per_core": ratio_core,
        "overload": {
            "stored_rate": at_max.rate,
            "sustained_rate": best.rate,
            "ratio": overload_ratio,
            "per_core_ratio": per_core_ratio,
            "loop_idle": at_max.extra["loop_idle"],
            "overloaded": overloaded,
            "reconnects": at_max.extra["reconnects"],
            "recovered_s": overload.recovered_s,
            "fired": overload.fired,
            "lost": overload.lost,
        },
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
    parser.add_argument(
        "--sims-nice",
        type=int,
        default=0,
        help="run the simulators at this nice level (19: HA on its own host)",
    )
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
    global SIM_NICE
    SIM_NICE = args.sims_nice
    results = asyncio.run(main_async(args))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
