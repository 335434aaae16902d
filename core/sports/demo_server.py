"""An ESPN-shaped local server for the demo (simulator on, no teams configured) and for tests:
scoreboard, teams list, team schedule and generated logos for the demo leagues, on 127.0.0.1 and
a free port. The games themselves come from `demo_script` as a function of time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from core.sports.demo_script import (
    DEMO_TEAMS,
    LEAGUES,
    DemoLeague,
    DemoTeam,
    Snapshot,
    cycles_around,
    snapshot,
)
from core.sports.logos import disc_png

__all__ = ["DEMO_TEAMS", "DemoServer"]
_US_DAY = timedelta(hours=5)


def _iso(t: float) -> str:
    """ESPN sends minute precision; the demo's games start at odd seconds, so it sends seconds
    (the same parser reads both) and a countdown never shows a start in the past."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _us_day(t: float) -> str:
    return (datetime.fromtimestamp(t, UTC) - _US_DAY).strftime("%Y%m%d")


class DemoServer:
    def __init__(
        self, *, clock: Callable[[], float] = time.time, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.clock = clock
        self.t0 = clock()
        self.host, self.port = host, port
        self.requests = 0
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{sport}/{league}/scoreboard", self._scoreboard)
        app.router.add_get("/{sport}/{league}/teams", self._teams)
        app.router.add_get("/{sport}/{league}/teams/{team}/schedule", self._schedule)
        app.router.add_get("/logos/{league}/{file}", self._logo)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- handlers ---------------------------------------------------------------------------------

    def _league(self, request: web.Request) -> DemoLeague:
        self.requests += 1
        found = next(
            (
                lg
                for lg in LEAGUES
                if lg.league == request.match_info["league"] and lg.sport == request.match_info["sport"]
            ),
            None,
        )
        if found is None:
            raise web.HTTPNotFound()
        return found

    def _games(self, league: DemoLeague) -> list[Snapshot]:
        now = self.clock()
        return [snapshot(league, self.t0, k, now) for k in cycles_around(self.t0, now, 3, 3)]

    async def _scoreboard(self, request: web.Request) -> web.Response:
        league = self._league(request)
        day = request.query.get("dates")
        games = [g for g in self._games(league) if day is None or _us_day(g.start) == day]
        return web.json_response(
            {"leagues": [self._league_json(league)], "events": [self._event(league, g) for g in games]}
        )

    async def _teams(self, request: web.Request) -> web.Response:
        league = self._league(request)
        teams = [{"team": self._team(league, t)} for t in league.teams]
        return web.json_response(
            {"sports": [{"name": league.sport, "leagues": [{**self._league_json(league), "teams": teams}]}]}
        )

    async def _schedule(self, request: web.Request) -> web.Response:
        league = self._league(request)
        team_id = request.match_info["team"]
        games = [g for g in self._games(league) if team_id in (g.home.id, g.away.id)]
        events = [self._event(league, g, schedule=True) for g in games]
        return web.json_response({"status": "success", "team": {"id": team_id}, "events": events})

    async def _logo(self, request: web.Request) -> web.Response:
        abbr, _, rest = request.match_info["file"].partition(".")
        for league in LEAGUES:
            for team in league.teams:
                if team.abbr == abbr and league.league == request.match_info["league"]:
                    dark = rest.startswith("dark")
                    body = disc_png(team.alt if dark else team.color, team.color if dark else team.alt)
                    return web.Response(body=body, content_type="image/png")
        raise web.HTTPNotFound()

    # -- ESPN shapes ------------------------------------------------------------------------------

    def _league_json(self, league: DemoLeague) -> dict[str, Any]:
        return {
            "id": league.league,
            "name": league.name,
            "abbreviation": league.league.upper(),
            "slug": league.league,
        }

    def _team(self, league: DemoLeague, team: DemoTeam) -> dict[str, Any]:
        logo = f"{self.base_url}/logos/{league.league}/{team.abbr}"
        return {
            "id": team.id,
            "abbreviation": team.abbr,
            "displayName": team.name,
            "shortDisplayName": team.name.split()[-1],
            "color": team.color,
            "alternateColor": team.alt,
            "logo": f"{logo}.png",
            "logos": [
                {"href": f"{logo}.png", "rel": ["full", "default"]},
                {"href": f"{logo}.dark.png", "rel": ["full", "dark"]},
            ],
        }

    def _event(self, league: DemoLeague, g: Snapshot, schedule: bool = False) -> dict[str, Any]:
        post = g.state == "post"

        def competitor(team: DemoTeam, side: str, score: int) -> dict[str, Any]:
            c: dict[str, Any] = {"id": team.id, "homeAway": side, "team": self._team(league, team)}
            if g.state != "pre":
                # The scoreboard sends scores as strings; a schedule sends an object.
                c["score"] = {"value": float(score), "displayValue": str(score)} if schedule else str(score)
            if post:
                other = g.away_score if side == "home" else g.home_score
                c["winner"] = score > other
            return c

        status = {
            "clock": 0,
            "displayClock": g.clock,
            "period": g.period,
            "type": {
                "name": g.status,
                "state": g.state,
                "completed": post,
                "detail": g.detail,
                "shortDetail": g.detail,
            },
        }
        comp = {
            "id": g.event_id,
            "date": _iso(g.start),
            "status": status,
            "format": {"regulation": {"periods": league.periods}},
            "venue": {"fullName": f"{g.home.name.split()[0]} Stadium"},
            "broadcasts": [{"names": ["DEMO TV"]}],
            "competitors": [
                competitor(g.home, "home", g.home_score),
                competitor(g.away, "away", g.away_score),
            ],
        }
        event: dict[str, Any] = {
            "id": g.event_id,
            "date": _iso(g.start),
            "name": f"{g.away.name} at {g.home.name}",
            "shortName": f"{g.away.abbr} @ {g.home.abbr}",
            "season": {"year": 2026, "type": 2},
            "competitions": [comp],
        }
        if not schedule:
            event["status"] = status
        return event
