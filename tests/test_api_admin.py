"""Admin API, Prometheus metrics, logs and alerts against a real runtime; correlation ids end to end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.alerts import SPEC as ALERTS
from core.alerts import AlertEngine
from core.alerts.rules import AlertThresholds
from core.api import SPEC as API
from core.metrics import MetricsHistory
from core.version import version
from tests.api_live import LiveRuntime, start_live


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRuntime]:
    rt = start_live(tmp_path_factory.mktemp("api_admin"))
    try:
        rt.wait_stored(300)
        yield rt
    finally:
        rt.stop()


def alerts_engine(live: LiveRuntime) -> AlertEngine:
    engine = live.runtime.engine(ALERTS)
    assert isinstance(engine, AlertEngine)
    return engine


# -- health ---------------------------------------------------------------------------------------


def test_liveness_lists_every_engine_without_a_key(live: LiveRuntime) -> None:
    body = live.get("/health").json()
    assert body["status"] in ("healthy", "degraded", "unhealthy")
    assert {"pipeline", "ha_client", "api", "alerts", "sqlite"} <= set(body["engines"])
    assert body["engines"]["api"] == "running"


def test_health_is_open_and_derived_from_core_health(live: LiveRuntime) -> None:
    body = live.get("/api/v1/health").json()
    report = live.runtime.health()
    assert body["status"] == str(report.status) and body["service"] == "ha-ingestor"
    assert body["uptime_seconds"] > 0
    assert body["version"] == version()  # the one number from pyproject.toml
    assert {d["name"] for d in body["dependencies"]} >= {"home_assistant", "sqlite", "influxdb"}
    text = live.get("/api/v1/health").text
    assert live.api_key not in text and live.admin_key not in text


def test_services_one_entry_per_engine(live: LiveRuntime) -> None:
    services = live.admin_get("/api/v1/health/services").json()["services"]
    names = [s["name"] for s in services]
    assert names == [s.name for s in live.runtime.statuses()]
    api = next(s for s in services if s["name"] == "api")
    assert api["state"] == "running" and "requests_per_s" in api["rates"] and api["uptime_seconds"] >= 0
    deps = live.admin_get("/api/v1/health/dependencies").json()
    assert deps["status"] == str(live.runtime.health().status)


def test_restart_an_engine_and_an_unknown_one(live: LiveRuntime) -> None:
    before = alerts_engine(live)
    response = live.post("/api/v1/services/alerts/restart", live.admin_key)
    assert response.status_code == 200 and response.json() == {
        "name": "alerts",
        "scheduled": False,
        "state": "running",
    }
    assert live.runtime.engine(ALERTS) is not before
    assert live.post("/api/v1/services/warp_drive/restart", live.admin_key).status_code == 404


def test_the_api_can_restart_itself(live: LiveRuntime) -> None:
    old = live.api
    body = live.post("/api/v1/services/api/restart", live.admin_key).json()
    assert body["scheduled"] is True
    live.wait_until(lambda: live.runtime.engine(API) not in (None, old) and live.api.port, "the new API")
    assert live.get("/health").status_code == 200


# -- stats and metrics ----------------------------------------------------------------------------


def test_stats_and_timeseries_come_from_the_metrics_history(live: LiveRuntime) -> None:
    live.wait_until(lambda: len(live.runtime.metrics_history) >= 2, "two metric samples")
    stats = live.admin_get("/api/v1/stats").json()
    assert stats["latest"]["events_total"] >= 0 and "pipeline" in stats["engines"]
    series = live.admin_get(
        "/api/v1/stats/timeseries", metrics="events_per_s,queue_depth", seconds=3600
    ).json()
    assert set(series["series"]) == {"events_per_s", "queue_depth"}
    assert len(series["t"]) == len(series["series"]["queue_depth"]) >= 2
    everything = live.admin_get("/api/v1/stats/timeseries").json()
    assert set(everything["series"]) == set(MetricsHistory.column_names())
    assert live.admin_get("/api/v1/stats/timeseries", metrics="events_per_s,nope").status_code == 400


def test_prometheus_metrics(live: LiveRuntime) -> None:
    live.get("/api/v1/events/0")  # a 400, so the request counters have a 4xx line too
    response = live.get("/metrics")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    text = response.text
    for name in (
        "ha_ingestor_events_received_total",
        "ha_ingestor_events_stored_total",
        "ha_ingestor_events_rejected_total",
        'ha_ingestor_pipeline_latency_seconds_bucket{le="+Inf"}',
        "ha_ingestor_pipeline_queue_depth",
        "ha_ingestor_ha_connected 1.0",
        "ha_ingestor_engine_up{",
        'ha_ingestor_api_requests_total{method="GET",route="/api/v1/events/{id}",status="400"}',
        'ha_ingestor_api_request_duration_seconds_bucket{le="0.005",route="/api/v1/events/{id}"}',
    ):
        assert name in text, name
    stored = next(line for line in text.splitlines() if line.startswith("ha_ingestor_events_stored_total"))
    assert float(stored.split()[-1]) > 0


# -- correlation ids and logs ---------------------------------------------------------------------


def test_correlation_id_is_echoed_and_tags_every_log_line_it_causes(live: LiveRuntime) -> None:
    cid = "test-correlation-4711"
    response = live.session.post(
        live.base_url + "/api/v1/services/alerts/restart",
        headers={"Authorization": f"Bearer {live.admin_key}", "X-Correlation-ID": cid},
        timeout=30,
    )
    assert response.headers["X-Correlation-ID"] == cid
    entries = live.admin_get("/api/v1/monitoring/logs", correlation_id=cid).json()["entries"]
    messages = {(e["engine"], e["message"]) for e in entries}
    assert ("api", "restart of alerts requested over the API") in messages
    assert any(engine == "runtime" and "restarted" in message for engine, message in messages)
    assert all(e["correlation_id"] == cid for e in entries)


def test_a_missing_or_unsafe_correlation_id_is_replaced(live: LiveRuntime) -> None:
    generated = live.get("/health").headers["X-Correlation-ID"]
    unsafe = live.session.get(live.base_url + "/health", headers={"X-Correlation-ID": "a b\tc"}, timeout=10)
    assert len(generated) == 32 and unsafe.headers["X-Correlation-ID"] != "a b\tc"
    assert live.get("/health").headers["X-Correlation-ID"] != generated


def test_log_filters(live: LiveRuntime) -> None:
    live.session.get(
        live.base_url + "/api/v1/events/999999999", headers={"X-Correlation-ID": "needle-1"}, timeout=10
    )
    found = live.admin_get("/api/v1/monitoring/logs", text="999999999", level="INFO", engine="api").json()[
        "entries"
    ]
    assert found and found[0]["correlation_id"] == "needle-1" and found[0]["fields"]["status"] == 404
    assert found[0]["operation"] == "request"
    warnings = live.admin_get("/api/v1/monitoring/logs", level="WARNING", limit=50).json()["entries"]
    assert all(e["level"] in ("WARNING", "ERROR", "CRITICAL") for e in warnings)
    assert live.admin_get("/api/v1/monitoring/logs", since="2999-01-01T00:00:00Z").json()["entries"] == []
    assert live.admin_get("/api/v1/monitoring/logs", level="LOUD").status_code == 400


# -- alerts ---------------------------------------------------------------------------------------


def test_alert_raise_acknowledge_resolve_and_history(live: LiveRuntime) -> None:
    engine = alerts_engine(live)
    published_before = len(live.published)
    engine.thresholds = AlertThresholds(disk_free_bytes=10**18)  # every disk is "low" now
    raised = live.call(engine.evaluate())
    assert [a.rule for a in raised] == ["disk_low"]
    listed = live.admin_get("/api/v1/alerts", state="open").json()["alerts"]
    alert = next(a for a in listed if a["rule"] == "disk_low")
    assert (
        alert["state"] == "active" and alert["severity"] == "critical" and alert["detail"]["free_bytes"] > 0
    )
    acked = live.post(f"/api/v1/alerts/{alert['id']}/acknowledge", live.admin_key).json()
    assert acked["state"] == "acknowledged" and acked["acknowledged_at"]
    resolved = live.post(f"/api/v1/alerts/{alert['id']}/resolve", live.admin_key).json()
    assert resolved["state"] == "resolved" and resolved["resolution"] == "manual"
    assert live.call(engine.evaluate()) == []  # resolved by hand while the condition lasts: not raised again
    history = live.admin_get(f"/api/v1/alerts/{alert['id']}").json()["history"]
    assert [h["action"] for h in history] == ["raised", "acknowledged", "resolved"]
    states = [payload.state for topic, payload in live.published[published_before:] if topic == "alert"]
    assert states == ["active", "acknowledged", "resolved"]
    engine.thresholds = AlertThresholds()
    live.call(engine.evaluate())


def test_alert_clears_itself_when_its_condition_ends(live: LiveRuntime) -> None:
    engine = alerts_engine(live)
    engine.thresholds = AlertThresholds(disk_free_bytes=10**18)
    (alert,) = live.call(engine.evaluate())
    engine.thresholds = AlertThresholds()
    (cleared,) = live.call(engine.evaluate())
    assert cleared.id == alert.id and cleared.state == "resolved" and cleared.resolution == "cleared"
    assert live.admin_get(f"/api/v1/alerts/{alert.id}").json()["state"] == "resolved"


def test_unknown_alert_ids(live: LiveRuntime) -> None:
    assert live.post("/api/v1/alerts/987654/acknowledge", live.admin_key).status_code == 404
    assert live.post("/api/v1/alerts/987654/resolve", live.admin_key).status_code == 404
    assert live.admin_get("/api/v1/alerts/987654").status_code == 404
    assert live.admin_get("/api/v1/alerts/x").status_code == 400
