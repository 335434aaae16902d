"""Sports API: games (live, history, timeline), a team's schedule with its record, the flat
game status and full context for Home Assistant, and the webhook admin routes (admin key).

Handlers only translate; the engine and `core.sports.views` compute. A webhook's secret appears in
exactly one response, the one that created it.
"""

from __future__ import annotations

from aiohttp import web

from core.api.schemas import ANY_OBJ, BOOL, INT, NUM, STR, arr, nullable, obj
from core.api.spec import Access, JsonDict, Kind, Param, RequestContext, Route
from core.api.validation import BadRequest, NotFound
from core.sports import SPEC
from core.sports.engine import SportsEngine, webhook_public
from core.sports.payload import game_json, iso
from core.sports.store import LogEntry, Webhook
from core.sports.views import game_context, game_status, record_json, record_of, view_for
from core.sports.webhooks_admin import EVENT_TYPES, WebhookAdmin, WebhookError


def _engine(ctx: RequestContext) -> SportsEngine:
    engine = ctx.control.engine(SPEC)
    if engine is None or engine.store is None or engine.webhooks is None:
        raise web.HTTPServiceUnavailable(reason="the sports engine is not running (enable it in [sports])")
    return engine


def _admin(ctx: RequestContext) -> WebhookAdmin:
    admin = _engine(ctx).webhooks
    assert admin is not None
    return admin


# -- games ----------------------------------------------------------------------------------------


async def sports_live(ctx: RequestContext) -> JsonDict:
    games = [game_json(g) for g in _engine(ctx).live_games()]
    return {"games": games, "count": len(games)}


async def sports_history(ctx: RequestContext) -> JsonDict:
    engine, p = _engine(ctx), ctx.params
    assert engine.store is not None
    team_id = p["team"]
    if team_id and not team_id.isdigit():
        found = engine.find_team(p["league"] or "", team_id) if p["league"] else None
        if found is None:
            raise BadRequest("team must be an ESPN team id, or an abbreviation together with league")
        team_id = found.info.id
    games, total = await engine.store.games(
        team_id=team_id,
        league=p["league"],
        season=p["season"],
        state=p["status"],
        limit=p["limit"],
        offset=p["offset"],
    )
    return {"games": games, "count": len(games), "total": total, "offset": p["offset"]}


async def sports_timeline(ctx: RequestContext) -> JsonDict:
    engine = _engine(ctx)
    assert engine.store is not None
    game_id = ctx.params["game_id"]
    stored = await engine.store.game(game_id)
    if stored is None:
        raise NotFound(f"no stored game {game_id!r} (ids look like nfl:401547403:401547403)")
    rows = await engine.store.timeline(game_id)
    return {
        "game": stored.data,
        "timeline": [
            {
                "observed_at": iso(r.observed_at),
                "state": r.state,
                "period": r.period,
                "clock": r.clock,
                "home_score": r.home_score,
                "away_score": r.away_score,
                "win_prob_home": r.win_prob_home,
                "last_play": r.last_play,
            }
            for r in rows
        ],
        "events": await engine.store.events(game_id),
    }


async def sports_schedule(ctx: RequestContext) -> JsonDict:
    engine = _engine(ctx)
    league, team = ctx.params["league"], ctx.params["team"]
    view = view_for(engine, league, team)
    if view is None or view.team is None:
        raise NotFound(f"{league}:{team} is not a tracked team (add it to [sports] teams)")
    assert engine.store is not None
    stored, _ = await engine.store.games(team_id=view.team.info.id, league=league, limit=500)
    upcoming = [game_json(g) for g in view.upcoming]
    return {
        "team": view.team.key,
        "results": [g for g in stored if g["state"] == "post"],
        "upcoming": upcoming,
        "record": record_json(record_of(stored, view.team.info.id)),
    }


# -- Home Assistant -------------------------------------------------------------------------------


async def ha_game_status(ctx: RequestContext) -> JsonDict:
    engine = ctx.control.engine(SPEC)
    return game_status(
        engine if engine is not None and engine.store is not None else None,
        ctx.params["league"].lower(),
        ctx.params["team"],
    )


async def ha_game_context(ctx: RequestContext) -> JsonDict:
    engine = _engine(ctx)
    league, team = ctx.params["league"].lower(), ctx.params["team"]
    view = view_for(engine, league, team)
    if view is None or view.team is None:
        raise NotFound(f"{league}:{team} is not a tracked team (add it to [sports] teams)")
    return await game_context(engine, view)


# -- webhooks -------------------------------------------------------------------------------------


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [t.strip() for t in text.split(",") if t.strip()]


async def _hook_json(ctx: RequestContext, hook: Webhook) -> JsonDict:
    engine = _engine(ctx)
    assert engine.store is not None
    return {
        **webhook_public(hook),
        "created_at": iso(hook.created_at),
        "updated_at": iso(hook.updated_at),
        "deliveries": await engine.store.delivery_counts(hook.id),
    }


async def create_webhook(ctx: RequestContext) -> JsonDict:
    p = ctx.params
    try:
        hook, secret = await _admin(ctx).create(
            p["url"],
            event_types=_split(p["event_types"]),
            teams=_split(p["teams"]),
            secret=p["secret"],
            description=p["description"] or "",
            enabled=p["enabled"] if p["enabled"] is not None else True,
        )
    except WebhookError as err:
        raise BadRequest(str(err)) from None
    return {**await _hook_json(ctx, hook), "secret": secret}


async def list_webhooks(ctx: RequestContext) -> JsonDict:
    hooks = [await _hook_json(ctx, h) for h in await _engine(ctx).store.webhooks()]  # type: ignore[union-attr]
    return {"webhooks": hooks, "count": len(hooks)}


async def _get_hook(ctx: RequestContext) -> Webhook:
    hook = await _engine(ctx).store.webhook(ctx.params["id"])  # type: ignore[union-attr]
    if hook is None:
        raise NotFound(f"no webhook {ctx.params['id']!r}")
    return hook


async def get_webhook(ctx: RequestContext) -> JsonDict:
    return await _hook_json(ctx, await _get_hook(ctx))


async def update_webhook(ctx: RequestContext) -> JsonDict:
    p = ctx.params
    try:
        hook = await _admin(ctx).update(
            p["id"],
            url=p["url"],
            event_types=_split(p["event_types"]),
            teams=_split(p["teams"]),
            description=p["description"],
            enabled=p["enabled"],
        )
    except WebhookError as err:
        raise BadRequest(str(err)) from None
    if hook is None:
        raise NotFound(f"no webhook {p['id']!r}")
    return await _hook_json(ctx, hook)


async def delete_webhook(ctx: RequestContext) -> JsonDict:
    if not await _admin(ctx).delete(ctx.params["id"]):
        raise NotFound(f"no webhook {ctx.params['id']!r}")
    return {"deleted": ctx.params["id"]}


async def test_webhook(ctx: RequestContext) -> JsonDict:
    result = await _admin(ctx).test(ctx.params["id"])
    if result is None:
        raise NotFound(f"no webhook {ctx.params['id']!r}")
    return {
        "ok": result.ok,
        "status_code": result.code,
        "latency_ms": result.latency_ms,
        "error": result.error,
    }


def log_json(e: LogEntry) -> JsonDict:
    return {
        "at": iso(e.at),
        "event_uid": e.event_uid,
        "attempt": e.attempt,
        "status_code": e.status_code,
        "latency_ms": e.latency_ms,
        "error": e.error,
        "outcome": e.outcome,
    }


async def webhook_deliveries(ctx: RequestContext) -> JsonDict:
    hook = await _get_hook(ctx)
    entries = await _admin(ctx).log(hook.id, ctx.params["limit"])
    return {"webhook_id": hook.id, "entries": [log_json(e) for e in entries], "count": len(entries)}


# -- declarations ---------------------------------------------------------------------------------

_SN, _IN, _TN = nullable(STR), nullable(INT), nullable({"type": "string", "format": "date-time"})
GAME: JsonDict = {
    "type": "object",
    "additionalProperties": True,
    "required": ["game_id", "league", "state", "home", "away", "start"],
}
RECORD = obj({"wins": INT, "losses": INT, "ties": INT, "summary": STR, "streak": STR})
WEBHOOK = obj(
    {
        "id": STR,
        "url": STR,
        "event_types": arr(STR),
        "teams": arr(STR),
        "enabled": BOOL,
        "description": STR,
        "created_at": _TN,
        "updated_at": _TN,
        "deliveries": obj({"pending": INT, "delivered": INT, "dead": INT}),
    }
)
WEBHOOK_NEW = {
    **WEBHOOK,
    "properties": {**WEBHOOK["properties"], "secret": STR},
    "required": [*WEBHOOK["required"], "secret"],
}
LOG_ENTRY = obj(
    {
        "at": _TN,
        "event_uid": STR,
        "attempt": INT,
        "status_code": _IN,
        "latency_ms": nullable(NUM),
        "error": _SN,
        "outcome": STR,
    }
)
GAME_STATUS: JsonDict = {
    "type": "object",
    "additionalProperties": True,
    "required": ["state"],
    "properties": {"state": {"type": "string", "enum": ["PRE", "IN", "POST", "NONE"]}},
}


def routes() -> list[Route]:
    hook_id = Param("id", location="path", required=True, max_length=64)
    league = Param(
        "league", location="path", required=True, max_length=64, description="ESPN league: nfl, eng.1"
    )
    team = Param(
        "team", location="path", required=True, max_length=32, description="ESPN team id or abbreviation"
    )
    types = Param(
        "event_types",
        location="body",
        max_length=1000,
        min_length=0,
        description=f"comma-separated; empty = all of {', '.join(EVENT_TYPES)}",
    )
    teams = Param(
        "teams",
        location="body",
        max_length=2000,
        min_length=0,
        description="comma-separated league:team_id keys; empty = every tracked team",
    )
    desc = Param("description", location="body", max_length=200, min_length=0)
    enabled = Param("enabled", Kind.BOOLEAN, location="body")
    url = Param("url", location="body", max_length=2000, description="http(s) URL the events are POSTed to")
    return [
        Route(
            "GET",
            "/api/v1/sports/games/live",
            sports_live,
            Access.DATA,
            "Tracked games in progress",
            "sports",
            obj({"games": arr(GAME), "count": INT}),
        ),
        Route(
            "GET",
            "/api/v1/sports/games/history",
            sports_history,
            Access.DATA,
            "Stored games, newest first",
            "sports",
            obj({"games": arr(GAME), "count": INT, "total": INT, "offset": INT}),
            params=(
                Param("team", max_length=32, description="ESPN team id (or abbreviation with league)"),
                Param("league", max_length=64),
                Param("season", Kind.INTEGER, minimum=1900, maximum=3000),
                Param("status", Kind.ENUM, enum=("pre", "in", "post")),
                Param("limit", Kind.INTEGER, default=50, minimum=1, maximum=500),
                Param("offset", Kind.INTEGER, default=0, minimum=0, maximum=10**6),
            ),
        ),
        Route(
            "GET",
            "/api/v1/sports/games/timeline/{game_id}",
            sports_timeline,
            Access.DATA,
            "A game's change-only score timeline and its events",
            "sports",
            obj({"game": ANY_OBJ, "timeline": arr(ANY_OBJ), "events": arr(ANY_OBJ)}),
            params=(Param("game_id", location="path", required=True, max_length=128),),
            not_found=True,
        ),
        Route(
            "GET",
            "/api/v1/sports/schedule/{league}/{team}",
            sports_schedule,
            Access.DATA,
            "A tracked team's results, next games, W/L record and streak",
            "sports",
            obj({"team": STR, "results": arr(GAME), "upcoming": arr(GAME), "record": RECORD}),
            params=(league, team),
            not_found=True,
        ),
        Route(
            "GET",
            "/api/v1/ha/game-status/{league}/{team}",
            ha_game_status,
            Access.DATA,
            "Flat game status for a REST sensor (state is always PRE, IN, POST or NONE)",
            "sports",
            GAME_STATUS,
            params=(league, team),
        ),
        Route(
            "GET",
            "/api/v1/ha/game-context/{league}/{team}",
            ha_game_context,
            Access.DATA,
            "Everything about a tracked team's game: next games, last result, record, recent events",
            "sports",
            obj(
                {
                    "team": ANY_OBJ,
                    "state": STR,
                    "game": nullable(GAME),
                    "next_games": arr(GAME),
                    "last_result": nullable(GAME),
                    "record": RECORD,
                    "recent_events": arr(ANY_OBJ),
                    "source": ANY_OBJ,
                }
            ),
            params=(league, team),
            not_found=True,
        ),
        Route(
            "POST",
            "/api/v1/webhooks",
            create_webhook,
            Access.ADMIN,
            "Create a webhook",
            "webhooks",
            WEBHOOK_NEW,
            status=201,
            params=(
                Param("url", location="body", required=True, max_length=2000, description=url.description),
                types,
                teams,
                desc,
                enabled,
                Param("secret", location="body", max_length=200, description="generated when left out"),
            ),
            description="The response holds the signing secret; it is never shown again.",
        ),
        Route(
            "GET",
            "/api/v1/webhooks",
            list_webhooks,
            Access.ADMIN,
            "Webhooks (never their secrets)",
            "webhooks",
            obj({"webhooks": arr(WEBHOOK), "count": INT}),
        ),
        Route(
            "GET",
            "/api/v1/webhooks/{id}",
            get_webhook,
            Access.ADMIN,
            "One webhook",
            "webhooks",
            WEBHOOK,
            params=(hook_id,),
            not_found=True,
        ),
        Route(
            "PATCH",
            "/api/v1/webhooks/{id}",
            update_webhook,
            Access.ADMIN,
            "Change a webhook",
            "webhooks",
            WEBHOOK,
            params=(hook_id, url, types, teams, desc, enabled),
            not_found=True,
        ),
        Route(
            "DELETE",
            "/api/v1/webhooks/{id}",
            delete_webhook,
            Access.ADMIN,
            "Delete a webhook",
            "webhooks",
            obj({"deleted": STR}),
            params=(hook_id,),
            not_found=True,
        ),
        Route(
            "POST",
            "/api/v1/webhooks/{id}/test",
            test_webhook,
            Access.ADMIN,
            "Send a signed test event now",
            "webhooks",
            obj({"ok": BOOL, "status_code": _IN, "latency_ms": NUM, "error": _SN}),
            params=(hook_id,),
            not_found=True,
        ),
        Route(
            "GET",
            "/api/v1/webhooks/{id}/deliveries",
            webhook_deliveries,
            Access.ADMIN,
            "A webhook's delivery log, newest first",
            "webhooks",
            obj({"webhook_id": STR, "entries": arr(LOG_ENTRY), "count": INT}),
            params=(hook_id, Param("limit", Kind.INTEGER, default=100, minimum=1, maximum=1000)),
            not_found=True,
        ),
    ]
