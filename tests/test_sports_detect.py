"""Game events from successive polls: silent baseline, confirmation across ESPN's flapping,
score sides, deltas and corrections, lead changes, periods, endings that are not endings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from core.sports.detect import Tracker, detect
from core.sports.model import Game, GameState, Side

T0 = datetime(2026, 10, 4, 17, tzinfo=UTC).timestamp()


def game(
    state: str = "pre",
    home: str | None = None,
    away: str | None = None,
    period: int = 0,
    *,
    status: str = "",
    completed: bool = False,
    clock: str = "0:00",
    regulation: int = 4,
) -> Game:
    def side(tid: str, abbr: str, ha: str, score: str | None) -> Side:
        return Side(tid, abbr, abbr, ha, score, int(score) if score and score.isdigit() else None)

    default = {"pre": "STATUS_SCHEDULED", "in": "STATUS_IN_PROGRESS", "post": "STATUS_FINAL"}[state]
    return Game(
        "nfl",
        "football",
        "401",
        "401",
        datetime.fromtimestamp(T0, UTC),
        GameState(state),
        status or default,
        "",
        completed,
        period,
        regulation,
        clock,
        side("1", "HOM", "home", home),
        side("2", "AWY", "away", away),
    )


class Feed:
    """Polls one game through `detect` the way the engine does, collecting every event."""

    def __init__(self, confirm: int = 2) -> None:
        self.tracker: Tracker | None = None
        self.confirm = confirm
        self.events: list = []  # type: ignore[type-arg]
        self.now = T0 - 3600

    def poll(self, g: Game, dt: float = 15) -> list[str]:
        self.now += dt
        self.tracker, fired = detect(self.tracker, g, self.now, self.confirm)
        self.events += fired
        return [e.type for e in fired]


def test_first_observation_is_a_silent_baseline_even_mid_game() -> None:
    feed = Feed()
    assert feed.poll(game("in", "21", "3", 3)) == []
    assert feed.poll(game("in", "21", "3", 3)) == []
    assert feed.poll(game("in", "28", "3", 3)) == ["score_changed"]


def test_game_started_needs_two_polls_and_ignores_pre_period_and_clock() -> None:
    feed = Feed()
    feed.poll(game("pre", None, None, 1, clock="15:00"))  # NFL pre shows period 1: meaningless
    assert feed.poll(game("in", "0", "0", 1)) == []
    assert feed.poll(game("in", "0", "0", 1)) == ["game_started"]
    assert feed.poll(game("in", "0", "0", 1)) == []


def test_in_post_flapping_never_ends_the_game_and_a_real_final_does() -> None:
    feed = Feed()
    feed.poll(game("in", "10", "7", 4))
    for _ in range(5):  # ESPN alternating live and yesterday's "final"
        assert feed.poll(game("post", "10", "7", 4, completed=True)) == []
        assert feed.poll(game("in", "10", "7", 4)) == []
    assert feed.poll(game("post", "13", "7", 4, completed=True)) == []
    assert feed.poll(game("post", "13", "7", 4, completed=True)) == ["score_changed", "game_ended"]
    assert feed.poll(game("post", "13", "7", 4, completed=True)) == []


def test_score_changes_carry_side_delta_and_corrections() -> None:
    feed = Feed()
    feed.poll(game("in", "0", "0", 1))
    feed.poll(game("in", "7", "0", 1, clock="9:12"))
    feed.poll(game("in", "7", "3", 1, clock="4:00"))
    feed.poll(game("in", "7", "2", 1, clock="3:40"))  # ESPN corrects 3 -> 2
    feed.poll(game("in", "14", "5", 2, clock="1:00"))  # both scored between polls
    s = [e for e in feed.events if e.type == "score_changed"]
    assert [(e.scoring_side, e.delta_home, e.delta_away, e.correction) for e in s] == [
        ("home", 7, 0, False),
        ("away", 0, 3, False),
        (None, 0, -1, True),
        ("both", 7, 3, False),
    ]
    assert (s[0].prev_home, s[0].prev_away) == ("0", "0")
    assert [e.sequence for e in feed.events] == list(range(1, len(feed.events) + 1))


def test_lead_change_only_when_the_other_side_goes_ahead() -> None:
    feed = Feed()
    feed.poll(game("in", "0", "0", 1))
    assert feed.poll(game("in", "0", "3", 1)) == ["score_changed"]  # first lead: not a change
    assert feed.poll(game("in", "3", "3", 1)) == ["score_changed"]  # tie
    assert feed.poll(game("in", "10", "3", 2)) == ["period_changed", "score_changed", "lead_change"]
    assert feed.poll(game("in", "10", "6", 2)) == ["score_changed"]


def test_periods_halftime_and_overtime() -> None:
    feed = Feed()
    feed.poll(game("in", "0", "0", 2))
    assert feed.poll(game("in", "0", "0", 2, status="STATUS_HALFTIME")) == ["halftime"]
    assert feed.poll(game("in", "0", "0", 3)) == ["period_changed"]
    assert feed.poll(game("in", "0", "0", 4)) == ["period_changed"]
    assert feed.poll(game("in", "0", "0", 5)) == ["period_changed", "overtime_started"]
    assert feed.poll(game("in", "0", "0", 4)) == []  # a stale period does not go backwards


def test_postponed_and_delayed_are_not_endings() -> None:
    feed = Feed()
    feed.poll(game("pre"))
    feed.poll(game("post", status="STATUS_POSTPONED"))
    assert feed.poll(game("post", status="STATUS_POSTPONED")) == ["game_postponed"]
    other = Feed()
    other.poll(game("in", "1", "0", 3))
    assert other.poll(game("in", "1", "0", 3, status="STATUS_RAIN_DELAY")) == ["game_delayed"]
    assert "game_ended" not in [e.type for e in feed.events + other.events]


def test_kickoff_soon_fires_once_fifteen_minutes_before() -> None:
    feed = Feed()
    feed.now = T0 - 3600
    feed.poll(game("pre"))
    assert feed.poll(game("pre"), dt=3600 - 14 * 60) == ["kickoff_soon"]
    assert feed.poll(game("pre"), dt=60) == []


def test_event_uids_are_deterministic_and_the_tracker_survives_json() -> None:
    a, b = Feed(), Feed()
    for feed in (a, b):
        feed.poll(game("in", "0", "0", 1))
        feed.poll(game("in", "7", "0", 1, clock="3:00"))
    assert [e.event_uid for e in a.events] == [e.event_uid for e in b.events]
    assert a.tracker is not None
    restored = Tracker.from_json(a.tracker.to_json())
    assert restored == a.tracker
    assert detect(restored, game("in", "7", "0", 1, clock="3:00"), a.now + 15)[1] == []


def test_shootout_goals_count_as_scores() -> None:
    feed = Feed()
    feed.poll(replace(game("in", "1", "1", 5, regulation=2)))
    g = game("in", "1", "1", 5, regulation=2)
    g = replace(g, home=replace(g.home, shootout=1), away=replace(g.away, shootout=0))
    assert feed.poll(g) == ["score_changed"]
    assert feed.events[-1].scoring_side == "home"


def test_the_wall_focus_rotates_through_live_games_and_jumps_to_a_score() -> None:
    from core.sports.cards import TeamCard, focus_card

    def card(key: str, mode: str, moment: str = "") -> TeamCard:
        return TeamCard(key, key, "#000000", mode, "", "", "", "ok", False, moment, key)

    live = [card("a", "live"), card("b", "next"), card("c", "live")]
    assert [focus_card(live, t).key for t in (0, 8, 16)] == ["a", "c", "a"]  # type: ignore[union-attr]
    assert focus_card([*live, card("d", "live", "GOAL!")], 0).key == "d"  # type: ignore[union-attr]
    assert focus_card([card("b", "next")], 0) is None


def test_a_score_already_there_when_the_start_is_confirmed_is_still_a_score() -> None:
    feed = Feed()
    feed.poll(game("pre"))
    assert feed.poll(game("in", "7", "0", 1)) == []  # not yet believed
    assert feed.poll(game("in", "7", "0", 1)) == ["game_started", "score_changed"]
    assert (feed.events[-1].delta_home, feed.events[-1].scoring_side) == (7, "home")
