"""Dependencies: the live data flow HA -> client -> pipeline -> SQLite / InfluxDB outbox -> InfluxDB,
and the API server; nodes take their colour from engine states and edges their throughput from the
latest metrics sample. Extra engines (sports, data sources) appear as inputs to the pipeline."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from app import fmt
from app.tabs import BaseTab, TabContext, register_tab
from app.tabs.overview_data import connection_info
from app.widgets import ui
from app.widgets.flow_diagram import FlowDiagram, FlowEdge, FlowModel, FlowNode

CORE = ("ha_client", "sqlite", "pipeline", "influxdb", "api", "alerts", "metrics")
ENGINE_OF = {"client": "ha_client", "outbox": "influxdb", "influx": "influxdb"}
HA_STATE = {"connected": "running", "auth_invalid": "failed", "stopped": "stopped", "connecting": "starting"}


def _rate_label(value: float | None, unit: str) -> str:
    return "no data" if value is None else f"{fmt.rate(value, '')} {unit}"


def _bad(*states: str) -> bool:
    return any(s in ("failed", "degraded") for s in states)


def _edge(src: str, dst: str, value: float | None, unit: str, broken: bool = False) -> FlowEdge:
    return FlowEdge(src, dst, _rate_label(value, unit), bool(value), broken)


def _m(sample: Any, name: str) -> Any:
    return getattr(sample, name, None)


def _engine_node(st: dict[str, Any], key: str, title: str, pos: tuple[float, float], *lines: str) -> FlowNode:
    s = st.get(ENGINE_OF.get(key, key))
    state = str(s.state) if s else "stopped"
    detail = (s.detail,) if s and s.detail else ()
    return FlowNode(key, title, pos[0], pos[1], state, (*detail, *lines))


def _ha_node(rt: Any) -> FlowNode:
    info = connection_info(rt)
    state = HA_STATE.get(str(getattr(info, "state", "")), "degraded" if info else "stopped")
    title = "Demo home" if rt.config.use_simulator else "Home Assistant"
    lines = (f"HA {info.ha_version or '?'}", f"{info.entity_count} entities") if info else ()
    if rt.config.use_simulator:
        lines = ("built-in simulator", *lines)
    return FlowNode("ha", title, 0, 1, state, lines)


def _nodes(rt: Any, st: dict[str, Any], sample: Any) -> list[FlowNode]:
    influx_on = rt.config.influxdb.enabled
    outbox = (f"{fmt.number(_m(sample, 'outbox_depth'))} waiting",) if influx_on else ()
    stored = f"{fmt.number(_m(sample, 'events_total'))} stored since start"
    return [
        _ha_node(rt),
        _engine_node(st, "client", "HA client", (1, 1)),
        _engine_node(st, "pipeline", "Pipeline", (2, 1), f"queue {fmt.number(_m(sample, 'queue_depth'))}",
                     f"p99 {fmt.ms(_m(sample, 'latency_p99_ms'))}"),
        _engine_node(st, "sqlite", "SQLite", (3, 1), stored),
        _engine_node(st, "outbox", "InfluxDB outbox", (4, 1), *outbox),
        _engine_node(st, "influx", "InfluxDB", (5, 1)),
        _engine_node(st, "api", "REST API", (3, 2)),
    ]  # fmt: skip


def _edges(rt: Any, st: dict[str, Any], sample: Any, state: dict[str, str]) -> list[FlowEdge]:
    influx_on = rt.config.influxdb.enabled
    client_rate = st["ha_client"].rates.get("events_per_s") if "ha_client" in st else None
    stored = _m(sample, "events_per_s")
    edges = [
        _edge("ha", "client", client_rate, "ev/s", _bad(state["client"])),
        _edge("client", "pipeline", _m(sample, "received_per_s"), "ev/s"),
        _edge("pipeline", "sqlite", stored, "ev/s", _bad(state["pipeline"], state["sqlite"])),
        _edge("sqlite", "api", _m(sample, "api_requests_per_s"), "req/s"),
    ]
    if influx_on:
        edges.append(_edge("sqlite", "outbox", stored, "ev/s"))
        edges.append(
            _edge("outbox", "influx", _m(sample, "influx_points_per_s"), "pts/s", _bad(state["influx"]))
        )
    else:
        edges += [FlowEdge("sqlite", "outbox", "off", False), FlowEdge("outbox", "influx", "off", False)]
    return edges


def build_flow(rt: Any) -> FlowModel:
    st = {s.name: s for s in rt.statuses()}
    sample = rt.metrics_history.latest()
    nodes = _nodes(rt, st, sample)
    edges = _edges(rt, st, sample, {n.key: n.state for n in nodes})
    extras = [s for name, s in st.items() if name not in CORE]
    for i, s in enumerate(extras):  # sports, data sources: inputs of the pipeline
        key = f"extra:{s.name}"
        nodes.append(FlowNode(key, s.name, 1 + i, 0, str(s.state), (s.detail,)))
        edges.append(_edge(key, "pipeline", next(iter(s.rates.values()), None), "/s", _bad(str(s.state))))
    return FlowModel(nodes, edges)


@register_tab
class DependenciesTab(BaseTab):
    key = "dependencies"
    title = "Dependencies"
    order = 30

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.diagram = FlowDiagram()
        legend = ui.label(
            "Solid blue: data moving · dashed: idle · red: failing. Rates are the last one-second sample.",
            name="muted",
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.diagram, 1)
        layout.addWidget(legend)
        self.every(1000, self.refresh)

    def refresh(self) -> None:
        self.diagram.set_model(build_flow(self.runtime))
