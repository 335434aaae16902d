"""What a write can fail with, and how the sender reacts to each.

Messages are plain sentences for the status line and the log. They are built from status codes,
response headers and server messages only: never from credentials.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson


class InfluxError(Exception):
    """Base: `message` is safe to show and log."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Unreachable(InfluxError):
    """Network error, timeout, 5xx/429, or a server-side config problem: back off, keep everything."""


class AuthRejected(InfluxError):
    """401/403: keep everything, retry slowly until the credentials are fixed."""


class WrongApiVersion(InfluxError):
    """The server does not have the configured API (e.g. 404 on /api/v2/write from InfluxDB 1.6)."""


class PointsRejected(InfluxError):
    """400/413/422: some points are bad (field-type conflict, parse error, too large)."""

    def __init__(self, message: str, status: int, body: str) -> None:
        super().__init__(message, status)
        self.body = body


def server_message(body: str) -> str:
    """The error text from an InfluxDB response body: 1.x `{"error"}`, 2.x `{"message"}`, or the raw text."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.strip()[:500]
    if isinstance(data, dict):
        for key in ("error", "message"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return body.strip()[:500]


def server_version(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "x-influxdb-version":
            return value
    return None


def wrong_version_message(path: str, configured: int, version: str | None) -> str:
    """The plain answer to "why does nothing arrive" when the API version is wrong."""
    head = f"this server answers 404 on {path}"
    if version is None:
        return f"{head} and sends no X-Influxdb-Version header: it is not InfluxDB (check the URL)"
    major = version.lstrip("v").split(".")[0]
    if configured == 2 and major == "1":
        return f"{head}: it is InfluxDB {version}, a 1.x before 1.8 without the v2 API; set api_version = 1"
    if configured == 1 and major in ("2", "3"):
        return (
            f"{head}: it is InfluxDB {version}; set api_version = 2 (org, bucket, token), "
            "or map the database with a DBRP mapping for the v1 API"
        )
    return f"{head}: InfluxDB {version} does not offer api_version = {configured} here"


def classify_status(status: int, body: str, what: str) -> InfluxError:
    """Map a non-2xx, non-404 response to the error the sender acts on."""
    msg = server_message(body)
    if status in (401, 403):
        return AuthRejected(f"{what}: HTTP {status}, the server refused the credentials ({msg})", status)
    if status in (400, 413, 422):
        return PointsRejected(f"{what}: HTTP {status}: {msg}", status, body)
    return Unreachable(f"{what}: HTTP {status}: {msg}", status)
