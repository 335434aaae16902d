"""ESPN JSON -> games, team references, and which game is "the" game: synthetic ESPN-shaped files
with ESPN's quirks (scores as strings or objects, missing competitors, postponed, shootouts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.config import ConfigError, load_config
from core.sports.model import GameState
from core.sports.parse import parse_events, parse_teams
from core.sports.pick import last_result, next_games, pick_game
from core.sports.teams import League, TeamRefError, league_of, parse_team_ref, resolve
from tests.sports_helpers import fixture

ALL = [
    ("nfl", "nfl"),
    ("nba", "nba"),
    ("wnba", "wnba"),
    ("mlb", "mlb"),
    ("nhl", "nhl"),
    ("usa.1", "mls"),
    ("eng.1", "epl"),
    ("college-football", "ncaaf"),
    ("mens-college-basketball", "ncaab"),
]


@pytest.mark.parametrize(("league", "prefix"), ALL)
def test_every_league_parses_live_scheduled_and_final_games(league: str, prefix: str) -> None:
    lg = league_of(league)
    games = {g.event_id: g for g in parse_events(fixture(f"{prefix}_scoreboard.json"), lg)}
    assert len(games) == 3
    live, pre, final = sorted(games.values(), key=lambda g: g.event_id)
    assert live.state is GameState.IN and live.home.score == 14 and live.away.score == 10
    assert live.home.abbr == "WSH" and live.home.home_away == "home"
    assert pre.state is GameState.PRE and pre.home.score is None  # no score before the start
    assert final.completed and final.away.winner is True and final.home.winner is False
    assert live.game_id == f"{league}:{live.event_id}:{live.competition_id}"


def test_abbreviations_collide_across_leagues_so_teams_resolve_per_league() -> None:
    nfl = parse_teams(fixture("nfl_teams.json"))
    nhl = parse_teams(fixture("nhl_teams.json"))
    a = resolve(parse_team_ref("nfl:WSH"), nfl)
    b = resolve(parse_team_ref("nhl:wsh"), nhl)
    assert (a.id, b.id) == ("101", "501")
    assert resolve(parse_team_ref("nhl:501"), nhl).abbr == "WSH"
    assert nfl[0].logo_dark.endswith("-dark.png")
    with pytest.raises(TeamRefError, match="no team 'XYZ'"):
        resolve(parse_team_ref("nfl:XYZ"), nfl)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("KC", "ambiguous across leagues"),
        ("nfl:KC:500", "0-120"),
        ("curling:KC", "unknown league"),
        ("nfl:", "league:team"),
        ("nfl:K C", "not an ESPN team id"),
    ],
)
def test_bad_team_entries_are_refused_with_a_clear_message(entry: str, problem: str) -> None:
    with pytest.raises(TeamRefError, match=problem):
        parse_team_ref(entry)


def test_team_entries_in_the_config() -> None:
    ref = parse_team_ref("eng.1:359:30")
    assert ref.league == League("soccer", "eng.1") and ref.key == "359" and ref.spoiler_delay_s == 30
    assert parse_team_ref("football/ufl:BHM").league == League("football", "ufl")
    cfg = load_config(env={}, overrides={"sports": {"teams": "nfl:KC, eng.1:359"}})
    assert cfg.sports.teams == ["nfl:KC", "eng.1:359"]
    with pytest.raises(ConfigError, match=r"sports\.teams.*ambiguous"):
        load_config(env={}, overrides={"sports": {"teams": ["KC"]}})


def test_nasty_scoreboard() -> None:
    games = {g.event_id: g for g in parse_events(fixture("nasty_scoreboard.json"), league_of("nfl"))}
    assert "900004" not in games  # no date: skipped, not a crash
    postponed = games["900001"]
    assert postponed.state is GameState.POST and not postponed.completed and postponed.detail == "Postponed"
    tbd = games["900002"]
    assert tbd.home.abbr == "SF" and tbd.away.abbr == "TBD" and tbd.away.team_id == ""
    ot = games["900003"]  # away listed first: homeAway decides, not the position
    assert ot.home.abbr == "KC" and ot.away.score == 27 and ot.overtime and ot.detail == "Final/OT"
    blank = games["900005"]
    assert blank.home.score_raw is None and blank.away.score == 7


def test_shootout_scores_carry_the_penalties() -> None:
    (game,) = parse_events(fixture("shootout_scoreboard.json"), league_of("eng.1"))
    assert game.scores == ("1 (4)", "1 (3)") and game.home.winner and game.detail == "FT-Pens"


def test_empty_events_list() -> None:
    assert parse_events(fixture("empty_scoreboard.json"), league_of("nhl")) == []
    assert parse_events({"events": None}, league_of("nhl")) == []
    assert parse_events([], league_of("nhl")) == []


def test_schedule_scores_are_objects_and_status_lives_on_the_competition() -> None:
    games = parse_events(fixture("schedule_kc.json"), league_of("nfl"))
    assert [(g.home.score, g.away.score) for g in games] == [(31, 17), (20, 13), (None, None)]
    assert last_result(games) is not None and last_result(games).event_id == "800002"  # type: ignore[union-attr]


def _at(games_file: str, league: str) -> list:  # type: ignore[type-arg]
    return parse_events(fixture(games_file), league_of(league))


def test_pick_prefers_live_then_soon_then_recent_result_then_next() -> None:
    games = _at("schedule_kc.json", "nfl")
    off_season = datetime(2026, 12, 1, tzinfo=UTC)
    picked = pick_game(games, off_season)
    assert picked is not None and picked.event_id == "800003"  # off-season: the next game
    just_after = datetime(2026, 9, 27, 21, tzinfo=UTC)
    assert pick_game(games, just_after).event_id == "800002"  # type: ignore[union-attr]
    before_next = games[2].start - timedelta(minutes=10)
    assert pick_game(games, before_next).event_id == "800003"  # type: ignore[union-attr]
    assert [g.event_id for g in next_games(games, off_season)] == ["800003"]
    live = _at("nfl_scoreboard.json", "nfl")
    assert pick_game(live, datetime(2026, 10, 4, 18, tzinfo=UTC)).state is GameState.IN  # type: ignore[union-attr]
    assert pick_game([], off_season) is None
