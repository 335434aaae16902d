"""A burst of heavy API queries against the app's event loop: is the loop still responsive?

Six parallel `duration-analytics?period=30d` requests on a store of --n events (default 430k, the
size the probe in issue 13 used) are sent twice in the same run, from client threads (so the
client's own work is not on the server's loop):

- baseline: the heavy-query gate opened wide (every request admitted at once, as before the gate);
- gated: the server's real HeavyGate (one running, three queued, the rest 503 + Retry-After).

While each burst runs, a ticker on the server's loop measures loop lag (how late a 5 ms sleep wakes
up; the GUI's target is p99 <= 16 ms) and a client thread polls `/health`. Printed: lag p99/max,
`/health` worst latency, the burst's wall time and its 200/503 counts, and gated/baseline ratios.

Usage: python bench/api_burst.py [--dir /tmp/ha_api_burst_430k] [-n 430000] [--parallel 6]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from api import open_store, serve

from core.api.guards import HeavyGate
from core.api.server import ApiServer

TICK_S = 0.005


@dataclass
class Burst:
    name: str
    lag_p99_ms: float
    lag_max_ms: float
    health_max_ms: float
    wall_s: float
    ok: int
    busy: int


async def ticker(lags: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        t0 = loop.time()
        await asyncio.sleep(TICK_S)
        lags.append(max(0.0, (loop.time() - t0 - TICK_S) * 1000))


def fire(url: str, parallel: int) -> tuple[list[int], float]:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        statuses = list(pool.map(lambda _: requests.get(url, timeout=600).status_code, range(parallel)))
    return statuses, time.perf_counter() - t0


def poll_health(url: str, stop: threading.Event, out: list[float]) -> None:
    with requests.Session() as session:
        while not stop.is_set():
            t0 = time.perf_counter()
            session.get(url, timeout=60)
            out.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.05)


async def burst(server: ApiServer, url: str, name: str, gate: HeavyGate, parallel: int) -> Burst:
    server.heavy = gate
    lags: list[float] = []
    health: list[float] = []
    stop, stop_health = asyncio.Event(), threading.Event()
    tick = asyncio.create_task(ticker(lags, stop))
    prober = threading.Thread(target=poll_health, args=(server.base_url + "/health", stop_health, health))
    prober.start()
    try:
        statuses, wall = await asyncio.to_thread(fire, url, parallel)
    finally:
        stop.set()
        stop_health.set()
        await tick
        await asyncio.to_thread(prober.join)
    lags.sort()
    return Burst(
        name,
        lags[min(len(lags) - 1, round(0.99 * (len(lags) - 1)))],
        lags[-1],
        max(health) if health else float("nan"),
        wall,
        statuses.count(200),
        statuses.count(503),
    )


async def main(args: argparse.Namespace) -> None:
    store = await open_store(args.dir, args.n)
    server = await serve(store, args.dir)
    try:
        end = await store.queries.last_time_fired()
        assert end is not None
        # The 30 days up to the newest stored event (the store was built in the past).
        url = f"{server.base_url}/api/v1/events/duration-analytics?period=30d&end={end.isoformat()}"
        url = url.replace("+", "%2B")
        statuses, wall = await asyncio.to_thread(fire, url, 1)  # warm the page cache once
        print(f"one request alone: {wall:.1f} s (HTTP {statuses[0]})")
        wide = HeavyGate(running=10_000, waiting=0)
        results = [
            await burst(server, url, "baseline (no gate)", wide, args.parallel),
            await burst(server, url, "gated (HeavyGate)", HeavyGate(), args.parallel),
        ]
    finally:
        await server.stop()
        await store.close()
    print(f"\n{args.parallel} parallel duration-analytics?period=30d on {args.n:,} events; "
          f"loop tick {TICK_S * 1000:g} ms")  # fmt: skip
    heads = ("lag p99 ms", "lag max ms", "/health max ms", "wall s", "200", "503")
    widths = (10, 10, 14, 7, 4, 4)
    print(f"{'':20s} " + " ".join(f"{h:>{w}s}" for h, w in zip(heads, widths, strict=True)))
    for r in results:
        print(f"{r.name:20s} {r.lag_p99_ms:10.1f} {r.lag_max_ms:10.1f} {r.health_max_ms:14.1f} "
              f"{r.wall_s:7.1f} {r.ok:4d} {r.busy:4d}")  # fmt: skip
    base, gated = results
    ratio = gated.lag_p99_ms / base.lag_p99_ms if base.lag_p99_ms else float("nan")
    print(f"gated / baseline: lag p99 {ratio:.2f}x, /health max "
          f"{gated.health_max_ms / base.health_max_ms:.2f}x")  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=Path("/tmp/ha_api_burst_430k"))
    parser.add_argument("-n", type=int, default=430_000, help="events to build (only when --dir is empty)")
    parser.add_argument("--parallel", type=int, default=6)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
