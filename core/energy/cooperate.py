"""Let the event loop breathe while a worker thread crunches.

A pure-Python worker thread shares the GIL with the asyncio loop. The interpreter forces a hand-over
only every 5 ms, and one loop wake-up needs the GIL several times (select, the callback, the next
select), so on a busy machine the loop lagged 20-30 ms behind a spinning worker; giving the GIL away
with `time.sleep(0)` every couple of milliseconds brought its p99 to ~6 ms (bench/energy.py).
The energy algorithms call `breathe()` in their long loops: a clock read, and rarely a sleep(0).
"""

from __future__ import annotations

import threading
import time

PERIOD_S = 0.002
_last = threading.local()


def breathe() -> None:
    """Yield the GIL if this thread has held it for about PERIOD_S (cheap when not due)."""
    now = time.perf_counter()
    last = getattr(_last, "t", None)
    if last is None:
        _last.t = now
    elif now - last >= PERIOD_S:
        time.sleep(0)
        _last.t = time.perf_counter()
