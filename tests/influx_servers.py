"""pytest plugin: real `influxd` (1.x) and `victoria-metrics` servers for the InfluxDB tests.

Registered in conftest.py with `pytest_plugins = ["tests.influx_servers"]`. Every server runs on
127.0.0.1 on free ports with its data in a temp dir, is started on first use and stopped by PID
at the end of the session. A test that needs a missing binary is skipped, saying which package
installs it.

Fixtures (session-scoped):
* `influxd`: InfluxDB 1.x without auth.
* `influxd_auth`: InfluxDB 1.x with `auth-enabled = true` and an admin user (`ADMIN_USER`/`ADMIN_PASSWORD`).
* `influxd_factory`: `influxd_factory(auth=False)` starts a private instance, e.g. for a test that
  kills and restarts its server (`server.kill()`, `server.start()` on the same data dir).
* `victoria`: VictoriaMetrics with -search.latencyOffset=0s (use `force_flush()` before reading).
Function-scoped: `influx_db`, a database name unique to the test.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin-secret"
READY_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http(
    method: str, url: str, data: bytes | None = None, auth: tuple[str, str] | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method=method)
    if auth is not None:
        import base64

        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return int(resp.status), bytes(resp.read())
    except urllib.error.HTTPError as err:
        return int(err.code), bytes(err.read())


@dataclass
class _Process:
    name: str
    root: Path
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.root / f"{self.name}.log"

    def _spawn(self, argv: list[str]) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def _wait_ready(self, url: str, ok: tuple[int, ...]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                break
            with contextlib.suppress(OSError):
                if _http("GET", url)[0] in ok:
                    return
            time.sleep(0.05)
        tail = self.log_path.read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready at {url}; log tail:\n{tail}")

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the server by PID and reap it (SIGKILL: a crash, nothing flushed)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, sig)
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)
        self.proc = None


@dataclass
class InfluxdServer(_Process):
    auth: bool = False
    http_port: int = field(default_factory=free_port)
    rpc_port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def _config(self) -> Path:
        path = self.root / "influxdb.conf"
        path.write_text(
            f'reporting-disabled = true\nbind-address = "127.0.0.1:{self.rpc_port}"\n'
            f'[meta]\n  dir = "{self.root}/meta"\n'
            f'[data]\n  dir = "{self.root}/data"\n  wal-dir = "{self.root}/wal"\n'
            "  query-log-enabled = false\n"
            f'[http]\n  bind-address = "127.0.0.1:{self.http_port}"\n  log-enabled = false\n'
            f"  auth-enabled = {str(self.auth).lower()}\n"
            "[monitor]\n  store-enabled = false\n[continuous_queries]\n  enabled = false\n"
            "[subscriber]\n  enabled = false\n"
        )
        return path

    def start(self) -> InfluxdServer:
        """Start (or restart after kill()) on the same ports and data directory."""
        binary = shutil.which("influxd")
        assert binary is not None
        self._spawn([binary, "-config", str(self._config())])
        self._wait_ready(f"{self.url}/ping", (204,))
        if self.auth and not (self.root / ".admin").exists():
            statement = f"CREATE USER {ADMIN_USER} WITH PASSWORD '{ADMIN_PASSWORD}' WITH ALL PRIVILEGES"
            self.query(statement)
            (self.root / ".admin").touch()
        return self

    def query(self, statement: str, db: str | None = None, epoch: str | None = None) -> list[dict[str, Any]]:
        """Run InfluxQL as admin; returns the series of the first statement (raises on an error)."""
        params = {"q": statement, **({"db": db} if db else {}), **({"epoch": epoch} if epoch else {})}
        auth = (ADMIN_USER, ADMIN_PASSWORD) if self.auth and (self.root / ".admin").exists() else None
        status, body = _http("POST", f"{self.url}/query?" + urllib.parse.urlencode(params), b"", auth)
        result = orjson.loads(body)
        if status >= 300 or "error" in result or "error" in (result.get("results") or [{}])[0]:
            raise RuntimeError(f"influxd query {statement!r} failed: HTTP {status} {body[:300]!r}")
        series: list[dict[str, Any]] = result["results"][0].get("series") or []
        return series

    def write(self, db: str, lines: str) -> tuple[int, bytes]:
        auth = (ADMIN_USER, ADMIN_PASSWORD) if self.auth else None
        return _http("POST", f"{self.url}/write?db={db}&precision=ns", lines.encode(), auth)


@dataclass
class VictoriaServer(_Process):
    http_port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> VictoriaServer:
        binary = shutil.which("victoria-metrics")
        assert binary is not None
        argv = [
            binary,
            f"-storageDataPath={self.root}/vm",
            f"-httpListenAddr=127.0.0.1:{self.http_port}",
            "-retentionPeriod=100y",
            "-search.latencyOffset=0s",
            "-search.disableCache",
            "-loggerLevel=WARN",
        ]
        self._spawn(argv)
        self._wait_ready(f"{self.url}/health", (200,))
        return self

    def force_flush(self) -> None:
        _http("GET", f"{self.url}/internal/force_flush")

    def export(self, match: str) -> list[dict[str, Any]]:
        """JSON lines of /api/v1/export (timestamps in ms) after a force_flush."""
        self.force_flush()
        query = urllib.parse.urlencode({"match[]": match})
        status, body = _http("GET", f"{self.url}/api/v1/export?{query}")
        assert status == 200, body[:300]
        return [orjson.loads(line) for line in body.splitlines() if line.strip()]

    def export_when_visible(
        self, match: str, samples: int = 1, timeout: float = 20.0
    ) -> list[dict[str, Any]]:
        """export(), retried until at least `samples` samples match: new series take a moment to show."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.export(match)
            if sum(len(s["timestamps"]) for s in found) >= samples or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


def _need(binary: str, package: str) -> None:
    if shutil.which(binary) is None:
        pytest.skip(
            f"{binary} not found on PATH: install it with `apt-get install {package}` (make system-deps)"
        )


@pytest.fixture(scope="session")
def _servers_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="ha-ingestor-influx-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def influxd_factory(_servers_root: Path) -> Iterator[Callable[..., InfluxdServer]]:
    _need("influxd", "influxdb")
    started: list[InfluxdServer] = []

    def make(auth: bool = False) -> InfluxdServer:
        root = _servers_root / f"influxd-{len(started)}"
        root.mkdir()
        server = InfluxdServer("influxd", root, auth=auth)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def influxd(influxd_factory: Callable[..., InfluxdServer]) -> InfluxdServer:
    return influxd_factory()


@pytest.fixture(scope="session")
def influxd_auth(influxd_factory: Callable[..., InfluxdServer]) -> InfluxdServer:
    return influxd_factory(auth=True)


@pytest.fixture(scope="session")
def victoria(_servers_root: Path) -> Iterator[VictoriaServer]:
    _need("victoria-metrics", "victoria-metrics")
    root = _servers_root / "victoria"
    root.mkdir()
    server = VictoriaServer("victoria-metrics", root).start()
    yield server
    server.stop()


@pytest.fixture
def influx_db(request: pytest.FixtureRequest) -> str:
    """A database name unique to this test (created by the code under test, or by the test)."""
    return "t_" + re.sub(r"\W+", "_", request.node.name)[:40] + f"_{os.getpid() % 10000}"


# -- event helpers shared by the tests/test_influx*.py modules ----------------------------------------


def make_event(entity_id: str, state: str | None, time_fired: Any, **fields: Any) -> Any:
    """An EnrichedEvent with sensible defaults (value derived from a numeric state)."""
    from core.models import EnrichedEvent, EventSource
    from core.store.codec import finite_float

    domain = entity_id.partition(".")[0]
    base: dict[str, Any] = {
        "entity_id": entity_id,
        "domain": domain,
        "event_type": "state_changed",
        "time_fired": time_fired,
        "state": state,
        "old_state": None,
        "attributes": {},
        "value": finite_float(state),
        "unit": None,
        "device_class": None,
        "friendly_name": None,
        "context_id": None,
        "context_parent_id": None,
        "context_user_id": None,
        "origin": "LOCAL",
        "device_id": None,
        "area_id": None,
        "floor_id": None,
        "duration_in_state": None,
        "device_manufacturer": None,
        "device_model": None,
        "device_sw_version": None,
        "source": EventSource.LIVE,
    }
    base.update(fields)
    return EnrichedEvent(**base)


def ha_event(
    entity_id: str,
    state: str | None,
    when: Any,
    *,
    old_state: str | None = None,
    attributes: dict[str, Any] | None = None,
    context_id: str | None = None,
    parent_id: str | None = None,
    user_id: str | None = None,
    old_changed: Any = None,
) -> dict[str, Any]:
    """The `event` object of an HA state_changed message (what Pipeline.submit takes)."""
    fired = when.isoformat()
    context = {
        "id": context_id or f"ctx{int(when.timestamp() * 1e6)}",
        "parent_id": parent_id,
        "user_id": user_id,
    }

    def state_obj(value: str, changed: str = fired) -> dict[str, Any]:
        return {
            "entity_id": entity_id,
            "state": value,
            "attributes": attributes or {},
            "last_changed": changed,
            "last_reported": changed,
            "last_updated": changed,
            "context": context,
        }

    return {
        "event_type": "state_changed",
        "data": {
            "entity_id": entity_id,
            "old_state": None
            if old_state is None
            else state_obj(old_state, (old_changed or when).isoformat()),
            "new_state": None if state is None else state_obj(state),
        },
        "origin": "LOCAL",
        "time_fired": fired,
        "context": context,
    }


@dataclass
class Stack:
    """The real store + pipeline (outbox enabled), as the runtime wires them, without HA."""

    data_dir: Path
    registry: Any = None  # a RegistrySnapshot for enrichment (device, area, floor)
    store: Any = None
    pipeline: Any = None
    bus: Any = None

    async def open(self) -> Stack:
        from core.bus import Bus
        from core.config import StorageConfig
        from core.pipeline.pipeline import Pipeline
        from core.pipeline.registry import RegistryCache
        from core.store import EventStore

        self.bus = Bus()
        config = StorageConfig(data_dir=str(self.data_dir), batch_size=500, flush_interval_ms=50)
        self.store = await EventStore.open(self.data_dir, outbox_enabled=True, config=config, retention=False)
        self.pipeline = Pipeline(config, self.store, RegistryCache(self.registry), self.bus)
        await self.pipeline.start()
        return self

    async def feed(self, events: list[dict[str, Any]]) -> None:
        for raw in events:
            self.pipeline.submit(raw)
        await self.pipeline.flush()

    async def close(self) -> None:
        await self.pipeline.stop()
        await self.store.close()

    def local_counts(self) -> dict[str, int]:
        """Events per entity in the local SQLite store (a read-only connection)."""
        import sqlite3

        conn = sqlite3.connect(f"file:{self.store.path}?mode=ro", uri=True)
        try:
            sql = "SELECT i.entity_id, count(*) FROM events e JOIN entity_ids i ON i.id = e.entity_key"
            sql += " GROUP BY 1"
            return {entity_id: n for entity_id, n in conn.execute(sql)}
        finally:
            conn.close()


def influx_counts(server: InfluxdServer, db: str, measurement: str = "state_changed") -> dict[str, int]:
    """Points per entity_id in influxd (count of the always-present `source` field)."""
    series = server.query(f'SELECT count("source") FROM "{measurement}" GROUP BY entity_id', db=db)
    return {s["tags"]["entity_id"]: int(s["values"][0][1]) for s in series}


async def wait_until(predicate: Callable[[], Any], what: str, timeout: float = 60.0) -> None:
    """Poll an (optionally async) condition; fail naming `what` if it never holds (not a timing check)."""
    import asyncio
    import inspect

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up waiting for: {what}")
