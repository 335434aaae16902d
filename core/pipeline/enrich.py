"""HA-shaped input -> StoreRow: validate, take HA's own times, resolve registry metadata.

time_fired is always HA's (the event's time_fired, a state's last_updated, a history row's lu),
never the processing time. States are kept as the strings HA sent ("1" stays "1").
"""

from __future__ import annotations

from typing import Any

from core.models import EventSource, JsonDict
from core.pipeline.registry import RegistryCache
from core.pipeline.validate import (
    Reason,
    Rejected,
    as_dict,
    attributes_json,
    context_ids,
    entity_id_of,
    epoch_us_of,
    opt_dict,
    opt_str,
    state_text,
    time_us_of,
)
from core.store.rows import StoreRow

STATE_CHANGED = "state_changed"
EMPTY_ATTRS = b"{}"
LastSeen = tuple[int, str | None, int | None]  # (time_us, state, last_changed_us)


def _state_of(state_obj: JsonDict, what: str) -> str:
    value = state_obj.get("state")
    if not isinstance(value, str):
        raise Rejected(Reason.WRONG_TYPE, f"{what}.state is {type(value).__name__}, expected a string")
    return state_text(value, f"{what}.state")


def _duration_ms(new_lc: int | None, old_lc: int | None) -> int | None:
    return None if new_lc is None or old_lc is None else (new_lc - old_lc + 500) // 1000


class RowBuilder:
    """Builds rows; remembers each entity's last state to fill old_state for snapshot/back-fill."""

    def __init__(self, registry: RegistryCache, max_attributes_bytes: int) -> None:
        self._registry = registry
        self._limit = max_attributes_bytes
        self._last: dict[str, LastSeen] = {}
        # Keep the parsed attributes in the row only when someone will want an EnrichedEvent:
        # otherwise every queued row pins a dict and the garbage collector pays for it.
        self.keep_attributes = True

    def _kept(self, attrs: JsonDict) -> JsonDict | None:
        return attrs if self.keep_attributes else None

    def _remember(self, entity_id: str, time_us: int, state: str | None, lc: int | None) -> None:
        prev = self._last.get(entity_id)
        if prev is None or time_us >= prev[0]:
            self._last[entity_id] = (time_us, state, lc)

    def _previous(self, entity_id: str, time_us: int, lc: int) -> tuple[str | None, int | None]:
        """old_state and duration from what we saw before, for rows that do not carry them."""
        prev = self._last.get(entity_id)
        if prev is None or prev[0] >= time_us:
            return None, None
        return prev[1], _duration_ms(lc, prev[2])

    def from_event(self, raw: Any, source: EventSource) -> StoreRow:
        """A state_changed `event` object (event_type, data, origin, time_fired, context)."""
        if not isinstance(raw, dict):
            raise Rejected(Reason.NOT_AN_OBJECT, type(raw).__name__)
        data = as_dict(raw.get("data"), "data")
        entity_id = entity_id_of(data.get("entity_id"))
        new = opt_dict(data.get("new_state"), "new_state")
        old = opt_dict(data.get("old_state"), "old_state")
        if new is None and old is None:
            raise Rejected(Reason.MISSING_STATE, entity_id)
        fired_text = raw.get("time_fired") or (new or {}).get("last_updated")
        time_us = time_us_of(fired_text, "time_fired")
        state: str | None = None
        attrs: JsonDict = {}
        attrs_json, new_lc = EMPTY_ATTRS, None
        if new is not None:  # None: the entity was removed
            state = _state_of(new, "new_state")
            attrs, attrs_json = attributes_json(new.get("attributes"), self._limit)
            lc_text = new.get("last_changed")
            new_lc = time_us if lc_text == fired_text else time_us_of(lc_text, "new_state.last_changed")
        old_state, old_lc = None, None
        if old is not None:  # None: the entity was created
            old_state = _state_of(old, "old_state")
            lc_text = old.get("last_changed")
            old_lc = None if lc_text is None else time_us_of(lc_text, "old_state.last_changed")
        ctx_id, parent_id, user_id = context_ids(raw.get("context"))
        self._remember(entity_id, time_us, state, new_lc)
        return StoreRow(
            entity_id, time_us, state, old_state, attrs_json, ctx_id, parent_id, user_id,
            opt_str(raw.get("origin"), "origin"), source,
            opt_str(raw.get("event_type"), "event_type") or STATE_CHANGED,
            _duration_ms(new_lc, old_lc), self._registry.resolve(entity_id), self._kept(attrs),
        )  # fmt: skip

    def from_state(self, raw: Any, source: EventSource) -> StoreRow:
        """A bare state object (a get_states row); time_fired = its last_updated."""
        if not isinstance(raw, dict):
            raise Rejected(Reason.NOT_AN_OBJECT, type(raw).__name__)
        entity_id = entity_id_of(raw.get("entity_id"))
        state = _state_of(raw, "state")
        lu_text = raw.get("last_updated")
        time_us = time_us_of(lu_text, "last_updated")
        lc_text = raw.get("last_changed")
        lc = time_us if lc_text is None or lc_text == lu_text else time_us_of(lc_text, "last_changed")
        attrs, attrs_json = attributes_json(raw.get("attributes"), self._limit)
        ctx_id, parent_id, user_id = context_ids(raw.get("context"))
        old_state, duration = self._previous(entity_id, time_us, lc)
        self._remember(entity_id, time_us, state, lc)
        return StoreRow(
            entity_id, time_us, state, old_state, attrs_json, ctx_id, parent_id, user_id, None, source,
            STATE_CHANGED, duration, self._registry.resolve(entity_id), self._kept(attrs),
        )  # fmt: skip

    def from_history(self, entity_id: Any, raw: Any, source: EventSource) -> StoreRow:
        """A compressed history row {s, a?, lu, lc?} (epoch seconds); it has no context."""
        entity_id = entity_id_of(entity_id)
        row = as_dict(raw, "history row")
        state = row.get("s")
        if not isinstance(state, str):
            raise Rejected(Reason.WRONG_TYPE, f"history row s is {type(state).__name__}")
        state_text(state, "history row s")
        time_us = epoch_us_of(row.get("lu"), "lu")
        lc = time_us if row.get("lc") is None else epoch_us_of(row.get("lc"), "lc")
        attrs, attrs_json = attributes_json(row.get("a"), self._limit)
        old_state, duration = self._previous(entity_id, time_us, lc)
        self._remember(entity_id, time_us, state, lc)
        return StoreRow(
            entity_id, time_us, state, old_state, attrs_json, None, None, None, None, source,
            STATE_CHANGED, duration, self._registry.resolve(entity_id), self._kept(attrs),
        )  # fmt: skip
