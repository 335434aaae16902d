"""The outgoing queue of one client, reproducing HA's WebSocketHandler writer (http.py).

* Messages go into a deque; the writer task is woken via a future that is released only once the queue
  stopped growing for a loop iteration or reached PENDING_MSG_MAX_FORCE_READY, so bursts coalesce.
* With coalesce_messages on, several queued messages leave as one JSON array frame (here at most
  PENDING_MSG_MAX_FORCE_READY per frame); a lone message is sent as a bare object.
* Back-pressure: MAX_PENDING_MSG queued -> disconnect at once; above PENDING_MSG_PEAK for
  pending_peak_time seconds -> disconnect.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import WSMsgType, web

from core.ha.simulator import const

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RawFrame:
    """A frame sent on its own, never coalesced (fault injection: malformed JSON, binary frames)."""

    data: bytes
    binary: bool = False


Item = bytes | RawFrame


class Outbox:
    """Queue + writer task for one authenticated client."""

    def __init__(
        self, ws: web.WebSocketResponse, peak_time: float, on_overflow: Callable[[str], None]
    ) -> None:
        self._ws = ws
        self._peak_time = peak_time
        self._on_overflow = on_overflow
        self._loop = asyncio.get_running_loop()
        self._queue: deque[Item] = deque()
        self._ready: asyncio.Future[None] | None = None
        self._release_size = 0
        self._peak_timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.can_coalesce = False
        self.stalled_until = 0.0
        """Loop time until which nothing is written (stall_reads fault)."""

    def __len__(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        """Start the writer task."""
        self._task = asyncio.create_task(self._run(), name="sim-ws-writer")

    def put(self, item: Item) -> None:
        """Queue a message (HA's _send_message)."""
        if self._closing:
            return
        queue = self._queue
        queue.append(item)
        size = len(queue)
        if size >= const.MAX_PENDING_MSG:
            limit = const.MAX_PENDING_MSG
            self._on_overflow(
                f"Client unable to keep up with pending messages. Reached {limit} pending messages"
            )
            return
        if self._release_size == 0:
            self._release_size = size
            self._loop.call_soon(self._release_or_reschedule)
        if size <= const.PENDING_MSG_PEAK:
            self._cancel_peak_timer()
        elif self._peak_timer is None:
            self._peak_timer = self._loop.call_later(self._peak_time, self._check_peak)

    def close(self) -> None:
        """Stop accepting messages and let the writer end; queued messages are dropped, as in HA."""
        self._closing = True
        self._cancel_peak_timer()
        self._queue.clear()
        if self._ready is not None and not self._ready.done():
            self._ready.set_result(None)

    async def wait_closed(self, timeout: float) -> None:
        """Wait for the writer to end; cancel it if it is stuck on a full socket.

        The writer is not cancelled first: a cancelled aiohttp send of a compressed frame leaves an
        orphaned task that logs "exception was never retrieved" once the socket closes."""
        task = self._task
        if task is None or task.done():
            return
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(task)
        except TimeoutError:
            task.cancel()

    def _cancel_peak_timer(self) -> None:
        if self._peak_timer is not None:
            self._peak_timer.cancel()
            self._peak_timer = None

    def _check_peak(self) -> None:
        self._peak_timer = None
        if len(self._queue) >= const.PENDING_MSG_PEAK:
            self._on_overflow(
                "Client unable to keep up with pending messages. "
                f"Stayed over {const.PENDING_MSG_PEAK} for {self._peak_time:g} seconds"
            )

    def _release_or_reschedule(self) -> None:
        """Wake the writer once the queue stopped growing for one loop iteration (or is big enough)."""
        ready, size = self._ready, len(self._queue)
        if ready is None or not size:
            self._release_size = 0
            return
        if size > self._release_size < const.PENDING_MSG_MAX_FORCE_READY:
            self._release_size = size
            self._loop.call_soon(self._release_or_reschedule)
            return
        self._release_size = 0
        if not ready.done():
            ready.set_result(None)

    async def _run(self) -> None:
        try:
            while not self._closing:
                if not self._queue:
                    self._ready = self._loop.create_future()
                    await self._ready
                    continue
                if self.stalled_until:
                    await self._wait_stall()
                    continue
                await self._send_next()
        except (ConnectionError, RuntimeError) as err:
            # The socket went away under us; the reader side notices and cleans up.
            _LOGGER.debug("simulator writer stopped: %s", err)

    async def _wait_stall(self) -> None:
        while (remaining := self.stalled_until - self._loop.time()) > 0:
            await asyncio.sleep(remaining)
        self.stalled_until = 0.0

    async def _send_next(self) -> None:
        queue, ws = self._queue, self._ws
        first = queue.popleft()
        if isinstance(first, RawFrame):
            await ws.send_frame(first.data, WSMsgType.BINARY if first.binary else WSMsgType.TEXT)
            return
        if not self.can_coalesce or not queue or isinstance(queue[0], RawFrame):
            await ws.send_frame(first, WSMsgType.TEXT)
            return
        batch = [first]
        while queue and len(batch) < const.PENDING_MSG_MAX_FORCE_READY:
            item = queue[0]
            if isinstance(item, RawFrame):
                break
            batch.append(item)
            queue.popleft()
        await ws.send_frame(b"[" + b",".join(batch) + b"]", WSMsgType.TEXT)
