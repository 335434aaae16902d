"""Where a reconnect's gap ends, and waiting for HA's recorder to have written up to there.

HA's recorder commits in the background and trails the event bus by seconds under load (or on
slow storage such as an SD card): history asked for right after a reconnect lacks the gap's last
seconds, and a back-fill that trusted it lost them for good (21 % of events at HA's maximum rate).

The gap ends at the first live event after subscribing: everything later arrived live. The
`LiveMarker` notes it (and the entities of the first few live events) on the way to the pipeline.
`wait_for_recorder` then asks, until a bounded time has passed, whether the recorder has written
that far: a small history query over the first live events' entities just after that time. The
recorder writes in order, so once one of those rows is visible, every row before the first live
event is too, and the back-fill can run up to it and call the gap closed. Each round also reads
`recorder/info` (its `backlog`: events not written yet) for the log and the status. With no live
event at all (a quiet home), an empty backlog is the only sign there is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.store.codec import epoch_to_us, parse_time_us, us_to_datetime

log = logging.getLogger("core.ha.client")

Command = Callable[[dict[str, Any]], Awaitable[Any]]
Submit = Callable[[Any], object]
PROBE_ENTITIES = 8  # entities of the first live events the probe asks about
NOTED_EVENTS = 64  # live events looked at for them (a home where few entities change has fewer)
PROBE_SPAN = timedelta(seconds=1)  # how far past the first live event the probe looks


@dataclass(frozen=True, slots=True)
class FirstLive:
    time_us: int  # time_fired of the first live event on this connection (HA's clock)
    entity_ids: tuple[str, ...]  # entities of the first live events, first one first

    @property
    def time(self) -> datetime:
        return us_to_datetime(self.time_us)


@dataclass(frozen=True, slots=True)
class CatchUp:
    """What the wait found: whether the recorder had written up to the gap's end."""

    caught_up: bool
    end: datetime | None  # the gap's end (the first live event), None: no live event yet
    backlog: int | None  # recorder/info's last backlog; None: HA did not say
    waited_s: float
    probes: int


class LiveMarker:
    """Passes each live event on to `submit`, noting the first one (and a few more entities)."""

    __slots__ = ("_entities", "_noting", "_submit", "_time_us")

    def __init__(self, submit: Submit) -> None:
        self._submit = submit
        self._time_us: int | None = None
        self._entities: list[str] = []
        self._noting = NOTED_EVENTS  # after these, each event costs one integer test

    def __call__(self, event: Any) -> object:
        if self._noting:
            self._noting -= 1
            self._note(event)
        return self._submit(event)

    def _note(self, event: Any) -> None:
        try:
            entity_id = event["data"]["entity_id"]
            fired = parse_time_us(event["time_fired"])
        except (KeyError, TypeError, ValueError):
            return  # the pipeline rejects it with a reason; the next good event marks the gap's end
        if not isinstance(entity_id, str):
            return
        if self._time_us is None:
            self._time_us = fired
        if entity_id not in self._entities:
            self._entities.append(entity_id)
            if len(self._entities) >= PROBE_ENTITIES:
                self._noting = 0

    @property
    def first(self) -> FirstLive | None:
        if self._time_us is None:
            return None
        return FirstLive(self._time_us, tuple(self._entities))


async def recorder_backlog(command: Command) -> int | None:
    """recorder/info's backlog, or None when HA does not answer it (no recorder, an old HA)."""
    try:
        info = await command({"type": "recorder/info"})
    except Exception as err:  # a CommandError, or no answer: the probe still decides
        log.debug("recorder/info failed: %s", err)
        return None
    backlog = info.get("backlog") if isinstance(info, dict) else None
    return backlog if type(backlog) is int else None


async def recorded_past(command: Command, first: FirstLive) -> bool:
    """True when HA's history already holds a row of the first live events at or after the first."""
    start = first.time - timedelta(milliseconds=1)
    reply = await command(
        {
            "type": "history/history_during_period",
            "start_time": start.isoformat(),
            "end_time": (first.time + PROBE_SPAN).isoformat(),
            "entity_ids": list(first.entity_ids),
            "include_start_time_state": False,
            "significant_changes_only": False,
            "minimal_response": False,  # minimal rows hide attribute-only changes
            "no_attributes": True,
        }
    )
    if not isinstance(reply, dict):
        return False
    for rows in reply.values():
        for row in rows if isinstance(rows, list) else ():
            lu = row.get("lu") if isinstance(row, dict) else None
            if isinstance(lu, float | int) and not isinstance(lu, bool) and _at_or_after(lu, first.time_us):
                return True
    return False


def _at_or_after(lu: float, time_us: int) -> bool:
    try:
        return epoch_to_us(lu) >= time_us - 2  # HA's own conversion; 2 µs as the store's dedupe
    except (OverflowError, ValueError, OSError):
        return False


async def wait_for_recorder(
    command: Command, marker: LiveMarker, *, max_wait_s: float, poll_s: float
) -> CatchUp:
    """Poll until the recorder has written up to the gap's end, at most `max_wait_s`."""
    started = time.monotonic()
    probes, backlog = 0, None
    while True:
        backlog = await recorder_backlog(command)
        first = marker.first
        if first is not None:
            probes += 1
            if await recorded_past(command, first):
                return CatchUp(True, first.time, backlog, time.monotonic() - started, probes)
        elif backlog == 0 or backlog is None:
            # No live event yet (a quiet home): an empty backlog is the only sign there is, and
            # with no recorder/info there is none; go on as if the recorder were current.
            return CatchUp(True, None, backlog, time.monotonic() - started, probes)
        waited = time.monotonic() - started
        if waited >= max_wait_s:
            return CatchUp(False, None if first is None else first.time, backlog, waited, probes)
        await asyncio.sleep(poll_s)
