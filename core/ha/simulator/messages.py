"""Result and error envelopes (websocket_api/messages.py), encoded to bytes."""

from __future__ import annotations

from typing import Any

import orjson


def result_message(msg_id: int, payload_json: bytes = b"null") -> bytes:
    """{"id":N,"type":"result","success":true,"result":<payload>} from an already encoded payload."""
    return b'{"id":%d,"type":"result","success":true,"result":%s}' % (msg_id, payload_json)


def error_message(msg_id: Any, code: str, message: str) -> bytes:
    """{"id":N,"type":"result","success":false,"error":{"code","message"}}; id may be any JSON value."""
    return orjson.dumps(
        {"id": msg_id, "type": "result", "success": False, "error": {"code": code, "message": message}}
    )


def pong_message(msg_id: int) -> bytes:
    """The reply to ping; not a result message."""
    return b'{"id":%d,"type":"pong"}' % msg_id
