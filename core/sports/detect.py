"""Game events from successive observations of one game: a pure function of (what was accepted
before, what ESPN says now), so the engine persists its result and a restart never re-fires.

Rules (why each guard exists):
- The first observation is a silent baseline: starting the app mid-game must not "score" 21 points.
- A change of state (pre/in/post, or completed) is accepted only after `confirm` consecutive polls
  agree: ESPN flaps IN<->POST and IN->PRE (baseball especially), and a flap must never end a game.
- Period and clock are ignored before the start (ESPN's pre values are placeholders).
- Scores are compared while the game is live and for 10 minutes after it ended (late corrections);
  a decrease is a `correction`. Raw strings are compared, so non-numeric scores still work (no delta).
- `game_ended` only for a completed game; postponed, canceled, suspended and delayed are their own
  events and never an ending.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from typing import Any

from core.sports.model import HALFTIME, NOT_PLAYED, Game, GameState

CORRECTION_GRACE_S = 600.0
KICKOFF_SOON_S = 900.0


@dataclass(frozen=True, slots=True)
class Tracker:
    """What has been accepted for one game; persisted with the game after every poll."""

    game_id: str
    state: GameState
    completed: bool
    status_name: str
    home: str | None
    away: str | None
    period: int
    leader: str | None  # "home" | "away": the last side ahead (a tie keeps it)
    sequence: int = 0
    pending: str | None = None  # a state seen but not yet confirmed: "in|0"
    pending_count: int = 0
    post_at: float | None = None
    kickoff_soon_fired: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tracker:
        return cls(**{**data, "state": GameState(data["state"])})


@dataclass(frozen=True, slots=True)
class GameEvent:
    event_uid: str
    type: str
    sequence: int
    game: Game
    occurred_at: float  # when we observed it (ESPN gives no event time)
    prev_home: str | None = None
    prev_away: str | None = None
    scoring_side: str | None = None  # "home" | "away" | "both"
    delta_home: int | None = None
    delta_away: int | None = None
    correction: bool = False
    period_from: int | None = None


def _leader(game: Game) -> str | None:
    h, a = game.home.score, game.away.score
    if h is None or a is None or h == a:
        return None
    return "home" if h > a else "away"


def baseline(game: Game, now: float) -> Tracker:
    live = game.state is not GameState.PRE
    return Tracker(
        game_id=game.game_id,
        state=game.state,
        completed=game.completed,
        status_name=game.status_name,
        home=game.scores[0] if live else None,
        away=game.scores[1] if live else None,
        period=game.period if live else 0,
        leader=_leader(game) if live else None,
        post_at=now if game.state is GameState.POST else None,
    )


def event_uid(game: Game, kind: str, *extra: object) -> str:
    """Deterministic: the same happening gives the same uid after a retry or a restart."""
    text = "|".join(str(x) for x in (game.game_id, kind, *game.scores, game.period, *extra))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class _Emitter:
    def __init__(self, tracker: Tracker, game: Game, now: float) -> None:
        self.tracker, self.game, self.now = tracker, game, now
        self.events: list[GameEvent] = []

    def emit(self, kind: str, *uid_extra: object, **fields: Any) -> None:
        seq = self.tracker.sequence + 1
        self.tracker = replace(self.tracker, sequence=seq)
        uid = event_uid(self.game, kind, *uid_extra)
        self.events.append(GameEvent(uid, kind, seq, self.game, self.now, **fields))


def detect(prev: Tracker | None, game: Game, now: float, confirm: int = 2) -> tuple[Tracker, list[GameEvent]]:
    if prev is None:
        return baseline(game, now), []
    out = _Emitter(prev, game, now)
    before = prev.state, prev.completed
    if (game.state, game.completed) != before:
        key = f"{game.state}|{int(game.completed)}"
        count = prev.pending_count + 1 if prev.pending == key else 1
        if count < confirm:
            out.tracker = replace(prev, pending=key, pending_count=count)
            return out.tracker, []  # unconfirmed: this poll's data may be stale, so nothing else
        out.tracker = replace(prev, state=game.state, completed=game.completed, pending=None, pending_count=0)
        if game.state is GameState.POST:
            out.tracker = replace(out.tracker, post_at=now)
    elif prev.pending is not None:
        out.tracker = replace(prev, pending=None, pending_count=0)
    if before[0] is GameState.PRE and game.state is GameState.IN:
        out.emit("game_started")
        # Every game starts at nil: a score already on the board when the start is confirmed
        # (two polls) is a score, not a baseline. Free-text scores (cricket) have no nil.
        nil_home = "0" if game.home.score is not None else None
        nil_away = "0" if game.away.score is not None else None
        out.tracker = replace(out.tracker, period=game.period, home=nil_home, away=nil_away)
    _status_events(out, prev.status_name)
    _period_events(out, started=before[0] is GameState.IN)
    _score_events(out)
    if game.state is GameState.POST and before != (GameState.POST, game.completed):
        _end_events(out)
    _kickoff_soon(out)
    return out.tracker, out.events


def _status_events(out: _Emitter, before: str) -> None:
    game, name = out.game, out.game.status_name
    if name != before:
        if name == HALFTIME and game.state is GameState.IN:
            out.emit("halftime")
        elif name in NOT_PLAYED and game.state is not GameState.POST:
            out.emit(NOT_PLAYED[name], name)  # delayed or suspended while live or before the start
    out.tracker = replace(out.tracker, status_name=name)


def _period_events(out: _Emitter, started: bool) -> None:
    game, t = out.game, out.tracker
    if not started or game.state is not GameState.IN or game.period <= t.period:
        return
    out.emit("period_changed", period_from=t.period)
    reg = game.regulation_periods
    if reg and t.period <= reg < game.period:
        out.emit("overtime_started")
    out.tracker = replace(out.tracker, period=game.period)


def _score_events(out: _Emitter) -> None:
    game, t = out.game, out.tracker
    home, away = game.scores
    live = t.state is GameState.IN
    grace = t.state is GameState.POST and t.post_at is not None and out.now - t.post_at <= CORRECTION_GRACE_S
    if not (live or grace) or (home, away) == (t.home, t.away) or (home is None and away is None):
        return
    if t.home is None and t.away is None:
        out.tracker = replace(t, home=home, away=away, leader=_leader(game))  # first real score: baseline
        return
    dh, da = _delta(t.home, home), _delta(t.away, away)
    scored = [
        side
        for side, before, after in (("home", t.home, home), ("away", t.away, away))
        if _scored(before, after)
    ]
    out.emit(
        "score_changed",
        game.clock,
        prev_home=t.home,
        prev_away=t.away,
        scoring_side="both" if len(scored) == 2 else (scored[0] if scored else None),
        delta_home=dh,
        delta_away=da,
        correction=any(d is not None and d < 0 for d in (dh, da)),
    )
    leader = _leader(game)
    if leader is not None and t.leader is not None and leader != t.leader:
        out.emit("lead_change", game.clock)
    out.tracker = replace(out.tracker, home=home, away=away, leader=leader or t.leader)


def _parts(raw: str | None) -> tuple[int, int] | None:
    """ "3" -> (3, 0); "1 (4)" (soccer, 4 in the shootout) -> (1, 4); free text -> None."""
    head, _, rest = (raw or "").partition(" (")
    pens = rest.rstrip(")") or "0"
    return (int(head), int(pens)) if head.isdigit() and pens.isdigit() else None


def _delta(before: str | None, after: str | None) -> int | None:
    b, a = _parts(before), _parts(after)
    return None if b is None or a is None else a[0] - b[0]


def _scored(before: str | None, after: str | None) -> bool:
    """This side's score went up (a shootout goal counts); free text: any change."""
    if before == after:
        return False
    b, a = _parts(before), _parts(after)
    return b is None or a is None or a > b


def _end_events(out: _Emitter) -> None:
    game = out.game
    if game.completed:
        out.emit("game_ended")
    else:
        out.emit(NOT_PLAYED.get(game.status_name, "game_postponed"), game.status_name)


def _kickoff_soon(out: _Emitter) -> None:
    game, t = out.game, out.tracker
    if t.state is not GameState.PRE or t.kickoff_soon_fired or game.state is not GameState.PRE:
        return
    if 0 < game.start.timestamp() - out.now <= KICKOFF_SOON_S:
        out.emit("kickoff_soon")
        out.tracker = replace(out.tracker, kickoff_soon_fired=True)
