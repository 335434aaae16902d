"""Turn any connection failure into the one line a user needs to fix it (token always masked)."""

from __future__ import annotations

import socket
import ssl

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI, PayloadTooBig

from core.ha.connection import HAError
from core.logs import redact, register_secret


def _describe(err: BaseException, where: str) -> str:
    if isinstance(err, HAError):
        return str(err)
    if isinstance(err, InvalidURI):
        return f"Invalid URL: {err}"
    if isinstance(err, InvalidStatus):
        status = err.response.status_code
        hint = (
            " (is this the Home Assistant address? the path must be /api/websocket)" if status == 404 else ""
        )
        return f"HTTP {status} {err.response.reason_phrase} from {where}{hint}"
    if isinstance(err, InvalidHandshake):
        return f"WebSocket handshake with {where} failed: {err}"
    if isinstance(err, PayloadTooBig):
        return f"A message from Home Assistant was too big: {err}"
    if isinstance(err, ConnectionClosed):
        return f"Connection closed by Home Assistant ({err})"
    if isinstance(err, ssl.SSLCertVerificationError):  # HAConnection.open explains these (core/tls.py)
        return f"TLS certificate of {where} rejected: {err.verify_message}"
    if isinstance(err, ssl.SSLError):
        if err.reason == "WRONG_VERSION_NUMBER":  # a TLS hello answered in plain HTTP
            return f"{where} does not speak TLS on that port: use http:// (or ws://) in the URL"
        return f"TLS error talking to {where}: {err.reason or err}"
    if isinstance(err, socket.gaierror):
        return f"Cannot resolve the host of {where}: {err.strerror or err}"
    if isinstance(err, ConnectionRefusedError):
        return f"Connection refused by {where} (is Home Assistant running on that port?)"
    if isinstance(err, OSError):
        return f"Cannot connect to {where}: {err.strerror or err}"
    if isinstance(err, TimeoutError):
        return f"Timed out talking to {where}"
    return f"{type(err).__name__}: {err}"


def describe_error(err: BaseException, secret: str | None = None, where: str = "Home Assistant") -> str:
    """One line for `err`, with `secret` (the token) masked wherever it might appear."""
    register_secret(secret)
    return redact(_describe(err, where))
