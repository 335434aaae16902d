"""Creating, changing, deleting and testing webhooks. The secret is generated when not given,
returned once by `create`, registered with the log redaction, and never shown again.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from urllib.parse import urlsplit

import aiohttp
import orjson

from core.logs import register_secret
from core.sports.store import LogEntry, SportsStore, Webhook
from core.sports.webhooks import AttemptResult, Dispatcher, new_secret, post

EVENT_TYPES = (
    "game_started",
    "score_changed",
    "period_changed",
    "halftime",
    "overtime_started",
    "lead_change",
    "game_ended",
    "game_postponed",
    "game_canceled",
    "game_suspended",
    "game_delayed",
    "kickoff_soon",
)


class WebhookError(ValueError):
    """A webhook request the user must fix; the message says what."""


def _check(url: str, event_types: list[str], secret: str | None) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise WebhookError(f"url must be an http(s) URL, got {url[:80]!r}")
    unknown = [t for t in event_types if t not in EVENT_TYPES]
    if unknown:
        raise WebhookError(f"unknown event types {unknown}; known: {', '.join(EVENT_TYPES)}")
    if secret is not None and len(secret) < 16:
        raise WebhookError("secret must be at least 16 characters (or leave it out to get a generated one)")


class WebhookAdmin:
    def __init__(
        self, store: SportsStore, dispatcher: Dispatcher, session: aiohttp.ClientSession, timeout_s: float
    ) -> None:
        self.store, self.dispatcher, self.session, self.timeout_s = store, dispatcher, session, timeout_s
        self.cached: list[Webhook] = []  # read by every poll: no query per event

    async def load(self) -> None:
        self.cached = await self.store.webhooks()
        register_secret(*(h.secret for h in self.cached))

    async def create(
        self,
        url: str,
        *,
        event_types: list[str] | None = None,
        teams: list[str] | None = None,
        secret: str | None = None,
        description: str = "",
        enabled: bool = True,
    ) -> tuple[Webhook, str]:
        """The new webhook and its secret (the only time the secret leaves the engine)."""
        _check(url, event_types or [], secret)
        now = time.time()
        secret = secret or new_secret()
        register_secret(secret)
        hook = Webhook(
            f"wh_{secrets.token_hex(8)}",
            url,
            secret,
            tuple(event_types or ()),
            tuple(teams or ()),
            enabled,
            description,
            now,
            now,
        )
        await self.store.save_webhook(hook)
        await self.load()
        self.dispatcher.ensure(hook.id)
        return hook, secret

    async def update(
        self,
        hook_id: str,
        *,
        url: str | None = None,
        event_types: list[str] | None = None,
        teams: list[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> Webhook | None:
        hook = await self.store.webhook(hook_id)
        if hook is None:
            return None
        _check(url or hook.url, event_types if event_types is not None else list(hook.event_types), None)
        hook = replace(
            hook,
            url=url or hook.url,
            updated_at=time.time(),
            event_types=hook.event_types if event_types is None else tuple(event_types),
            teams=hook.teams if teams is None else tuple(teams),
            description=hook.description if description is None else description,
            enabled=hook.enabled if enabled is None else enabled,
        )
        await self.store.save_webhook(hook)
        await self.load()
        self.dispatcher.wake(hook.id)
        return hook

    async def delete(self, hook_id: str) -> bool:
        await self.dispatcher.drop(hook_id)
        found = await self.store.delete_webhook(hook_id)
        await self.load()
        return found

    async def test(self, hook_id: str) -> AttemptResult | None:
        """Send one signed `test` event now (outside the queue) and log the outcome."""
        hook = await self.store.webhook(hook_id)
        if hook is None:
            return None
        uid = f"test-{secrets.token_hex(8)}"
        body = orjson.dumps(
            {
                "event_uid": uid,
                "type": "test",
                "occurred_at": time.time(),
                "detail": "a test delivery from HA Ingestor",
            }
        )
        result = await post(self.session, hook, uid, body, self.timeout_s)
        await self.store.log_test(hook.id, uid, result.code, result.latency_ms, result.error)
        return result

    async def log(self, hook_id: str | None, limit: int = 100) -> list[LogEntry]:
        return await self.store.delivery_log(hook_id, limit)
