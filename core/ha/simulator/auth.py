"""The auth phase messages and AUTH_MESSAGE_SCHEMA, with HA's exact error texts."""

from __future__ import annotations

from typing import Any

import orjson

from core.ha.simulator.schema import Key, SchemaError, is_str, literal, validate

INVALID_TOKEN = "Invalid access token or password"
FORMAT_ERROR_PREFIX = "Auth message incorrectly formatted: "

# vol.Schema({Required("type"): "auth", Exclusive("api_password", "auth"): str,
#             Exclusive("access_token", "auth"): str})
_AUTH_KEYS = (
    Key("type", literal("auth"), required=True),
    Key("api_password", is_str),
    Key("access_token", is_str),
)


def auth_required(ha_version: str) -> bytes:
    """Return the first message of every connection."""
    return orjson.dumps({"type": "auth_required", "ha_version": ha_version})


def auth_ok(ha_version: str) -> bytes:
    """Return the success message."""
    return orjson.dumps({"type": "auth_ok", "ha_version": ha_version})


def auth_invalid(message: str) -> bytes:
    """Return a failure message; the server closes the socket after sending it."""
    return orjson.dumps({"type": "auth_invalid", "message": message})


def schema_error(msg: Any) -> str | None:
    """Return the humanized schema error of an auth message, or None when it is well formed."""
    if isinstance(msg, dict) and "api_password" in msg and "access_token" in msg:
        # voluptuous checks Exclusive groups before the keys and stops there; the path is the group.
        return "two or more values in the same group of exclusion 'auth' @ data[<auth>]. Got None"
    try:
        validate(msg, _AUTH_KEYS)
    except SchemaError as err:
        return str(err)
    return None
