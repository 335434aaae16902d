"""Dependencies: the live data flow HA -> client -> pipeline -> SQLite / InfluxDB outbox -> InfluxDB,
and the API server; nodes take their colour from engine states and edges their throughput from the
latest metrics sample. Every other engine of the catalogue is drawn where its spec's role puts it."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from app import fmt
from app.tabs import BaseTab, TabContext, register_tab
from app.widgets import ui
from app.widgets.flow_diagram import FlowDiagram, FlowEdge, FlowModel, FlowNode
from core.api.engine_spec import SPEC as API
from core.engine import EngineRole, EngineStatus
from core.ha.simulator.spec import SPEC as SIMULATOR
from core.ha.spec import SPEC as HA_CLIENT
from core.influx.spec import SPEC as INFLUX
from core.metrics import MetricsSample
from core.pipeline.spec import SPEC as PIPELINE
from core.runtime import Runtime

# The ingest path is laid out by hand (it has parts that are not engines: HA itself, the outbox); every
# other engine of the catalogue is placed by its spec's role, so a new engine appears with no change here.
LAID_OUT = {SIMULATOR.name, HA_CLIENT.name, PIPELINE.name, INFLUX.name, API.name}
ROLE_ROW = {EngineRole.SOURCE: 0, EngineRole.PROCESS: 2, EngineRole.SINK: 2, EngineRole.SERVICE: 3}
ROLE_FIRST_COL = {EngineRole.SOURCE: 1, EngineRole.PROCESS: 1, EngineRole.SINK: 4, EngineRole.SERVICE: 0}


def _rate_label(value: float | None, unit: str) -> str:
    return "no data" if value is None else f"{fmt.rate(value, '')} {unit}"


def _bad(*states: str) -> bool:
    return any(s in ("failed", "degraded") for s in states)


def _edge(src: str, dst: str, value: float | None, unit: str, broken: bool = False) -> FlowEdge:
    return FlowEdge(src, dst, _rate_label(value, unit), bool(value), broken)


def _m(sample: MetricsSample | None, name: str) -> Any:
    return getattr(sample, name, None)


def _node(st: dict[str, EngineStatus], key: str, engine: str, title: str, pos: tuple[float, float],
          *lines: str) -> FlowNode:  # fmt: skip
    s = st.get(engine)
    state = str(s.state) if s else "stopped"
    detail = (s.detail,) if s and s.detail else ()
    return FlowNode(key, title, pos[0], pos[1], state, (*detail, *lines))


def _ha_node(rt: Runtime, st: dict[str, EngineStatus]) -> FlowNode:
    # HA's own state is the client engine's (one mapping, in core.ha.info.engine_state).
    info = rt.connection_info()
    client = st.get(HA_CLIENT.name)
    state = str(client.state) if client else "stopped"
    title = "Demo home" if rt.config.use_simulator else "Home Assistant"
    lines = (f"HA {info.ha_version or '?'}", f"{info.entity_count} entities") if info else ()
    if rt.config.use_simulator:
        lines = ("built-in simulator", *lines)
    return FlowNode("ha", title, 0, 1, state, lines)


def _nodes(rt: Runtime, st: dict[str, EngineStatus], sample: MetricsSample | None) -> list[FlowNode]:
    influx_on = rt.config.influxdb.enabled
    outbox = (f"{fmt.number(_m(sample, 'outbox_depth'))} waiting",) if influx_on else ()
    stored = f"{fmt.number(_m(sample, 'events_total'))} stored since start"
    return [
        _ha_node(rt, st),
        _node(st, "client", HA_CLIENT.name, HA_CLIENT.label, (1, 1)),
        _node(st, "pipeline", PIPELINE.name, PIPELINE.label, (2, 1),
              f"queue {fmt.number(_m(sample, 'queue_depth'))}",
              f"p99 {fmt.ms(_m(sample, 'latency_p99_ms'))}"),
        _node(st, "sqlite", "sqlite", "SQLite", (3, 1), stored),
        _node(st, "outbox", INFLUX.name, "InfluxDB outbox", (4, 1), *outbox),
        _node(st, "influx", INFLUX.name, INFLUX.label, (5, 1)),
        _node(st, "api", API.name, API.label, (3, 2)),
    ]  # fmt: skip


def _edges(rt: Runtime, st: dict[str, EngineStatus], sample: MetricsSample | None,
           state: dict[str, str]) -> list[FlowEdge]:  # fmt: skip
    influx_on = rt.config.influxdb.enabled
    client = st.get(HA_CLIENT.name)
    client_rate = client.rates.get("events_per_s") if client else None
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


# The node that stands for each hand-laid engine (the pipeline's readers read what the store holds).
NODE_OF = {SIMULATOR.name: "ha", HA_CLIENT.name: "client", PIPELINE.name: "sqlite", INFLUX.name: "influx",
           API.name: "api"}  # fmt: skip


def _catalogue_nodes(rt: Runtime, st: dict[str, EngineStatus]) -> tuple[list[FlowNode], list[FlowEdge]]:
    """Every engine not laid out by hand, placed by role; an edge comes in from each engine its spec
    starts `after` (what it depends on), none where it depends on nothing drawn here."""
    nodes: list[FlowNode] = []
    edges: list[FlowEdge] = []
    placed = dict.fromkeys(EngineRole, 0)
    for spec in rt.specs:
        if spec.name in LAID_OUT:
            continue
        s = st.get(spec.name)
        state = str(s.state) if s else "stopped"
        key = f"engine:{spec.name}"
        col = ROLE_FIRST_COL[spec.role] + placed[spec.role]
        placed[spec.role] += 1
        lines = (s.detail,) if s and s.detail else ()
        nodes.append(FlowNode(key, spec.label, col, ROLE_ROW[spec.role], state, lines))
        rate = next(iter(s.rates.values()), None) if s else None
        for dep in spec.after:
            edges.append(_edge(NODE_OF.get(dep, f"engine:{dep}"), key, rate, "/s", _bad(state)))
    return nodes, edges


def build_flow(rt: Runtime) -> FlowModel:
    st = {s.name: s for s in rt.statuses()}
    sample = rt.metrics_history.latest()
    nodes = _nodes(rt, st, sample)
    edges = _edges(rt, st, sample, {n.key: n.state for n in nodes})
    more_nodes, more_edges = _catalogue_nodes(rt, st)
    return FlowModel(nodes + more_nodes, edges + more_edges)


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
