"""Sports benchmark: polling + event detection cost per poll cycle and webhook fan-out.

    .venv/bin/python bench/sports.py [--leagues 10] [--teams-per-league 5] [--cycles 30]
                                     [--receivers 20] [--fanout-cycles 10] [--json OUT]

One process runs the real SportsEngine (autopoll off: the benchmark drives the cycles) on its
asyncio loop; a child process (this script with --serve) runs the ESPN-shaped server and the
webhook receivers, so their CPU is not counted. Every cycle changes the score of every game, the
worst case (in real games a poll sees a change a few times an hour). Measures, in the same run:
- baseline: CPU ms per cycle to fetch the same scoreboards only (HTTP + JSON, no engine);
- engine: CPU ms per cycle for fetch + parse + pick + detect + one SQLite transaction per league;
- fan-out: deliveries/s and per-delivery latency p50/p99 to N receivers (signed, durable queue);
- event-loop lag (10 ms call_later probe) p99/max while idle, polling and fanning out: the loop the
  GUI shares, so this is what the Sports tab's repaints would wait on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LEAGUES = (
    "nfl",
    "nba",
    "wnba",
    "mlb",
    "nhl",
    "usa.1",
    "eng.1",
    "college-football",
    "mens-college-basketball",
    "esp.1",
    "ger.1",
    "ita.1",
)


# -- the child: ESPN-shaped server + receivers ------------------------------------------------------


def _team(tid: str) -> dict[str, Any]:
    return {"id": tid, "abbreviation": f"T{tid}", "displayName": f"Team {tid}", "color": "123456"}


def _board(league_no: int, teams: int, n: int) -> dict[str, Any]:
    ids = [str(league_no * 100 + i) for i in range(teams + teams % 2)]  # an even count: pairs
    events = []
    for g in range(len(ids) // 2):
        h, a = ids[2 * g], ids[2 * g + 1]
        status = {
            "displayClock": "5:00",
            "period": 2,
            "type": {
                "name": "STATUS_IN_PROGRESS",
                "state": "in",
                "completed": False,
                "shortDetail": "5:00 - 2nd",
            },
        }
        comp = {
            "id": f"{league_no}{g}",
            "date": "2026-12-01T18:00Z",
            "status": status,
            "competitors": [
                {"id": h, "homeAway": "home", "team": _team(h), "score": str(n)},
                {"id": a, "homeAway": "away", "team": _team(a), "score": str(n // 2)},
            ],
        }
        events.append(
            {"id": f"{league_no}{g}", "date": comp["date"], "competitions": [comp], "status": status}
        )
    return {"events": events}


async def serve(teams: int, receivers: int) -> None:
    from aiohttp import web

    polls: dict[str, int] = {}

    async def scoreboard(request: web.Request) -> web.Response:
        league = request.match_info["league"]
        polls[league] = polls.get(league, 0) + 1
        return web.json_response(_board(LEAGUES.index(league), teams, polls[league]))

    async def team_list(request: web.Request) -> web.Response:
        no = LEAGUES.index(request.match_info["league"])
        entries = [{"team": _team(str(no * 100 + i))} for i in range(teams + teams % 2)]
        return web.json_response({"sports": [{"leagues": [{"teams": entries}]}]})

    async def hook(_: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_get("/{sport}/{league}/scoreboard", scoreboard)
    app.router.add_get("/{sport}/{league}/teams", team_list)
    runners = []
    ports = []
    for i in range(receivers + 1):
        runner = web.AppRunner(app if i == 0 else _hook_app(hook), access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        ports.append(int(runner.addresses[0][1]))
    print(json.dumps({"espn": ports[0], "receivers": ports[1:]}), flush=True)
    await asyncio.Event().wait()


def _hook_app(handler: Any) -> Any:
    from aiohttp import web

    app = web.Application()
    app.router.add_post("/hook", handler)
    return app


# -- the measuring side -----------------------------------------------------------------------------


class LagProbe:
    """How late a 10 ms call_later fires: the event loop's responsiveness."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.samples = []
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> tuple[float, float]:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        s = sorted(self.samples) or [0.0]
        return s[int(len(s) * 0.99) - 1 if len(s) > 1 else 0], s[-1]

    async def _run(self) -> None:
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.010)
            self.samples.append((time.perf_counter() - t - 0.010) * 1000)


async def measure(args: argparse.Namespace, ports: dict[str, Any]) -> dict[str, Any]:
    import aiohttp

    from core.config import SportsConfig
    from core.sports.engine import SportsEngine
    from core.sports.fetch import EspnClient
    from core.sports.teams import league_of

    base = f"http://127.0.0.1:{ports['espn']}"
    leagues = [league_of(lg) for lg in LEAGUES[: args.leagues]]
    teams = [
        f"{lg.league}:{LEAGUES.index(lg.league) * 100 + i}"
        for lg in leagues
        for i in range(args.teams_per_league)
    ]
    probe = LagProbe()
    out: dict[str, Any] = {"leagues": len(leagues), "teams": len(teams), "receivers": args.receivers}
    with tempfile.TemporaryDirectory() as tmp:
        probe.start()
        await asyncio.sleep(2.0)
        out["lag_idle_p99_ms"], out["lag_idle_max_ms"] = await probe.stop()

        async with aiohttp.ClientSession() as session:  # baseline: the same fetches, nothing else
            client = EspnClient(session, base, 10.0)
            cpu = []
            for _ in range(args.cycles):
                c0 = time.process_time()
                for lg in leagues:
                    await client.scoreboard(lg, "20261201")
                cpu.append((time.process_time() - c0) * 1000)
            out["baseline_fetch_cpu_ms_per_cycle"] = statistics.median(cpu)

        cfg = SportsConfig(teams=teams, base_url=base, webhook_timeout_s=10.0)
        engine = SportsEngine(cfg, Path(tmp), autopoll=False)
        await engine.start()
        try:
            for lg in leagues:  # warm-up: teams lists, schedules (404 here), baselines
                await engine.poll_league(lg)
            probe.start()
            cpu, wall = [], []
            for _ in range(args.cycles):
                c0, w0 = time.process_time(), time.perf_counter()
                for lg in leagues:
                    await engine.poll_league(lg)
                cpu.append((time.process_time() - c0) * 1000)
                wall.append((time.perf_counter() - w0) * 1000)
            out["lag_polling_p99_ms"], out["lag_polling_max_ms"] = await probe.stop()
            out["engine_cpu_ms_per_cycle"] = statistics.median(cpu)
            out["engine_wall_ms_per_cycle"] = statistics.median(wall)
            out["events_per_cycle"] = engine.events_fired / (args.cycles + 1)
            out["engine_vs_baseline"] = (
                out["engine_cpu_ms_per_cycle"] / out["baseline_fetch_cpu_ms_per_cycle"]
            )

            assert engine.webhooks is not None and engine.store is not None
            hooks = [
                (await engine.webhooks.create(f"http://127.0.0.1:{p}/hook"))[0] for p in ports["receivers"]
            ]
            before = engine.events_fired
            probe.start()
            t0 = time.perf_counter()
            for _ in range(args.fanout_cycles):
                for lg in leagues:
                    await engine.poll_league(lg)
            total = (engine.events_fired - before) * len(hooks)

            store = engine.store

            async def delivered() -> int:
                return sum([(await store.delivery_counts(h.id))["delivered"] for h in hooks])

            while await delivered() < total:
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - t0
            out["lag_fanout_p99_ms"], out["lag_fanout_max_ms"] = await probe.stop()
            lat: list[float] = []
            for h in hooks:
                lat += [
                    e.latency_ms or 0.0
                    for e in await engine.webhooks.log(h.id, 100000)
                    if e.outcome == "delivered"
                ]
            lat.sort()
            out["deliveries"] = total
            out["deliveries_per_s"] = total / elapsed
            out["delivery_latency_p50_ms"] = lat[len(lat) // 2]
            out["delivery_latency_p99_ms"] = lat[int(len(lat) * 0.99) - 1]
        finally:
            await engine.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leagues", type=int, default=10)
    parser.add_argument("--teams-per-league", type=int, default=5)
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--receivers", type=int, default=20)
    parser.add_argument("--fanout-cycles", type=int, default=10)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.teams_per_league, args.receivers))
        return
    child = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--teams-per-league",
            str(args.teams_per_league),
            "--receivers",
            str(args.receivers),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    ports = json.loads(child.stdout.readline())
    try:
        result = asyncio.run(measure(args, ports))
    finally:
        os.kill(child.pid, signal.SIGTERM)
        child.wait(10)
    for key, value in result.items():
        print(f"{key:36s} {value:10.2f}" if isinstance(value, float) else f"{key:36s} {value:>10}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
