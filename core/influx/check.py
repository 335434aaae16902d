"""A read-only InfluxDB connection test: what the Test buttons (setup screen, Configuration tab) report.

Unlike `InfluxWriter.prepare()`, nothing here may change the server: pressing Test must never
create a database or write a point, not even an empty batch. Every request is a GET or a read-only
InfluxQL statement:

* API v1: GET /ping (reachability, X-Influxdb-Version), `SHOW DATABASES` (credentials, database);
  when the database is missing, `SHOW USERS` (it needs admin rights, exactly like the
  `CREATE DATABASE` the writer will run on its first write); with a retention policy configured,
  `SHOW RETENTION POLICIES ON <db>`.
* API v2: GET /ping, then GET /api/v2/buckets?org=&name= (token, org, bucket). A server without
  that API (InfluxDB 1.8 and 3.x compatibility endpoints, VictoriaMetrics) gets a body-less GET on
  /api/v2/write, which tells whether the write route exists (405/204) or not (404) and stores
  nothing; org and bucket are then reported as not verifiable without writing.

Messages come from status codes, headers and server messages (core.influx.errors), never from
credentials, and every detail is scrubbed of the password and token before it is returned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import NamedTuple

import aiohttp
import orjson

from core.config import InfluxConfig
from core.influx.errors import (
    AuthRejected,
    InfluxError,
    Unreachable,
    WrongApiVersion,
    classify_status,
    server_message,
    server_version,
    wrong_version_message,
)
from core.influx.writer import Series, describe, influxql, new_session, safe_url, target_of, token_header
from core.influx.writer_v1 import basic_auth_header, quote_ident


@dataclass(frozen=True, slots=True)
class InfluxCheck:
    ok: bool  # nothing found that would make the writes fail
    target: str  # URL without credentials, and the database or org/bucket
    api_version: int
    server_version: str | None  # X-Influxdb-Version of /ping; None: not InfluxDB (e.g. VictoriaMetrics)
    detail: str  # one line for a person; never holds a secret
    verified: bool = False  # the database/bucket itself was checked, not only the server


class _Verdict(NamedTuple):
    ok: bool
    detail: str
    verified: bool = False


async def check_influx(config: InfluxConfig, timeout_s: float = 10.0) -> InfluxCheck:
    """Test `config` read-only; the whole test, not each request, ends within `timeout_s`."""
    config = replace(config, timeout_s=timeout_s)  # new_session's per-request timeout
    probe = _Probe(config)
    try:
        async with asyncio.timeout(timeout_s):
            verdict = await (_check_v2(probe) if config.api_version == 2 else _check_v1(probe))
    except TimeoutError:
        verdict = _Verdict(False, f"cannot reach {safe_url(config.url)}: no answer within {timeout_s:g} s")
    except InfluxError as err:
        verdict = _Verdict(False, _failure(err, config))
    finally:
        await probe.close()
    return InfluxCheck(
        ok=verdict.ok,
        target=target_of(config, config.api_version),
        api_version=config.api_version,
        server_version=probe.version,
        detail=_scrub(verdict.detail, config),
        verified=verdict.verified,
    )


class _Probe:
    """One session and one server: GET requests and read-only InfluxQL, errors as `InfluxError`s."""

    def __init__(self, config: InfluxConfig) -> None:
        self.config = config
        self.url = config.url.rstrip("/")
        self.session = new_session(config)  # honours verify_ssl and ca_cert like the writers
        self.version: str | None = None
        if config.api_version == 2:
            self.headers = token_header(config.token)
        else:
            self.headers = basic_auth_header(config.username, config.password)

    async def get(
        self, path: str, params: dict[str, str] | None = None
    ) -> tuple[int, str, Mapping[str, str]]:
        try:
            async with self.session.get(f"{self.url}{path}", params=params, headers=self.headers) as resp:
                return resp.status, await resp.text(), resp.headers
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise Unreachable(f"cannot reach {safe_url(self.url)}: {_reason(err)}") from None

    async def ping(self) -> None:
        """Reachability and the server's version; 1.8+ with ping-auth-enabled wants the credentials."""
        status, text, headers = await self.get("/ping")
        self.version = server_version(headers)
        if status == 404:
            raise WrongApiVersion(wrong_version_message("/ping", self.config.api_version, self.version), 404)
        if status >= 300:
            raise classify_status(status, text, "ping")

    async def influxql(self, statement: str) -> list[Series]:
        params = {"db": self.config.database} if self.config.database else {}
        return await influxql(self.session, self.url, statement, params, api_version=1, headers=self.headers)

    async def close(self) -> None:
        await self.session.close()


# -- API v1 ---------------------------------------------------------------------------------------------


async def _check_v1(probe: _Probe) -> _Verdict:
    db = probe.config.database
    await probe.ping()
    if not db:
        return _Verdict(False, "no database configured")
    if probe.version is None:  # VictoriaMetrics answers SHOW DATABASES with a fixed fake list
        return _Verdict(
            True, f"{_not_influxdb()} takes any database name: {db} cannot be verified without writing"
        )
    if db in _first_column(await probe.influxql("SHOW DATABASES")):  # non-admins see the ones they may use
        return await _retention_policy(probe)
    return await _missing_database(probe)


async def _missing_database(probe: _Probe) -> _Verdict:
    db, version = probe.config.database, probe.version or ""
    major = version.lstrip("v").split(".")[0]
    if major == "2":  # the v1 API of 2.x only knows databases mapped to buckets
        hint = f"influx v1 dbrp create --db {db} --rp autogen --bucket-id <id> --default"
        return _Verdict(
            False,
            f"database {db} is not mapped on InfluxDB {version}: map it (`{hint}`) or use api_version = 2",
            True,
        )
    if major == "3":
        return _Verdict(
            True, f"database {db} does not exist yet: InfluxDB {version} creates it on the first write"
        )
    can_create, who = await _admin_rights(probe)
    if can_create:
        return _Verdict(
            True, f"database {db} does not exist yet: it will be created on the first write ({who})", True
        )
    return _Verdict(
        False,
        f"database {db} is not visible to user {probe.config.username}: it does not exist or the user has no "
        f"privileges on it, and it will not be created ({who})",
        True,
    )


async def _admin_rights(probe: _Probe) -> tuple[bool, str]:
    """Whether CREATE DATABASE would be allowed, asked with SHOW USERS (which needs the same admin rights)."""
    user = probe.config.username
    try:
        series = await probe.influxql("SHOW USERS")
    except AuthRejected:  # 403: "requires admin privilege"
        return False, f"user {user} has no admin rights"
    admins = {row[0] for s in series for row in s.get("values") or [] if len(row) > 1 and row[1] is True}
    if user and user in admins:
        return True, f"user {user} has admin rights"
    return True, "the server does not check credentials"  # a non-admin gets 403 when it does


async def _retention_policy(probe: _Probe) -> _Verdict:
    db, rp = probe.config.database, probe.config.retention_policy
    if not rp:
        return _Verdict(True, f"database {db} exists", True)
    try:
        policies = _first_column(await probe.influxql(f"SHOW RETENTION POLICIES ON {quote_ident(db)}"))
    except AuthRejected:  # a write-only user may not read the policies
        return _Verdict(
            True, f"database {db} exists; retention policy {rp} cannot be checked (no READ on {db})", True
        )
    if rp in policies:
        return _Verdict(True, f"database {db} exists with retention policy {rp}", True)
    return _Verdict(
        False, f"database {db} exists but has no retention policy {rp}: writes to it will fail", True
    )


# -- API v2 ---------------------------------------------------------------------------------------------


async def _check_v2(probe: _Probe) -> _Verdict:
    config = probe.config
    await probe.ping()
    if not config.bucket:
        return _Verdict(False, "no bucket configured")
    params = {k: v for k, v in (("org", config.org), ("name", config.bucket)) if v}
    status, text, _ = await probe.get("/api/v2/buckets", params)
    if status == 200:
        return _bucket_listed(text, config)
    if status in (401, 403):
        raise classify_status(status, text, "list buckets")
    message = server_message(text)
    if status == 404 and ("organization" in message or "bucket" in message):  # 2.x: the org does not exist
        return _Verdict(False, message, True)
    return await _write_route(probe, f"HTTP {status} on /api/v2/buckets")


def _bucket_listed(text: str, config: InfluxConfig) -> _Verdict:
    """2.x lists only the buckets this token may read: absent is not proof that the bucket is missing."""
    try:
        buckets = orjson.loads(text).get("buckets") or []
    except (orjson.JSONDecodeError, AttributeError):
        buckets = []
    if any(isinstance(b, dict) and b.get("name") == config.bucket for b in buckets):
        return _Verdict(True, f"bucket {config.bucket} found in org {config.org}", True)
    return _Verdict(
        True,
        f"bucket {config.bucket} is not visible to this token in org {config.org}: it does not exist, or the "
        "token may only write to it; this cannot be verified without writing",
    )


async def _write_route(probe: _Probe, why: str) -> _Verdict:
    """No bucket API: is there a /api/v2/write? A GET carries no points (InfluxDB: 405, VM: 204)."""
    status, text, _ = await probe.get("/api/v2/write")
    if status == 404:
        raise WrongApiVersion(wrong_version_message("/api/v2/write", 2, probe.version), 404)
    if status in (401, 403):
        raise classify_status(status, text, "/api/v2/write")
    server = f"InfluxDB {probe.version}" if probe.version else _not_influxdb()
    return _Verdict(
        True,
        f"{server} serves /api/v2/write but has no bucket API ({why}): org and bucket cannot be "
        "verified without writing",
    )


# -- helpers ----------------------------------------------------------------------------------------------


def _first_column(series: list[Series]) -> set[str]:
    return {str(row[0]) for s in series for row in s.get("values") or [] if row}


def _not_influxdb() -> str:
    return "this server (no X-Influxdb-Version header on /ping, so not InfluxDB; e.g. VictoriaMetrics)"


def _failure(err: InfluxError, config: InfluxConfig) -> str:
    if isinstance(err, AuthRejected):
        return f"authentication failed ({_credentials(config)}): {err.message}"
    if isinstance(err, WrongApiVersion):
        return f"wrong API version: {err.message}"
    return err.message


def _credentials(config: InfluxConfig) -> str:
    """Which credentials were refused, by name only: the user may have left them empty."""
    if config.api_version == 2:
        return "token refused" if config.token else "no token configured"
    return f"user {config.username}" if config.username else "no username configured"


def _reason(err: BaseException) -> str:
    if isinstance(err, aiohttp.ClientConnectorError) and isinstance(err.os_error, ConnectionRefusedError):
        return "connection refused (is the server running, and is the port right?)"
    if isinstance(err, TimeoutError):
        return "no answer in time"
    return describe(err)


def _scrub(text: str, config: InfluxConfig) -> str:
    """Last line of defence: no server message or library error may carry a secret to the GUI or log."""
    for secret in (config.password, config.token):
        if len(secret) >= 4:  # replacing a shorter one would garble ordinary words
            text = text.replace(secret, "***")
    return text
