"""The grammar of a `[sports] teams` entry ("nfl:KC", "eng.1:359:30", "football/ufl:BHM") and the
ESPN league it names. A building block below the config (which validates entries with it) and the
sports engine (which resolves them to ESPN team ids); it knows nothing of either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ESPN's site API addresses a league as {sport}/{league}. Soccer leagues are "<country>.<n>"
# (eng.1, usa.1, esp.1, uefa.champions...), so anything with a dot is soccer.
SPORT_OF_LEAGUE = {
    "nfl": "football",
    "college-football": "football",
    "cfl": "football",
    "ufl": "football",
    "nba": "basketball",
    "wnba": "basketball",
    "mens-college-basketball": "basketball",
    "womens-college-basketball": "basketball",
    "mlb": "baseball",
    "college-baseball": "baseball",
    "nhl": "hockey",
    "mls": "soccer",
}
MAX_SPOILER_DELAY_S = 120
_LEAGUE = re.compile(r"^(?:([a-z-]+)/)?([a-z0-9][a-z0-9.\-]*)$")


class TeamRefError(ValueError):
    """A `[sports] teams` entry that cannot be understood; the message says how to write it."""


@dataclass(frozen=True, slots=True)
class League:
    sport: str  # ESPN's sport path ("football", "soccer")
    league: str  # ESPN's league path ("nfl", "eng.1")

    @property
    def path(self) -> str:
        return f"{self.sport}/{self.league}"


@dataclass(frozen=True, slots=True)
class TeamRef:
    """One configured team, before resolution: `key` is an ESPN id ("12") or abbreviation ("KC")."""

    league: League
    key: str
    spoiler_delay_s: int = 0

    @property
    def is_id(self) -> bool:
        return self.key.isdigit()


def league_of(text: str) -> League:
    """ "nfl" -> football/nfl, "eng.1" -> soccer/eng.1, "football/ufl" -> as written."""
    match = _LEAGUE.match(text.strip().lower())
    if not match:
        raise TeamRefError(f"{text!r} is not an ESPN league path (like nfl, nhl, eng.1 or soccer/usa.1)")
    sport, league = match.group(1), match.group(2)
    if sport is None:
        sport = SPORT_OF_LEAGUE.get(league) or ("soccer" if "." in league else None)
    if sport is None:
        known = ", ".join(sorted(SPORT_OF_LEAGUE))
        raise TeamRefError(
            f"unknown league {league!r}: use one of {known}, a soccer league like eng.1, "
            f"or write the sport too (sport/league, e.g. football/xfl)"
        )
    return League(sport, league)


def parse_team_ref(entry: str) -> TeamRef:
    """ "nfl:KC", "eng.1:359:30" (30 s spoiler delay) or "football/ufl:KC"."""
    parts = [p.strip() for p in entry.strip().split(":")]
    if len(parts) == 1:
        raise TeamRefError(
            f"team {entry!r} has no league: an abbreviation alone is ambiguous across leagues "
            f"(WSH, PIT, ARI... exist in several); write league:team, e.g. nfl:{entry.strip() or 'KC'}"
        )
    if len(parts) > 3 or not parts[1]:
        raise TeamRefError(
            f"team {entry!r}: write league:team or league:team:spoiler_delay_s, e.g. nfl:KC:30"
        )
    delay = 0
    if len(parts) == 3:
        if not parts[2].isdigit() or int(parts[2]) > MAX_SPOILER_DELAY_S:
            raise TeamRefError(f"team {entry!r}: spoiler delay must be 0-{MAX_SPOILER_DELAY_S} seconds")
        delay = int(parts[2])
    if not re.fullmatch(r"[A-Za-z0-9&.\-]{1,12}", parts[1]):
        raise TeamRefError(f"team {entry!r}: {parts[1]!r} is not an ESPN team id or abbreviation")
    return TeamRef(league_of(parts[0]), parts[1].upper(), delay)
