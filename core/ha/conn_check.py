"""The GUI's "Test" button: really connect, authenticate, get_states and close, then say what happened."""

from __future__ import annotations

import asyncio

from core.config import HomeAssistantConfig
from core.ha.connection import AuthInvalid, HAConnection
from core.ha.errors import describe_error
from core.ha.info import ConnectionTest, safe_url


async def check_connection(
    url: str, token: str, timeout: float = 10.0, *, verify_ssl: bool = True, ca_cert: str = ""
) -> ConnectionTest:
    """Connect, authenticate, get_states, close; on failure `error` says exactly what went wrong.

    TLS is checked exactly as the client does it (same verify_ssl / ca_cert policy and messages)."""
    ws_url = HomeAssistantConfig(url=url).websocket_url
    try:
        async with asyncio.timeout(timeout):
            conn = await HAConnection.open(
                ws_url, token, timeout_s=timeout, verify_ssl=verify_ssl, ca_cert=ca_cert
            )
            try:
                states = await conn.command({"type": "get_states"})
            finally:
                await conn.close()
    except AuthInvalid as err:
        return ConnectionTest(False, error=f"Authentication failed: {err}")
    except TimeoutError:
        return ConnectionTest(False, error=f"Timed out after {timeout:g} s talking to {safe_url(ws_url)}")
    except Exception as err:
        return ConnectionTest(False, error=describe_error(err, token, safe_url(ws_url)))
    count = len(states) if isinstance(states, list) else 0
    return ConnectionTest(True, ha_version=conn.ha_version or None, entity_count=count)
