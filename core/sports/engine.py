"""The sports engine: one polling task per league (one fetch serves every tracked team in it),
event detection, the store, and the webhook dispatcher. Polling never waits on a webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import defaultdict, deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson

from core.config import InfluxConfig, SportsConfig
from core.engine import EngineState, EngineStatus
from core.sports.detect import Tracker, detect
from core.sports.fetch import PAGE_LIMIT, EspnClient, FetchError
from core.sports.health import LeagueHealth
from core.sports.influx_out import InfluxOut, game_line
from core.sports.logo_cache import LogoCache
from core.sports.model import Game, GameState
from core.sports.parse import event_count, parse_events, parse_teams
from core.sports.payload import event_json, game_json
from core.sports.pick import last_result, next_games, pick_game
from core.sports.store import NewEvent, SportsStore, StoredGame, TimelineRow, Webhook
from core.sports.teams import (
    MAX_SPOILER_DELAY_S,
    League,
    TeamRef,
    TeamRefError,
    TrackedTeam,
    parse_team_ref,
    resolve,
)
from core.sports.webhooks import Dispatcher
from core.sports.webhooks_admin import WebhookAdmin

if TYPE_CHECKING:
    from core.bus import Bus
    from core.sports.demo_server import DemoServer

_LOGGER = logging.getLogger("core.sports")
TOPIC_EVENT = "sports.event"  # bus payload: the webhook JSON of a newly fired event
TEAMS_MAX_AGE_S = 86400.0
POST_FOLLOW_S = 600.0
US_DAY_OFFSET = timedelta(hours=5)  # ESPN's scoreboard days are US days: 00:30Z belongs to "yesterday"


@dataclass(frozen=True, slots=True)
class TeamView:
    """What the tab and the HA endpoints show for one configured team."""

    ref: TeamRef
    team: TrackedTeam | None
    error: str | None  # why the team could not be resolved
    current: Game | None
    upcoming: tuple[Game, ...]
    last: Game | None
    health: LeagueHealth


class SportsEngine:
    name = "sports"

    def __init__(
        self,
        config: SportsConfig,
        data_dir: Path,
        *,
        bus: Bus | None = None,
        demo: DemoServer | None = None,
        autopoll: bool = True,
        influx: InfluxConfig | None = None,
    ) -> None:
        """autopoll=False: no polling tasks; the caller runs `poll_league` (tests, benchmarks)."""
        self.config = config
        self.data_dir = data_dir
        self.bus = bus
        self.demo = demo
        self.autopoll = autopoll
        self.influx_config = influx
        self.influx: InfluxOut | None = None
        self.refs = [parse_team_ref(t) for t in config.teams]
        self.leagues = {r.league.league: r.league for r in self.refs}
        self.tracked: dict[str, list[TrackedTeam]] = defaultdict(list)
        self.unresolved: dict[TeamRef, str] = {r: "not resolved yet" for r in self.refs}
        self.health = {name: LeagueHealth(name) for name in self.leagues}
        self.store: SportsStore | None = None
        self.webhooks: WebhookAdmin | None = None
        self.logos: LogoCache | None = None
        self._games: dict[str, dict[str, Game]] = defaultdict(dict)  # league -> game_id -> latest
        self._schedule: dict[str, list[Game]] = {}  # team key -> games from its schedule
        self._schedule_at: dict[str, float] = {}
        self._trackers: dict[str, Tracker] = {}
        self._recent: dict[str, deque[tuple[float, Game]]] = {}
        self._last_row: dict[str, tuple[Any, ...]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None
        self._client: EspnClient | None = None
        self._dispatcher: Dispatcher | None = None
        self._started_at: float | None = None
        self._poll_ms: list[float] = []
        self.events_fired = 0
        self._last_event: dict[str, tuple[str | None, float | None]] = {}

    # -- engine ---------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.demo is not None:
            await self.demo.start()
            self.config = replace(self.config, base_url=self.demo.base_url)
        self.store = await SportsStore.open(self.data_dir)
        headers = {"User-Agent": self.config.user_agent, "Accept": "application/json"}
        self._session = aiohttp.ClientSession(headers=headers)
        self._client = EspnClient(self._session, self.config.base_url, self.config.timeout_s)
        self.logos = LogoCache(self.data_dir / "logos", self._session)
        await self.store.prune(time.time())
        self._trackers = {k: Tracker.from_json(v) for k, v in (await self.store.trackers()).items()}
        self._last_row = {k: _row_key(r) for k, r in (await self.store.last_timeline()).items()}
        self._dispatcher = Dispatcher(
            self.store,
            self._session,
            timeout_s=self.config.webhook_timeout_s,
            max_age_s=self.config.webhook_max_age_s,
        )
        self.webhooks = WebhookAdmin(
            self.store, self._dispatcher, self._session, self.config.webhook_timeout_s
        )
        await self.webhooks.load()
        await self._dispatcher.start()
        if self.influx_config is not None:
            self.influx = InfluxOut(self.store, self.influx_config)
            self.influx.start()
        self._tasks = [
            asyncio.create_task(self._league_loop(lg), name=f"sports-{lg.league}")
            for lg in self.leagues.values()
            if self.autopoll
        ]
        self._started_at = time.time()
        _LOGGER.info(
            "sports engine started: %d teams in %d leagues",
            len(self.refs),
            len(self.leagues),
            extra={"fields": {"leagues": sorted(self.leagues)}},
        )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._dispatcher is not None:
            await self._dispatcher.stop()
        if self.influx is not None:
            await self.influx.stop()
        if self.logos is not None:
            await self.logos.close()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self.store is not None:
            await self.store.close()
        if self.demo is not None:
            await self.demo.stop()
        self._started_at = None
        _LOGGER.info("sports engine stopped")

    def status(self) -> EngineStatus:
        now = time.time()
        failing = [h for h in self.health.values() if h.failures]
        if self._started_at is None:
            state, detail = EngineState.STOPPED, ""
        elif not self.refs:
            state, detail = EngineState.RUNNING, "no teams yet: add one in Configuration (sports.teams)"
        else:
            live = sum(
                1 for v in self.team_views() if v.current is not None and v.current.state is GameState.IN
            )
            state = EngineState.DEGRADED if failing or self._bad_refs() else EngineState.RUNNING
            detail = f"{len(self.refs)} teams in {len(self.leagues)} leagues, {live} live"
            if failing:
                detail += "; " + "; ".join(f"{h.league}: {h.describe(now)}" for h in failing)
            for ref, why in self._bad_refs().items():
                detail += f"; {ref.league.league}:{ref.key}: {why}"
        last_err = max(
            (h for h in self.health.values() if h.last_error_at),
            key=lambda h: h.last_error_at or 0,
            default=None,
        )
        d = self._dispatcher
        return EngineStatus(
            self.name,
            state,
            detail=detail,
            started_at=self._started_at,
            last_error=last_err.last_error if last_err else None,
            last_error_at=last_err.last_error_at if last_err else None,
            errors=sum(h.failures for h in self.health.values()),
            rates={"poll_ms_p50": _median(self._poll_ms)},
            counters={
                "requests": self._client.requests if self._client else 0,
                "events_fired": self.events_fired,
                "webhooks_delivered": d.delivered if d else 0,
                "webhook_failures": d.failed_attempts if d else 0,
                "webhooks_dead": d.dead if d else 0,
                "influx_points_written": self.influx.written if self.influx else 0,
            },
        )

    def _bad_refs(self) -> dict[TeamRef, str]:
        return {r: why for r, why in self.unresolved.items() if why != "not resolved yet"}

    # -- what the API and the tab read ----------------------------------------------------------

    def team_views(self, now: datetime | None = None) -> list[TeamView]:
        now = now or datetime.now(UTC)
        views = []
        for ref in self.refs:
            team = next((t for t in self.tracked[ref.league.league] if _same_ref(t, ref)), None)
            health = self.health[ref.league.league]
            if team is None:
                views.append(TeamView(ref, None, self.unresolved.get(ref), None, (), None, health))
                continue
            games = self.games_of(team)
            if team.spoiler_delay_s:
                games = [self._as_of(g, now.timestamp() - team.spoiler_delay_s) for g in games]
            views.append(
                TeamView(
                    ref,
                    team,
                    None,
                    pick_game(games, now),
                    tuple(next_games(games, now)),
                    last_result(games),
                    health,
                )
            )
        return views

    def _as_of(self, game: Game, cutoff: float) -> Game:
        """The game as it was seen at `cutoff` (a spoiler delay: the screen runs behind like the
        stream does); the oldest sighting kept when none is that old."""
        seen = self._recent.get(game.game_id)
        if not seen:
            return game
        older = [g for t, g in seen if t <= cutoff]
        return older[-1] if older else seen[0][1]

    def games_of(self, team: TrackedTeam) -> list[Game]:
        merged = {g.game_id: g for g in self._schedule.get(team.key, [])}
        merged.update(
            (g.game_id, g) for g in self._games[team.league.league].values() if g.involves(team.info.id)
        )
        return sorted(merged.values(), key=lambda g: g.start)

    def find_team(self, league: str, key: str) -> TrackedTeam | None:
        """A tracked team by league and ESPN id or abbreviation (case-insensitive)."""
        key = key.upper()
        return next(
            (t for t in self.tracked.get(league.lower(), []) if key in (t.info.id, t.info.abbr.upper())), None
        )

    def last_event_type(self, game_id: str) -> str | None:
        return self._last_event.get(game_id, (None, None))[0]

    def last_event(self, game_id: str) -> tuple[str | None, float | None]:
        """The type and time of the last event this run fired for a game (the tab's score moment)."""
        return self._last_event.get(game_id, (None, None))

    def live_games(self) -> list[Game]:
        return [g for games in self._games.values() for g in games.values() if g.state is GameState.IN]

    def game(self, game_id: str) -> Game | None:
        league = game_id.split(":", 1)[0]
        return self._games.get(league, {}).get(game_id)

    # -- polling ---------------------------------------------------------------------------------

    async def _league_loop(self, league: League) -> None:
        while True:
            try:
                delay = await self.poll_league(league)
            except Exception:
                _LOGGER.exception("sports poll of %s failed", league.path)
                delay = 60.0
            self.health[league.league] = replace(self.health[league.league], next_poll_at=time.time() + delay)
            await asyncio.sleep(delay)

    async def poll_league(self, league: League) -> float:
        """One poll cycle for a league; returns the seconds until the next one."""
        assert self._client is not None
        started = time.perf_counter()
        await self._resolve(league)
        await self._refresh_schedules(league)
        if not self.tracked[league.league]:
            return self._backoff(league) if self.health[league.league].failures else self.config.idle_poll_s
        try:
            fetched = [await self._client.scoreboard(league, day) for day in self._days(league)]
        except FetchError as err:
            self._failed(league, err)
            return self._backoff(league)
        games = [g for f in fetched for g in parse_events(f.data, league)]
        await self._process(league, games, min(f.fetched_at for f in fetched))
        seen = sum(event_count(f.data) for f in fetched)
        h = self.health[league.league]
        self.health[league.league] = replace(
            h,
            state="ok",
            last_ok_at=time.time(),
            failures=0,
            failing_since=None,
            events_seen=seen,
            truncated=any(event_count(f.data) >= PAGE_LIMIT for f in fetched),
            polls=h.polls + 1,
        )
        self._poll_ms = [*self._poll_ms[-99:], (time.perf_counter() - started) * 1000]
        return self._cadence(league)

    def _failed(self, league: League, err: FetchError) -> None:
        h = self.health[league.league]
        now = time.time()
        self.health[league.league] = replace(
            h,
            state=err.kind,
            last_error=str(err),
            last_error_at=now,
            failures=h.failures + 1,
            failing_since=h.failing_since or now,
        )
        log = _LOGGER.warning if h.failures == 0 else _LOGGER.debug
        log(
            "ESPN %s: %s (keeping the last good data)", league.path, err, extra={"fields": {"kind": err.kind}}
        )

    def _backoff(self, league: League) -> float:
        n = self.health[league.league].failures
        return float(min(600.0, max(5.0, self.config.live_poll_s) * 2 ** max(0, n - 1)))

    async def _resolve(self, league: League) -> None:
        assert self.store is not None and self._client is not None
        pending = [r for r in self.unresolved if r.league == league]
        if not pending:
            return
        cached = await self.store.cached_teams(league.league)
        data = cached[1] if cached else None
        if cached is None or time.time() - cached[0] > TEAMS_MAX_AGE_S:
            try:
                data = (await self._client.teams(league)).data
                await self.store.cache_teams(league.league, data)
            except FetchError as err:
                self._failed(league, err)
                if data is None:
                    for ref in pending:
                        self.unresolved[ref] = f"teams list unavailable ({err})"
                    return
        teams = parse_teams(data)
        for ref in pending:
            try:
                info = resolve(ref, teams)
            except TeamRefError as err:
                self.unresolved[ref] = str(err)
                _LOGGER.warning("sports team %s:%s: %s", ref.league.league, ref.key, err)
                continue
            del self.unresolved[ref]
            self.tracked[league.league].append(TrackedTeam(league, info, ref.spoiler_delay_s))

    async def _refresh_schedules(self, league: League) -> None:
        """Each team's season schedule, rarely: next games (off-season too) and stored results."""
        assert self._client is not None and self.store is not None
        for team in self.tracked[league.league]:
            if time.time() - self._schedule_at.get(team.key, 0.0) < self.config.schedule_refresh_s:
                continue
            try:
                fetched = await self._client.schedule(league, team.info.id)
            except FetchError as err:
                _LOGGER.info("schedule of %s unavailable: %s", team.key, err)
                self._schedule_at[team.key] = (
                    time.time() - self.config.schedule_refresh_s + 300
                )  # retry in 5 min
                continue
            games = parse_events(fetched.data, league)
            if league.sport == "soccer":
                games += await self._next_event(league, team)
            self._schedule[team.key] = games
            self._schedule_at[team.key] = time.time()
            await self.store.record_poll([_stored(g, None) for g in games], [], [])

    async def _next_event(self, league: League, team: TrackedTeam) -> list[Game]:
        """Soccer schedules list only results; the team detail's `nextEvent` holds the next game."""
        assert self._client is not None
        try:
            detail = await self._client.get(league, f"teams/{team.info.id}")
        except FetchError as err:
            _LOGGER.info("next game of %s unavailable: %s", team.key, err)
            return []
        team_json = detail.data.get("team") if isinstance(detail.data, dict) else None
        nxt = team_json.get("nextEvent") if isinstance(team_json, dict) else None
        return parse_events({"events": nxt}, league)

    def _days(self, league: League) -> list[str]:
        """The scoreboard day(s) to fetch: today (US calendar) and, while a game that started
        yesterday is still live, yesterday too."""
        now = datetime.now(UTC)
        today = (now - US_DAY_OFFSET).date()
        day_start = datetime(today.year, today.month, today.day, tzinfo=UTC) + US_DAY_OFFSET
        days = [today.strftime("%Y%m%d")]
        if any(g.state is GameState.IN and g.start < day_start for g in self._games[league.league].values()):
            days.insert(0, (today - timedelta(days=1)).strftime("%Y%m%d"))
        return days

    def _cadence(self, league: League) -> float:
        now = time.time()
        cfg = self.config
        games = [g for t in self.tracked[league.league] for g in self.games_of(t)]
        soon = [g.start.timestamp() - now for g in games if g.state is GameState.PRE]
        if any(g.state is GameState.IN for g in games) or any(-3600 < s < 60 for s in soon):
            base = cfg.live_poll_s
        elif any(s < 1800 for s in soon if s > -3600) or self._recently_ended(games, now):
            base = cfg.pregame_poll_s
        elif any(s < 12 * 3600 for s in soon if s > 0):
            base = cfg.day_poll_s
        else:
            base = cfg.idle_poll_s
        return base * random.uniform(0.9, 1.1)

    def _recently_ended(self, games: list[Game], now: float) -> bool:
        for g in games:
            t = self._trackers.get(g.game_id)
            if t is not None and t.post_at is not None and now - t.post_at < POST_FOLLOW_S:
                return True
        return False

    # -- detection and storage ---------------------------------------------------------------------

    async def _process(self, league: League, games: list[Game], fetched_at: float) -> None:
        assert self.store is not None and self.webhooks is not None
        now = time.time()
        teams = {t.info.id: t for t in self.tracked[league.league]}
        # Two scoreboard days can list the same game: the later answer wins.
        unique = {g.game_id: g for g in games if g.home.team_id in teams or g.away.team_id in teams}
        relevant = list(unique.values())
        trackers: dict[str, Tracker] = {}
        stored, timeline, events = [], [], []
        lines: list[str] = []  # InfluxDB points, when enabled: one per timeline row and per event
        for game in relevant:
            tracker, fired = detect(self._trackers.get(game.game_id), game, now, self.config.confirm_polls)
            trackers[game.game_id] = tracker
            stored.append(_stored(game, tracker))
            row = _timeline_row(game, now)
            if _row_key(row) != self._last_row.get(game.game_id):
                timeline.append(row)
                if self.influx is not None:
                    lines.append(game_line(game, now))
            mine = [teams[i] for i in (game.home.team_id, game.away.team_id) if i in teams]
            keys = [t.key for t in mine]
            hold = max(t.spoiler_delay_s for t in mine)
            for ev in fired:
                body = orjson.dumps(event_json(ev, keys, fetched_at))
                hooks = tuple((h.id, now + hold) for h in self.webhooks.cached if h.wants(ev.type, keys))
                point = game_line(game, now, ev.type) if self.influx is not None else None
                events.append(
                    NewEvent(ev.event_uid, game.game_id, ev.type, ev.sequence, now, body, hooks, point)
                )
        fresh = await self.store.record_poll(stored, timeline, events, lines)
        if self.influx is not None and (lines or fresh):
            self.influx.wake()
        # Only after the commit: a failed write leaves the trackers as they were, so the next poll
        # detects the same events again (same uids) instead of losing them.
        self._trackers.update(trackers)
        self._last_row.update((r.game_id, _row_key(r)) for r in timeline)
        self._games[league.league].update((g.game_id, g) for g in relevant)
        self._remember(relevant, now)
        self._prune(league.league)
        self.events_fired += len(fresh)
        for new in fresh:
            self._last_event[new.game_id] = (new.type, new.occurred_at)
            for hook_id, _ in new.deliveries:
                self.webhooks.dispatcher.wake(hook_id)
            if self.bus is not None:
                self.bus.publish(TOPIC_EVENT, orjson.loads(new.payload))
            fields = {"event_uid": new.event_uid}
            _LOGGER.info("sports event %s %s", new.type, new.game_id, extra={"fields": fields})

    def _remember(self, games: list[Game], now: float) -> None:
        """Recent sightings of each game, for spoiler-delayed views (at most the longest delay)."""
        for game in games:
            seen = self._recent.setdefault(game.game_id, deque())
            seen.append((now, game))
            while len(seen) > 1 and seen[1][0] <= now - MAX_SPOILER_DELAY_S:
                seen.popleft()

    def _prune(self, league: str) -> None:
        cutoff = datetime.now(UTC) - timedelta(days=3)
        games = self._games[league]
        for gid in [gid for gid, g in games.items() if g.start < cutoff and g.state is not GameState.IN]:
            del games[gid]
            self._recent.pop(gid, None)

    async def recent_events(self, limit: int = 50) -> list[dict[str, Any]]:
        assert self.store is not None
        return await self.store.recent_events(limit)


def _same_ref(team: TrackedTeam, ref: TeamRef) -> bool:
    return team.league == ref.league and ref.key in (team.info.id, team.info.abbr.upper())


def _stored(game: Game, tracker: Tracker | None) -> StoredGame:
    winner = "home" if game.home.winner else "away" if game.away.winner else None
    return StoredGame(
        game.game_id,
        game.league,
        game.event_id,
        game.start.timestamp(),
        game.season,
        str(game.state),
        game.completed,
        game.home.team_id,
        game.away.team_id,
        game.scores[0],
        game.scores[1],
        winner,
        orjson.dumps(game_json(game)),
        None if tracker is None else orjson.dumps(tracker.to_json()),
    )


def _timeline_row(game: Game, now: float) -> TimelineRow:
    return TimelineRow(
        game.game_id,
        now,
        str(game.state),
        game.period,
        game.clock,
        game.scores[0],
        game.scores[1],
        game.win_prob_home,
        game.last_play,
    )


def _row_key(row: TimelineRow) -> tuple[Any, ...]:
    """A timeline row is written only when one of these changed (the clock alone does not count)."""
    return (row.state, row.period, row.home_score, row.away_score, row.win_prob_home, row.last_play)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2] if values else 0.0


def webhook_public(hook: Webhook) -> dict[str, Any]:
    """A webhook as the API shows it: never its secret."""
    return {
        "id": hook.id,
        "url": hook.url,
        "event_types": list(hook.event_types),
        "teams": list(hook.teams),
        "enabled": hook.enabled,
        "description": hook.description,
        "created_at": hook.created_at,
        "updated_at": hook.updated_at,
    }
