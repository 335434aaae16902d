"""The OpenAPI document describes every registered route, parameter and response."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core.api.openapi import build_openapi, openapi_path
from core.api.server import ApiServer, all_routes
from core.api.spec import Access
from tests.runtime_harness import running_runtime

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ApiServer]:
    async with running_runtime(tmp_path, specs=()) as runtime:  # the store only: no engine needed
        yield ApiServer(runtime.deps)


def registered(server: ApiServer) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route aiohttp actually serves (HEAD is aiohttp's automatic twin)."""
    app = server.build_app()
    out = set()
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or ""
        out.add((route.method.lower(), openapi_path(path)))
    return out


def documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m, p) for p, ops in doc["paths"].items() for m in ops if m in METHODS}


async def test_every_registered_route_is_documented_and_nothing_else(server: ApiServer) -> None:
    doc = build_openapi(server.routes)
    assert registered(server) == documented(doc)
    assert len(documented(doc)) >= 30


@pytest.mark.parametrize("key_required", [True, False])
def test_every_operation_documents_parameters_and_responses(key_required: bool) -> None:
    routes = {(r.method.lower(), openapi_path(r.path)): r for r in all_routes()}
    doc = build_openapi(list(routes.values()), data_key_required=key_required)
    assert doc["openapi"].startswith("3.")
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            route = routes[(method, path)]
            declared = {p.name for p in route.params if p.location != "body"}
            assert {p["name"] for p in op["parameters"]} == declared
            assert set(re.findall(r"\{(\w+)\}", path)) == {
                p["name"] for p in op["parameters"] if p["in"] == "path"
            }
            assert "400" in op["responses"] and str(route.status) in op["responses"]
            assert ("404" in op["responses"]) == route.not_found
            if route.access is not Access.PUBLIC:
                assert {"401", "403"} <= set(op["responses"])
            if route.body_params:
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                assert set(schema["properties"]) == {p.name for p in route.body_params}
            assert op["responses"][str(route.status)]["content"], (method, path)
            assert op["operationId"] and op["summary"]


def test_every_reference_resolves() -> None:
    doc = build_openapi(all_routes())

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if "$ref" in node else []
            return own + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    components = doc["components"]["schemas"]
    for ref in refs(doc):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in components


def test_operation_ids_are_unique() -> None:
    doc = build_openapi(all_routes())
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_static_paths_are_registered_before_dynamic_ones() -> None:
    paths = [r.path for r in all_routes()]
    assert paths.index("/api/devices/reliability") < paths.index("/api/devices/{device_id}")
    assert paths.index("/api/v1/events/stats") < paths.index(r"/api/v1/events/{id:\d+}")
