"""The layers of core/, enforced: which package may import which, and no import circles between
packages (napari-style layer contracts). A unit is a package under core/ (core/store/, core/ha/) or a
top-level module (core/config.py). Imports under `if TYPE_CHECKING:` are annotations only and do
not count; imports inside functions do (they run).

A new package must be given a layer here: that is the moment to decide what it may depend on.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "core"

# Lower layers never import higher ones. Within a layer imports are allowed, circles are not.
LAYERS: tuple[frozenset[str], ...] = (
    # 0: plain building blocks, no engine knowledge
    frozenset({"engine", "bus", "models", "jsonb", "ratelog", "gc_watch", "slots", "tls"})
    | {"fileperm", "hosts", "pin", "weather", "team_refs", "version"},
    # 1: configuration, logging, metrics, health, keys and the dependency contract
    frozenset({"config", "logs", "process_health", "metrics", "health", "keys", "deps", "engine_db"}),
    # 2: the store (SQLite, its queries and its writer)
    frozenset({"store"}),
    # 3: what reads or writes the store: pipeline, InfluxDB, analytics, alert rules and their store
    frozenset({"pipeline", "influx", "trace", "analytics", "analytics_places", "durations", "reliability"}),
    # 4: sources that feed the pipeline
    frozenset({"ha"}),
    # 5: engines built on the above
    frozenset({"alerts", "sports", "datasources", "energy"}),
    # 6: the REST API, which may read every engine
    frozenset({"api"}),
    # 7: wiring and entry points: the only units that may import core.runtime or core.api freely
    frozenset({"engines", "runtime", "headless", "selftest"}),
)
LAYER_OF = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}


def _unit(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "core" else None


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skip.update(id(n) for n in ast.walk(node))
    return skip


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    skip = _type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "core":
                found.update(f"core.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in CORE.rglob("*.py"):
        rel = path.relative_to(CORE).with_suffix("").parts
        if rel == ("__init__",):
            continue
        source = rel[0]
        graph[source]  # every unit is a node, even one that imports nothing
        for module in _imports(path):
            target = _unit(module)
            if target is not None and target != source:
                graph[source].add(target)
    return graph


def test_every_unit_has_a_layer() -> None:
    assert sorted(set(import_graph()) - set(LAYER_OF)) == []


def test_no_unit_imports_a_higher_layer() -> None:
    graph = import_graph()
    upward = sorted(
        f"{src} (layer {LAYER_OF[src]}) imports {dst} (layer {LAYER_OF[dst]})"
        for src, targets in graph.items()
        for dst in targets
        if src in LAYER_OF and dst in LAYER_OF and LAYER_OF[dst] > LAYER_OF[src]
    )
    assert upward == []


def test_no_import_circles_between_units() -> None:
    graph = import_graph()
    circles: list[list[str]] = []

    def visit(node: str, path: list[str], on_path: set[str], done: set[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_path:
                circles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in done:
                on_path.add(nxt)
                visit(nxt, [*path, nxt], on_path, done)
                on_path.discard(nxt)
        done.add(node)

    done: set[str] = set()
    for start in sorted(graph):
        if start not in done:
            visit(start, [start], {start}, done)
    assert circles == []


def test_only_the_wiring_imports_the_api_or_the_runtime() -> None:
    wiring = LAYERS[-1] | {"api"}
    graph = import_graph()
    offenders = sorted(
        src for src, targets in graph.items() if {"api", "runtime"} & targets and src not in wiring
    )
    assert offenders == []
