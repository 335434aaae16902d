"""Events: the live stream and the stored history; selecting an event shows its details and its
causality tree (root cause and everything it caused, from core.trace)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit, QSplitter, QTabWidget, QVBoxLayout, QWidget

from app import fmt
from app.tabs import BaseTab, TabContext, register_tab
from app.tabs.events_history import HistoryEvents
from app.tabs.events_live import LiveEvents
from app.widgets.trace_view import TraceView


def event_detail(event: Any) -> str:
    head = [
        f"{event.entity_id}  ({event.friendly_name or '—'})",
        f"{fmt.clock(event.time_fired, with_ms=True)}  {fmt.text(event.old_state)} → {fmt.text(event.state)}",
        f"context {fmt.text(event.context_id)}  parent {fmt.text(event.context_parent_id)}",
        f"user {fmt.text(event.context_user_id)}  origin {fmt.text(event.origin)}  source {event.source}",
    ]
    return "\n".join(head) + "\n\n" + json.dumps(event.attributes, indent=2, default=str, ensure_ascii=False)


@register_tab
class EventsTab(BaseTab):
    key = "events"
    title = "Events"
    order = 50

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.live = LiveEvents(ctx)
        self.history = HistoryEvents(ctx)
        self.modes = QTabWidget()
        self.modes.addTab(self.live, "Live")
        self.modes.addTab(self.history, "History")
        self.detail = QPlainTextEdit(readOnly=True, placeholderText="select an event")
        self.trace = TraceView()
        self.selected: Any = None
        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(self.trace)
        side.addWidget(self.detail)
        split = QSplitter()
        split.addWidget(self.modes)
        split.addWidget(side)
        split.setSizes([820, 520])
        QVBoxLayout(self).addWidget(split)
        self.live.event_selected.connect(self.select_event)
        self.history.event_selected.connect(self.select_event)
        self.every(5000, self._refresh_choices)

    def refresh(self) -> None:
        self._refresh_choices()

    def _refresh_choices(self) -> None:
        self.live.refresh_choices()
        self.history.refresh_choices()

    def select_event(self, event: Any) -> None:
        self.selected = event
        self.detail.setPlainText(event_detail(event))
        self._load_trace(event)

    def _load_trace(self, event: Any) -> None:
        """core.trace.build_trace from the event's context: up to the root cause, down to all it caused."""
        from core.trace import build_trace

        if not event.context_id:
            self.trace.show_empty(
                "No context", "This event carries no context id: nothing links it to others."
            )
            return
        self.trace.show_loading()
        context_id = event.context_id
        self.ctx.controller.query(
            lambda q: build_trace(q, context_id),
            lambda t: self._on_trace(context_id, t),
            self._on_trace_error,
        )

    def _on_trace(self, context_id: str, trace: Any) -> None:
        if self.selected is None or self.selected.context_id != context_id:
            return  # another event was selected meanwhile
        self.trace.show_trace(trace)

    def _on_trace_error(self, err: BaseException) -> None:
        self.trace.show_error(str(err))
