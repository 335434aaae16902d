"""The API against a hostile browser page and hostile or careless clients, on a real server:
DNS rebinding (Host), JSON bodies only, CORS "*" without a key, heavy queries bounded, slow clients
and hang-ups, JSON for every error (oversized headers, unknown methods), HEAD, far-future windows,
and a port already in use."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

import core.api.server as server_module
from core.api.guards import host_allowed, host_name
from core.api.server import ApiServer, all_routes
from core.api.spec import Access, Route
from core.engine import EngineState
from core.logs import LogQuery, get_log_ring
from tests.api_live import LiveRuntime, live_config, start_live, with_api

HEAVY_PATHS = {
    "/api/v1/events/stats",
    "/api/v1/events/spatial-analytics",
    "/api/v1/events/duration-analytics",
    "/api/v1/events/search",
    "/api/v1/analytics/entity-activity",
    "/api/v1/analytics/area-activity",
    "/api/v1/analytics/timeline",
    "/api/devices/reliability",
}


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRuntime]:
    # cors_origins "*" cannot be loaded from a config on loopback (test_config_hardening); built
    # directly here to show the server ignores it anyway while no key is asked for.
    live = start_live(
        tmp_path_factory.mktemp("hardening"), rate=20.0, cors_origins=["*"], allowed_hosts=["ha-box.lan"]
    )
    try:
        yield live
    finally:
        live.stop()


def raw(rt: LiveRuntime, data: bytes, *, read: bool = True, timeout: float = 20.0) -> bytes:
    """Send raw bytes on a fresh connection; return everything the server answers until it closes."""
    assert rt.api.port is not None
    with socket.create_connection(("127.0.0.1", rt.api.port), timeout=timeout) as sock:
        sock.sendall(data)
        if not read:
            return b""
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def split(response: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


# -- 8: DNS rebinding, JSON bodies, CORS ----------------------------------------------------------


def test_host_names() -> None:
    assert host_name("[::1]:8006") == "::1" and host_name("Example.LAN:80") == "example.lan"
    assert host_allowed("localhost:8006", "127.0.0.1", [])
    assert host_allowed("192.168.1.20:8006", "0.0.0.0", [])  # an IP literal cannot be rebound
    assert host_allowed("ha-box.lan.", "127.0.0.1", ["HA-Box.lan"])
    assert host_allowed("ingestor.lan:8006", "ingestor.lan", [])  # the bound host name
    assert not host_allowed("attacker.example:8006", "127.0.0.1", [])
    assert not host_allowed("localhost.attacker.example", "0.0.0.0", ["ha-box.lan"])


def test_a_rebound_page_cannot_read_the_history(rt: LiveRuntime) -> None:
    url = rt.base_url + "/api/v1/events"
    evil = rt.session.get(url, headers={"Host": f"attacker.example:{rt.api.port}"}, timeout=10)
    assert evil.status_code == 421 and evil.json()["error"] == "misdirected_request"
    assert "events" not in evil.json()
    for host in (f"localhost:{rt.api.port}", f"127.0.0.1:{rt.api.port}", "ha-box.lan"):
        assert rt.session.get(url, headers={"Host": host}, timeout=10).status_code == 200, host


def test_json_bodies_must_say_so(rt: LiveRuntime) -> None:
    """A cross-site form can POST text/plain without a preflight; only JSON is read."""
    url = rt.base_url + "/api/v1/events/search"
    body = orjson.dumps({"query": "light"})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": content_type} if content_type else {}
        answer = rt.session.post(url, data=body, headers=headers, timeout=10)
        assert answer.status_code == 415, content_type
        assert answer.json()["error"] == "unsupported_media_type"
    ok = rt.session.post(url, data=body, headers={"Content-Type": "application/json; charset=utf-8"})
    assert ok.status_code == 200


def test_cors_star_is_ignored_while_no_key_is_asked(rt: LiveRuntime) -> None:
    assert not rt.api.key_required
    answer = rt.session.get(rt.base_url + "/api/v1/events", headers={"Origin": "https://evil.example"})
    assert answer.status_code == 200 and "Access-Control-Allow-Origin" not in answer.headers


# -- 9: heavy queries ------------------------------------------------------------------------------


def test_heavy_routes_are_marked() -> None:
    marked = {r.path for r in all_routes() if r.heavy}
    assert marked == HEAVY_PATHS


def test_a_burst_of_heavy_queries_gets_503_with_retry_after(rt: LiveRuntime) -> None:
    """At most `running + waiting` heavy queries are admitted; the rest answer 503 at once, and the
    cheap routes keep answering while the admitted ones hold the gate."""
    release = asyncio.Event()

    async def blocking(ctx: object) -> dict[str, bool]:
        await release.wait()
        return {"done": True}

    blocking.__name__ = "blocking_heavy"
    heavy = Route("GET", "/heavy", blocking, Access.DATA, "test", "analytics", {}, heavy=True)
    liveness = next(r for r in all_routes() if r.path == "/health")
    api = ApiServer(rt.runtime.deps, routes=[heavy, liveness])
    rt.call(api.start())
    try:
        base = api.base_url
        admitted = api.heavy.running + api.heavy.waiting
        with contextlib.ExitStack() as stack:
            sockets = []
            for _ in range(admitted):
                sock = stack.enter_context(socket.create_connection(("127.0.0.1", api.port), timeout=20))
                sock.sendall(b"GET /heavy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                sockets.append(sock)
            rt.wait_until(lambda: api.heavy._inside == admitted, "the gate to fill")
            refused = rt.session.get(base + "/heavy", timeout=10)
            assert refused.status_code == 503 and refused.json()["error"] == "busy"
            assert int(refused.headers["Retry-After"]) > 0
            assert rt.session.get(base + "/health", timeout=10).status_code == 200
            rt.loop.call_soon_threadsafe(release.set)  # type: ignore[union-attr]
            for sock in sockets:
                status, _, _ = split(sock.recv(65536))
                assert status == 200
        assert api.status().counters["heavy_rejected"] == 1
    finally:
        rt.call(api.stop())


# -- 10: slow clients ------------------------------------------------------------------------------


def test_a_slowloris_head_is_cut_off(rt: LiveRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rt.api.guard, "header_timeout_s", 0.5)
    before = rt.api.guard.counters["slow_headers_closed"]
    assert rt.api.port is not None
    with socket.create_connection(("127.0.0.1", rt.api.port), timeout=20) as sock:
        sock.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: 1\r\n")
        time.sleep(0.2)
        sock.sendall(b"X-b: 2\r\n")  # trickling bytes does not extend the deadline
        assert sock.recv(1024) == b""  # closed by the server, never answered
    assert rt.api.guard.counters["slow_headers_closed"] == before + 1


def test_connections_past_the_cap_get_503(rt: LiveRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Open kept-alive connections one by one, each answering a request: once the cap is reached
    the next one is answered 503 (JSON, Retry-After) and closed."""
    monkeypatch.setattr(rt.api.guard, "max_connections", 3)
    assert rt.api.port is not None
    request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    statuses: list[int] = []
    with contextlib.ExitStack() as stack:
        for _ in range(6):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", rt.api.port), timeout=20))
            sock.sendall(request)
            status, headers, body = split(sock.recv(65536))
            statuses.append(status)
            if status == 503:
                break
    assert statuses[-1] == 503 and set(statuses[:-1]) <= {200} and len(statuses) <= 4
    assert headers["content-type"] == "application/json" and int(headers["retry-after"]) > 0
    assert "too many connections" in orjson.loads(body)["detail"]


def test_a_client_hanging_up_mid_body_is_not_a_server_error(rt: LiveRuntime) -> None:
    errors, gone = rt.api.status().errors, rt.api.client_disconnects
    head = (
        b"POST /api/v1/events/search HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    raw(rt, head + b'{"query": "li', read=False)
    rt.wait_until(lambda: rt.api.client_disconnects == gone + 1, "the hang-up to be counted")
    assert rt.api.status().errors == errors
    lines = get_log_ring().query(LogQuery(text="client closed the connection"))
    assert lines and lines[0].level == "INFO" and "exception" not in lines[0].fields


def test_a_body_that_never_finishes_times_out(rt: LiveRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "BODY_TIMEOUT_S", 0.5)
    assert rt.api.port is not None
    with socket.create_connection(("127.0.0.1", rt.api.port), timeout=20) as sock:
        sock.sendall(
            b"POST /api/v1/events/search HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        status, _, body = split(sock.recv(65536))
    assert status == 408 and orjson.loads(body)["error"] == "request_timeout"


# -- 11: JSON everywhere, HEAD, far-future windows -------------------------------------------------


def test_far_future_window_end_is_a_400(rt: LiveRuntime) -> None:
    for path in ("/api/v1/events/spatial-analytics", "/api/v1/events/stats", "/api/v1/analytics/timeline"):
        answer = rt.get(path, end="9999-12-31T23:59:59")
        assert answer.status_code == 400, (path, answer.text)
        assert answer.json()["error"] == "bad_request"


def test_head_works_where_get_does(rt: LiveRuntime) -> None:
    for path in ("/health", "/api/v1/events", "/api/openapi.json", "/metrics"):
        answer = rt.session.head(rt.base_url + path, timeout=10)
        assert answer.status_code == 200 and answer.content == b"", path
    assert rt.session.head(rt.base_url + "/api/v1/health/services").status_code == 401


def test_protocol_errors_are_json(rt: LiveRuntime) -> None:
    huge = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
    status, headers, body = split(raw(rt, huge))
    assert status in (400, 431) and headers["content-type"].startswith("application/json")
    assert "error" in orjson.loads(body)
    status, headers, body = split(raw(rt, b"PATCH /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
    assert status == 405 and orjson.loads(body)["error"] == "method_not_allowed"
    status, headers, body = split(raw(rt, b"BREW /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
    assert status == 400 and orjson.loads(body)["error"] == "bad_request"  # not even a method token
    status, headers, body = split(raw(rt, b"NOT HTTP AT ALL\r\n\r\n"))
    assert status == 400 and headers["content-type"].startswith("application/json")


# -- 17: a port in use -----------------------------------------------------------------------------


async def test_a_port_in_use_fails_the_engine_with_a_clear_reason(tmp_path: Path) -> None:
    """A real runtime whose API port is taken: the API engine is FAILED with a reason a user can act
    on, in the status the GUI's Services tab shows and in the headless status line."""
    from core.api.engine_spec import SPEC as API
    from core.headless import status_line
    from core.metrics import MetricsSample
    from core.runtime import Runtime

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        runtime = Runtime(with_api(live_config(tmp_path), port=port))
        try:
            await runtime.start()
            status = runtime.engine_status(API.name)
            health = runtime.health()
            sample = MetricsSample(time.time(), 0.0, 0, 0.0, 0, None, None, 0, 0, None, None, None)
            line = status_line(runtime, sample)
        finally:
            await runtime.stop()
    reason = f"port {port} on 127.0.0.1 is already in use"
    assert status.state == EngineState.FAILED
    assert status.last_error is not None and reason in status.last_error
    assert f"API failed: ListenError: {reason}" in line
    assert str(health.status) != "healthy" and any(r.startswith("api failed") for r in health.reasons)
