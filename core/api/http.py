"""The request wrapper every route goes through: correlation id, JSON errors, CORS, access log, metrics.

Every response, including aiohttp's own 404/405 and unexpected 500s, is JSON with
{"error", "detail", "correlation_id"} and echoes the X-Correlation-ID header.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from core.api.guards import Busy, ClientGone
from core.api.validation import ApiError
from core.logs import correlation_id_var, new_correlation_id

if TYPE_CHECKING:
    from core.api.server import ApiServer

_LOGGER = logging.getLogger("core.api.access")

CORRELATION_HEADER = "X-Correlation-ID"
# A client-supplied id is echoed into headers and logs: keep it to a safe alphabet and length.
_VALID_CID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_ERROR_NAMES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    421: "misdirected_request",
    431: "request_header_fields_too_large",
    499: "client_closed_request",
    503: "unavailable",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json_default(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    body = orjson.dumps(data, default=_json_default, option=orjson.OPT_NON_STR_KEYS)
    return web.Response(body=body, status=status, content_type="application/json", headers=headers)


def error_response(
    status: int, error: str, detail: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = {"error": error, "detail": detail, "correlation_id": correlation_id_var.get()}
    return json_response(body, status=status, headers=headers)


def _from_http_exception(exc: web.HTTPException) -> web.Response:
    headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "www-authenticate")}
    detail = exc.reason or exc.text or ""
    return error_response(exc.status, _ERROR_NAMES.get(exc.status, "error"), detail, headers)


def route_label(request: web.Request) -> str:
    """The route template ("/api/v1/events/{id}"), never the raw path: bounded metric cardinality."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def make_middleware(server: ApiServer) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        supplied = request.headers.get(CORRELATION_HEADER, "")
        cid = supplied if _VALID_CID.match(supplied) else new_correlation_id()
        token = correlation_id_var.set(cid)
        started = time.perf_counter()
        try:
            response = await _handle(server, request, handler)
            response.headers[CORRELATION_HEADER] = cid
            _add_cors(server, request, response)
            _record(server, request, response.status, time.perf_counter() - started)
            return response
        finally:
            correlation_id_var.reset(token)

    return middleware


async def _handle(server: ApiServer, request: web.Request, handler: Handler) -> web.StreamResponse:
    if not server.host_allowed(request):
        # DNS rebinding: a page under another name must not read the home's history (guards.py).
        host = (request.headers.get("Host") or "")[:100]
        return error_response(421, "misdirected_request", f"host {host!r} is not served here; "
                              "add it to [api] allowed_hosts if this name is yours")  # fmt: skip
    if request.method == "OPTIONS" and server.cors_origin(request) is not None:
        return _preflight()
    try:
        return await handler(request)
    except ApiError as err:
        headers = {"WWW-Authenticate": 'Bearer realm="ha-ingestor"'} if err.status == 401 else None
        if isinstance(err, Busy):
            headers = {"Retry-After": str(err.retry_after_s)}
        return error_response(err.status, err.error, err.detail, headers)
    except web.HTTPException as exc:
        return _from_http_exception(exc)
    except (ClientGone, ConnectionError) as err:
        # The client hung up mid-request (e.g. mid-body): its event, not a server error.
        server.note_client_gone()
        _LOGGER.info("client closed the connection during %s %s: %s", request.method,
                     route_label(request), err or type(err).__name__)  # fmt: skip
        return error_response(499, "client_closed_request", "the client closed the connection")
    except Exception as err:
        _LOGGER.exception("unhandled error in %s %s", request.method, route_label(request))
        server.note_error(err)
        return error_response(500, "internal_error", "internal error; the log has the details")


def _preflight() -> web.Response:
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": f"Authorization, Content-Type, {CORRELATION_HEADER}",
            "Access-Control-Max-Age": "600",
        },
    )


def _add_cors(server: ApiServer, request: web.Request, response: web.StreamResponse) -> None:
    origin = server.cors_origin(request)
    if origin is None:
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = CORRELATION_HEADER
    response.headers["Vary"] = "Origin"


def _record(server: ApiServer, request: web.Request, status: int, seconds: float) -> None:
    label = route_label(request)
    server.observe_request(request.method, label, status, seconds)
    level = logging.WARNING if status >= 500 else logging.INFO if status >= 400 else logging.DEBUG
    if _LOGGER.isEnabledFor(level):
        _LOGGER.log(
            level,
            "%s %s -> %d (%.1f ms)",
            request.method,
            request.path,
            status,
            seconds * 1000,
            extra={
                "operation": "request",
                "fields": {"method": request.method, "route": label, "status": status, "ms": seconds * 1000},
            },
        )
