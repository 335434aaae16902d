"""The OpenAPI 3.0 document, generated from the same `Route` records the server binds and validates."""

from __future__ import annotations

import re
from typing import Any

from core.api.schemas import COMPONENTS, STR, map_of
from core.api.spec import Access, JsonDict, Kind, Param, RequestContext, Route

OPENAPI_PATH = "/api/openapi.json"
TITLE = "HA Ingestor API"
VERSION = "1.0.0"
_ERRORS = {
    400: "Invalid parameter or body",
    401: "Missing or invalid API key",
    403: "The admin API key is required",
    404: "Unknown id",
    409: "The same operation is already in progress",
    415: "The body is not sent as application/json",
    421: "The Host header names a host this API does not serve (DNS rebinding guard)",
    503: "The store is not open yet, or (heavy queries) too many run already: see Retry-After",
}


def param_schema(p: Param) -> JsonDict:
    if p.kind in (Kind.INTEGER, Kind.NUMBER):
        schema: JsonDict = {"type": "integer" if p.kind is Kind.INTEGER else "number"}
        if p.minimum is not None:
            schema["minimum"] = p.minimum
        if p.maximum is not None:
            schema["maximum"] = p.maximum
    elif p.kind is Kind.BOOLEAN:
        schema = {"type": "boolean"}
    elif p.kind is Kind.DATETIME:
        schema = {"type": "string", "format": "date-time"}
    elif p.kind is Kind.ENUM:
        schema = {"type": "string", "enum": list(p.enum)}
    elif p.kind is Kind.CSV:
        # A comma-separated list in the query, e.g. ?metrics=events_per_s,queue_depth
        schema = {"type": "string", "pattern": f"^({'|'.join(p.enum)})(,({'|'.join(p.enum)}))*$"}
    else:
        schema = {"type": "string", "minLength": p.min_length, "maxLength": p.max_length}
        if p.location == "path":
            schema["pattern"] = "^[^/]+$"  # a path segment cannot hold a slash
    if p.default is not None:
        schema["default"] = p.default
    return schema


def _parameter(p: Param) -> JsonDict:
    return {
        "name": p.name,
        "in": p.location,
        "required": p.required or p.location == "path",
        "description": p.description,
        "schema": param_schema(p),
    }


def _body(route: Route) -> JsonDict:
    params = route.body_params
    schema = {
        "type": "object",
        # An optional field may be null: treated as absent, as JavaScript clients often send it.
        "properties": {
            p.name: {
                **param_schema(p),
                "description": p.description,
                **({} if p.required else {"nullable": True}),
            }
            for p in params
        },
        "required": [p.name for p in params if p.required],
        "additionalProperties": False,
    }
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _responses(route: Route, secured: bool) -> JsonDict:
    content = {route.content_type: {"schema": route.response}}
    responses: JsonDict = {str(route.status): {"description": "Success", "content": content}}
    codes = [400, 421]
    if route.body_params:
        codes.append(415)
    if secured:
        codes += [401, 403]
    if route.not_found:
        codes.append(404)
    if route.conflict:
        codes.append(409)
    if route.tag in ("events", "analytics", "home assistant", "energy", "sports", "webhooks") or route.heavy:
        codes.append(503)
    for code in codes:
        responses[str(code)] = {
            "description": _ERRORS[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return responses


def _operation(route: Route, data_key_required: bool) -> JsonDict:
    secured = route.access is not Access.PUBLIC
    op: JsonDict = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": [_parameter(p) for p in route.params if p.location != "body"],
        "responses": _responses(route, secured),
    }
    if route.description:
        op["description"] = route.description
    if route.body_params:
        op["requestBody"] = _body(route)
    if route.access is Access.PUBLIC:
        op["security"] = []
    elif route.access is Access.ADMIN:
        op["security"] = [{"adminKey": []}]
        op["x-access"] = "admin key, always"
    elif data_key_required:
        op["security"] = [{"apiKey": []}, {"adminKey": []}]
        op["x-access"] = "API key (the server listens beyond loopback)"
    else:
        # On loopback the data routes are open; a key, if sent, is accepted ({} = no auth needed).
        op["security"] = [{}, {"apiKey": []}, {"adminKey": []}]
        op["x-access"] = "open on loopback; the API key when the server listens beyond it"
    return op


def openapi_path(path: str) -> str:
    """aiohttp's "{id:\\d+}" placeholders become OpenAPI's "{id}"."""
    return re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)


def build_openapi(
    routes: list[Route] | tuple[Route, ...], server_url: str | None = None, *, data_key_required: bool = True
) -> JsonDict:
    """The document for these routes; `data_key_required` as decided by the bound address."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        op = _operation(route, data_key_required)
        paths.setdefault(openapi_path(route.path), {})[route.method.lower()] = op
    doc: JsonDict = {
        "openapi": "3.0.3",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Home Assistant events stored by HA Ingestor: data, analytics and admin.",
        },
        "paths": paths,
        "components": {
            "schemas": dict(COMPONENTS),
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "The data API key"},
                "adminKey": {"type": "http", "scheme": "bearer", "description": "The admin API key"},
            },
        },
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc


async def get_openapi(ctx: RequestContext) -> JsonDict:
    return build_openapi(ctx.server.routes, ctx.server.base_url, data_key_required=ctx.server.key_required)


def openapi_route() -> Route:
    return Route(
        "GET",
        OPENAPI_PATH,
        get_openapi,
        Access.PUBLIC,
        "This OpenAPI 3 document",
        "meta",
        map_of({}) | {"type": "object", "properties": {"openapi": STR}, "required": ["openapi"]},
    )
