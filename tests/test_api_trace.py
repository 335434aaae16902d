"""core.trace on hand-made context graphs: walking up and down, depth limits, cycles, unknown ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.models import EnrichedEvent
from core.store.query_types import StoredEvent
from core.trace import build_trace, find_root

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def event(n: int, context: str, parent: str | None) -> StoredEvent:
    ev = EnrichedEvent(
        entity_id=f"light.l{n}", domain="light", event_type="state_changed", time_fired=T0, state="on",
        old_state="off", attributes={}, value=None, unit=None, device_class=None, friendly_name=None,
        context_id=context, context_parent_id=parent, context_user_id=None, origin="LOCAL", device_id=None,
        area_id=None, floor_id=None, duration_in_state=None, device_manufacturer=None, device_model=None,
        device_sw_version=None,
    )  # fmt: skip
    return StoredEvent(n, ev)


@dataclass
class FakeQueries:
    """Events by context, from (context, parent) pairs; counts the queries made."""

    links: list[tuple[str, str | None]]
    calls: int = 0
    events: list[StoredEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.events = [event(i, c, p) for i, (c, p) in enumerate(self.links, start=1)]

    async def events_by_context(self, context_id: str) -> list[StoredEvent]:
        self.calls += 1
        return [e for e in self.events if e.event.context_id == context_id]

    async def events_by_parent_context(self, context_id: str) -> list[StoredEvent]:
        self.calls += 1
        return [e for e in self.events if e.event.context_parent_id == context_id]


CHAIN = [("root", None), ("c1", "root"), ("c1", "root"), ("c2", "c1"), ("c3", "c2"), ("side", "root")]


async def test_up_then_down_from_any_node() -> None:
    trace = await build_trace(FakeQueries(CHAIN), "c2")
    assert trace.root.context_id == "root" and trace.found and not trace.truncated
    assert trace.nodes == 5 and trace.root.event_count == 6
    c1 = next(n for n in trace.root.children if n.context_id == "c1")
    assert len(c1.events) == 2 and [n.context_id for n in c1.children] == ["c2"]
    assert sorted(n.depth for n in trace.root.walk()) == [0, 1, 1, 2, 3]


async def test_depth_limit_marks_truncation() -> None:
    trace = await build_trace(FakeQueries(CHAIN), "root", max_depth=1)
    assert trace.truncated and trace.nodes == 3
    assert all(n.depth <= 1 for n in trace.root.walk())
    root, _ = await find_root(FakeQueries(CHAIN), "c3", max_depth=1)
    assert root == "c2"


async def test_cycles_terminate() -> None:
    # a -> b -> a (corrupt or hand-edited data must not loop forever)
    queries = FakeQueries([("a", "b"), ("b", "a")])
    trace = await build_trace(queries, "a", max_depth=50)
    assert {n.context_id for n in trace.root.walk()} == {"a", "b"}
    assert queries.calls < 20


async def test_a_parent_without_events_is_the_root_cause() -> None:
    trace = await build_trace(FakeQueries([("c1", "user-call"), ("c2", "c1")]), "c2")
    assert trace.root.context_id == "user-call" and trace.root.events == []
    assert [n.context_id for n in trace.root.children] == ["c1"]


async def test_unknown_context_is_not_found() -> None:
    trace = await build_trace(FakeQueries(CHAIN), "nope")
    assert not trace.found and trace.nodes == 1
