"""What the API and the tab show for a team, computed once here: the flat HA status, the full
context, and the W/L record and streak from stored results. Widgets and handlers only format these.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.sports.engine import SportsEngine, TeamView
from core.sports.model import Game, GameState
from core.sports.payload import game_json, iso


@dataclass(frozen=True, slots=True)
class Record:
    wins: int
    losses: int
    ties: int
    streak: str  # "W3", "L1", "" when there are no results

    @property
    def summary(self) -> str:
        return f"{self.wins}-{self.losses}" + (f"-{self.ties}" if self.ties else "")


def record_of(games: list[dict[str, Any]], team_id: str) -> Record:
    """From stored finished games (game JSON, any order)."""
    results: list[str] = []
    for g in sorted(games, key=lambda g: g["start"]):
        if not g["completed"]:
            continue
        me = g["home"] if g["home"]["team_id"] == team_id else g["away"]
        other = g["away"] if me is g["home"] else g["home"]
        if me["winner"] is True:
            results.append("W")
        elif other["winner"] is True:
            results.append("L")
        elif me["score"] is not None and me["score"] == other["score"]:
            results.append("T")
    streak = ""
    if results:
        n = len(results) - len("".join(results).rstrip(results[-1]))
        streak = f"{results[-1]}{n}"
    return Record(results.count("W"), results.count("L"), results.count("T"), streak)


def view_for(engine: SportsEngine, league: str, team: str) -> TeamView | None:
    tracked = engine.find_team(league, team)
    if tracked is None:
        return None
    return next((v for v in engine.team_views() if v.team == tracked), None)


def game_status(engine: SportsEngine | None, league: str, team: str) -> dict[str, Any]:
    """The flat object an HA REST sensor reads; `state` is always PRE, IN, POST or NONE."""
    now = time.time()
    if engine is None:
        return _none("the sports engine is not running (enable it in [sports])")
    view = view_for(engine, league, team)
    if view is None:
        return _none(f"{league}:{team} is not a tracked team; add it to [sports] teams")
    health = view.health
    base = {
        "league": league, "team_id": view.team.info.id if view.team else None,
        "team_abbr": view.team.info.abbr if view.team else None,
        "data_age_s": health.data_age_s(now), "source_health": health.state,
        "api_message": None if health.ok else health.describe(now),
    }  # fmt: skip
    game = view.current
    if game is None or view.team is None:
        msg = None if health.ok else health.describe(now)
        msg = msg or "no game found in ESPN's answers"
        return {**_none(msg), **base, "api_message": msg}
    me, opp = game.side_of(view.team.info.id) or (game.home, game.away)
    kickoff = game.start.timestamp() - now
    return {
        **_none(None), **base, "state": str(game.state).upper(), "status_detail": game.detail,
        "event_id": game.event_id, "game_id": game.game_id, "event_name": game.name,
        "team_name": me.name, "team_score": me.score_raw, "team_record": me.record, "team_color": me.color,
        "team_logo": me.logo, "team_winner": me.winner, "home_away": me.home_away,
        "opponent_abbr": opp.abbr, "opponent_name": opp.name, "opponent_score": opp.score_raw,
        "opponent_record": opp.record, "opponent_logo": opp.logo, "opponent_winner": opp.winner,
        "start_time": iso(game.start), "start_time_local": game.start.astimezone().isoformat(),
        "kickoff_in_s": round(kickoff) if game.state is GameState.PRE else None,
        "clock": game.clock if game.state is GameState.IN else None,
        "period": game.period if game.state is not GameState.PRE else None,
        "possession": game.possession, "last_play": game.last_play or None,
        "down_distance": game.down_distance or None,
        "win_probability": _win_prob(game, me.home_away), "venue": game.venue or None, "tv": game.tv or None,
        "last_event_type": engine.last_event_type(game.game_id),
    }  # fmt: skip


def _win_prob(game: Game, side: str) -> float | None:
    p = game.win_prob_home
    return None if p is None else (p if side == "home" else round(1 - p, 4))


STATUS_KEYS = (
    "state", "status_detail", "league", "team_id", "team_abbr", "team_name", "team_score", "team_record",
    "team_color", "team_logo", "team_winner", "home_away", "opponent_abbr", "opponent_name", "opponent_score",
    "opponent_record", "opponent_logo", "opponent_winner", "event_id", "game_id", "event_name", "start_time",
    "start_time_local", "kickoff_in_s", "clock", "period", "possession", "last_play", "down_distance",
    "win_probability", "venue", "tv", "last_event_type", "data_age_s", "source_health", "api_message",
)  # fmt: skip


def _none(message: str | None) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(STATUS_KEYS)
    out.update(state="NONE", api_message=message, source_health="unknown")
    return out


async def game_context(engine: SportsEngine, view: TeamView) -> dict[str, Any]:
    assert view.team is not None and engine.store is not None
    now = time.time()
    stored, _ = await engine.store.games(team_id=view.team.info.id, league=view.team.league.league, limit=500)
    current = view.current
    recent = await engine.store.events(current.game_id) if current is not None else []
    return {
        "team": team_json(view),
        "state": str(current.state).upper() if current else "NONE",
        "game": game_json(current) if current else None,
        "next_games": [game_json(g) for g in view.upcoming],
        "last_result": game_json(view.last) if view.last else None,
        "record": record_json(record_of(stored, view.team.info.id)),
        "recent_events": recent[-20:],
        "source": health_json(view, now),
    }


def team_json(view: TeamView) -> dict[str, Any]:
    t = view.team
    return {
        "key": t.key if t else f"{view.ref.league.league}:{view.ref.key}", "league": view.ref.league.league,
        "sport": view.ref.league.sport, "id": t.info.id if t else None,
        "abbr": t.info.abbr if t else view.ref.key,
        "name": t.info.name if t else None, "color": t.info.color if t else None,
        "alt_color": t.info.alt_color if t else None, "logo": t.info.logo if t else None,
        "logo_dark": t.info.logo_dark if t else None, "spoiler_delay_s": view.ref.spoiler_delay_s,
        "error": view.error,
    }  # fmt: skip


def health_json(view: TeamView, now: float) -> dict[str, Any]:
    h = view.health
    return {
        "league": h.league,
        "state": h.state,
        "data_age_s": h.data_age_s(now),
        "last_ok_at": iso(h.last_ok_at),
        "last_error": h.last_error,
        "failures": h.failures,
        "truncated": h.truncated,
        "detail": h.describe(now),
    }


def record_json(r: Record) -> dict[str, Any]:
    return {"wins": r.wins, "losses": r.losses, "ties": r.ties, "summary": r.summary, "streak": r.streak}


def now_utc() -> datetime:
    return datetime.now(UTC)
