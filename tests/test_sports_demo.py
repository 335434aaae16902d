"""The built-in demo: an ESPN-shaped server whose games go live, score, change periods and finish,
played through the real engine with a clock the test moves; and the runtime starting it when the
simulator is on and no teams are configured."""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp

from core.config import SportsConfig
from core.sports import SPEC as SPORTS
from core.sports.cards import cards
from core.sports.demo_script import DEMO_TEAMS, LEAD_S, LEAGUES
from core.sports.demo_server import DemoServer
from core.sports.engine import SportsEngine
from core.sports.model import GameState
from tests.runtime_harness import running_runtime, specs_without, wait_for


class Clock:
    def __init__(self) -> None:
        self.base = time.time()
        self.offset = 0.0

    def __call__(self) -> float:
        return self.base + self.offset


async def test_demo_games_play_out_through_the_engine(tmp_path: Path) -> None:
    clock = Clock()
    demo = DemoServer(clock=clock)
    await demo.start()
    engine = SportsEngine(
        SportsConfig(teams=list(DEMO_TEAMS), base_url=demo.base_url), tmp_path, autopoll=False
    )
    await engine.start()
    seen: dict[str, list[tuple[str, int, str]]] = {lg.league: [] for lg in LEAGUES}
    try:
        assert engine.store is not None
        while clock.offset < 15 * 60:
            for lg in engine.leagues.values():
                await engine.poll_league(lg)
            for payload in await engine.store.recent_events(500):
                entry = (payload["game_id"], payload["sequence"], payload["type"])
                if entry not in seen[payload["league"]]:
                    seen[payload["league"]].append(entry)
            if clock.offset == 60:
                live = [v.current for v in engine.team_views()]
                assert all(g is not None and g.state is GameState.IN for g in live)  # live within 60 s
                shown = cards(engine, time.time())
                assert [c.mode for c in shown] == ["live"] * 3 and "HAW" in shown[0].headline
                assert shown[0].detail.endswith("Q1") and "ok, data" in shown[0].health
            clock.offset += 5
        for league in ("nfl", "eng.1", "nhl"):
            types = [t for _, _, t in sorted(seen[league])]
            assert types[0] == "kickoff_soon" and types[1] == "game_started", (league, types)
            assert types[-1] == "game_ended" and "score_changed" in types and "period_changed" in types
            assert types.index("score_changed") <= 4  # the first score comes within the first minute
        assert "halftime" in [t for _, _, t in seen["nfl"]]
        views = engine.team_views()
        assert all(v.last is not None and v.last.completed for v in views)
        async with aiohttp.ClientSession() as session, session.get(f"{demo.base_url}/logos/nfl/HAW.png") as r:
            assert r.status == 200 and (await r.read()).startswith(b"\x89PNG")
    finally:
        await engine.stop()
        await demo.stop()


async def test_simulator_with_no_teams_runs_the_demo(tmp_path: Path) -> None:
    specs = specs_without("alerts", "metrics", "api")
    async with running_runtime(tmp_path, specs=specs) as runtime:
        engine = runtime.engine(SPORTS)
        assert engine is not None and engine.demo is not None
        assert [f"{r.league.league}:{r.key}" for r in engine.refs] == list(DEMO_TEAMS)
        await wait_for(lambda: all(h.ok for h in engine.health.values()), "the demo leagues' first polls")
        assert all(v.team is not None and v.current is not None for v in engine.team_views())
        assert LEAD_S <= 60
