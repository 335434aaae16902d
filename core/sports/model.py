"""The normalised game: one frozen record per (league, ESPN event id, competition id) per poll.

Everything downstream (event detection, the store, the API, the tab) reads this, never ESPN's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class GameState(StrEnum):
    PRE = "pre"
    IN = "in"
    POST = "post"


# ESPN names a completed game's status several ways; incomplete "post" names are not endings.
NOT_PLAYED = {
    "STATUS_POSTPONED": "game_postponed",
    "STATUS_CANCELED": "game_canceled",
    "STATUS_CANCELLED": "game_canceled",
    "STATUS_SUSPENDED": "game_suspended",
    "STATUS_DELAYED": "game_delayed",
    "STATUS_RAIN_DELAY": "game_delayed",
}
HALFTIME = "STATUS_HALFTIME"


@dataclass(frozen=True, slots=True)
class Side:
    """One competitor. `score` is None when ESPN sends none or a non-numeric one (cricket "155/6")."""

    team_id: str
    abbr: str
    name: str
    home_away: str  # "home" | "away"
    score_raw: str | None = None
    score: int | None = None
    shootout: int | None = None  # soccer penalties
    winner: bool | None = None
    record: str | None = None
    color: str = "#D3D3D3"
    alt_color: str = "#A9A9A9"
    logo: str = ""
    rank: int | None = None
    linescores: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class Game:
    league: str  # ESPN league path ("nfl", "eng.1")
    sport: str
    event_id: str
    competition_id: str
    start: datetime  # UTC
    state: GameState
    status_name: str  # STATUS_IN_PROGRESS...; "" when ESPN gives none (cricket)
    detail: str  # shortDetail: "0:48 - 4th", "FT", "Final/OT", "Postponed"
    completed: bool
    period: int
    regulation_periods: int
    clock: str  # displayClock ("0:48", "58'"); meaningless before the start
    home: Side
    away: Side
    name: str = ""  # "NO @ ATL"
    season: int | None = None
    venue: str = ""
    tv: str = ""
    possession: str | None = None  # team id (football)
    down_distance: str = ""
    last_play: str = ""
    win_prob_home: float | None = None  # 0-1
    series: str = ""
    odds: str = ""

    @property
    def game_id(self) -> str:
        """Stable across polls and restarts; used by the store, the API and event uids."""
        return f"{self.league}:{self.event_id}:{self.competition_id}"

    @property
    def scores(self) -> tuple[str | None, str | None]:
        """Home and away scores as compared for changes (raw strings: works for cricket too)."""
        return (_with_shootout(self.home), _with_shootout(self.away))

    @property
    def overtime(self) -> bool:
        return self.state is not GameState.PRE and self.period > self.regulation_periods > 0

    def side_of(self, team_id: str) -> tuple[Side, Side] | None:
        """(the team, its opponent), or None when the team does not play in this game."""
        if self.home.team_id == team_id:
            return self.home, self.away
        if self.away.team_id == team_id:
            return self.away, self.home
        return None

    def involves(self, team_id: str) -> bool:
        return team_id in (self.home.team_id, self.away.team_id)


def _with_shootout(side: Side) -> str | None:
    if side.score_raw is None:
        return None
    return side.score_raw if side.shootout is None else f"{side.score_raw} ({side.shootout})"
