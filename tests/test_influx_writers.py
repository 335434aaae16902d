"""The v1 and v2 writers on their own, against real servers."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from core.config import InfluxConfig
from core.influx.errors import AuthRejected, PointsRejected, WrongApiVersion
from core.influx.writer import rows, safe_url
from core.influx.writer_v1 import WriterV1
from core.influx.writer_v2 import WriterV2
from tests.influx_servers import ADMIN_PASSWORD, ADMIN_USER, InfluxdServer, VictoriaServer


def test_safe_url_drops_credentials() -> None:
    assert safe_url("https://user:secret@influx.example:8086/base/") == "https://influx.example:8086/base"


@pytest.mark.influx
async def test_v1_recreates_a_database_dropped_while_running(influxd: InfluxdServer, influx_db: str) -> None:
    writer = WriterV1(InfluxConfig(enabled=True, url=influxd.url, database=influx_db))
    try:
        await writer.prepare()
        influxd.query(f'DROP DATABASE "{influx_db}"')
        await writer.write(f"m,e=a v=1.5 {time.time_ns()}".encode())
        assert len(rows(await writer.query("SELECT * FROM m"))) == 1
    finally:
        await writer.close()


@pytest.mark.influx
async def test_v1_errors_are_classified(influxd_auth: InfluxdServer, influx_db: str) -> None:
    influxd_auth.query(f'CREATE DATABASE "{influx_db}"')
    good = InfluxConfig(enabled=True, url=influxd_auth.url, database=influx_db, username=ADMIN_USER)
    writer = WriterV1(replace(good, password=ADMIN_PASSWORD))
    wrong = WriterV1(replace(good, password="nope"))
    try:
        with pytest.raises(AuthRejected, match="HTTP 401"):
            await wrong.write(b"m v=1")
        with pytest.raises(PointsRejected, match="unable to parse"):
            await writer.write(b"m,e=a v=1 not-a-time")
        await writer.write(f"m,e=a v=2.5 {time.time_ns()}".encode())
    finally:
        await writer.close()
        await wrong.close()


@pytest.mark.influx
async def test_v2_prepare_against_influxdb_16_is_a_wrong_version(influxd: InfluxdServer) -> None:
    writer = WriterV2(
        InfluxConfig(enabled=True, api_version=2, url=influxd.url, org="o", bucket="b", token="t")
    )
    try:
        with pytest.raises(WrongApiVersion, match=r"InfluxDB 1\.6\.7.*set api_version = 1"):
            await writer.prepare()
        with pytest.raises(WrongApiVersion, match="answers 404 on /api/v2/write"):
            await writer.write(f"m v=1 {time.time_ns()}".encode())
    finally:
        await writer.close()


@pytest.mark.victoria
async def test_v2_writes_to_victoria_metrics(victoria: VictoriaServer) -> None:
    config = InfluxConfig(enabled=True, api_version=2, url=victoria.url, org="o", bucket="b", token="t")
    writer = WriterV2(config)
    now_ms = time.time_ns() // 1_000_000
    try:
        await writer.prepare()
        await writer.write(f"wtest,entity_id=sensor.a value=1.25 {now_ms * 1_000_000}".encode())
    finally:
        await writer.close()
    exported = victoria.export_when_visible('{__name__="wtest_value"}')
    assert exported[0]["values"] == [1.25] and exported[0]["timestamps"] == [now_ms]
