"""JSON bytes that are kept: a right-sized copy of orjson's output.

orjson (3.12 and later) returns its working buffer as the bytes object: at least 4 KiB are allocated
whatever the length (`sys.getsizeof` shows only the length; tracemalloc shows the 4 KiB). Fine for a
reply that is sent and dropped; ruinous for bytes that are kept: 100,000 small attribute sets held
400 MB here (measured with tracemalloc, bench/README.md). Home Assistant trims cached fragments the
same way (home-assistant/core#181240, #181513). A copy costs ~0.2 µs.
"""

from __future__ import annotations

from typing import Any

import orjson


def dumps_kept(obj: Any, option: int | None = None) -> bytes:
    """orjson.dumps for bytes that live on (caches, rings, queues, recorded rows)."""
    return bytes(memoryview(orjson.dumps(obj, option=option)))


def kept(encoded: bytes) -> bytes:
    """A right-sized copy of bytes from orjson.dumps (or anything else over-allocated)."""
    return bytes(memoryview(encoded))
