"""Automation causality trees, shared by /api/v1/events/automation-trace and the GUI's Events tab.

HA links work through contexts: the state changes an automation run causes carry the run's
context id, whose parent is the context of the trigger. So from any context we walk *up*
through context_parent_id to the root cause, then *down* through "events whose parent is this
context" to everything it caused. Both walks are depth-limited and cycle-safe (a context seen
once is never expanded again), and the whole tree is capped in nodes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.store.query_types import StoredEvent

DEFAULT_MAX_DEPTH = 10
MAX_NODES = 500


class TraceQueries(Protocol):
    """The two EventQueries methods a trace needs (a fake in tests may provide just these)."""

    async def events_by_context(self, context_id: str) -> list[StoredEvent]: ...

    async def events_by_parent_context(self, context_id: str) -> list[StoredEvent]: ...


@dataclass(slots=True)
class TraceNode:
    context_id: str
    parent_id: str | None
    depth: int  # 0 at the root
    events: list[StoredEvent] = field(default_factory=list)
    children: list[TraceNode] = field(default_factory=list)
    truncated: bool = False  # children not expanded: depth limit, node cap or a cycle

    def walk(self) -> Iterator[TraceNode]:
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def event_count(self) -> int:
        return sum(len(node.events) for node in self.walk())


@dataclass(frozen=True, slots=True)
class Trace:
    requested: str
    root: TraceNode
    nodes: int
    max_depth: int
    truncated: bool

    @property
    def found(self) -> bool:
        """False when the context is unknown: no event has it as its context or its parent."""
        return self.root.event_count > 0


async def find_root(queries: TraceQueries, context_id: str, max_depth: int) -> tuple[str, list[StoredEvent]]:
    """Walk context_parent_id up from `context_id`; return the root context and its own events."""
    current, events = context_id, await queries.events_by_context(context_id)
    seen = {context_id}
    for _ in range(max_depth):
        parent = next((se.event.context_parent_id for se in events if se.event.context_parent_id), None)
        if parent is None or parent in seen:
            break
        seen.add(parent)
        current, events = parent, await queries.events_by_context(parent)
        # A parent with no stored event (a user's service call, a script start): it is the root cause.
        if not events:
            break
    return current, events


async def build_trace(queries: TraceQueries, context_id: str, max_depth: int = DEFAULT_MAX_DEPTH) -> Trace:
    """The whole causality tree around `context_id`: its root cause and everything that caused."""
    root_id, root_events = await find_root(queries, context_id, max_depth)
    parent = next((se.event.context_parent_id for se in root_events if se.event.context_parent_id), None)
    root = TraceNode(root_id, parent if parent != root_id else None, 0, root_events)
    seen = {root_id}
    frontier = deque([root])
    nodes, truncated = 1, False
    while frontier:
        node = frontier.popleft()  # breadth first: the node cap cuts the deepest branches, not the first
        if node.depth >= max_depth:
            node.truncated = await _has_children(queries, node)
            truncated = truncated or node.truncated
            continue
        for child in await _children(queries, node, seen):
            if nodes >= MAX_NODES:
                node.truncated = truncated = True
                break
            node.children.append(child)
            frontier.append(child)
            nodes += 1
    return Trace(context_id, root, nodes, max_depth, truncated)


async def _children(queries: TraceQueries, node: TraceNode, seen: set[str]) -> list[TraceNode]:
    caused = await queries.events_by_parent_context(node.context_id)
    by_context: dict[str, list[StoredEvent]] = {}
    for se in caused:
        ctx = se.event.context_id
        if ctx is None or ctx == node.context_id:
            continue
        if ctx in seen and ctx not in by_context:
            node.truncated = True  # a cycle (or a context reached twice): never expanded again
            continue
        seen.add(ctx)
        by_context.setdefault(ctx, []).append(se)
    return [TraceNode(ctx, node.context_id, node.depth + 1, events) for ctx, events in by_context.items()]


async def _has_children(queries: TraceQueries, node: TraceNode) -> bool:
    caused = await queries.events_by_parent_context(node.context_id)
    return any(se.event.context_id != node.context_id for se in caused)


def trace_to_json(trace: Trace, event_json: Any) -> dict[str, Any]:
    """The API shape; `event_json` converts one StoredEvent (core.api.convert.stored_event_json)."""

    def node_json(node: TraceNode) -> dict[str, Any]:
        return {
            "context_id": node.context_id,
            "parent_id": node.parent_id,
            "depth": node.depth,
            "truncated": node.truncated,
            "events": [event_json(se) for se in node.events],
            "children": [node_json(child) for child in node.children],
        }

    return {
        "requested_context_id": trace.requested,
        "root_context_id": trace.root.context_id,
        "max_depth": trace.max_depth,
        "nodes": trace.nodes,
        "events": trace.root.event_count,
        "truncated": trace.truncated,
        "root": node_json(trace.root),
    }
