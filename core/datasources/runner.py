"""One source's moving parts (provider, schedule, breaker, cache) and the status the card, the API
and the engine's own status derive from them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from core.datasources.cache import SeriesCache
from core.datasources.choice import Choice
from core.datasources.model import Source, SourceState, SourceStatus
from core.datasources.providers.base import Provider
from core.datasources.schedule import Breaker


@dataclass(slots=True)
class Runner:
    """One source's provider, schedule and cache."""

    choice: Choice
    provider: Provider | None
    breaker: Breaker
    cache: SeriesCache = field(default_factory=SeriesCache)
    next_fetch: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    waiting: str | None = None  # "not published yet" message
    rate_limited_until: datetime | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    fetching: asyncio.Lock = field(default_factory=asyncio.Lock)


def runner_status(source: Source, runner: Runner, now: datetime, *, demo: bool) -> SourceStatus:
    has_data = runner.cache.slot_count > 0 or bool(runner.cache.current)
    limited = (
        runner.rate_limited_until if runner.rate_limited_until and runner.rate_limited_until > now else None
    )
    if runner.provider is None:
        state, detail = SourceState.DISABLED, runner.choice.reason
    elif limited is not None:
        state, detail = SourceState.RATE_LIMITED, "rate limited by the provider"
    elif runner.last_error is not None:
        state = SourceState.STALE if has_data else SourceState.ERROR
        detail = "showing cached data" if has_data else "no data"
    elif runner.waiting is not None:
        state, detail = SourceState.WAITING, runner.waiting
    elif runner.last_success is not None:
        state, detail = SourceState.OK, runner.choice.reason
    else:
        state, detail = SourceState.NEVER, "first fetch pending"
    if demo and runner.provider is not None:
        detail = f"{detail}; demo server (simulated values)"
    return SourceStatus(
        source=source,
        provider=runner.choice.provider,
        enabled=runner.provider is not None,
        state=state,
        detail=detail,
        last_success=runner.last_success,
        data_age_s=None if runner.last_success is None else (now - runner.last_success).total_seconds(),
        next_fetch=runner.next_fetch if runner.provider else None,
        last_error=runner.last_error,
        last_error_at=runner.last_error_at,
        rate_limited_until=limited,
        circuit_open=runner.breaker.is_open(now),
        failures=runner.breaker.failures,
        slots=runner.cache.slot_count,
        covers_until=max((s[-1].end for s in runner.cache.series.values() if s), default=None),
    )
