"""The Services tab's "This app" card shows the runtime's own measurements (loop lag, GC, RSS, CPU),
and "measuring…" before there is anything to show.

Async tests run on the qasync loop: the probe in the card's numbers is timing that very loop.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from app import fmt
from app.tabs.services_tab import MEASURING, PROCESS_ROWS, ProcessCard, process_texts
from core import process_health
from tests.gui_conftest import wait_until

pytestmark = pytest.mark.gui


async def test_this_app_card_shows_the_latest_sample(gui_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process_health, "P99_AFTER_S", 1.0)  # a p99 within the test, not after 10 s
    async with gui_app() as session:
        rt = session.runtime
        tab = session.window.show_tab("services")
        history = rt.metrics_history
        await wait_until(lambda: (s := history.latest()) is not None and s.loop_lag_p99_ms is not None, 20)
        before = time.time()
        tab.refresh()
        after = time.time()
        sample = history.latest()
        card = tab.process_card
        assert card.title.text() == "This app"
        assert card.values["rss"].text() == fmt.size(sample.rss_mb * process_health.MIB)
        assert card.values["lag_p99"].text() == fmt.ms(sample.loop_lag_p99_ms)
        assert card.values["lag_max"].text() == fmt.ms(sample.loop_lag_max_ms)
        assert card.values["cpu"].text() == fmt.percent(sample.cpu_percent)
        uptimes = {fmt.duration(before - rt.started_at), fmt.duration(after - rt.started_at)}
        assert card.values["uptime"].text() in uptimes
        gc_max = history.max_since("gc_pause_max_ms", sample.t - process_health.WINDOW_S)
        assert card.values["gc"].text() in (fmt.ms(gc_max), "no full collection")
        assert card.state.text() in ("running", "event loop lagging")
        assert MEASURING not in {label.text() for label in card.values.values()}


def test_measuring_before_the_first_sample(qapp: Any) -> None:
    card = ProcessCard()
    card.update_health(None, None, None, lagging=False)
    assert card.state.text() == MEASURING
    assert {k: card.values[k].text() for k in PROCESS_ROWS} == {
        **dict.fromkeys(PROCESS_ROWS, MEASURING),
        "uptime": fmt.DASH,
    }


def test_unknown_fields_say_measuring_not_zero() -> None:
    sample = type("S", (), {"loop_lag_p99_ms": None, "loop_lag_max_ms": 3.0, "rss_mb": 100.0,
                            "cpu_percent": None})()  # fmt: skip
    texts = process_texts(sample, gc_max_ms=0.0, started_at=100.0, now=165.0)
    assert texts["lag_p99"] == MEASURING and texts["cpu"] == MEASURING
    assert texts["lag_max"] == fmt.ms(3.0) and texts["gc"] == "no full collection"
    assert texts["rss"] == fmt.size(100.0 * process_health.MIB) and texts["uptime"] == "1 min 5 s"
