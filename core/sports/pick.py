"""Which game is "the" game for a team right now, from every game the team appears in.

Behaviour learnt from the most used HA sports integration and its users' complaints:
- a live game wins (the latest one if ESPN lists two: doubleheaders, multi-day responses);
- a game starting within 20 minutes wins (the card flips to it shortly before the start);
- a finished game stays on show for a day, unless the next game is close (6 h): users found the
  peer's flip to the next game right after the final too early, and back-to-back NHL games showed
  the old game too long;
- otherwise the next scheduled game (off-season: the first game of the next season), else the latest
  result. A live or finished game dated more than 18 h ahead is a postponed one: treated as scheduled.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from core.sports.model import Game, GameState

SOON = timedelta(minutes=20)
KEEP_RESULT = timedelta(hours=24)
NEXT_CLOSE = timedelta(hours=6)
FAR_FUTURE = timedelta(hours=18)


def effective_state(game: Game, now: datetime) -> GameState:
    if game.state is not GameState.PRE and game.start - now > FAR_FUTURE:
        return GameState.PRE
    return game.state


def pick_game(games: Iterable[Game], now: datetime) -> Game | None:
    by_state: dict[GameState, list[Game]] = {s: [] for s in GameState}
    for game in games:
        by_state[effective_state(game, now)].append(game)
    live = sorted(by_state[GameState.IN], key=lambda g: g.start)
    if live:
        return live[-1]
    upcoming = sorted((g for g in by_state[GameState.PRE] if g.start >= now - SOON), key=lambda g: g.start)
    nxt = upcoming[0] if upcoming else None
    if nxt is not None and nxt.start - now <= SOON:
        return nxt
    results = sorted(by_state[GameState.POST], key=lambda g: g.start)
    last = results[-1] if results else None
    recent = last is not None and now - last.start <= KEEP_RESULT
    if recent and (nxt is None or nxt.start - now > NEXT_CLOSE):
        return last
    return nxt or last


def next_games(games: Iterable[Game], now: datetime, limit: int = 5) -> list[Game]:
    pre = [g for g in games if effective_state(g, now) is GameState.PRE and g.start >= now - SOON]
    return sorted(pre, key=lambda g: g.start)[:limit]


def last_result(games: Iterable[Game]) -> Game | None:
    done = [g for g in games if g.state is GameState.POST and g.completed]
    return max(done, key=lambda g: g.start, default=None)
