"""A real runtime (simulator, HA client, pipeline, store, API, alerts) in a background thread.

The API tests talk to it over real HTTP with `requests`, exactly like HA's REST sensors or Grafana
would; schemathesis needs this too (its calls are synchronous). Coroutines that must run in the
runtime's loop (simulator fault injection, alert evaluation) go through `call()`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import requests

from core.api import SPEC as API
from core.api.server import ApiServer
from core.bus import Bus, Topic
from core.config import ApiConfig, AppConfig, LoggingConfig, SimulatorConfig, StorageConfig
from core.logs import setup_logging, shutdown_logging
from core.pipeline import SPEC as PIPELINE
from core.runtime import Runtime

T = TypeVar("T")
START_TIMEOUT_S = 60.0


def live_config(tmp: Path, *, host: str = "127.0.0.1", rate: float = 200.0, **api: Any) -> AppConfig:
    return AppConfig(
        api=ApiConfig(host=host, port=0, **api),
        storage=StorageConfig(data_dir=str(tmp / "data"), flush_interval_ms=20),
        simulator=SimulatorConfig(rate=rate, seed=7),
        logging=LoggingConfig(level="INFO", log_dir=str(tmp / "logs")),
        source_path=str(tmp / "config.toml"),
    )


class LiveRuntime:
    def __init__(self, config: AppConfig) -> None:
        self.config = config
        self.bus = Bus()
        self.runtime = Runtime(config, bus=self.bus)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="live-runtime", daemon=True)
        self.published: list[tuple[str, Any]] = []
        self.session = requests.Session()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> LiveRuntime:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S) or self._error is not None:
            raise RuntimeError(f"live runtime did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        if self.loop is not None and self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(START_TIMEOUT_S)
        self.session.close()

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as err:
            self._error = err
            self._ready.set()

    async def _run(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        setup_logging(self.config.logging, self.bus)
        for topic in (Topic.ALERT,):
            self.bus.subscribe(topic, lambda payload, t=topic: self.published.append((str(t), payload)))
        await self.runtime.start()
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.runtime.stop()
            shutdown_logging()

    # -- helpers --------------------------------------------------------------------------------

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine in the runtime's loop and return its result."""
        assert self.loop is not None
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def call_soon(self, fn: Callable[[], T]) -> T:
        """Run a plain function in the runtime's loop (simulator calls must happen there)."""

        async def run() -> T:
            return fn()

        return self.call(run())

    @property
    def api(self) -> ApiServer:
        engine = self.runtime.engine(API)
        assert isinstance(engine, ApiServer)
        return engine

    @property
    def base_url(self) -> str:
        return self.api.base_url

    @property
    def api_key(self) -> str:
        assert self.api.keys is not None
        return self.api.keys.api_key

    @property
    def admin_key(self) -> str:
        assert self.api.keys is not None
        return self.api.keys.admin_api_key

    def get(self, path: str, key: str | None = None, **params: Any) -> requests.Response:
        return self.session.get(self.base_url + path, params=params, headers=_auth(key), timeout=30)

    def admin_get(self, path: str, **params: Any) -> requests.Response:
        return self.get(path, self.admin_key, **params)

    def post(self, path: str, key: str | None = None, json: Any = None, **kw: Any) -> requests.Response:
        return self.session.post(self.base_url + path, json=json, headers=_auth(key), timeout=30, **kw)

    def stored(self) -> int:
        stats = self.runtime.pipeline_stats()
        return stats.stored if stats is not None else 0

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
        """Poll until `condition` holds (a readiness wait, never a timing assertion)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting for {what}")
            time.sleep(0.05)

    def wait_stored(self, n: int) -> None:
        self.wait_until(lambda: self.stored() >= n, f"{n} stored events")

    def flush(self) -> None:
        """Commit whatever the pipeline holds, so the store answers for everything received so far."""
        pipeline = self.runtime.engine(PIPELINE)
        assert pipeline is not None
        self.call(pipeline.flush())


def _auth(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def start_live(tmp: Path, **kw: Any) -> LiveRuntime:
    return LiveRuntime(live_config(tmp, **kw)).start()


def with_api(config: AppConfig, **api: Any) -> AppConfig:
    return replace(config, api=replace(config.api, **api))
