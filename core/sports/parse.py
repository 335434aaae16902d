"""ESPN site-API JSON -> normalised records. Every getter is defensive: missing keys, nulls, numbers
as strings, `[null]` lists and score objects (schedule) versus score strings (scoreboard) are all
normal in ESPN's responses. A game that cannot be understood is skipped, never a crash.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from core.sports.model import Game, GameState, Side
from core.sports.teams import League, TeamInfo

_LOGGER = logging.getLogger("core.sports.parse")
# Regulation periods when ESPN's competition has no `format` (soccer halves, NHL periods...).
_REGULATION = {"football": 4, "basketball": 4, "hockey": 3, "baseball": 9, "soccer": 2}


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return [v for v in value if v is not None] if isinstance(value, list) else []


def _s(value: Any) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def parse_time(text: Any) -> datetime | None:
    """ESPN's "2022-09-11T17:00Z" (minute precision, Z suffix) and full ISO forms, as UTC."""
    if not isinstance(text, str) or not text:
        return None
    raw = text.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _color(value: Any, default: str) -> str:
    text = _s(value).lstrip("#")
    return f"#{text.upper()}" if len(text) == 6 else default


def _score(value: Any) -> tuple[str | None, int | None]:
    """Scoreboard: "24"; schedule: {"value": 24.0, "displayValue": "24"}; absent before the start."""
    if isinstance(value, dict):
        value = value.get("displayValue", value.get("value"))
    if value is None or value == "":
        return None, None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    raw = str(value).strip()
    return raw, _int(raw)


def _record(c: dict[str, Any]) -> str | None:
    for rec in _l(c.get("records")) + _l(c.get("record")):
        rec = _d(rec)
        if rec.get("type", "total") == "total":
            summary = rec.get("summary") or rec.get("displayValue")
            return _s(summary) or None
    return None


def _logo(team: dict[str, Any], dark: bool = False) -> str:
    if not dark and team.get("logo"):
        return _s(team["logo"])
    logos = [_d(x) for x in _l(team.get("logos"))]
    for logo in logos:
        rels = _l(logo.get("rel"))
        if dark == ("dark" in rels):
            return _s(logo.get("href"))
    return _s(logos[0].get("href")) if logos else ""


def _side(c: dict[str, Any]) -> Side:
    team = _d(c.get("team"))
    raw, score = _score(c.get("score"))
    rank = _int(_d(c.get("curatedRank")).get("current"))
    return Side(
        team_id=_s(c.get("id") or team.get("id")),
        abbr=_s(team.get("abbreviation")) or "TBD",
        name=_s(team.get("shortDisplayName") or team.get("displayName")) or "TBD",
        home_away=_s(c.get("homeAway")),
        score_raw=raw,
        score=score,
        shootout=_int(c.get("shootoutScore")),
        winner=c.get("winner") if isinstance(c.get("winner"), bool) else None,
        record=_record(c),
        color=_color(team.get("color"), "#D3D3D3"),
        alt_color=_color(team.get("alternateColor"), "#A9A9A9"),
        logo=_logo(team),
        rank=None if rank in (None, 99) else rank,
        linescores=tuple(
            float(v)
            for v in (_d(x).get("value") for x in _l(c.get("linescores")))
            if isinstance(v, int | float)
        ),
    )


def _sides(comp: dict[str, Any]) -> tuple[Side, Side]:
    """(home, away) by `homeAway`, never by position; a missing competitor becomes a TBD side."""
    sides = [_side(_d(c)) for c in _l(comp.get("competitors"))]
    home = next((s for s in sides if s.home_away == "home"), None)
    away = next((s for s in sides if s.home_away == "away"), None)
    rest = [s for s in sides if s is not home and s is not away]
    home = home or (rest.pop(0) if rest else Side("", "TBD", "TBD", "home"))
    away = away or (rest.pop(0) if rest else Side("", "TBD", "TBD", "away"))
    return home, away


def _state(status: dict[str, Any]) -> GameState | None:
    try:
        return GameState(_s(_d(status.get("type")).get("state")).lower())
    except ValueError:
        return None


def _situation(comp: dict[str, Any]) -> tuple[str | None, str, str, float | None]:
    sit = _d(comp.get("situation"))
    last = _d(sit.get("lastPlay"))
    prob = _d(last.get("probability")).get("homeWinPercentage")
    possession = _s(sit.get("possession")) or None
    win = float(prob) if isinstance(prob, int | float) and not isinstance(prob, bool) else None
    return possession, _s(sit.get("downDistanceText")), _s(last.get("text")), win


def _odds(comp: dict[str, Any]) -> str:
    first = next(iter(_l(comp.get("odds"))), None)
    return _s(_d(first).get("details"))


def _tv(comp: dict[str, Any]) -> str:
    names = [_s(n) for b in _l(comp.get("broadcasts")) for n in _l(_d(b).get("names"))]
    return "/".join(n for n in names if n) or _s(comp.get("broadcast"))


def parse_event(event: dict[str, Any], league: League, competition: dict[str, Any]) -> Game | None:
    status = _d(competition.get("status")) or _d(event.get("status"))
    state = _state(status)
    start = parse_time(competition.get("date")) or parse_time(event.get("date"))
    event_id = _s(event.get("id"))
    if state is None or start is None or not event_id:
        return None
    stype = _d(status.get("type"))
    home, away = _sides(competition)
    regulation = _int(_d(_d(competition.get("format")).get("regulation")).get("periods"))
    possession, down, last_play, win = _situation(competition)
    return Game(
        league=league.league,
        sport=league.sport,
        event_id=event_id,
        competition_id=_s(competition.get("id")) or event_id,
        start=start,
        state=state,
        status_name=_s(stype.get("name")),
        detail=_s(stype.get("shortDetail") or stype.get("detail") or stype.get("description")),
        completed=stype.get("completed") is True,
        period=_int(status.get("period")) or 0,
        regulation_periods=regulation or _REGULATION.get(league.sport, 0),
        clock=_s(status.get("displayClock")),
        home=home,
        away=away,
        name=_s(event.get("shortName") or event.get("name")),
        season=_int(_d(event.get("season")).get("year")),
        venue=_s(_d(competition.get("venue")).get("fullName")),
        tv=_tv(competition),
        possession=possession,
        down_distance=down,
        last_play=last_play,
        win_prob_home=win,
        series=_s(_d(competition.get("series")).get("summary")),
        odds=_odds(competition),
    )


def parse_events(data: Any, league: League) -> list[Game]:
    """Games in a scoreboard or a team schedule response (`events[].competitions[]`; tennis-style
    `groupings[].competitions[]` too). Unparseable entries are skipped and logged at debug."""
    games: list[Game] = []
    for event in _l(_d(data).get("events")):
        event = _d(event)
        comps = _l(event.get("competitions")) + [
            c for g in _l(event.get("groupings")) for c in _l(_d(g).get("competitions"))
        ]
        for comp in comps:
            game = parse_event(event, league, _d(comp))
            if game is None:
                _LOGGER.debug("skipped an ESPN event without state, date or id: %s", event.get("id"))
            else:
                games.append(game)
    return games


def parse_teams(data: Any) -> list[TeamInfo]:
    """The teams list: `sports[0].leagues[0].teams[].team`."""
    out: list[TeamInfo] = []
    for sport in _l(_d(data).get("sports")):
        for league in _l(_d(sport).get("leagues")):
            for entry in _l(_d(league).get("teams")):
                team = _d(_d(entry).get("team"))
                if not team.get("id"):
                    continue
                out.append(
                    TeamInfo(
                        id=_s(team["id"]),
                        abbr=_s(team.get("abbreviation")),
                        name=_s(team.get("displayName")),
                        short_name=_s(team.get("shortDisplayName") or team.get("displayName")),
                        color=_color(team.get("color"), "#D3D3D3"),
                        alt_color=_color(team.get("alternateColor"), "#A9A9A9"),
                        logo=_logo(team),
                        logo_dark=_logo(team, dark=True) or _logo(team),
                    )
                )
    return out


def event_count(data: Any) -> int:
    return len(_l(_d(data).get("events")))


def now_utc() -> datetime:
    return datetime.now(UTC)
