"""Kill the app mid-delivery (SIGKILL) and restart it: every fired event reaches the receiver at
least once, none is lost, and only the delivery in flight at the kill arrives twice, with the same
X-Event-Id so the receiver can drop it."""

from __future__ import annotations

import asyncio
import copy
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from core.sports.store import SportsStore, Webhook
from core.sports.webhooks import verify
from tests.sports_helpers import FakeEspn, LocalServer, fixture

SECRET = "kill-test-secret-0123456789abcdef"
ROOT = Path(__file__).parent.parent


class SlowReceiver(LocalServer):
    """Records each delivery as it ARRIVES, then answers slowly: a kill lands inside a request."""

    def __init__(self) -> None:
        self.arrived: list[str] = []
        self.in_flight: set[str] = set()
        self.bad_signatures = 0

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/hook", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        uid = request.headers["X-Event-Id"]
        if not verify(
            SECRET, request.headers["X-Timestamp"], body, request.headers["X-Signature"], now=time.time()
        ):
            self.bad_signatures += 1
        self.arrived.append(uid)
        self.in_flight.add(uid)
        try:
            await asyncio.sleep(0.3)
        finally:
            self.in_flight.discard(uid)
        return web.Response(status=204)


def board(home: int) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(fixture("nfl_scoreboard.json"))
    data["events"][0]["competitions"][0]["competitors"][0]["score"] = str(home)
    return data


def spawn(data_dir: Path, base_url: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.sports_kill_child", str(data_dir), base_url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


async def until(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "gave up waiting"
        await asyncio.sleep(0.02)


@pytest.fixture
async def servers() -> AsyncIterator[tuple[FakeEspn, SlowReceiver]]:
    espn, receiver = FakeEspn(), SlowReceiver()
    await espn.start()
    await receiver.start()
    espn.answers["football/nfl/teams"] = fixture("nfl_teams.json")
    espn.answers["football/nfl/scoreboard"] = board(0)
    yield espn, receiver
    await receiver.stop()
    await espn.stop()


async def _fired(data_dir: Path) -> tuple[list[str], dict[str, int]]:
    store = await SportsStore.open(data_dir)
    try:
        async with store.db.execute("SELECT event_uid FROM events ORDER BY occurred_at") as cur:
            uids = [r[0] for r in await cur.fetchall()]
        return uids, await store.delivery_counts("wh_kill")
    finally:
        await store.close()


async def test_sigkill_mid_delivery_loses_nothing_and_repeats_only_the_one_in_flight(
    servers: tuple[FakeEspn, SlowReceiver], tmp_path: Path
) -> None:
    espn, receiver = servers
    store = await SportsStore.open(tmp_path)
    now = time.time()
    await store.save_webhook(
        Webhook("wh_kill", f"http://127.0.0.1:{receiver.port}/hook", SECRET, (), (), True, "", now, now)
    )
    await store.close()
    proc = spawn(tmp_path, espn.base_url)
    try:
        for score in range(1, 9):  # eight score changes, faster than the receiver answers
            await asyncio.sleep(0.15)
            espn.answers["football/nfl/scoreboard"] = board(score)
        await until(lambda: len(receiver.arrived) >= 3 and bool(receiver.in_flight))
        killed_in_flight = set(receiver.in_flight)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    before_restart = list(receiver.arrived)
    proc = spawn(tmp_path, espn.base_url)
    try:
        fired, _ = await _fired(tmp_path)
        await until(lambda: set(fired) <= set(receiver.arrived) and not receiver.in_flight)
        await asyncio.sleep(0.5)  # let anything else the restart would (wrongly) send arrive
    finally:
        proc.kill()
        proc.wait(10)
    fired, counts = await _fired(tmp_path)
    assert len(fired) >= 3 and receiver.bad_signatures == 0
    assert set(fired) == set(receiver.arrived)  # none lost, nothing unknown
    repeats = {uid for uid in receiver.arrived if receiver.arrived.count(uid) > 1}
    assert repeats <= killed_in_flight  # only what was in flight at the kill came twice
    assert len(before_restart) < len(receiver.arrived)
    assert counts["pending"] == 0 and counts["delivered"] == len(fired)
