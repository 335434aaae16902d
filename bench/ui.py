"""GUI benchmark: event-loop lag and chart refresh rate with the whole window built on the demo home.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui.py [--phase-s 8] [--max-rate 20000]
                                                           [--rss-minutes 1 | --long] [--json OUT]
                                                           [--memory-ha external|embedded]

One process, one qasync loop, the same runtime `python main.py --demo` runs. Measures:
- window shown: from the start of this script (before Qt is imported) to the window's first paint;
- per tab (Overview, Events) and per load (idle = simulator paused, 1,000 events/s, the maximum
  rate): event-loop lag from a 10 ms `call_later` probe (p50 / p99 / max), the achieved chart
  refresh rate (Overview: the live charts forced to repaint on every 100 ms tick, i.e. the worst
  case; Events: bulk table updates per second) and the stored events/s the pipeline kept up with;
- resident memory (VmRSS) over N minutes at 200 events/s (`--memory-rate`) while the tabs rotate,
  and its growth over the second half, with SQLite's share (its page caches are caps that fill as the database
  grows). This runs in a session of its own, first, against the HA simulator in its own process
  as a real HA would be (`--memory-ha embedded`: the demo home in-process, whose recorder ring
  itself fills for 12.5 minutes at 200 events/s).
- the longest full garbage collection in each phase.
"""

from __future__ import annotations

import time

T_LAUNCH = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import ctypes  # noqa: E402
import ctypes.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from dataclasses import asdict, dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync  # noqa: E402
from PySide6.QtCore import QEvent, QObject  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from core.config import (  # noqa: E402
    ApiConfig,
    AppConfig,
    HomeAssistantConfig,
    LoggingConfig,
    SimulatorConfig,
    StorageConfig,
)
from core.gc_watch import GcPauses, freeze_long_lived  # noqa: E402
from core.process_health import read_rss_bytes  # noqa: E402

PROBE_S = 0.010
SETTLE_S = 3.0
FORCED_S = 4.0
QUIET_S = 10


class LagProbe:
    """Re-arms loop.call_later(10 ms) and records how late each call ran, in ms."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self.samples.clear()
        self._arm()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()

    def _arm(self) -> None:
        due = time.perf_counter() + PROBE_S
        self._handle = asyncio.get_running_loop().call_later(PROBE_S, self._tick, due)

    def _tick(self, due: float) -> None:
        self.samples.append(max(0.0, (time.perf_counter() - due) * 1000))
        self._arm()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def rss_mb() -> float:
    rss = read_rss_bytes()  # the same reading the app reports on its Services tab
    return rss / 1024 / 1024 if rss is not None else float("nan")


@dataclass
class Phase:
    tab: str
    load: str
    offered_per_s: float | None
    stored_per_s: float
    lag_p50_ms: float
    lag_p99_ms: float
    lag_max_ms: float
    probes: int
    refresh_hz: float  # Overview: chart repaints/s when forced every tick; Events: table bulk updates/s
    refresh_what: str
    forced_lag_p99_ms: float | None = None  # Overview: lag while the charts repaint on every tick
    gc_full_max_ms: float = 0.0  # the longest full (gen-2) collection of the whole phase


class FirstPaint(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.at: float | None = None

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if self.at is None and event.type() == QEvent.Type.Paint:
            self.at = time.perf_counter()
        return False


def bench_config(tmp: Path) -> AppConfig:
    return AppConfig(
        storage=StorageConfig(data_dir=str(tmp / "data")),
        simulator=SimulatorConfig(rate=200),
        api=ApiConfig(port=0),
        logging=LoggingConfig(log_dir=str(tmp / "logs"), level="WARNING"),
        source_path=str(tmp / "config.toml"),
    )


def stored_total(session: Any) -> int:
    sample = session.runtime.metrics_history.latest()
    return sample.events_total if sample is not None else 0


async def settle(session: Any, rate: float | None, timeout: float = 180.0) -> bool:
    """Let a load establish itself; for idle, wait until the backlog of the previous (max-rate) phase
    has drained (the simulator queues what the client has not read yet). False: still not quiet."""
    await asyncio.sleep(SETTLE_S)
    if rate is not None:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # 10 quiet seconds: after a max-rate phase the HA link may reconnect and back-fill in bursts
        recent = session.runtime.metrics_history.since(time.time() - QUIET_S - 0.5)
        if len(recent) >= QUIET_S and all(s.events_per_s < 1 and s.queue_depth == 0 for s in recent):
            return True
        await asyncio.sleep(0.5)
    return False


async def probe_for(seconds: float) -> list[float]:
    probe = LagProbe()
    probe.start()
    await asyncio.sleep(seconds)
    probe.stop()
    return probe.samples


async def measure(
    session: Any, tab_key: str, load: str, rate: float | None, seconds: float, gc_pauses: GcPauses
) -> Phase:
    sim = session.runtime.simulator
    if rate is None:
        sim.pause()
    else:
        sim.resume()
        sim.set_rate(rate)
    tab = session.window.show_tab(tab_key)
    if not await settle(session, rate):
        print(f"warning: {tab_key} {load}: the pipeline was still busy after the settle timeout", flush=True)
    appends0 = (
        tab.live.model.bulk_appends if tab_key == "events" else tab.refreshes if tab_key == "sports" else 0
    )
    gc_pauses.take()
    stored0, t0 = stored_total(session), time.perf_counter()
    lag = await probe_for(seconds)  # normal operation: charts repaint when their ring changed
    elapsed = time.perf_counter() - t0
    stored = (stored_total(session) - stored0) / elapsed
    forced_p99 = None
    if tab_key == "overview":
        charts = [tab.events_chart, tab.latency_chart]
        repaints0 = [c.repaints for c in charts]
        for chart in charts:
            chart.force_repaint = True
        t1 = time.perf_counter()
        forced = await probe_for(FORCED_S)
        refresh = min(c.repaints - r0 for c, r0 in zip(charts, repaints0, strict=True)) / (
            time.perf_counter() - t1
        )
        for chart in charts:
            chart.force_repaint = False
        what, forced_p99 = "chart repaints/s, forced on every 100 ms tick", percentile(forced, 0.99)
    elif tab_key == "sports":
        refresh, what = (tab.refreshes - appends0) / elapsed, "team card refreshes/s (1 Hz timer)"
    else:
        refresh, what = (tab.live.model.bulk_appends - appends0) / elapsed, "live table bulk updates/s"
    return Phase(
        tab_key, load, rate, stored, percentile(lag, 0.5), percentile(lag, 0.99), max(lag, default=0.0),
        len(lag), refresh, what, forced_p99, gc_pauses.take().max_full_ms,
    )  # fmt: skip


def sqlite_heap_mb() -> float:
    """Memory held by SQLite in this process (page caches mostly), when the module links the shared
    library (Debian's Python and pyenv builds do); NaN otherwise."""
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
    except OSError:
        return float("nan")
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    return float(lib.sqlite3_memory_used()) / 1e6


async def start_external_simulator(rate: float) -> tuple[asyncio.subprocess.Process, str]:
    """The HA simulator in its own process, as a real HA would be: the memory run measures our app."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "core.ha.simulator", "--port", "0", "--rate", str(rate),
        stdout=asyncio.subprocess.PIPE, cwd=str(ROOT),
    )  # fmt: skip
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"the simulator did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[-1].strip()


async def memory_run(session: Any, minutes: float, rate: float) -> dict[str, Any]:
    """Rotate the tabs for `minutes` at `rate` events/s and sample RSS and SQLite's heap every 5 s."""
    sim = session.runtime.simulator
    if sim is not None:  # embedded demo home
        sim.resume()
        sim.set_rate(rate)
    keys = list(session.window.tab_by_key)
    samples: list[tuple[float, float, float]] = []
    t0 = time.perf_counter()
    end = t0 + minutes * 60
    i = 0
    while time.perf_counter() < end:
        session.window.show_tab(keys[i % len(keys)])
        i += 1
        for _ in range(2):
            await asyncio.sleep(5)
            samples.append((time.perf_counter() - t0, rss_mb(), sqlite_heap_mb()))
    mid, last = samples[len(samples) // 2], samples[-1]
    return {
        "minutes": minutes,
        "rate": rate,
        "ha": "embedded simulator" if sim is not None else "simulator in its own process",
        "rss_start_mb": samples[0][1],
        "rss_mid_mb": mid[1],
        "rss_end_mb": last[1],
        "rss_peak_mb": max(r for _, r, _ in samples),
        "growth_second_half_mb": last[1] - mid[1],
        "sqlite_end_mb": last[2],
        "sqlite_growth_second_half_mb": last[2] - mid[2],
        "stored_events": stored_total(session),
        "samples": samples,
    }


async def memory_session(app: QApplication, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    config = bench_config(tmp / "memory")
    proc = None
    if args.memory_ha == "external":
        proc, url = await start_external_simulator(args.memory_rate)
        config = replace(config, home_assistant=HomeAssistantConfig(url=url, token="sim-token"))
    session, shown_s = await open_session(app, config, tmp / "memory")
    try:
        await _until(lambda: stored_total(session) > 0, 30)
        return {**await memory_run(session, args.rss_minutes, args.memory_rate), "window_shown_s": shown_s}
    finally:
        await session.stop()
        if proc is not None:
            proc.terminate()
            await proc.wait()


async def open_session(app: QApplication, config: AppConfig, tmp: Path) -> tuple[Any, float]:
    """Start a GUI session like main.py does; return it and its first paint (s after launch)."""
    from app.session import GuiSession

    session = GuiSession(app, config, autostart_path=tmp / "autostart.desktop", use_tray=False)
    painted = FirstPaint()
    session.window.installEventFilter(painted)
    session.window.resize(1440, 900)
    await session.start()
    freeze_long_lived()  # as app/qt_main.py does
    await _until(lambda: painted.at is not None, 10)
    for key in session.window.tab_by_key:  # every tab shown once: all built and laid out
        session.window.show_tab(key)
        await asyncio.sleep(0.2)
    return session, (painted.at or time.perf_counter()) - T_LAUNCH


async def run(app: QApplication, args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="ha_ui_bench_"))
    shown_s: float | None = None
    memory: dict[str, Any] = {}
    if args.rss_minutes > 0:
        # Memory first, in its own session: max-rate phases leave a fragmented heap behind.
        memory = await memory_session(app, tmp, args)
    session, first_paint = await open_session(app, bench_config(tmp / "phases"), tmp)
    shown_s = memory.get("window_shown_s", first_paint)
    gc_pauses = GcPauses()
    gc_pauses.install()
    await _until(lambda: stored_total(session) > 0, 30)
    phases: list[Phase] = []
    try:
        for tab in args.tabs.split(",") if args.phase_s > 0 else ():
            for load, rate in (("idle", None), ("1,000/s", 1000.0), ("max", args.max_rate)):
                phase = await measure(session, tab, load, rate, args.phase_s, gc_pauses)
                phases.append(phase)
                print(_row(phase), flush=True)
    finally:
        await session.stop()
    return {
        "window_shown_s": shown_s,
        "tabs": list(session.window.tab_by_key),
        "phases": [asdict(p) for p in phases],
        "memory": memory,
    }


async def _until(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def _row(p: Phase) -> str:
    offered = "paused" if p.offered_per_s is None else f"{p.offered_per_s:,.0f}/s"
    forced = f" (lag p99 {p.forced_lag_p99_ms:.1f} ms meanwhile)" if p.forced_lag_p99_ms is not None else ""
    lag = [f"{p.lag_p50_ms:.1f}", f"{p.lag_p99_ms:.1f}", f"{p.lag_max_ms:.1f}"]
    cells = [
        p.tab,
        f"{p.load} ({offered})",
        f"{p.stored_per_s:,.0f}",
        *lag,
        f"{p.gc_full_max_ms:.0f}",
        f"{p.refresh_hz:.1f} {p.refresh_what}{forced}",
    ]
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phase-s", type=float, default=8.0, help="seconds measured per tab and load")
    parser.add_argument("--max-rate", type=float, default=20000.0, help="simulator rate for the 'max' load")
    parser.add_argument("--rss-minutes", type=float, default=1.0, help="memory run length")
    parser.add_argument("--memory-rate", type=float, default=200.0, help="events/s during the memory run")
    parser.add_argument("--long", action="store_true", help="memory run of 10 minutes")
    parser.add_argument(
        "--memory-ha", choices=("external", "embedded"), default="external",
        help="memory run against the simulator in its own process (like a real HA) or the embedded demo",
    )  # fmt: skip
    parser.add_argument("--tabs", default="overview,events", help="tabs measured, comma-separated")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if args.long:
        args.rss_minutes = 10.0
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    columns = ["tab", "load (offered)", "stored ev/s", "lag p50 ms", "lag p99 ms", "lag max ms"]
    print("| " + " | ".join([*columns, "full GC max ms", "refresh"]) + " |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        result = runner.run(run(app, args))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(f"\nwindow shown (first paint) {result['window_shown_s']:.2f} s after launch")
    mem = result["memory"]
    if mem:
        growth, sql_growth = mem["growth_second_half_mb"], mem["sqlite_growth_second_half_mb"]
        where = f"{mem['minutes']:g} min at {mem['rate']:g} ev/s ({mem['ha']})"
        print(f"RSS after {where}: {mem['rss_end_mb']:.0f} MB")
        print(f"  peak {mem['rss_peak_mb']:.0f} MB, growth over the second half {growth:+.1f} MB,")
        sqlite_now = mem["sqlite_end_mb"]
        print(f"  of which SQLite's page caches {sql_growth:+.1f} MB (now {sqlite_now:.1f} MB; capped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
