"""InfluxDB 1.x API: POST /write?db=&rp=&precision=ns over aiohttp (optional basic auth), InfluxQL on /query.

Also the way to write to VictoriaMetrics' /write and to InfluxDB 2.x/3.x's v1 compatibility API.
A missing database is created with a 30-day retention policy as its default; an existing
database and its policies are never touched.
"""

from __future__ import annotations

import base64
import logging
from typing import Final

import aiohttp

from core.config import InfluxConfig
from core.influx.errors import (
    AuthRejected,
    Unreachable,
    WrongApiVersion,
    classify_status,
    server_message,
    server_version,
    wrong_version_message,
)
from core.influx.writer import Series, describe, influxql, new_session, safe_url, target_of

log = logging.getLogger(__name__)

DEFAULT_RP_NAME: Final = "ha_30d"
DEFAULT_RP_DURATION: Final = "30d"


def basic_auth_header(username: str, password: str) -> dict[str, str]:
    if not username:
        return {}
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def quote_ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class WriterV1:
    api_version = 1

    def __init__(self, config: InfluxConfig) -> None:
        self._config = config
        self._url = config.url.rstrip("/")
        self._headers = basic_auth_header(config.username, config.password)
        self._params = {"db": config.database, "precision": "ns"}
        if config.retention_policy:
            self._params["rp"] = config.retention_policy
        self._session: aiohttp.ClientSession | None = None
        self.target = target_of(config, 1)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = new_session(self._config)
        return self._session

    async def prepare(self) -> None:
        """Create the database (with a 30-day default retention policy) when it does not exist."""
        names = {
            row[0] for s in await self.query("SHOW DATABASES", epoch=None) for row in s.get("values") or []
        }
        if self._config.database not in names:
            try:
                await self.create_database()
            except AuthRejected as err:  # a non-admin user may still write to a database it cannot list
                log.warning(
                    "cannot create InfluxDB database %s (%s); trying to write anyway", self.target, err
                )

    async def create_database(self) -> None:
        rp = self._config.retention_policy or DEFAULT_RP_NAME
        statement = (
            f"CREATE DATABASE {quote_ident(self._config.database)} "
            f"WITH DURATION {DEFAULT_RP_DURATION} REPLICATION 1 NAME {quote_ident(rp)}"
        )
        await self.query(statement, epoch=None)
        log.info("created InfluxDB database %s with default retention policy %s (%s)", self.target, rp, "30d")

    async def write(self, body: bytes) -> None:
        status, text, headers = await self._post(body)
        if status == 404 and "database not found" in text:
            await self.create_database()
            status, text, headers = await self._post(body)
        if status < 300:
            return
        if status == 404:
            version = server_version(headers)
            message = server_message(text) if version else ""
            if message and "page not found" not in message:  # 2.x/3.x v1 compat: e.g. no DBRP mapping
                raise Unreachable(f"write to {self.target}: HTTP 404: {message}", 404)
            raise WrongApiVersion(wrong_version_message("/write", 1, version), 404)
        raise classify_status(status, text, f"write to {self.target}")

    async def _post(self, body: bytes) -> tuple[int, str, dict[str, str]]:
        try:
            async with self._http().post(
                f"{self._url}/write",
                params=self._params,
                data=body,
                headers={**self._headers, "Content-Type": "text/plain; charset=utf-8"},
            ) as resp:
                text = "" if resp.status == 204 else await resp.text()
                return resp.status, text, dict(resp.headers)
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise Unreachable(f"cannot reach {safe_url(self._url)}: {describe(err)}") from None

    async def query(self, influxql_text: str, *, epoch: str | None = "ns") -> list[Series]:
        params = {"db": self._config.database}
        if self._config.retention_policy:
            params["rp"] = self._config.retention_policy
        if epoch:
            params["epoch"] = epoch
        return await influxql(
            self._http(), self._url, influxql_text, params, api_version=1, headers=self._headers
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
