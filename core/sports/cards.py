"""What one "My teams" card shows, as text the tab only lays out: the live game large, otherwise
the next game with a countdown and the last result, and always how fresh the data is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.sports.engine import SportsEngine, TeamView
from core.sports.model import Game, GameState
from core.sports.store import TimelineRow

MOMENT_S = 6.0
_MOMENT = {
    "soccer": "GOAL!",
    "hockey": "GOAL!",
    "football": "SCORE!",
    "basketball": "SCORE!",
    "baseball": "RUN!",
}
_PERIOD = {"football": "Q", "basketball": "Q", "hockey": "P"}


@dataclass(frozen=True, slots=True)
class TeamCard:
    key: str
    title: str
    color: str
    mode: str  # live | next | result | none | error
    headline: str  # "HAW 14 – 10 RID", "vs RID", "no game scheduled"
    detail: str  # "7:12 · Q2", "Sat 14:00 · in 2 h 14 min", "Final/OT"
    last_result: str  # "W 24–17 vs RID · Sun 12 Oct" or ""
    health: str  # "ok, data 3 s old" or what is wrong and since when
    stale: bool
    moment: str  # "GOAL!" for a few seconds after a score, else ""
    game_id: str | None
    logo: str | None = None  # a cached logo file (the dark variant on a dark theme), once fetched


def countdown(seconds: float) -> str:
    if seconds <= 0:
        return "starting"
    minutes, hours, days = int(seconds // 60), int(seconds // 3600), int(seconds // 86400)
    if days >= 1:
        return f"in {days} d {hours - days * 24} h"
    if hours >= 1:
        return f"in {hours} h {minutes - hours * 60} min"
    return f"in {minutes} min" if minutes else f"in {int(seconds)} s"


def period_label(game: Game) -> str:
    if game.sport == "soccer":
        return "ET" if game.overtime else ("1st half" if game.period <= 1 else "2nd half")
    if game.overtime:
        return "OT"
    if game.sport == "baseball":
        return game.detail or f"Inning {game.period}"
    return f"{_PERIOD.get(game.sport, 'P')}{game.period}"


def _score_line(game: Game) -> str:
    h, a = game.home, game.away
    return f"{a.abbr} {a.score_raw or '0'} – {h.score_raw or '0'} {h.abbr}"


def _result(game: Game, team_id: str) -> str:
    sides = game.side_of(team_id)
    if sides is None:
        return ""
    me, opp = sides
    letter = "W" if me.winner else "L" if opp.winner else "T"
    where = "vs" if me.home_away == "home" else "@"
    day = game.start.astimezone().strftime("%a %d %b")
    return f"{letter} {me.score_raw}–{opp.score_raw} {where} {opp.abbr} · {day}"


def card_for(view: TeamView, engine: SportsEngine, now: float, dark: bool = True) -> TeamCard:
    ref, team = view.ref, view.team
    health_text, stale = view.health.describe(now), not view.health.ok
    if team is None:
        return TeamCard(
            f"{ref.league.league}:{ref.key}",
            f"{ref.key} · {ref.league.league.upper()}",
            "#808080",
            "error",
            "team not found",
            view.error or "",
            "",
            health_text,
            stale,
            "",
            None,
        )
    title = f"{team.info.name} · {ref.league.league.upper()}"
    last = _result(view.last, team.info.id) if view.last else ""
    game = view.current

    url = team.info.logo_dark if dark else team.info.logo
    logo_file = engine.logos.path(url) if engine.logos is not None else None
    logo = None if logo_file is None else str(logo_file)

    def make(mode: str, headline: str, detail: str, moment: str = "", game_id: str | None = None) -> TeamCard:
        return TeamCard(
            team.key,
            title,
            team.info.color,
            mode,
            headline,
            detail,
            last,
            health_text,
            stale,
            moment,
            game_id,
            logo,
        )

    if game is None:
        return make(mode="none", headline="no game scheduled", detail="", moment="", game_id=None)
    if game.state is GameState.IN:
        detail = (
            game.detail if game.status_name == "STATUS_HALFTIME" else f"{game.clock} · {period_label(game)}"
        )
        ball = next(
            (s.abbr for s in (game.home, game.away) if s.team_id and s.team_id == game.possession), None
        )
        if ball:
            detail += f" · {ball} ball"
        if game.down_distance:
            detail += f" · {game.down_distance}"
        moment = ""
        kind, at = engine.last_event(game.game_id)
        shown_at = None if at is None else at + ref.spoiler_delay_s  # the screen runs behind too
        if kind == "score_changed" and shown_at is not None and 0 <= now - shown_at < MOMENT_S:
            moment = _MOMENT.get(game.sport, "SCORE!")
        return make(
            mode="live",
            headline=_score_line(game),
            detail=detail,
            moment=moment,
            game_id=game.game_id,
        )
    if game.state is GameState.PRE:
        sides = game.side_of(team.info.id)
        opp = (
            f"{'vs' if sides and sides[0].home_away == 'home' else '@'} {sides[1].abbr}"
            if sides
            else game.name
        )
        when = game.start.astimezone().strftime("%a %d %b %H:%M")
        detail = f"{when} · {countdown(game.start.timestamp() - now)}"
        return make(mode="next", headline=opp, detail=detail, moment="", game_id=game.game_id)
    return make(
        mode="result", headline=_score_line(game), detail=game.detail, moment="", game_id=game.game_id
    )


def cards(engine: SportsEngine, now: float, dark: bool = True) -> list[TeamCard]:
    return [
        card_for(v, engine, now, dark) for v in engine.team_views(datetime.fromtimestamp(now).astimezone())
    ]


@dataclass(frozen=True, slots=True)
class ScoreSeries:
    labels: tuple[str, str]  # (home abbr, away abbr)
    xs: tuple[float, ...]  # observed_at; the last point repeats the last score up to `until`
    home: tuple[float, ...]
    away: tuple[float, ...]


def score_series(game: dict[str, Any], rows: list[TimelineRow], until: float) -> ScoreSeries:
    """Step-line data for the score chart from the change-only timeline (numeric scores only)."""
    xs: list[float] = []
    home: list[float] = []
    away: list[float] = []
    for r in rows:
        h, a = _head(r.home_score), _head(r.away_score)
        if h is None or a is None:
            continue
        xs.append(r.observed_at)
        home.append(h)
        away.append(a)
    if xs:
        end = rows[-1].observed_at if rows[-1].state == "post" else max(until, xs[-1])
        xs.append(end)
        home.append(home[-1])
        away.append(away[-1])
    return ScoreSeries((game["home"]["abbr"], game["away"]["abbr"]), tuple(xs), tuple(home), tuple(away))


def _head(raw: str | None) -> float | None:
    head = (raw or "").split(" ")[0]
    return float(head) if head.isdigit() else None


def focus_card(items: list[TeamCard], now: float, slide_s: float = 8.0) -> TeamCard | None:
    """The live game the wall shows large: a card that has a score moment wins; otherwise the live
    games take turns every `slide_s` seconds (a carousel); None when nothing is live."""
    live = [c for c in items if c.mode == "live"]
    moments = [c for c in live if c.moment]
    if moments:
        return moments[0]
    return live[int(now // slide_s) % len(live)] if live else None
