"""The sports and webhook routes over real HTTP against a running runtime whose sports engine polls
a local ESPN-shaped server: games, the HA status and context, and the webhook admin lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from core.api import SPEC as API
from core.config import ApiConfig, SportsConfig
from core.runtime import Runtime
from core.sports import SPEC as SPORTS
from tests.runtime_harness import running_runtime, specs_without, wait_for
from tests.sports_helpers import FakeEspn, Receiver, fixture


@pytest.fixture
async def espn() -> AsyncIterator[FakeEspn]:
    server = FakeEspn()
    await server.start()
    server.answers["football/nfl/teams"] = fixture("nfl_teams.json")
    server.answers["football/nfl/scoreboard"] = fixture("nfl_scoreboard.json")
    server.answers["football/nfl/teams/101/schedule"] = fixture("schedule_kc.json")
    yield server
    await server.stop()


class Client:
    def __init__(self, runtime: Runtime, session: aiohttp.ClientSession) -> None:
        api = runtime.engine(API)
        assert api is not None and api.keys is not None
        self.base, self.admin, self.session = api.base_url, api.keys.admin_api_key, session

    async def call(self, method: str, path: str, body: Any = None, admin: bool = False) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.admin}"} if admin else {}
        async with self.session.request(method, self.base + path, json=body, headers=headers) as resp:
            return resp.status, await resp.json()


async def test_sports_routes_and_webhook_lifecycle(espn: FakeEspn, tmp_path: Path) -> None:
    sports = SportsConfig(teams=["nfl:WSH"], base_url=espn.base_url)
    receiver = Receiver()
    await receiver.start()
    specs = specs_without("alerts", "metrics")
    async with (
        running_runtime(tmp_path, specs=specs, sports=sports, api=ApiConfig(port=0)) as runtime,
        aiohttp.ClientSession() as session,
    ):
        engine = runtime.engine(SPORTS)
        assert engine is not None
        await wait_for(lambda: engine.health["nfl"].ok, "the first NFL poll")
        c = Client(runtime, session)

        code, status = await c.call("GET", "/api/v1/ha/game-status/nfl/WSH")
        assert code == 200 and status["state"] == "IN" and status["team_score"] == "14"
        assert (
            status["opponent_abbr"] == "PIT"
            and status["home_away"] == "home"
            and status["source_health"] == "ok"
        )
        code, other = await c.call("GET", "/api/v1/ha/game-status/nhl/WSH")
        assert code == 200 and other["state"] == "NONE" and "not a tracked team" in other["api_message"]

        code, live = await c.call("GET", "/api/v1/sports/games/live")
        assert code == 200 and [g["game_id"] for g in live["games"]] == ["nfl:10001:10001"]
        code, ctx = await c.call("GET", "/api/v1/ha/game-context/nfl/101")
        assert code == 200 and ctx["game"]["home"]["abbr"] == "WSH" and ctx["source"]["state"] == "ok"
        code, timeline = await c.call("GET", "/api/v1/sports/games/timeline/nfl:10001:10001")
        assert code == 200 and timeline["timeline"][0]["home_score"] == "14"
        assert (await c.call("GET", "/api/v1/sports/games/timeline/nfl:1:1"))[0] == 404
        code, history = await c.call("GET", "/api/v1/sports/games/history?team=101")
        assert code == 200 and history["total"] >= 1
        code, sched = await c.call("GET", "/api/v1/sports/schedule/nfl/WSH")
        assert code == 200 and "record" in sched

        # Webhooks: admin key only; the secret is shown once.
        assert (await c.call("GET", "/api/v1/webhooks"))[0] == 401
        code, made = await c.call(
            "POST", "/api/v1/webhooks", {"url": receiver.url, "event_types": "score_changed"}, admin=True
        )
        assert code == 201 and len(made["secret"]) >= 32
        receiver.secret = made["secret"]
        code, listed = await c.call("GET", "/api/v1/webhooks", admin=True)
        assert code == 200 and listed["count"] == 1 and "secret" not in listed["webhooks"][0]
        assert made["secret"] not in str(listed)
        code, bad = await c.call(
            "POST", "/api/v1/webhooks", {"url": "ftp://x", "event_types": "nope"}, admin=True
        )
        assert code == 400 and "url must be an http(s) URL" in bad["detail"]
        hook = made["id"]
        code, patched = await c.call(
            "PATCH", f"/api/v1/webhooks/{hook}", {"description": "kitchen"}, admin=True
        )
        assert (
            code == 200
            and patched["description"] == "kitchen"
            and patched["event_types"] == ["score_changed"]
        )
        code, tested = await c.call("POST", f"/api/v1/webhooks/{hook}/test", admin=True)
        assert code == 200 and tested["ok"] and receiver.received[-1].valid
        code, log = await c.call("GET", f"/api/v1/webhooks/{hook}/deliveries", admin=True)
        assert (
            code == 200 and log["entries"][0]["outcome"] == "test" and log["entries"][0]["status_code"] == 200
        )
        code, _ = await c.call("DELETE", f"/api/v1/webhooks/{hook}", admin=True)
        assert code == 200
        assert (await c.call("GET", f"/api/v1/webhooks/{hook}", admin=True))[0] == 404
    await receiver.stop()


async def test_sports_disabled_means_no_engine_and_an_honest_status(tmp_path: Path) -> None:
    specs = specs_without("alerts", "metrics", "api")
    async with running_runtime(
        tmp_path, specs=specs, sports=replace(SportsConfig(), enabled=False)
    ) as runtime:
        assert runtime.engine(SPORTS) is None
