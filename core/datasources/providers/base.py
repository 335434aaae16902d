"""The one interface every provider implements, and the HTTP call they share (status codes to the
engine's error types, Retry-After honoured, bodies size-capped, keys kept out of messages)."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol

import aiohttp
import orjson

from core.config import DataSourcesConfig
from core.datasources.model import (
    AuthError,
    Fetched,
    Location,
    NotPublished,
    ProviderError,
    RateLimited,
    Source,
)

MAX_BODY_BYTES = 8 * 1024 * 1024
USER_AGENT = "ha-ingestor/0.1 (+https://github.com/ha-ingestor)"


@dataclass(frozen=True, slots=True)
class FetchContext:
    session: aiohttp.ClientSession
    location: Location
    settings: DataSourcesConfig
    base_url: str  # the override, or the provider's default; no trailing slash
    now: datetime  # aware UTC


class Provider(Protocol):
    name: ClassVar[str]
    source: ClassVar[Source]
    default_url: ClassVar[str]
    interval: ClassVar[timedelta]  # the normal polling period

    async def fetch(self, ctx: FetchContext) -> Fetched: ...


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            raise ProviderError(f"HTTP {self.status}: the body is not JSON") from None


def retry_after_s(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


async def request(
    ctx: FetchContext,
    path_or_url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    json_body: Any = None,
    ok_statuses: tuple[int, ...] = (200,),
) -> Response:
    """One call; raises RateLimited (429), NotPublished (204), AuthError (401/403) or ProviderError.
    Messages name the status and the provider's reason, never the URL (it may carry a key)."""
    url = path_or_url if "://" in path_or_url else ctx.base_url + path_or_url
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    timeout = aiohttp.ClientTimeout(total=ctx.settings.timeout_s)
    try:
        async with ctx.session.request(
            method, url, params=params, headers=sent, json=json_body, timeout=timeout
        ) as resp:
            body = await resp.content.read(MAX_BODY_BYTES + 1)
            answer = Response(resp.status, body[:MAX_BODY_BYTES], dict(resp.headers))
    except TimeoutError:
        raise ProviderError(f"no answer within {ctx.settings.timeout_s:g} s") from None
    except aiohttp.ClientError as err:
        raise ProviderError(f"connection failed: {type(err).__name__}") from None
    if answer.status in ok_statuses:
        return answer
    reason = _reason(answer.body)
    if answer.status == 429:
        wait = retry_after_s(answer.headers.get("Retry-After"))
        raise RateLimited(f"HTTP 429 rate limited{reason}", wait)
    if answer.status == 204:
        raise NotPublished("HTTP 204: no data published yet")
    if answer.status in (401, 403):
        raise AuthError(f"HTTP {answer.status}: not authorised{reason}")
    raise ProviderError(f"HTTP {answer.status}{reason}")


def _reason(body: bytes) -> str:
    """A short reason from an error body: Open-Meteo `reason`, OWM/Carbon `message`, else nothing."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    if isinstance(data, dict):
        err = data.get("error")
        text = (
            data.get("reason")
            or data.get("message")
            or (err.get("message") if isinstance(err, dict) else None)
        )
        if isinstance(text, str) and text:
            return f": {text[:160]}"
    return ""


def number(value: Any) -> float | None:
    """A JSON number as float; null, strings and booleans are unknown (None), never 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def per_mwh_to_per_kwh(value: float | None) -> float | None:
    """X currency/MWh = X / 1000 currency/kWh (92.31 EUR/MWh = 0.09231 EUR/kWh = 9.231 ct/kWh)."""
    return None if value is None else value / 1000.0
