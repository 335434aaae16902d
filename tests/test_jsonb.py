"""Kept JSON bytes are right-sized: orjson's 4 KiB buffers must not pile up in caches and rings."""

from __future__ import annotations

import tracemalloc

import orjson

from core.jsonb import dumps_kept


def _traced_bytes(make: object) -> int:
    tracemalloc.start()
    try:
        kept = [make({"unit_of_measurement": "W", "value": i}) for i in range(2000)]  # type: ignore[operator]
        size, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(kept) == 2000
    return size


def test_kept_bytes_cost_their_length_not_a_buffer() -> None:
    assert dumps_kept({"a": [1, 2]}) == orjson.dumps({"a": [1, 2]})
    per_item = _traced_bytes(dumps_kept) / 2000
    assert per_item < 200  # ~80 bytes of JSON plus the object header and the list slot
