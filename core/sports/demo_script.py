"""The demo's games, as a pure function of time: which games exist around a moment, and what a
scoreboard would say about each. The demo server only renders these in ESPN's shapes.

Each demo league runs games back to back: a game goes live LEAD_S after the server starts, the
first score comes within the next minute, periods pass every couple of minutes, and the final is
about 12 minutes after the start; the next game starts CYCLE_S after the previous one.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

LEAD_S = 40.0
CYCLE_S = 16 * 60.0


@dataclass(frozen=True, slots=True)
class DemoTeam:
    id: str
    abbr: str
    name: str
    color: str
    alt: str


@dataclass(frozen=True, slots=True)
class DemoLeague:
    sport: str
    league: str
    name: str
    periods: int
    period_s: float
    break_after: int  # the long break (halftime) follows this period; 0 = none
    break_s: float
    points: tuple[int, ...]  # what one score is worth, drawn from
    scores_per_game: int
    clock_minutes: int  # length of a period on the game clock
    counts_up: bool  # soccer's clock counts up ("58'")
    teams: tuple[DemoTeam, ...]
    offset_s: float = 0.0  # leagues start a few seconds apart

    @property
    def game_s(self) -> float:
        return self.periods * self.period_s + (self.break_s if self.break_after else 0.0)


LEAGUES = (
    DemoLeague(
        "football",
        "nfl",
        "Demo Football League",
        4,
        150.0,
        2,
        60.0,
        (7, 3, 7, 6, 3, 2),
        7,
        15,
        False,
        (
            DemoTeam("901", "HAW", "Harbor Hawks", "0B3D91", "F2A900"),
            DemoTeam("902", "RID", "Ridge Rams", "7A0019", "C4C4C4"),
            DemoTeam("903", "LAK", "Lakeside Lynx", "006A4E", "FFFFFF"),
            DemoTeam("904", "PIN", "Pine Bears", "4B2E83", "B7A57A"),
        ),
    ),
    DemoLeague(
        "soccer",
        "eng.1",
        "Demo Premier League",
        2,
        300.0,
        1,
        60.0,
        (1,),
        4,
        45,
        True,
        (
            DemoTeam("9101", "NFC", "Northfield FC", "C8102E", "FFFFFF"),
            DemoTeam("9102", "RIV", "Riverside United", "1D428A", "FFC72C"),
            DemoTeam("9103", "KGC", "Kingsport City", "6CABDD", "1C2C5B"),
            DemoTeam("9104", "ASH", "Ashford Rovers", "034694", "FFFFFF"),
        ),
        offset_s=10.0,
    ),
    DemoLeague(
        "hockey",
        "nhl",
        "Demo Hockey League",
        3,
        200.0,
        0,
        0.0,
        (1,),
        5,
        20,
        False,
        (
            DemoTeam("951", "FRO", "Frost Owls", "00205B", "A2AAAD"),
            DemoTeam("952", "SUM", "Summit Peaks", "006847", "111111"),
        ),
        offset_s=15.0,
    ),
)
DEMO_TEAMS = ("nfl:HAW", "eng.1:NFC", "nhl:FRO")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One demo game at one moment."""

    event_id: str
    start: float
    home: DemoTeam
    away: DemoTeam
    state: str  # pre | in | post
    status: str
    detail: str
    period: int
    clock: str
    home_score: int
    away_score: int


def _scores(league: DemoLeague, k: int) -> list[tuple[float, str, int]]:
    """(seconds into the game, side, points): the first within 20-50 s, the rest spread out."""
    rng = random.Random(f"{league.league}:{k}")
    play_s = league.periods * league.period_s
    times = sorted(
        [rng.uniform(20, 50)] + [rng.uniform(60, play_s - 5) for _ in range(league.scores_per_game - 1)]
    )
    return [(t, rng.choice(("home", "away")), rng.choice(league.points)) for t in times]


def _game_time(league: DemoLeague, into: float) -> tuple[float, int, bool]:
    """(play seconds elapsed, period, in the break) for `into` seconds after the start."""
    brk_at = league.break_after * league.period_s
    if league.break_after and into >= brk_at:
        if into < brk_at + league.break_s:
            return brk_at, league.break_after, True
        into -= league.break_s
    period = min(league.periods, int(into // league.period_s) + 1)
    return into, period, False


def _clock(league: DemoLeague, play: float, period: int) -> str:
    frac = min(1.0, max(0.0, (play - (period - 1) * league.period_s) / league.period_s))
    if league.counts_up:
        return f"{int((period - 1) * league.clock_minutes + frac * league.clock_minutes) + 1}'"
    left = round((1 - frac) * league.clock_minutes * 60)
    return f"{left // 60}:{left % 60:02d}"


def snapshot(league: DemoLeague, t0: float, k: int, now: float) -> Snapshot:
    start = t0 + league.offset_s + LEAD_S + k * CYCLE_S
    mine, opponent = league.teams[0], league.teams[1 + k % (len(league.teams) - 1)]
    home, away = (mine, opponent) if k % 2 == 0 else (opponent, mine)
    into = now - start
    # Unique per demo run: a restarted demo replays "the same" games, which must not be taken for
    # the ones already stored (their events would count as fired).
    eid = f"{int(t0) % 10**7}{k + 1000}"
    if into < 0:
        return Snapshot(eid, start, home, away, "pre", "STATUS_SCHEDULED", "Scheduled", 0, "0:00", 0, 0)
    ended = into >= league.game_s
    play, period, brk = _game_time(league, min(into, league.game_s - 0.001))
    h = a = 0
    for at, side, pts in _scores(league, k):
        if at <= play:
            h, a = (h + pts, a) if side == "home" else (h, a + pts)
    if ended:
        status, detail = ("STATUS_FULL_TIME", "FT") if league.counts_up else ("STATUS_FINAL", "Final")
        return Snapshot(eid, start, home, away, "post", status, detail, league.periods, "0:00", h, a)
    clock = _clock(league, play, period)
    if brk:
        return Snapshot(eid, start, home, away, "in", "STATUS_HALFTIME", "Halftime", period, clock, h, a)
    status = {1: "STATUS_FIRST_HALF", 2: "STATUS_SECOND_HALF"}.get(period, "") if league.counts_up else ""
    ordinal = {1: "1st", 2: "2nd", 3: "3rd"}.get(period, f"{period}th")
    detail = clock if league.counts_up else f"{clock} - {ordinal}"
    return Snapshot(eid, start, home, away, "in", status or "STATUS_IN_PROGRESS", detail, period, clock, h, a)


def cycles_around(t0: float, now: float, before: int = 2, after: int = 2) -> range:
    current = math.floor((now - t0 - LEAD_S) / CYCLE_S)
    return range(current - before, current + after + 1)
