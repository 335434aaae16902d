"""InfluxDB 2.x/3.x API: influxdb-client's `InfluxDBClientAsync` write_api with pre-encoded line protocol.

Writes go to POST /api/v2/write (org, bucket, token). Reads use InfluxQL over the v1
compatibility `/query` with `Authorization: Token ...`, db = bucket (2.x needs a DBRP mapping for
the bucket; 3.x answers for the database of that name). InfluxDB 1.x before 1.8 has no v2 API:
it answers 404 on /api/v2/write (while ping() succeeds), which we report as a wrong version.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync
from influxdb_client.domain.write_precision import WritePrecision
from influxdb_client.rest import ApiException

from core.config import InfluxConfig
from core.influx.errors import (
    Unreachable,
    WrongApiVersion,
    classify_status,
    server_message,
    server_version,
    wrong_version_message,
)
from core.influx.writer import (
    Series,
    describe,
    influxql,
    new_session,
    safe_url,
    target_of,
    token_header,
)


class WriterV2:
    api_version = 2

    def __init__(self, config: InfluxConfig) -> None:
        self._config = config
        self._url = config.url.rstrip("/")
        self._client: InfluxDBClientAsync | None = None
        self._session: aiohttp.ClientSession | None = None
        self.target = target_of(config, 2)

    def _write_api(self) -> Any:
        if self._client is None:  # must be created inside the running loop
            self._client = InfluxDBClientAsync(
                url=self._url,
                token=self._config.token,
                org=self._config.org,
                timeout=int(self._config.timeout_s * 1000),
                verify_ssl=self._config.verify_ssl,
                ssl_ca_cert=self._config.ca_cert or None,
            )
        return self._client.write_api()

    async def prepare(self) -> None:
        """An empty write: answers 404 on a server without the v2 API, 401 on a bad token, 204 otherwise."""
        try:
            async with self._http().post(
                f"{self._url}/api/v2/write",
                params={"org": self._config.org, "bucket": self._config.bucket, "precision": "ns"},
                data=b"",
                headers=self._auth_headers(),
            ) as resp:
                text = await resp.text()
                self._raise_for(resp.status, text, resp.headers, only_fatal=True)
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise Unreachable(f"cannot reach {safe_url(self._url)}: {describe(err)}") from None

    async def write(self, body: bytes) -> None:
        try:
            await self._write_api().write(
                bucket=self._config.bucket,
                org=self._config.org,
                record=body,
                write_precision=WritePrecision.NS,
            )
        except ApiException as err:
            text = err.body.decode(errors="replace") if isinstance(err.body, bytes) else str(err.body or "")
            self._raise_for(int(err.status or 0), text, err.headers)
            raise Unreachable(f"write to {self.target}: {err.reason}", err.status) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise Unreachable(f"cannot reach {safe_url(self._url)}: {describe(err)}") from None

    def _raise_for(self, status: int, text: str, headers: Any, *, only_fatal: bool = False) -> None:
        if status < 300:
            return
        what = f"write to {self.target}"
        if status == 404:
            message = server_message(text)
            if "bucket" in message or "organization" in message:  # 2.x: {"code":"not found","message":...}
                raise Unreachable(f"{what}: HTTP 404: {message}", 404)
            raise WrongApiVersion(wrong_version_message("/api/v2/write", 2, server_version(headers)), 404)
        error = classify_status(status, text, what)
        if only_fatal and not isinstance(error, Unreachable) and error.status not in (401, 403):
            return  # e.g. a server that rejects an empty body: the first real write will tell
        raise error

    def _auth_headers(self) -> dict[str, str]:
        return token_header(self._config.token)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = new_session(self._config)
        return self._session

    async def query(self, influxql_text: str, *, epoch: str | None = "ns") -> list[Series]:
        params = {"db": self._config.bucket}
        if epoch:
            params["epoch"] = epoch
        return await influxql(
            self._http(), self._url, influxql_text, params, api_version=2, headers=self._auth_headers()
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()  # type: ignore[no-untyped-call]
            self._client = None
        if self._session is not None:
            await self._session.close()
            self._session = None
