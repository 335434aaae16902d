"""The GUI on a real, simulator-backed runtime (demo home at ~50 events/s): every tab shows what the
runtime and the store really hold, and the window's actions reach the runtime.

Async tests run on the qasync loop (docs/stack-notes.md §3, pattern A): they await futures, never qtbot.wait.
"""

from __future__ import annotations

import asyncio
import logging
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from app import fmt, theme
from app.models.rows_model import ROW_ROLE
from app.tabs.dependencies_tab import build_flow
from core.alerts import SPEC as ALERTS
from core.alerts.rules import AlertThresholds
from core.api import SPEC as API
from core.ha import SPEC as HA_CLIENT
from core.logs import correlation_scope
from core.pipeline import SPEC as PIPELINE
from tests.gui_conftest import wait_until

pytestmark = pytest.mark.gui


async def quiet_store(rt: Any) -> None:
    """Pause the demo home and wait until nothing more arrives (messages in flight included)."""
    rt.simulator.pause()
    pipeline = rt.engine(PIPELINE)
    last = -1
    while pipeline.stats.stored != last:
        last = pipeline.stats.stored
        await asyncio.sleep(0.3)
        await pipeline.flush()


def current(session: Any, key: str) -> Any:
    return session.window.show_tab(key)


async def test_overview_services_and_dependencies_show_the_runtime(gui_app: Any) -> None:
    async with gui_app() as session:
        rt = session.runtime
        overview = current(session, "overview")
        await wait_until(lambda: overview.today is not None and overview.size_bytes is not None)
        overview.refresh()
        sample = rt.metrics_history.latest()
        assert overview.tiles["rate"].value.text() == fmt.rate(sample.events_per_s, "")
        assert overview.tiles["latency"].value.text() == fmt.ms(sample.latency_p99_ms)
        assert overview.tiles["today"].value.text() == fmt.number(overview.today)
        assert overview.health.status.text().lower() == str(rt.health().status)
        info = rt.engine(HA_CLIENT).connection_info
        assert overview.ha.values["version"].text() == info.ha_version
        assert overview.ha.values["entities"].text() == fmt.number(info.entity_count)
        assert fmt.size(overview.size_bytes) in overview.storage.values["SQLite"].text()
        assert overview.storage.values["InfluxDB"].text() == "not configured"
        assert overview.events_chart.running and overview.events_chart.repaints > 0
        current(session, "services")
        assert not overview.events_chart.running and not overview.timers_running  # hidden: stopped
        assert session.window.tab_by_key["services"].timers_running

        services = session.window.tab_by_key["services"]
        services.refresh()
        assert set(services.cards) == {s.name for s in rt.statuses()}
        assert services.cards["pipeline"].state.text() == str(rt.engine_status("pipeline").state)
        assert not services.cards["sqlite"].restart.isVisibleTo(
            services
        )  # not an engine the runtime restarts
        old_api = rt.engine(API)
        services.cards["api"].restart.click()
        await wait_until(lambda: "restarted" in services.cards["api"].result.text())
        assert rt.engine(API) is not old_api and rt.engine_status("api").state == "running"

        flow = build_flow(rt)
        assert flow.node("client").state == "running" and flow.node("influx").state == "disabled"
        # HA's node and the client's card read one state mapping (core.ha.info), so they never disagree
        assert flow.node("ha").state == str(rt.engine_status("ha_client").state)
        latest = rt.metrics_history.latest()
        assert flow.edge("pipeline", "sqlite").label == f"{fmt.rate(latest.events_per_s, '')} ev/s"
        assert flow.edge("sqlite", "outbox").label == "off"


async def test_events_stream_filters_history_and_causality_tree(gui_app: Any) -> None:
    async with gui_app() as session:
        rt = session.runtime
        tab = current(session, "events")
        live = tab.live
        await wait_until(lambda: live.model.rowCount() > 20)
        assert live.model.bulk_appends < live.model.total_seen  # batches, not one insert per event
        newest = live.model.event_at(0)
        stored = await rt.store.queries.last_events(newest.entity_id, 5)
        assert newest in [s.event for s in stored]  # the stream shows what was committed

        live.refresh_choices()
        live.domain.set_value("sensor")
        assert live.proxy.rowCount() > 0
        assert {live.proxy.index(r, 0).data(ROW_ROLE).domain for r in range(live.proxy.rowCount())} == {
            "sensor"
        }
        live.search.setText(newest.entity_id)
        assert all(newest.entity_id in live.proxy.index(r, 0).data(ROW_ROLE).entity_id
                   for r in range(live.proxy.rowCount()))  # fmt: skip
        live.pause.click()
        paused_rows = live.model.rowCount()
        await wait_until(lambda: live.model.pending_count > 0)
        assert live.model.rowCount() == paused_rows
        live.pause.click()
        assert live.model.pending_count == 0 and live.model.rowCount() > paused_rows

        await quiet_store(rt)  # so the tab's page and ours hold the same rows
        history = tab.history
        history.search()
        await wait_until(lambda: history.model.rows)
        start, end = history.time_window()
        page = await rt.store.queries.events(start, end, history.event_filter(), limit=200)
        assert [s.id for s in history.model.rows] == [s.id for s in page.events]
        if page.next_cursor:
            history.older.click()
            await wait_until(lambda: len(history.cursors) == 2 and history.model.rows != page.events)

        rt.simulator.resume()
        root = rt.simulator.trigger_automation_chain()
        caused = await wait_until(lambda: [e for e in live.model.events() if e.context_parent_id == root])
        await wait_until(lambda: len(tab.trace.rows()) >= 3, on_poll=lambda: tab.select_event(caused[0]))
        rows = tab.trace.rows()
        assert [depth for depth, _ in rows][:3] == [0, 1, 2], (
            rows
        )  # root cause -> automation run -> what it did
        assert tab.trace.model.item(0, 2).text().startswith(root[:10])
        assert "binary_sensor" in rows[0][1] and "automation" in rows[1][1], rows


async def test_devices_tab_lists_the_store_devices_with_detail(gui_app: Any) -> None:
    async with gui_app() as session:
        rt = session.runtime
        tab = current(session, "devices")
        devices = await rt.store.queries.devices()
        await wait_until(lambda: len(tab.model.rows) == len(devices) > 0)
        assert {r.info.id for r in tab.model.rows} == {d.id for d in devices}
        maker = next(d.manufacturer for d in devices if d.manufacturer)
        tab.filters["manufacturer"].set_value(maker)
        assert tab.model.rows and {r.info.manufacturer for r in tab.model.rows} == {maker}
        tab.table.selectRow(0)
        row = tab.model.rows[0]
        await wait_until(lambda: tab.detail.model.rows and any(r.recent for r in tab.detail.model.rows))
        assert {r.info.entity_id for r in tab.detail.model.rows} == {e.entity_id for e in row.entities}
        reliability = await wait_until(lambda: tab.detail.reliability.text())
        assert "availability" in reliability or reliability == "reliability: no data"


async def test_analytics_tab_shows_core_numbers(gui_app: Any) -> None:
    async with gui_app() as session:
        from app.tabs.analytics_data import outlier_rows
        from core.analytics import event_stats
        from core.durations import duration_analytics

        rt = session.runtime
        await quiet_store(rt)  # the tab's numbers and ours cover the same rows
        tab = current(session, "analytics")
        await wait_until(lambda: tab.data is not None)
        data = tab.data
        again = await event_stats(rt.store, data.start, data.end, top=15)
        assert again.total == data.stats.total  # the same function the API serves
        assert tab.tiles["total"].value.text() == fmt.number(data.stats.total)
        assert [label for label, _ in tab.domains.items] == [r.key for r in data.stats.domains]
        assert len(tab.reliability.rows) == len(data.reliability)
        tab.outlier_button.click()  # durations read every raw row: on request only
        await wait_until(lambda: "states with outliers" in tab.outlier_status.text())
        durations = await duration_analytics(rt.store, data.start, data.end, limit=500)
        shown = [(r.entity_id, r.state.state, r.state.outliers) for r in tab.outliers.rows]
        assert shown == [(r.entity_id, r.state.state, r.state.outliers) for r in outlier_rows(durations)]


async def test_logs_tab_filters_and_follows_correlation_ids(gui_app: Any) -> None:
    async with gui_app() as session:
        tab = current(session, "logs")
        with correlation_scope() as cid:
            logging.getLogger("core.pipeline.gui_test").warning("first line of request %s", cid)
            logging.getLogger("core.api.gui_test").error("second line")
        logging.getLogger("core.pipeline.gui_test").warning("unrelated")
        await wait_until(lambda: any(e.correlation_id == cid for e in tab.model.rows))
        tab.level.setCurrentText("ERROR")
        assert [e.message for e in tab.model.rows if e.correlation_id == cid] == ["second line"]
        tab.level.setCurrentText("WARNING")
        tab.filter_correlation(cid)
        assert [e.message for e in tab.model.rows] == ["second line", f"first line of request {cid}"]
        tab.filter_correlation(None)
        tab.search.setText("unrelated")
        assert [e.message for e in tab.model.rows][:1] == ["unrelated"]


async def test_configuration_applies_only_the_concerned_engine_and_saves(gui_app: Any) -> None:
    async with gui_app(warm=False) as session:
        rt = session.runtime
        tab = current(session, "configuration")
        before = dict(rt.engines)
        shown = [label.text() for label in tab.form.findChildren(QLabel) if "Apply restarts" in label.text()]
        assert "Apply restarts: REST API" in shown  # from the engine catalogue's specs
        assert "Apply restarts: Pipeline" in shown
        tab.form.inputs[("storage", "batch_size")].setText("zero")
        tab.buttons["save"].click()
        assert "storage.batch_size" in tab.status.text() and rt.config.storage.batch_size == 500
        tab.form.inputs[("storage", "batch_size")].setText("500")
        tab.form.inputs[("api", "api_key")].setText("a-new-api-key-0123456789")
        tab.buttons["save"].click()
        await wait_until(lambda: "applied" in tab.status.text(), timeout=15)
        assert "restarted: api" in tab.status.text()
        assert rt.config.api.api_key == "a-new-api-key-0123456789"
        assert rt.engine(API) is not before["api"]
        assert all(rt.engines[n] is before[n] for n in before if n != "api")
        saved = tomllib.loads(await asyncio.to_thread(Path(rt.config.source_path).read_text))
        assert saved["api"]["api_key"] == "a-new-api-key-0123456789"
        assert tab.form.inputs[("api", "api_key")].text() == ""  # shown masked again

        tab.form.inputs[("ui", "theme")].setText("light")  # an interface change restarts nothing
        tab.buttons["apply"].click()
        await wait_until(lambda: "no engine needed a restart" in tab.status.text())
        assert theme.palette().name == "light" and all(
            rt.engines[n] is before[n] for n in before if n != "api"
        )
        theme.manager().set_theme("dark")  # type: ignore[union-attr]


async def test_configuration_test_buttons_really_connect(gui_app: Any) -> None:
    async with gui_app(warm=False) as session:
        rt = session.runtime
        tab = current(session, "configuration")
        await wait_until(lambda: rt.simulator is not None)
        tab.form.inputs[("home_assistant", "url")].setText(rt.simulator.base_url)
        tab.form.inputs[("home_assistant", "token")].setText(rt.simulator.config.token)
        tab.buttons["test_ha"].click()
        text = await wait_until(lambda: "entities" in tab.test_result.text() and tab.test_result.text())
        assert text.startswith(
            f"Home Assistant: connected to Home Assistant {rt.simulator.config.ha_version}"
        )
        tab.form.inputs[("home_assistant", "token")].setText("not-the-token")
        tab.buttons["test_ha"].click()
        await wait_until(lambda: "Authentication failed" in tab.test_result.text())
        tab.form.inputs[("home_assistant", "url")].setText("")
        tab.form.inputs[("influxdb", "url")].setText(
            "http://127.0.0.1:9"
        )  # nothing listens on the discard port
        tab.buttons["test_influx"].click()
        await wait_until(lambda: "InfluxDB: failed: " in tab.test_result.text())
        assert "cannot reach http://127.0.0.1:9" in tab.test_result.text()
        assert rt.config.home_assistant.url == ""  # testing changes nothing


async def test_ha_disconnect_reaches_status_bar_and_alerts(gui_app: Any) -> None:
    async with gui_app() as session:
        rt = session.runtime
        assert not session.notifier.has_tray  # offscreen: the status bar carries the information
        await wait_until(
            lambda: session.bridge.last_health and session.bridge.last_health.status == "healthy"
        )
        rt.simulator.reject_auth(True)
        await rt.simulator.drop_connections()
        await wait_until(lambda: session.bridge.last_health.status != "healthy", timeout=10)
        # The diagram's HA node and the client's status come from one mapping (core.ha.info): while the
        # link is down (auth rejected, connecting again after a first connection) they agree.
        assert build_flow(rt).node("ha").state == str(rt.engine_status("ha_client").state) != "starting"
        assert "ha_client" in session.window.health.label.text()
        assert session.window.health.label.text().startswith(str(session.bridge.last_health.status))
        await wait_until(lambda: "Health:" in session.window.notice.text(), timeout=5)

        engine = rt.engine(ALERTS)
        engine.thresholds = AlertThresholds(ha_disconnected_s=0)
        await engine.evaluate()
        alerts = current(session, "alerts")
        await wait_until(
            lambda: {"ha_disconnected", "ha_auth_rejected"} <= {a.rule for a in alerts.model.rows}
        )
        overview = session.window.tab_by_key["overview"]
        overview.refresh()
        assert overview.banner.isVisibleTo(overview)
        assert any(a.message in overview.banner.text() for a in engine.open_alerts())
        alerts.table.selectRow(0)
        first = alerts.model.rows[0]
        alerts.ack.click()
        await wait_until(
            lambda: any(a.id == first.id and a.state == "acknowledged" for a in alerts.model.rows)
        )
        alerts.table.selectRow([a.id for a in alerts.model.rows].index(first.id))
        alerts.resolve.click()
        await wait_until(lambda: first.id not in [a.id for a in alerts.model.rows])  # "open" hides it now
        alerts.state.setCurrentText("resolved")
        await wait_until(
            lambda: any(a.id == first.id and a.resolution == "manual" for a in alerts.model.rows)
        )


async def test_closing_the_window_shuts_the_runtime_down_cleanly(gui_app: Any) -> None:
    async with gui_app() as session:
        rt = session.runtime
        store_path = rt.store.path
        session.window.close()
        assert session.closed.done()
        await session.stop()
        assert rt.engines == {} and rt.simulator is None
        assert next(s for s in rt.statuses() if s.name == "sqlite").state == "stopped"  # closed
        assert session.controller.pending == 0
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
        assert others == []  # nothing left running
        stored = rt.metrics_history.latest().events_total
        from core.store import EventStore

        store = await EventStore.open(store_path.parent, retention=False)
        try:
            day = timedelta(days=1)
            now = datetime.now(UTC)
            assert await store.queries.count_events(now - day, now + day) >= stored  # everything flushed
        finally:
            await store.close()
