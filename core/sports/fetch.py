"""HTTP to ESPN's site API with the failure kinds users need to see told apart: a blocked client,
a rejected request, rate limiting, a server error, a timeout, no route. ESPN errors must never look
like "no game", so every failure raises `FetchError` and the caller keeps its last good data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from core.sports.teams import League

# ESPN truncates silently beyond ~500; a full page is treated as possibly truncated.
PAGE_LIMIT = 500


class FetchError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        # source_blocked | bad_request | rate_limited | server_error | timeout | unreachable | bad_response
        self.kind = kind


def _kind(status: int) -> str:
    if status in (401, 403):
        return "source_blocked"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server_error"
    return "bad_request"


@dataclass(frozen=True, slots=True)
class Fetched:
    data: Any
    url: str
    fetched_at: float
    ms: float


class EspnClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, timeout_s: float) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.requests = 0

    async def get(self, league: League, path: str, params: dict[str, str] | None = None) -> Fetched:
        url = f"{self.base_url}/{league.path}/{path}"
        started = time.perf_counter()
        self.requests += 1
        try:
            async with self.session.get(url, params=params, timeout=self.timeout) as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise FetchError(_kind(resp.status), f"HTTP {resp.status} from {league.path}/{path}")
        except TimeoutError:
            raise FetchError(
                "timeout", f"no answer from {league.path}/{path} in {self.timeout.total:g} s"
            ) from None
        except aiohttp.ClientError as err:
            raise FetchError(
                "unreachable", f"{league.path}/{path}: {type(err).__name__}: {err}"[:300]
            ) from None
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise FetchError("bad_response", f"{league.path}/{path} did not return JSON") from None
        return Fetched(data, url, time.time(), (time.perf_counter() - started) * 1000)

    async def scoreboard(self, league: League, day: str) -> Fetched:
        return await self.get(league, "scoreboard", {"dates": day, "limit": str(PAGE_LIMIT)})

    async def teams(self, league: League) -> Fetched:
        return await self.get(league, "teams", {"limit": "1000"})

    async def schedule(self, league: League, team_id: str) -> Fetched:
        return await self.get(league, f"teams/{team_id}/schedule")
