"""The writer interface both API versions implement, the InfluxQL read path they share, and `make_writer`.

Reads use InfluxQL on `/query` for every version: InfluxDB 1.x natively, 2.x through its v1
compatibility API (the bucket needs a DBRP mapping: `influx v1 dbrp create --db <bucket> --rp autogen
--bucket-id <id> --default`), 3.x natively for databases (the bucket name is the database). Flux is
never used: it does not exist on 1.x or 3.x.
"""

from __future__ import annotations

import ssl
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import orjson

from core.config import InfluxConfig
from core.influx.errors import (
    InfluxError,
    Unreachable,
    WrongApiVersion,
    classify_status,
    server_version,
    wrong_version_message,
)

Series = dict[str, Any]  # {"name", "tags"?, "columns", "values"}


class InfluxWriter(Protocol):
    api_version: int
    target: str  # URL and database/bucket, no credentials

    async def prepare(self) -> None:
        """Check the server answers this API version (and, on 1.x, create a missing database)."""

    async def write(self, body: bytes) -> None:
        """POST line protocol (ns precision); raises an `InfluxError` subclass on failure."""

    async def query(self, influxql: str, *, epoch: str | None = "ns") -> list[Series]:
        """Run one InfluxQL statement over /query and return its series."""

    async def close(self) -> None: ...


def make_writer(config: InfluxConfig) -> InfluxWriter:
    if config.api_version == 2:
        from core.influx.writer_v2 import WriterV2

        return WriterV2(config)
    from core.influx.writer_v1 import WriterV1

    return WriterV1(config)


def ssl_option(config: InfluxConfig) -> ssl.SSLContext | bool:
    """aiohttp's `ssl=`: a context trusting `ca_cert`, False to skip verification, True for the default."""
    if not config.url.startswith("https"):
        return True
    if config.ca_cert:
        return ssl.create_default_context(cafile=config.ca_cert)
    return config.verify_ssl


def new_session(config: InfluxConfig) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(ssl=ssl_option(config), limit=4)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=config.timeout_s))


def target_of(config: InfluxConfig, api_version: int) -> str:
    """What a writer sends to, for the status and messages: URL without credentials, database or bucket."""
    url = safe_url(config.url)
    if api_version == 2:
        return f"{url} org={config.org} bucket={config.bucket}"
    rp = f" rp={config.retention_policy}" if config.retention_policy else ""
    return f"{url} db={config.database}{rp}"


def token_header(token: str) -> dict[str, str]:
    """The v2 API's `Authorization: Token ...` (none without a token: the server then says 401)."""
    return {"Authorization": f"Token {token}"} if token else {}


def safe_url(url: str) -> str:
    """The URL for messages and the status: without a user:password@ part, should one be in it."""
    parts = urlsplit(url.rstrip("/"))
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def rows(series: list[Series]) -> list[dict[str, Any]]:
    """Flatten InfluxQL series into dict rows (tags of a GROUP BY are merged into each row)."""
    out: list[dict[str, Any]] = []
    for s in series:
        tags = s.get("tags") or {}
        for values in s.get("values") or []:
            out.append(
                {**tags, **dict(zip(s["columns"], values, strict=True)), "_measurement": s.get("name")}
            )
    return out


async def influxql(
    session: aiohttp.ClientSession,
    url: str,
    statement: str,
    params: dict[str, str],
    *,
    api_version: int,
    headers: dict[str, str] | None = None,
) -> list[Series]:
    """POST one statement to /query (POST works for reads and writes on 1.x, 2.x and 3.x)."""
    what = f"query {statement.split(' ', 1)[0].upper()}"
    try:
        async with session.post(
            f"{url.rstrip('/')}/query", data={"q": statement}, params=params, headers=headers
        ) as resp:
            body = await resp.text()
            if resp.status == 404:
                raise WrongApiVersion(
                    wrong_version_message("/query", api_version, server_version(resp.headers)), 404
                )
            if resp.status >= 300:
                raise classify_status(resp.status, body, what)
    except (aiohttp.ClientError, TimeoutError, OSError) as err:
        raise Unreachable(f"{what}: cannot reach {safe_url(url)}: {describe(err)}") from None
    data = orjson.loads(body)
    results = data.get("results") or [{}]
    if "error" in results[0]:
        raise InfluxError(f"{what}: {results[0]['error']}")
    series: list[Series] = results[0].get("series") or []
    return series


def describe(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text if isinstance(err, aiohttp.ClientError) else f"{type(err).__name__}: {text}".rstrip(": ")
