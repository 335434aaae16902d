"""Per-league source health: what the tab and the API show instead of a blank "no game"."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LeagueHealth:
    league: str
    # starting | ok | or a core.sports.fetch.FetchError kind (source_blocked, timeout, ...)
    state: str = "starting"
    last_ok_at: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    failures: int = 0  # consecutive
    failing_since: float | None = None
    events_seen: int = 0
    truncated: bool = False  # ESPN returned a full page: games may be missing
    next_poll_at: float | None = None
    polls: int = 0

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    def data_age_s(self, now: float) -> float | None:
        return None if self.last_ok_at is None else max(0.0, now - self.last_ok_at)

    def describe(self, now: float) -> str:
        """ "ok, data 12 s old", "ESPN unreachable for 3 min, showing data from 14:02"."""
        import time as _time

        age = self.data_age_s(now)
        if self.ok:
            return f"ok, data {age:.0f} s old" if age is not None else "ok"
        if self.state == "starting":
            return "waiting for the first answer"
        since = self.failing_since or now
        down = f"{self.state.replace('_', ' ')} ({self.last_error})"
        if self.last_ok_at is None:
            return f"{down}; no data yet"
        mins = max(0.0, now - since) / 60
        shown = _time.strftime("%H:%M", _time.localtime(self.last_ok_at))
        return f"{down} for {mins:.0f} min, showing data from {shown}"
