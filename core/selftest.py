"""`main.py --selftest`: check an install (or a PyInstaller bundle) end to end, without Qt.

On a throw-away data directory it starts the whole runtime with the built-in Home Assistant
simulator and the REST API on a free port, waits until real events are stored in SQLite, asks the
API for /health, stops everything and prints one line per check:

    selftest: gui prerequisites ok (libGL, libEGL, fonts)      (Linux; a missing one is a WARNING only)
    selftest: simulator ok (ws://127.0.0.1:PORT/api/websocket)
    selftest: stored N events
    selftest: api /health 200
    selftest OK

It returns 0, or prints `selftest FAILED: <check>: <why>` and returns 1. Nothing of the user's is
touched: the data dir, log dir and API keys file all live in a temporary directory that is removed
afterwards, InfluxDB is disabled and the user's Home Assistant URL is ignored.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from core.api.engine_spec import SPEC as API
from core.config import AppConfig, SimulatorConfig
from core.engine import EngineState
from core.ha.spec import SPEC as HA_CLIENT
from core.runtime import Runtime

log = logging.getLogger(__name__)

DEADLINE_S = 15.0
HTTP_TIMEOUT_S = 5.0
POLL_S = 0.1
FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path("~/.local/share/fonts"),
    Path("~/.fonts"),
)
GUI_SYSTEM_PACKAGES = "libgl1 libegl1 fontconfig-config fonts-dejavu-core"
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".pfb", ".pcf", ".pcf.gz", ".otc")
# An extra check returns a one-line "ok" description or raises (any exception fails the selftest).
ExtraCheck = Callable[[], Awaitable[str]]


class SelftestError(Exception):
    """One failed check: `check` names it, the message says why."""

    def __init__(self, check: str, why: str) -> None:
        super().__init__(f"{check}: {why}")
        self.check = check


def selftest_config(config: AppConfig, root: Path) -> AppConfig:
    """The user's config made safe for a selftest: everything under `root`, demo simulator at its
    defaults (a user's 50 000-entity simulator would only make the check slower), API on a free
    loopback port with throw-away keys (so no keys file is written), no InfluxDB."""
    demo = config.with_demo()
    return replace(
        demo,
        storage=replace(demo.storage, data_dir=str(root / "data")),
        simulator=SimulatorConfig(enabled=True, seed=demo.simulator.seed),
        influxdb=replace(demo.influxdb, enabled=False),
        api=replace(
            demo.api,
            enabled=True,
            host="127.0.0.1",
            port=0,
            api_key=secrets.token_urlsafe(24),
            admin_api_key=secrets.token_urlsafe(24),
        ),
        logging=replace(demo.logging, log_dir=str(root / "logs")),
        source_path=str(root / "config.toml"),
    )


async def run_selftest(
    config: AppConfig,
    *,
    deadline_s: float = DEADLINE_S,
    extra_checks: Sequence[ExtraCheck] = (),
    out: TextIO | None = None,
) -> int:
    """Run every check; 0 when all pass, 1 (after printing the failing check) otherwise."""
    stream = out if out is not None else sys.stdout

    def say(line: str) -> None:
        print(line, file=stream, flush=True)

    started = time.monotonic()
    if sys.platform.startswith("linux"):
        problems = gui_prerequisite_problems()
        if problems:
            say(f"selftest: WARNING: the GUI would not work here: {'; '.join(problems)} (headless is fine)")
            say(f"selftest:   on Debian/Ubuntu: apt-get install {GUI_SYSTEM_PACKAGES}")
        else:
            say("selftest: gui prerequisites ok (libGL, libEGL, fonts)")
    with tempfile.TemporaryDirectory(prefix="ha-ingestor-selftest-") as tmp:
        try:
            await _check_runtime(selftest_config(config, Path(tmp)), deadline_s, say)
            for check in extra_checks:
                try:
                    say(f"selftest: {await check()}")
                except Exception as err:
                    raise SelftestError(getattr(check, "__name__", "extra check"), _why(err)) from err
        except SelftestError as err:
            say(f"selftest FAILED: {err}")
            return 1
    say(f"selftest OK ({time.monotonic() - started:.1f} s)")
    return 0


def gui_prerequisite_problems(font_dirs: Sequence[Path] | None = None) -> list[str]:
    """What a PyInstaller bundle needs from the system and does not carry: libGL and libEGL (else
    Qt fails to import) and fonts (else every glyph is a box while the app still exits 0; see
    docs/stack-notes.md §5). Checked without Qt, so it is a warning, never a failure."""
    import ctypes.util

    problems = [f"lib{lib} not found" for lib in ("GL", "EGL") if ctypes.util.find_library(lib) is None]
    config = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    if not Path(config).is_file():
        problems.append(f"no fontconfig configuration ({config})")
    dirs = font_dirs if font_dirs is not None else FONT_DIRS
    if not any(_has_font(d.expanduser()) for d in dirs):
        problems.append("no font files")
    return problems


def _has_font(directory: Path) -> bool:
    for _root, _dirs, files in os.walk(directory):
        if any(name.lower().endswith(FONT_SUFFIXES) for name in files):
            return True
    return False


async def _check_runtime(config: AppConfig, deadline_s: float, say: Callable[[str], None]) -> None:
    deadline = time.monotonic() + deadline_s
    runtime = Runtime(config)
    checks_passed = False
    try:
        try:
            await asyncio.wait_for(runtime.start(), timeout=deadline_s)
        except Exception as err:
            raise SelftestError("runtime start", _why(err)) from err
        say(f"selftest: simulator ok ({_check_simulator(runtime)})")
        stored = await _wait_for_events(runtime, deadline)
        say(f"selftest: stored {stored} events")
        status = await _get_health(runtime)
        say(f"selftest: api /health {status}")
        checks_passed = True
    finally:
        try:
            await asyncio.wait_for(runtime.stop(), timeout=deadline_s)
        except Exception as err:
            # A hung or failing shutdown is a failed install, too, but never hide the first failure.
            if checks_passed:
                raise SelftestError("runtime stop", _why(err)) from err
            log.warning("runtime stop after a failed check: %s", _why(err))


def _check_simulator(runtime: Runtime) -> str:
    simulator = runtime.simulator
    if simulator is None:
        raise SelftestError("simulator", "the demo simulator did not start")
    failed = [s for s in runtime.statuses() if s.state == EngineState.FAILED]
    if failed:
        raise SelftestError("engines", "; ".join(f"{s.name} failed: {s.last_error}" for s in failed))
    return str(simulator.url)


async def _wait_for_events(runtime: Runtime, deadline: float) -> int:
    """Poll until the pipeline committed events and the store can read the newest one back."""
    stored = 0
    while True:
        stats = runtime.pipeline_stats()
        stored = stats.stored if stats is not None else 0
        if (
            stored > 0
            and runtime.store is not None
            and await runtime.store.queries.last_time_fired() is not None
        ):
            return stored
        if time.monotonic() >= deadline:
            ha = runtime.engine_status(HA_CLIENT.name)
            why = f"no events stored after the deadline (stored={stored}, HA client {ha.state}"
            why += f": {ha.last_error})" if ha.last_error else f", {ha.detail or 'no detail'})"
            raise SelftestError("store", why)
        await asyncio.sleep(POLL_S)


async def _get_health(runtime: Runtime) -> int:
    import aiohttp

    api = runtime.engine(API)
    if api is None:
        raise SelftestError("api", "the REST API engine is not running")
    url = f"{api.base_url}/health"
    try:
        timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
            status = int(response.status)
            body = await response.text()
    except (aiohttp.ClientError, TimeoutError) as err:
        raise SelftestError("api /health", f"GET {url}: {_why(err)}") from err
    if status != 200:
        raise SelftestError("api /health", f"GET {url} returned {status}: {body[:200]}")
    return status


def _why(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
