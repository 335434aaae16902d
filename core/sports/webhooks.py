"""Signed webhook deliveries from the durable queue in sports.db.

Each webhook has its own worker task, so a slow or dead receiver delays only its own deliveries,
and polling never waits on any of them (the poll only inserts rows and wakes the worker).
A delivery is marked delivered only after a 2xx; a crash between the send and that update sends it
again after the restart with the same X-Event-Id (at-least-once; receivers drop repeats by id).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass

import aiohttp

from core.sports.store import Delivery, SportsStore, Webhook

_LOGGER = logging.getLogger("core.sports.webhooks")
BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 600.0
BATCH = 20


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """hex HMAC-SHA256 of "{timestamp}.{raw body}" (the receiver recomputes it to verify)."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, header: str, *, now: float, max_age_s: float = 300
) -> bool:
    """What a receiver does: the signature matches and the timestamp is fresh (replays rejected)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > max_age_s:
        return False
    return hmac.compare_digest(header, f"sha256={sign(secret, timestamp, body)}")


def headers_for(secret: str, event_uid: str, body: bytes, now: float) -> dict[str, str]:
    ts = str(int(now))
    return {
        "Content-Type": "application/json",
        "X-Timestamp": ts,
        "X-Signature": f"sha256={sign(secret, ts, body)}",
        "X-Event-Id": event_uid,
    }


def backoff_s(attempt: int) -> float:
    return float(min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, attempt - 1)))


@dataclass(frozen=True, slots=True)
class AttemptResult:
    code: int | None
    latency_ms: float
    error: str | None

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


async def post(
    session: aiohttp.ClientSession, hook: Webhook, uid: str, body: bytes, timeout_s: float
) -> AttemptResult:
    started = time.perf_counter()
    try:
        async with session.post(
            hook.url,
            data=body,
            headers=headers_for(hook.secret, uid, body, time.time()),
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            allow_redirects=False,
        ) as resp:
            await resp.read()
            code, error = resp.status, None if resp.status < 300 else f"HTTP {resp.status}"
    except TimeoutError:
        code, error = None, f"timed out after {timeout_s:g} s"
    except aiohttp.ClientError as err:
        code, error = None, f"{type(err).__name__}: {err}"[:300]
    return AttemptResult(code, (time.perf_counter() - started) * 1000, error)


class Dispatcher:
    """One worker per enabled webhook, draining its due deliveries oldest first."""

    def __init__(
        self, store: SportsStore, session: aiohttp.ClientSession, *, timeout_s: float, max_age_s: float
    ) -> None:
        self.store, self.session = store, session
        self.timeout_s, self.max_age_s = timeout_s, max_age_s
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._wake: dict[str, asyncio.Event] = {}
        self.delivered = 0
        self.failed_attempts = 0
        self.dead = 0

    async def start(self) -> None:
        for hook in await self.store.webhooks():
            self.ensure(hook.id)

    def ensure(self, hook_id: str) -> None:
        if hook_id not in self._workers or self._workers[hook_id].done():
            self._wake[hook_id] = asyncio.Event()
            self._workers[hook_id] = asyncio.create_task(self._run(hook_id), name=f"sports-webhook-{hook_id}")

    def wake(self, hook_id: str) -> None:
        self.ensure(hook_id)
        self._wake[hook_id].set()

    async def drop(self, hook_id: str) -> None:
        task = self._workers.pop(hook_id, None)
        self._wake.pop(hook_id, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop(self) -> None:
        for hook_id in list(self._workers):
            await self.drop(hook_id)

    async def _run(self, hook_id: str) -> None:
        while True:
            try:
                if not await self._drain(hook_id):
                    return
            except Exception:
                # The store failing (disk full...) must not end this webhook's deliveries for good.
                _LOGGER.exception("webhook %s: delivery worker failed; retrying in 5 s", hook_id)
                await asyncio.sleep(5.0)

    async def _drain(self, hook_id: str) -> bool:
        """Send what is due, then sleep until the next is; False once the webhook is gone."""
        hook = await self.store.webhook(hook_id)
        if hook is None:
            return False
        due = await self.store.due(hook_id, time.time(), BATCH) if hook.enabled else []
        for delivery in due:
            await self._attempt(hook, delivery)
        if len(due) < BATCH:
            await self._sleep(hook_id, await self.store.next_due_at(hook_id) if hook.enabled else None)
        return True

    async def _sleep(self, hook_id: str, next_at: float | None) -> None:
        event = self._wake[hook_id]
        timeout = None if next_at is None else max(0.0, next_at - time.time())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        event.clear()

    async def _attempt(self, hook: Webhook, d: Delivery) -> None:
        now = time.time()
        if now - d.created_at > self.max_age_s:
            await self.store.finish_attempt(
                d,
                state="dead",
                next_at=now,
                code=d.last_code,
                latency_ms=None,
                error=f"gave up after {self.max_age_s:g} s: {d.last_error}",
                outcome="dead",
            )
            self.dead += 1
            _LOGGER.warning(
                "webhook %s: delivery of %s dead-lettered after %d attempts", hook.id, d.event_uid, d.attempts
            )
            return
        result = await post(self.session, hook, d.event_uid, d.body, self.timeout_s)
        if result.ok:
            self.delivered += 1
            await self.store.finish_attempt(
                d,
                state="delivered",
                next_at=now,
                code=result.code,
                error=None,
                latency_ms=result.latency_ms,
                outcome="delivered",
            )
            return
        self.failed_attempts += 1
        wait = backoff_s(d.attempts + 1)
        await self.store.finish_attempt(
            d,
            state="pending",
            next_at=time.time() + wait,
            code=result.code,
            error=result.error,
            latency_ms=result.latency_ms,
            outcome="retry",
        )
        _LOGGER.info("webhook %s: %s failed (%s), retry in %.0f s", hook.id, d.event_uid, result.error, wait)
