"""Headless mode: the runtime with a one-line live status refreshed every second."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import TextIO

from core.api.engine_spec import SPEC as API
from core.bus import Topic
from core.config import AppConfig
from core.engine import EngineState
from core.ha.spec import SPEC as HA_CLIENT
from core.logs import redact, setup_logging, shutdown_logging
from core.metrics import MetricsSample
from core.runtime import Runtime, run_for


def status_line(runtime: Runtime, sample: MetricsSample) -> str:
    ha = runtime.engine_status(HA_CLIENT.name)
    health = runtime.health().status
    latency = f"{sample.latency_p99_ms:.0f} ms" if sample.latency_p99_ms is not None else "-"
    outbox = f" | influx outbox {sample.outbox_depth}" if sample.outbox_depth is not None else ""
    # The app's own health: on a small server a lagging loop is the first sign of trouble.
    lag = f" | loop p99 {sample.loop_lag_p99_ms:.0f} ms" if sample.loop_lag_p99_ms is not None else ""
    rss = f" | {sample.rss_mb:.0f} MB" if sample.rss_mb is not None else ""
    api = runtime.engine_status(API.name)
    # A port in use must not hide in the log: the operator watches this line.
    failed = f" | API {api.state}: {api.last_error or api.detail}" if api.state == EngineState.FAILED else ""
    # Human-facing like a log line: HA's detail may quote the token (a hostile auth_invalid message).
    return redact(
        f"{health} | HA {ha.detail or ha.state} | {sample.events_per_s:,.0f} ev/s | "
        f"total {sample.events_total:,} | p99 {latency} | queue {sample.queue_depth}"
        f"{outbox}{lag}{rss}{failed}"
    )


async def run_headless_async(
    config: AppConfig,
    duration: float | None,
    install_signals: Callable[[asyncio.Event], None] | None = None,
    out: TextIO = sys.stdout,
) -> int:
    runtime = Runtime(config)  # registers the config's secrets for redaction
    setup_logging(config.logging, runtime.bus)
    stop = asyncio.Event()
    if install_signals is not None:
        install_signals(stop)
    tty = out.isatty()

    def show(sample: MetricsSample) -> None:
        line = status_line(runtime, sample)
        out.write(f"\r\x1b[2K{line}" if tty else f"{line}\n")
        out.flush()

    runtime.bus.subscribe(Topic.METRICS, show)
    try:
        await run_for(runtime, duration, stop)
    finally:
        shutdown_logging()
    total = runtime.metrics_history.latest()
    out.write(f"\nstopped; {total.events_total if total else 0:,} events stored in {runtime.data_dir}\n")
    return 0
