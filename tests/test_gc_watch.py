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
        # Other threads of the test process (servers, pools of earlier tests) may free a few frozen
        # objects meanwhile: the count can only have gone down by those.
        assert 0.99 * frozen <= gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_the_simulators_recorded_rows_are_invisible_to_the_collector() -> None:
    """150,000 recorded rows must cost a full collection nothing (bench/README: 200+ ms stalls when
    they were NamedTuples holding dicts): once collected, they are untracked plain tuples."""
    from core.ha.simulator.history import HistoryStore

    store = HistoryStore(rows_per_entity=100, max_age_s=3600)
    for i in range(50):
        store.append("sensor.power", (1_000_000 + i, 1_000_000 + i, f"{i}.5", b'{"unit":"W"}'))
    gc.collect()
    rows = list(store.rows("sensor.power"))
    assert len(rows) == 50 and not any(gc.is_tracked(row) for row in rows)
