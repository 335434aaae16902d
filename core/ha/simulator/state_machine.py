"""The state machine: HA's StateMachine.async_set_internal / async_remove semantics, plus the recorder."""

from __future__ import annotations

from collections.abc import Iterable

from core.ha.simulator import clock, const
from core.ha.simulator.bus import EventBus
from core.ha.simulator.history import EMPTY_ATTRIBUTES_JSON, HistoryStore
from core.ha.simulator.model import Attributes, Context, State, make_context
from core.ha.simulator.ulid import UlidFactory
from core.jsonb import dumps_kept

_EVENT_START = b'{"event_type":"state_changed","data":{"entity_id":"'


class StateMachine:
    """Current states; every change fires state_changed on the bus and is recorded in the history."""

    def __init__(self, bus: EventBus, history: HistoryStore, ulids: UlidFactory, *, record: bool) -> None:
        self.bus = bus
        self.history = history
        self._ulids = ulids
        self._states: dict[str, State] = {}
        self.events_emitted = 0
        """state_changed events fired since creation."""
        self.reports = 0
        """Writes that changed nothing (HA fires state_reported for them, which WS never delivers)."""
        self._log: list[tuple[str, str]] | None = [] if record else None

    def get(self, entity_id: str) -> State | None:
        """Return the current state of an entity."""
        return self._states.get(entity_id)

    def all(self) -> Iterable[State]:
        """Return every current state, in insertion order."""
        return self._states.values()

    def __len__(self) -> int:
        return len(self._states)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._states

    def emitted_log(self) -> list[tuple[str, str]]:
        """Return (entity_id, last_updated iso) per state_changed; empty unless recording."""
        return list(self._log or ())

    def new_context(self, us: int, parent_id: str | None = None, user_id: str | None = None) -> Context:
        """Return a new Context whose ULID carries time `us`."""
        return make_context(self._ulids.new(us), parent_id, user_id)

    def set(
        self,
        entity_id: str,
        state: str,
        attributes: Attributes,
        attrs_json: bytes | None = None,
        context: Context | None = None,
        *,
        force_update: bool = False,
        at: int | None = None,
    ) -> bool:
        """Write a state. Returns False when nothing changed (only last_reported moves, no event)."""
        ts: float | None = None
        if at is None:
            ts = clock.now_ts()
            now = clock.us_of_ts(ts)
        else:
            now = at
        old = self._states.get(entity_id)
        last_changed = now
        if old is not None:
            # Keep each entity's timestamps strictly increasing even if the clock steps back.
            nudged = max(now, old.last_updated + 1, old.last_reported + 1)
            if nudged != now:
                now, ts = nudged, None
            last_changed = now
            same_state = old.state == state
            if (
                same_state
                and not force_update
                and (old.attributes is attributes or old.attributes == attributes)
            ):
                old.report(now)
                self.reports += 1
                return False
            if same_state:
                last_changed = old.last_changed
        if attrs_json is None:
            attrs_json = dumps_kept(attributes)
        ctx = context or self.new_context(now)
        lu_ts = clock.ts(now) if ts is None else ts
        lc_ts = lu_ts if old is None or last_changed == now else _changed_ts(old)
        new = State(entity_id, state, attributes, attrs_json, last_changed, now, now, ctx, lc_ts, lu_ts)
        self._states[entity_id] = new
        self.history.append(entity_id, (lu_ts, lc_ts, state, attrs_json))
        self._fire(entity_id, old, new, now, ctx)
        return True

    def seed(self, entity_id: str, state: str, attributes: Attributes, attrs_json: bytes, us: int) -> None:
        """Insert a state without firing an event (the initial population of the demo home)."""
        context = self.new_context(us)
        self._states[entity_id] = State(entity_id, state, attributes, attrs_json, us, us, us, context)
        self.history.append(entity_id, (clock.ts(us), clock.ts(us), state, attrs_json))

    def remove(self, entity_id: str, context: Context | None = None) -> bool:
        """Remove an entity's state: state_changed with new_state null."""
        old = self._states.pop(entity_id, None)
        if old is None:
            return False
        now = max(clock.now_us(), old.last_updated + 1, old.last_reported + 1)
        self.history.append(entity_id, (clock.ts(now), clock.ts(now), "", EMPTY_ATTRIBUTES_JSON))
        self._fire(entity_id, old, None, now, context or self.new_context(now))
        return True

    def clear(self) -> None:
        """Forget every state without events, as a stopped HA process does."""
        self._states.clear()

    def _fire(self, entity_id: str, old: State | None, new: State | None, now: int, ctx: Context) -> None:
        self.events_emitted += 1
        if self._log is not None:
            self._log.append((entity_id, clock.iso(now)))
        if not self.bus.listening(const.EVENT_STATE_CHANGED):
            return
        event_json = b"".join(
            (
                _EVENT_START,
                entity_id.encode(),
                b'","old_state":',
                old.json if old is not None else b"null",
                b',"new_state":',
                new.json if new is not None else b"null",
                b'},"origin":"LOCAL","time_fired":"',
                clock.iso(now).encode(),
                b'","context":',
                ctx.json,
                b"}",
            )
        )
        self.bus.deliver(const.EVENT_STATE_CHANGED, event_json)


def _changed_ts(state: State) -> float:
    return clock.ts(state.last_changed) if state.changed_ts is None else state.changed_ts
