"""The read-only InfluxDB connection test (core.influx.check) and the Test buttons' adapter, on real servers.

What each server truly supports, as these tests pin it down:
* influxd 1.6.7: /ping with X-Influxdb-Version, SHOW DATABASES / SHOW USERS / SHOW RETENTION POLICIES;
  no v2 API at all (404 on /api/v2/buckets and /api/v2/write): api_version = 2 is a wrong version.
* victoria-metrics: /ping answers 204 without X-Influxdb-Version; /api/v2/buckets answers 400
  ("unsupported path"), a body-less GET on /api/v2/write answers 204. So it accepts v2 writes but
  nothing about org or bucket can be checked without writing: ok, but not verified. On the v1 API
  it takes any database name (its SHOW DATABASES is a fixed list), so that is not verified either.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from app.connection_check import CheckFailed
from app.connection_check import check_influx as button_check
from core.config import InfluxConfig
from core.influx.check import check_influx
from tests.influx_servers import ADMIN_PASSWORD, ADMIN_USER, InfluxdServer, VictoriaServer, free_port

WRONG_PASSWORD = "wrong-secret-7f3a"


def databases(server: InfluxdServer) -> set[str]:
    return {row[0] for s in server.query("SHOW DATABASES") for row in s.get("values") or []}


@pytest.fixture
def user(influxd_auth: InfluxdServer, influx_db: str) -> Iterator[str]:
    """A non-admin user of the auth-enabled server, unique to the test, dropped afterwards."""
    name = "u_" + influx_db
    influxd_auth.query(f"CREATE USER {name} WITH PASSWORD 'user-pw-1'")
    yield name
    influxd_auth.query(f"DROP USER {name}")


@pytest.mark.influx
async def test_v1_missing_database_is_reported_and_not_created(
    influxd: InfluxdServer, influx_db: str
) -> None:
    result = await check_influx(InfluxConfig(url=influxd.url, database=influx_db))
    assert result.ok and result.verified
    assert result.detail == (
        f"database {influx_db} does not exist yet: it will be created on the first write "
        "(the server does not check credentials)"
    )
    assert result.server_version == "1.6.7~rc0" and result.api_version == 1
    assert result.target == f"{influxd.url} db={influx_db}"
    assert influx_db not in databases(influxd)  # the test changed nothing on the server


@pytest.mark.influx
async def test_v1_existing_database_and_retention_policy(influxd: InfluxdServer, influx_db: str) -> None:
    influxd.query(f'CREATE DATABASE "{influx_db}"')
    config = InfluxConfig(url=influxd.url, database=influx_db)
    try:
        result = await check_influx(config)
        assert (result.ok, result.verified, result.detail) == (True, True, f"database {influx_db} exists")
        result = await check_influx(replace(config, retention_policy="autogen"))
        assert result.ok and result.detail == f"database {influx_db} exists with retention policy autogen"
        result = await check_influx(replace(config, retention_policy="ha_missing"))
        assert not result.ok and "has no retention policy ha_missing: writes to it will fail" in result.detail
        assert result.target.endswith(f"db={influx_db} rp=ha_missing")
    finally:
        influxd.query(f'DROP DATABASE "{influx_db}"')


@pytest.mark.influx
async def test_v1_wrong_password_is_an_authentication_failure_without_the_secret(
    influxd_auth: InfluxdServer, influx_db: str
) -> None:
    config = InfluxConfig(
        url=influxd_auth.url, database=influx_db, username=ADMIN_USER, password=WRONG_PASSWORD
    )
    result = await check_influx(config)
    assert not result.ok
    assert result.detail.startswith(f"authentication failed (user {ADMIN_USER}): ")
    assert "HTTP 401" in result.detail and "authorization failed" in result.detail
    assert WRONG_PASSWORD not in repr(result)
    with pytest.raises(CheckFailed) as failed:
        await button_check(config)
    assert str(failed.value) == result.detail
    assert WRONG_PASSWORD not in str(failed.value)

    result = await check_influx(replace(config, username=""))
    assert not result.ok and result.detail.startswith("authentication failed (no username configured): ")


@pytest.mark.influx
async def test_v1_admin_may_create_the_missing_database(influxd_auth: InfluxdServer, influx_db: str) -> None:
    config = InfluxConfig(
        url=influxd_auth.url, database=influx_db, username=ADMIN_USER, password=ADMIN_PASSWORD
    )
    result = await check_influx(config)
    assert result.ok and result.detail.endswith(
        f"created on the first write (user {ADMIN_USER} has admin rights)"
    )
    assert influx_db not in databases(influxd_auth)


@pytest.mark.influx
async def test_v1_non_admin_user(influxd_auth: InfluxdServer, influx_db: str, user: str) -> None:
    config = InfluxConfig(url=influxd_auth.url, database=influx_db, username=user, password="user-pw-1")
    result = await check_influx(config)  # SHOW USERS answers 403: it could not CREATE DATABASE either
    assert (result.ok, result.verified) == (False, True)
    assert result.detail == (
        f"database {influx_db} is not visible to user {user}: it does not exist or the user has no "
        f"privileges on it, and it will not be created (user {user} has no admin rights)"
    )
    influxd_auth.query(f'CREATE DATABASE "{influx_db}"')
    try:
        influxd_auth.query(f'GRANT WRITE ON "{influx_db}" TO {user}')
        # write-only: SHOW DATABASES lists the database, SHOW RETENTION POLICIES answers 403
        result = await check_influx(replace(config, retention_policy="autogen"))
        assert result.ok and result.detail == (
            f"database {influx_db} exists; retention policy autogen cannot be checked "
            f"(no READ on {influx_db})"
        )
    finally:
        influxd_auth.query(f'DROP DATABASE "{influx_db}"')


@pytest.mark.parametrize("api_version", [1, 2])
async def test_closed_port_is_unreachable_within_the_timeout(api_version: int) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # bound, then released: nothing listens there
    started = time.monotonic()
    result = await check_influx(
        InfluxConfig(api_version=api_version, url=url, org="o", bucket="b", token="t"), timeout_s=2.0
    )
    assert time.monotonic() - started < 2.0
    assert not result.ok and result.server_version is None
    assert (
        result.detail
        == f"cannot reach {url}: connection refused (is the server running, and is the port right?)"
    )


async def test_silent_server_times_out_within_the_timeout() -> None:
    with socket.socket() as listener:  # accepts connections (kernel backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        result = await check_influx(InfluxConfig(url=url), timeout_s=0.5)
        elapsed = time.monotonic() - started
    assert 0.4 < elapsed < 1.5
    assert not result.ok and result.detail.startswith(f"cannot reach {url}: no answer")


@pytest.mark.influx
async def test_v2_against_influxdb_16_is_a_wrong_version(influxd: InfluxdServer) -> None:
    config = InfluxConfig(api_version=2, url=influxd.url, org="o", bucket="b", token="tok-secret-1")
    result = await check_influx(config)
    assert not result.ok and result.server_version == "1.6.7~rc0"
    assert result.detail == (
        "wrong API version: this server answers 404 on /api/v2/write: it is InfluxDB 1.6.7~rc0, "
        "a 1.x before 1.8 without the v2 API; set api_version = 1"
    )
    assert result.target == f"{influxd.url} org=o bucket=b"


@pytest.mark.victoria
async def test_v2_against_victoria_metrics_cannot_verify_the_bucket(victoria: VictoriaServer) -> None:
    everything = '{__name__=~".+"}'
    before = victoria.export(everything)
    config = InfluxConfig(api_version=2, url=victoria.url, org="o", bucket="b", token="tok-secret-1")
    result = await check_influx(config)
    assert (result.ok, result.verified, result.server_version) == (True, False, None)
    assert result.detail == (
        "this server (no X-Influxdb-Version header on /ping, so not InfluxDB; e.g. VictoriaMetrics) serves "
        "/api/v2/write but has no bucket API (HTTP 400 on /api/v2/buckets): org and bucket cannot be "
        "verified without writing"
    )
    text = await button_check(config)
    assert text.startswith(f"reachable: {victoria.url} org=o bucket=b (API v2): {result.detail}")
    assert text.endswith(" (not enabled: turn influxdb.enabled on to send)")
    assert victoria.export(everything) == before  # nothing was written


@pytest.mark.victoria
async def test_v1_against_victoria_metrics_cannot_verify_the_database(victoria: VictoriaServer) -> None:
    result = await check_influx(InfluxConfig(url=victoria.url, database="anything"))
    assert (result.ok, result.verified, result.server_version) == (True, False, None)
    assert result.detail.endswith("takes any database name: anything cannot be verified without writing")


@pytest.mark.influx
async def test_button_text_on_success(influxd: InfluxdServer, influx_db: str) -> None:
    text = await button_check(InfluxConfig(enabled=True, url=influxd.url, database=influx_db))
    assert text == (
        f"reachable: {influxd.url} db={influx_db} (API v1, InfluxDB 1.6.7~rc0): database {influx_db} "
        "does not exist yet: it will be created on the first write (the server does not check credentials)"
    )
    assert influx_db not in databases(influxd)
