"""The embedded REST API (Data, Admin and HA routes) served by aiohttp in the app's own loop."""

from core.api.engine_spec import SPEC

__all__ = ["SPEC"]
