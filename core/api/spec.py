"""Route declarations: one record per endpoint drives routing, auth, validation and the OpenAPI document.

Because the server, the validator and /api/openapi.json all read the same `Route`, a parameter
cannot be accepted without being documented, or documented without being validated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from core.api.server import ApiServer
    from core.deps import Deps, EngineControl
    from core.store import EventStore
    from core.store.queries import EventQueries

JsonDict = dict[str, Any]


class Access(StrEnum):
    PUBLIC = "public"  # no key, ever: liveness and the OpenAPI document
    DATA = "data"  # the API key (or the admin key) when listening beyond loopback
    ADMIN = "admin"  # the admin key, always


class Kind(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"  # ISO 8601; naive means UTC
    ENUM = "enum"
    CSV = "csv"  # comma-separated values, each one of `enum`


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: Kind = Kind.STRING
    location: str = "query"  # "query", "path" or "body"
    required: bool = False
    description: str = ""
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[str, ...] = ()
    min_length: int = 1
    max_length: int = 256


@dataclass(slots=True)
class RequestContext:
    """What a handler gets: the typed dependencies (store, bus, metrics, the engines through
    `control`), the validated parameters, and the raw request if it must."""

    deps: Deps
    server: ApiServer
    request: web.Request
    params: JsonDict = field(default_factory=dict)

    @property
    def control(self) -> EngineControl:
        return self.deps.control

    @property
    def store(self) -> EventStore:
        return self.deps.store

    @property
    def queries(self) -> EventQueries:
        return self.deps.store.queries


# A handler returns a JSON-able value (sent as 200 JSON) or a ready aiohttp response.
Handler = Callable[[RequestContext], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    access: Access
    summary: str
    tag: str
    response: JsonDict  # JSON Schema of the success body
    params: tuple[Param, ...] = ()
    status: int = 200
    not_found: bool = False  # documents a 404 (unknown id)
    conflict: bool = False  # documents a 409 (the same operation is already running)
    content_type: str = "application/json"
    description: str = ""
    # A query that can take seconds on a big store (analytics over long windows, search): runs
    # under the server's HeavyGate, so a burst answers 503 + Retry-After instead of starving ingest.
    heavy: bool = False

    @property
    def operation_id(self) -> str:
        return self.handler.__name__

    @property
    def body_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.location == "body")
