"""`main.py --demo --screenshots DIR`: run the demo home for a warm-up, save one PNG per tab (named
after the tab key, e.g. overview.png), stop cleanly and return 0."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
WARMUP_S = 20.0
SIZE = (1440, 900)
SETTLE_S = 1.2


async def take_screenshots(session: Any, out_dir: Path, warmup_s: float = WARMUP_S) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, before the loop is busy)
    window = session.window
    window.resize(*SIZE)
    try:
        await session.start()
        await _warm_up(session, warmup_s)
        for key in list(window.tab_by_key):
            tab = window.show_tab(key)
            await _settle(session)
            stage = STAGES.get(key)
            if stage is not None:
                stage(tab)
                await _settle(session)
            path = out_dir / f"{key}.png"
            if not window.grab().save(str(path)):
                raise OSError(f"cannot write {path}")
            log.debug("saved %s", path)
    finally:
        await session.stop()
    return 0


def _stage_events(tab: Any) -> None:
    """Select the newest event an automation caused, so its causality tree shows."""
    events = tab.live.model.events()
    row = next((i for i, e in enumerate(events) if e.context_parent_id), 0 if events else None)
    if row is not None:
        proxy_row = tab.live.proxy.mapFromSource(tab.live.model.index(row, 0)).row()
        tab.live.table.selectRow(proxy_row)


def _stage_devices(tab: Any) -> None:
    """Select the device with the most entities."""
    rows = tab.model.rows
    if rows:
        tab.table.selectRow(max(range(len(rows)), key=lambda i: len(rows[i].entities)))


def _stage_first_row(tab: Any) -> None:
    if tab.model.rowCount():
        tab.table.selectRow(0)


def _stage_analytics(tab: Any) -> None:
    tab.find_outliers()


STAGES = {
    "events": _stage_events,
    "devices": _stage_devices,
    "logs": _stage_first_row,
    "analytics": _stage_analytics,
}


async def _warm_up(session: Any, seconds: float) -> None:
    """Let the demo home produce real data; start an automation chain so the causality view has one."""
    await asyncio.sleep(min(3.0, seconds))
    sim = getattr(session.runtime, "simulator", None)
    trigger = getattr(sim, "trigger_automation_chain", None)
    if trigger is not None:
        result = trigger()
        if asyncio.iscoroutine(result):
            await result
    await asyncio.sleep(max(0.0, seconds - 3.0))


async def _settle(session: Any, timeout: float = 5.0) -> None:
    """Give the tab time to load (store reads run on the loop) and to paint."""
    deadline = time.monotonic() + timeout
    await asyncio.sleep(SETTLE_S)
    while session.controller.pending and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.2)
