"""The sports engine against a real local ESPN-shaped server and real webhook receivers: events
from successive polls, signed deliveries, restarts that never re-fire, ESPN failures that keep the
last good data and say so, and receivers that cannot slow anything but themselves."""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import stat
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core.config import SportsConfig
from core.engine import EngineState
from core.sports import webhooks as webhooks_mod
from core.sports.engine import SportsEngine, webhook_public
from core.sports.model import GameState
from core.sports.store import SCHEMA_VERSION
from core.sports.teams import league_of
from tests.sports_helpers import FakeEspn, Hang, Receiver, Status, fixture

NFL = league_of("nfl")
BOARD = "football/nfl/scoreboard"


def board(home: str = "14", away: str = "10", state: str = "in", completed: bool = False) -> dict[str, Any]:
    """The NFL fixture with WSH's live game (event 10001) changed."""
    data: dict[str, Any] = copy.deepcopy(fixture("nfl_scoreboard.json"))
    comp = data["events"][0]["competitions"][0]
    comp["competitors"][0]["score"], comp["competitors"][1]["score"] = home, away
    comp["status"]["type"].update(
        state=state, completed=completed, name="STATUS_FINAL" if completed else "STATUS_IN_PROGRESS"
    )
    return data


@pytest.fixture
async def espn() -> AsyncIterator[FakeEspn]:
    server = FakeEspn()
    await server.start()
    server.answers["football/nfl/teams"] = fixture("nfl_teams.json")
    server.answers[BOARD] = board()
    yield server
    await server.stop()


def make(espn: FakeEspn, data_dir: Path, **cfg: Any) -> SportsEngine:
    config = SportsConfig(teams=cfg.pop("teams", ["nfl:WSH"]), base_url=espn.base_url, **cfg)
    return SportsEngine(config, data_dir, autopoll=False)


async def until(predicate: Any, timeout: float = 10.0) -> None:
    async def wait() -> None:
        while not predicate():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(wait(), timeout)


async def test_polls_fire_signed_webhooks_and_a_restart_never_refires(espn: FakeEspn, tmp_path: Path) -> None:
    receiver = Receiver()
    await receiver.start()
    engine = make(espn, tmp_path)
    await engine.start()
    try:
        assert engine.webhooks is not None
        _, receiver.secret = await engine.webhooks.create(
            receiver.url, event_types=["score_changed", "game_ended"]
        )
        await engine.poll_league(NFL)  # baseline: silent
        (view,) = engine.team_views()
        assert view.team is not None and view.team.info.id == "101"
        assert view.current is not None and view.current.state is GameState.IN and view.health.ok
        espn.answers[BOARD] = board("21", "10")
        await engine.poll_league(NFL)
        await until(lambda: len(receiver.received) == 1)
        got = receiver.received[0]
        assert got.valid and got.body["type"] == "score_changed"
        assert (got.body["scoring_side"], got.body["delta_home"], got.body["home"]["score"]) == (
            "home",
            7,
            "21",
        )
        assert got.body["tracked_teams"] == ["nfl:101"] and got.event_id == got.body["event_uid"]
        await until(lambda: bool(engine.webhooks and engine.webhooks.dispatcher.delivered))
    finally:
        await engine.stop()
    again = make(espn, tmp_path)
    await again.start()
    try:
        assert again.store is not None and await again.store.schema_version() == SCHEMA_VERSION
        await again.poll_league(NFL)  # same data as before the restart: nothing new
        espn.answers[BOARD] = board("21", "10", "post", completed=True)
        await again.poll_league(NFL)
        await again.poll_league(NFL)  # an ending is confirmed on a second poll
        await until(lambda: len(receiver.received) == 2)
        assert receiver.types() == ["score_changed", "game_ended"]
        assert receiver.received[1].body["sequence"] == 2 and receiver.received[1].body["winner"] is None
        mode = stat.S_IMODE(os.stat(tmp_path / "sports.db").st_mode)
        assert mode == 0o600
        timeline = await again.store.timeline("nfl:10001:10001")
        assert [(r.home_score, r.state) for r in timeline] == [("14", "in"), ("21", "in"), ("21", "post")]
    finally:
        await again.stop()
        await receiver.stop()


async def test_espn_failures_keep_the_last_good_data_and_say_what_is_wrong(
    espn: FakeEspn, tmp_path: Path
) -> None:
    engine = make(espn, tmp_path, timeout_s=0.5)
    await engine.start()
    try:
        await engine.poll_league(NFL)
        espn.answers[BOARD] = Status(500)
        await engine.poll_league(NFL)
        (view,) = engine.team_views()
        assert view.current is not None and view.current.home.score == 14  # still shown
        assert view.health.state == "server_error" and "showing data from" in view.health.describe(0 + 10**10)
        assert engine.status().state is EngineState.DEGRADED
        espn.answers[BOARD] = Hang(5)
        await engine.poll_league(NFL)
        assert engine.health["nfl"].state == "timeout" and engine.health["nfl"].failures == 2
        espn.answers[BOARD] = Status(403)
        await engine.poll_league(NFL)
        assert engine.health["nfl"].state == "source_blocked"
        for code, kind in ((429, "rate_limited"), (400, "bad_request")):
            espn.answers[BOARD] = Status(code)
            await engine.poll_league(NFL)
            assert engine.health["nfl"].state == kind
        espn.answers[BOARD] = {"events": "not a list"}  # nonsense JSON: no games, never a crash
        await engine.poll_league(NFL)
        assert engine.team_views()[0].current is not None  # the last good game is still shown
        espn.answers[BOARD] = board()
        await engine.poll_league(NFL)
        assert engine.health["nfl"].ok and engine.status().state is EngineState.RUNNING
    finally:
        await engine.stop()


async def test_unknown_team_and_unreachable_teams_list_are_reported(espn: FakeEspn, tmp_path: Path) -> None:
    engine = make(espn, tmp_path, teams=["nfl:ZZZ", "nhl:WSH"])
    await engine.start()
    try:
        await engine.poll_league(NFL)
        await engine.poll_league(league_of("nhl"))  # the fake server has no NHL teams list: 404
        errors = {v.ref.key: v.error for v in engine.team_views()}
        assert "no team 'ZZZ'" in (errors["ZZZ"] or "")
        assert "teams list unavailable" in (errors["WSH"] or "")
        assert engine.status().state is EngineState.DEGRADED
    finally:
        await engine.stop()


async def test_a_slow_receiver_delays_only_itself(espn: FakeEspn, tmp_path: Path) -> None:
    slow, fast = Receiver(hold=asyncio.Event()), Receiver()
    await slow.start()
    await fast.start()
    engine = make(espn, tmp_path)
    await engine.start()
    try:
        assert engine.webhooks is not None
        _, slow.secret = await engine.webhooks.create(slow.url)
        _, fast.secret = await engine.webhooks.create(fast.url)
        await engine.poll_league(NFL)
        espn.answers[BOARD] = board("17", "10")
        await engine.poll_league(NFL)  # returns without waiting on any receiver
        await until(lambda: len(fast.received) == 1)
        espn.answers[BOARD] = board("17", "13")
        await engine.poll_league(NFL)
        await until(lambda: len(fast.received) == 2)
        assert slow.received == []  # still busy with the first one
        assert slow.hold is not None
        slow.hold.set()
        await until(lambda: len(slow.received) == 2)
        assert all(r.valid for r in fast.received + slow.received)
    finally:
        await engine.stop()
        await slow.stop()
        await fast.stop()


async def test_dead_receiver_retries_with_backoff_then_dead_letters_and_never_logs_the_secret(
    espn: FakeEspn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(webhooks_mod, "BACKOFF_BASE_S", 0.05)
    caplog.set_level(logging.DEBUG)
    refusing = Receiver(status=503)
    await refusing.start()
    engine = make(espn, tmp_path, webhook_max_age_s=0.6)
    await engine.start()
    try:
        assert engine.webhooks is not None and engine.store is not None
        hook, secret = await engine.webhooks.create(refusing.url, secret="s3cret-for-this-test-only")
        refusing.secret = secret
        assert "secret" not in webhook_public(hook)
        await engine.poll_league(NFL)
        espn.answers[BOARD] = board("20", "10")
        await engine.poll_league(NFL)
        await until(lambda: engine.webhooks is not None and engine.webhooks.dispatcher.dead == 1)
        log = await engine.webhooks.log(hook.id)
        outcomes = [e.outcome for e in reversed(log)]
        assert outcomes[0] == "retry" and outcomes[-1] == "dead" and set(outcomes) == {"retry", "dead"}
        assert [webhooks_mod.backoff_s(n) for n in (1, 2, 3)] == [0.05, 0.1, 0.2]  # doubling
        assert webhooks_mod.backoff_s(50) == webhooks_mod.BACKOFF_MAX_S
        assert all(e.status_code == 503 for e in log if e.outcome == "retry")
        assert (await engine.store.delivery_counts(hook.id))["dead"] == 1
        result = await engine.webhooks.test(hook.id)
        assert result is not None and result.code == 503
        assert secret not in caplog.text
    finally:
        await engine.stop()
        await refusing.stop()


async def test_soccer_next_game_comes_from_the_team_detail(espn: FakeEspn, tmp_path: Path) -> None:
    """Soccer schedules list only results: the next game is the team detail's nextEvent."""
    from datetime import UTC, datetime, timedelta

    from core.sports.views import game_status

    upcoming = fixture("epl_scoreboard.json")["events"][1]  # ARI (703) v COL, not started
    when = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%MZ")
    upcoming["date"] = upcoming["competitions"][0]["date"] = when
    espn.answers["soccer/eng.1/teams"] = fixture("epl_teams.json")
    espn.answers["soccer/eng.1/scoreboard"] = fixture("empty_scoreboard.json")
    espn.answers["soccer/eng.1/teams/703/schedule"] = {"events": []}
    espn.answers["soccer/eng.1/teams/703"] = {"team": {"id": "703", "nextEvent": [upcoming]}}
    engine = make(espn, tmp_path, teams=["eng.1:ARI"])
    await engine.start()
    try:
        await engine.poll_league(league_of("eng.1"))
        (view,) = engine.team_views()
        assert view.current is not None and view.current.event_id == upcoming["id"]
        status = game_status(engine, "eng.1", "ari")
        assert (
            status["state"] == "PRE"
            and status["opponent_abbr"] == "COL"
            and status["kickoff_in_s"] is not None
        )
    finally:
        await engine.stop()


async def test_spoiler_delay_holds_the_screen_and_the_webhooks(espn: FakeEspn, tmp_path: Path) -> None:
    """A team followed with a 30 s delay: its card and its webhooks run 30 s behind ESPN."""
    from datetime import UTC, datetime, timedelta

    engine = make(espn, tmp_path, teams=["nfl:WSH:30"])
    await engine.start()
    try:
        assert engine.webhooks is not None and engine.store is not None
        hook, _ = await engine.webhooks.create("http://127.0.0.1:9/hook")
        await engine.webhooks.dispatcher.drop(hook.id)  # keep the queue still: only its rows are checked
        await engine.poll_league(NFL)
        espn.answers[BOARD] = board("21", "10")
        await engine.poll_league(NFL)
        (now_view,) = engine.team_views()
        assert now_view.current is not None and now_view.current.home.score == 14  # not yet
        (later,) = engine.team_views(datetime.now(UTC) + timedelta(seconds=31))
        assert later.current is not None and later.current.home.score == 21
        assert engine.live_games()[0].home.score == 21  # the API's live list is not delayed
        assert await engine.store.due(hook.id, time.time()) == []
        assert len(await engine.store.due(hook.id, time.time() + 31)) == 1
    finally:
        await engine.stop()


async def test_live_card_shows_clock_period_possession_and_down(espn: FakeEspn, tmp_path: Path) -> None:
    from core.sports.cards import cards

    engine = make(espn, tmp_path)
    await engine.start()
    try:
        await engine.poll_league(NFL)
        (card,) = cards(engine, time.time())
        assert card.mode == "live" and card.headline == "PIT 10 – 14 WSH"
        assert card.detail == "7:12 · Q1 · WSH ball · 1st & 10 at PIT 25"
        assert card.health.startswith("ok, data")
    finally:
        await engine.stop()


async def test_points_reach_influxdb_through_the_outbox(
    espn: FakeEspn, tmp_path: Path, influxd: Any, influx_db: str
) -> None:
    """With InfluxDB enabled, each timeline change and each event becomes a `sports` point."""
    from core.config import InfluxConfig

    engine = SportsEngine(SportsConfig(teams=["nfl:WSH"], base_url=espn.base_url), tmp_path, autopoll=False,
                          influx=InfluxConfig(enabled=True, url=influxd.url, database=influx_db))  # fmt: skip
    await engine.start()
    try:
        assert engine.store is not None
        await engine.poll_league(NFL)
        espn.answers[BOARD] = board("21", "10")
        await engine.poll_league(NFL)

        await until(lambda: engine.influx is not None and engine.influx.written == 3, 20)
        (series,) = influxd.query("SELECT kind, home_score, away_score, event FROM sports", db=influx_db)
        rows = [dict(zip(series["columns"], v, strict=True)) for v in series["values"]]
        assert sorted((r["kind"], r["home_score"], r["event"]) for r in rows) == [
            ("event", 21, "score_changed"),
            ("state", 14, None),
            ("state", 21, None),
        ]
        assert await engine.store.influx_pending() == 0
    finally:
        await engine.stop()


async def test_influxdb_outage_keeps_points_until_a_later_run_writes_them(
    espn: FakeEspn, tmp_path: Path, influxd: Any, influx_db: str
) -> None:
    from core.config import InfluxConfig
    from tests.influx_servers import free_port

    down = InfluxConfig(
        enabled=True, url=f"http://127.0.0.1:{free_port()}", database=influx_db, timeout_s=1.0
    )
    cfg = SportsConfig(teams=["nfl:WSH"], base_url=espn.base_url)
    engine = SportsEngine(cfg, tmp_path, autopoll=False, influx=down)
    await engine.start()
    try:
        assert engine.store is not None and engine.influx is not None
        await engine.poll_league(NFL)
        espn.answers[BOARD] = board("17", "10")
        await engine.poll_league(NFL)
        await until(lambda: engine.influx is not None and engine.influx.last_error is not None, 20)
        assert await engine.store.influx_pending() == 3 and engine.influx.written == 0
    finally:
        await engine.stop()
    up = InfluxConfig(enabled=True, url=influxd.url, database=influx_db)
    again = SportsEngine(cfg, tmp_path, autopoll=False, influx=up)
    await again.start()
    try:
        await until(lambda: again.influx is not None and again.influx.written == 3, 20)
        (series,) = influxd.query("SELECT home_score FROM sports", db=influx_db)
        assert sorted(v[1] for v in series["values"]) == [14, 17, 17]
    finally:
        await again.stop()


async def test_a_version_1_sports_db_is_migrated_in_place(tmp_path: Path) -> None:
    import sqlite3

    from core.sports.store import _MIGRATIONS, SportsStore

    conn = sqlite3.connect(tmp_path / "sports.db")
    conn.executescript(_MIGRATIONS[1] + "PRAGMA user_version = 1;")
    conn.execute("INSERT INTO teams_cache VALUES ('nfl', 1.0, X'7B7D')")
    conn.commit()
    conn.close()
    store = await SportsStore.open(tmp_path)
    try:
        assert await store.schema_version() == SCHEMA_VERSION == 2
        assert await store.cached_teams("nfl") == (1.0, {})  # kept
        assert await store.influx_pending() == 0  # the new table exists
    finally:
        await store.close()
