"""JSON shapes of games and events: the webhook body, the API's game object and the flat HA status.

A webhook payload carries everything an automation needs (scores before and after, the scoring
side, the tracked team), so a receiver never has to read state that may not have updated yet.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from core.sports.detect import GameEvent
from core.sports.model import Game, Side


def iso(t: datetime | float | None) -> str | None:
    if t is None:
        return None
    dt = t if isinstance(t, datetime) else datetime.fromtimestamp(t, UTC)
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def side_json(side: Side) -> dict[str, Any]:
    return {
        "team_id": side.team_id,
        "abbr": side.abbr,
        "name": side.name,
        "home_away": side.home_away,
        "score": side.score_raw,
        "score_int": side.score,
        "shootout": side.shootout,
        "winner": side.winner,
        "record": side.record,
        "rank": side.rank,
        "color": side.color,
        "alt_color": side.alt_color,
        "logo": side.logo,
        "linescores": list(side.linescores),
    }


def game_json(game: Game) -> dict[str, Any]:
    return {
        "game_id": game.game_id,
        "league": game.league,
        "sport": game.sport,
        "event_id": game.event_id,
        "competition_id": game.competition_id,
        "name": game.name,
        "start": iso(game.start),
        "state": str(game.state),
        "status": game.status_name,
        "detail": game.detail,
        "completed": game.completed,
        "period": game.period,
        "regulation_periods": game.regulation_periods,
        "overtime": game.overtime,
        "clock": game.clock,
        "home": side_json(game.home),
        "away": side_json(game.away),
        "season": game.season,
        "venue": game.venue,
        "tv": game.tv,
        "possession": game.possession,
        "down_distance": game.down_distance,
        "last_play": game.last_play,
        "win_prob_home": game.win_prob_home,
        "series": game.series,
        "odds": game.odds,
    }


def game_from_json(data: dict[str, Any]) -> Game:
    from core.sports.model import GameState
    from core.sports.parse import parse_time

    def side(d: dict[str, Any]) -> Side:
        return Side(
            d["team_id"],
            d["abbr"],
            d["name"],
            d["home_away"],
            d["score"],
            d["score_int"],
            d["shootout"],
            d["winner"],
            d["record"],
            d["color"],
            d["alt_color"],
            d["logo"],
            d["rank"],
            tuple(d["linescores"]),
        )

    start = parse_time(data["start"])
    assert start is not None
    return Game(
        data["league"],
        data["sport"],
        data["event_id"],
        data["competition_id"],
        start,
        GameState(data["state"]),
        data["status"],
        data["detail"],
        data["completed"],
        data["period"],
        data["regulation_periods"],
        data["clock"],
        side(data["home"]),
        side(data["away"]),
        data["name"],
        data["season"],
        data["venue"],
        data["tv"],
        data["possession"],
        data["down_distance"],
        data["last_play"],
        data["win_prob_home"],
        data["series"],
        data["odds"],
    )


def event_json(event: GameEvent, tracked: list[str], fetched_at: float) -> dict[str, Any]:
    g = event.game
    extra = {
        k: v
        for k, v in asdict(event).items()
        if k not in ("event_uid", "type", "sequence", "game", "occurred_at")
    }
    return {
        "event_uid": event.event_uid,
        "type": event.type,
        "sequence": event.sequence,
        "occurred_at": iso(event.occurred_at),
        "game_id": g.game_id,
        "league": g.league,
        "sport": g.sport,
        "event_id": g.event_id,
        "tracked_teams": tracked,
        "state": str(g.state),
        "status": g.status_name,
        "detail": g.detail,
        "period": g.period,
        "clock": g.clock,
        "home": side_json(g.home),
        "away": side_json(g.away),
        "winner": "home" if g.home.winner else "away" if g.away.winner else None,
        "last_play": g.last_play,
        **extra,
        "source": {
            "provider": "espn",
            "fetched_at": iso(fetched_at),
            "data_age_s": round(event.occurred_at - fetched_at, 3),
        },
    }
