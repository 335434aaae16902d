"""Home Assistant: the WebSocket client, its back-fill, TLS policy, and the built-in simulator."""

from core.ha.spec import SPEC

__all__ = ["SPEC"]
