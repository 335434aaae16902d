"""Which teams the user follows: the `[sports] teams` entries, the ESPN league each lives in, and
resolving an abbreviation to ESPN's stable numeric team id through the league's teams list.

Ids are the key everywhere (ESPN's `lang` changes names and sometimes abbreviations); a bare
abbreviation without a league is refused because WSH, PIT, ARI, COL... exist in several leagues.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.team_refs import (
    MAX_SPOILER_DELAY_S,
    SPORT_OF_LEAGUE,
    League,
    TeamRef,
    TeamRefError,
    league_of,
    parse_team_ref,
)

__all__ = [
    "MAX_SPOILER_DELAY_S",
    "SPORT_OF_LEAGUE",
    "League",
    "TeamInfo",
    "TeamRef",
    "TeamRefError",
    "TrackedTeam",
    "league_of",
    "parse_team_ref",
    "resolve",
]


@dataclass(frozen=True, slots=True)
class TeamInfo:
    """A team as ESPN's teams list describes it."""

    id: str
    abbr: str
    name: str
    short_name: str
    color: str  # "#RRGGBB"
    alt_color: str
    logo: str
    logo_dark: str


@dataclass(frozen=True, slots=True)
class TrackedTeam:
    """A configured team resolved to its ESPN id."""

    league: League
    info: TeamInfo
    spoiler_delay_s: int = 0

    @property
    def key(self) -> str:
        """The stable key the API and the store use: "nfl:12"."""
        return f"{self.league.league}:{self.info.id}"


def resolve(ref: TeamRef, teams: list[TeamInfo]) -> TeamInfo:
    """The team `ref` names in its league's teams list; TeamRefError says why not."""
    if ref.is_id:
        found = [t for t in teams if t.id == ref.key]
    else:
        found = [t for t in teams if t.abbr.upper() == ref.key]
    if len(found) == 1:
        return found[0]
    where = f"{ref.league.league}'s {len(teams)} teams"
    if not found:
        raise TeamRefError(f"no team {ref.key!r} among {where}")
    ids = ", ".join(t.id for t in found)
    raise TeamRefError(f"{ref.key!r} matches several of {where} (ids {ids}); use the id")
