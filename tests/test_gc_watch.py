"""GC pause measurement and the start-up freeze that keeps full collections short."""

from __future__ import annotations

import gc

from core.gc_watch import GcPauses, freeze_long_lived


def test_pauses_are_timed_per_window() -> None:
    pauses = GcPauses()
    pauses.install()
    try:
        gc.collect()
        window = pauses.take()
        assert window.full_collections >= 1 and window.max_full_ms > 0
        assert pauses.take().collections == 0  # take() starts a new window
    finally:
        pauses.uninstall()
    gc.collect()
    assert pauses.take().collections == 0  # uninstalled: no longer called


def test_freeze_takes_start_up_objects_out_of_full_collections() -> None:
    try:
        frozen = freeze_long_lived()
        assert frozen > 1000  # modules, classes, functions of this test process
        assert frozen == gc.get_freeze_count()
    finally:
        gc.unfreeze()
