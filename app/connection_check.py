"""The Test buttons (setup screen, Configuration tab): thin adapters over core's own connection checks.

Each coroutine returns a one-line success text or raises with core's exact failure message.
"""

from __future__ import annotations

from typing import Any

from core.config import AppConfig, InfluxConfig

TIMEOUT_S = 10.0


class CheckFailed(Exception):
    """A connection test that reached a verdict: the message is what went wrong."""


async def check_home_assistant(url: str, token: str, verify_ssl: bool = True, ca_cert: str = "") -> str:
    from core.ha.client import HAClient

    if not url:
        raise CheckFailed("no URL given")
    if not token:
        raise CheckFailed("no access token given")
    result = await HAClient.test_connection(url, token, TIMEOUT_S, verify_ssl=verify_ssl, ca_cert=ca_cert)
    if not result.ok:
        raise CheckFailed(result.error or "failed")
    version = result.ha_version or "(version unknown)"
    return f"connected to Home Assistant {version}, {result.entity_count} entities"


async def check_ha_form(config: AppConfig, raw: dict[str, Any]) -> str:
    """Test the Home Assistant section as typed in the form (an untouched token keeps the saved one)."""
    token = raw.get("token") or config.home_assistant.token
    url, verify_ssl = str(raw.get("url", "")), bool(raw.get("verify_ssl", True))
    return await check_home_assistant(url, str(token), verify_ssl, str(raw.get("ca_cert") or ""))


async def check_influx(config: InfluxConfig) -> str:
    """Read-only (core.influx.check): unlike the writer's prepare(), never creates the database."""
    from core.influx.check import check_influx as check

    result = await check(config, TIMEOUT_S)
    if not result.ok:
        raise CheckFailed(result.detail)
    server = f", InfluxDB {result.server_version}" if result.server_version else ""
    state = "" if config.enabled else " (not enabled: turn influxdb.enabled on to send)"
    return f"reachable: {result.target} (API v{result.api_version}{server}): {result.detail}{state}"
