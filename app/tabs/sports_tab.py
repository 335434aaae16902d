"""Sports: a card per followed team (the live game large, otherwise the next game with a countdown
and the last result), the score chart of the selected game, the webhook delivery log, and each
league's data health. Everything shown is computed in core.sports (cards, views); this only lays out."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import theme
from app.tabs import BaseTab, TabContext, register_tab
from app.widgets import ui
from app.widgets.cards import Card
from app.widgets.score_chart import ScoreChart
from app.widgets.state_view import StateView
from core.sports import SPEC as SPORTS
from core.sports.cards import TeamCard, cards, focus_card, score_series
from core.sports.engine import SportsEngine

LOGO_PX = 40
NO_DELIVERIES = (
    "No deliveries yet. Webhooks are added through the API (POST /api/v1/webhooks, admin key); "
    "each game event is then sent, signed, to every matching one."
)
LOG_COLUMNS = ("time", "webhook", "event", "attempt", "status", "ms", "outcome")


class TeamCardWidget(Card):
    """One team; click to chart its game."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.headline = ui.label("", name="bigValue")
        self.detail = ui.label("", wrap=True)
        self.moment = ui.label("", name="bigValue")
        self.last = ui.label("", name="muted", wrap=True)
        self.health = ui.label("", name="muted", wrap=True)
        self.chart_button = ui.button("Chart", "flat")
        self.logo = ui.label()
        self.logo.setFixedSize(LOGO_PX, LOGO_PX)
        self.header.insertWidget(0, self.logo)
        self.header.addWidget(self.chart_button)
        for w in (self.headline, self.moment, self.detail, self.last, self.health):
            self.body.addWidget(w)
        self.card: TeamCard | None = None

    def show_card(self, card: TeamCard) -> None:
        previous, self.card = self.card, card
        if card == previous:
            return  # refreshed every second: nothing changed, nothing to lay out again
        self.title.setText(card.title)
        if card.logo and (previous is None or previous.logo != card.logo):
            pixmap = QPixmap(card.logo)
            self.logo.setPixmap(
                pixmap.scaled(
                    LOGO_PX,
                    LOGO_PX,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        self.logo.setVisible(bool(card.logo))
        if previous is None or previous.color != card.color:
            self.setStyleSheet(f"QFrame#card {{ border-left: 6px solid {card.color}; }}")
        self.headline.setText(card.headline)
        self.moment.setText(card.moment)
        self.moment.setVisible(bool(card.moment))
        live = "LIVE · " if card.mode == "live" else ""
        self.detail.setText(live + card.detail)
        self.last.setText(f"Last: {card.last_result}" if card.last_result else "")
        self.last.setVisible(bool(card.last_result))
        self.health.setText(card.health)
        name = "errorText" if card.stale else "muted"
        if self.health.objectName() != name:
            self.health.setObjectName(name)
            self.health.style().polish(self.health)
        self.chart_button.setEnabled(card.game_id is not None)


class FocusTile(Card):
    """The live game, large enough to read across the kitchen; hidden when nothing is live."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Live", parent)
        self.score = ui.label("", align=Qt.AlignmentFlag.AlignCenter)
        self.score.setStyleSheet("font-size: 56px; font-weight: 700;")
        self.detail = ui.label("", align=Qt.AlignmentFlag.AlignCenter)
        self.detail.setStyleSheet("font-size: 22px;")
        self.body.addWidget(self.score)
        self.body.addWidget(self.detail)
        self.card: TeamCard | None = None
        self.hide()

    def show_card(self, card: TeamCard | None) -> None:
        if card == self.card:
            return
        self.card = card
        self.setVisible(card is not None)
        if card is None:
            return
        self.title.setText(f"Live · {card.title}")
        self.score.setText(card.headline)
        self.detail.setText(f"{card.moment}  {card.detail}" if card.moment else card.detail)
        self.setStyleSheet(f"QFrame#card {{ border: 2px solid {card.color}; }}")


@register_tab
class SportsTab(BaseTab):
    key = "sports"
    title = "Sports"
    order = 65

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.focus = FocusTile()
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.team_cards: list[TeamCardWidget] = []
        self.chart = ScoreChart()
        self.chart.show_message("select a game: Chart on a team card")
        self.chart_title = ui.label("Score", name="cardTitle")
        self.log = QTableWidget(0, len(LOG_COLUMNS))
        self.log.setHorizontalHeaderLabels(list(LOG_COLUMNS))
        self.log.verticalHeader().setVisible(False)
        self.leagues = ui.label("", name="muted", wrap=True)
        self.selected_game: str | None = None
        self.refreshes = 0  # bench/ui.py: how often the cards were refreshed
        lower = QSplitter()
        chart_box = QWidget()
        chart_layout = QVBoxLayout(chart_box)
        chart_layout.addWidget(self.chart_title)
        chart_layout.addWidget(self.chart)
        log_box = QWidget()
        log_layout = QVBoxLayout(log_box)
        log_layout.addWidget(ui.label("Webhook deliveries", name="cardTitle"))
        self.log_empty = ui.label(NO_DELIVERIES, name="muted", wrap=True)
        log_layout.addWidget(self.log_empty)
        log_layout.addWidget(self.log)
        lower.addWidget(chart_box)
        lower.addWidget(log_box)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.focus)
        layout.addWidget(self.grid_host)
        layout.addWidget(self.leagues)
        layout.addWidget(lower, 1)
        self.view = StateView(content)
        outer = QHBoxLayout(self)
        outer.addWidget(self.view)
        self.every(1000, self.refresh)
        self.every(5000, self.refresh_stored)

    @property
    def engine(self) -> SportsEngine | None:
        return self.runtime.engine(SPORTS)

    def refresh(self) -> None:
        self.refreshes += 1
        engine = self.engine
        if engine is None:
            self.view.show_empty("Sports is off", "Turn it on in Configuration: sports.enabled.")
            return
        if not engine.refs:
            self.view.show_empty(
                "No teams yet", "Add one in Configuration: sports.teams, e.g. nfl:KC or eng.1:359."
            )
            return
        self.view.show_content()
        now = time.time()
        items = cards(engine, now, dark=theme.palette().name == "dark")
        self._show_cards(items)
        self.focus.show_card(focus_card(items, now))
        self.leagues.setText(
            " · ".join(f"{h.league.upper()}: {h.describe(now)}" for h in engine.health.values())
        )

    def _show_cards(self, items: list[TeamCard]) -> None:
        while len(self.team_cards) < len(items):
            widget = TeamCardWidget()
            widget.chart_button.clicked.connect(lambda *_, w=widget: self.select_game(w.card))
            self.grid.addWidget(widget, len(self.team_cards) // 3, len(self.team_cards) % 3)
            self.team_cards.append(widget)
        for widget, card in zip(self.team_cards, items, strict=False):
            widget.show_card(card)
            if card.game_id is not None and card.game_id == self.selected_game:
                self.chart_title.setText(f"Score · {card.headline}")
        for i, widget in enumerate(self.team_cards):
            widget.setVisible(i < len(items))
        if self.selected_game is None:
            live = next((c for c in items if c.mode == "live"), None) or next(
                (c for c in items if c.game_id), None
            )
            if live is not None:
                self.select_game(live)

    def select_game(self, card: TeamCard | None) -> None:
        if card is None or card.game_id is None:
            return
        self.selected_game = card.game_id
        self.chart_title.setText(f"Score · {card.headline}")
        self.refresh_stored()

    def refresh_stored(self) -> None:
        engine = self.engine
        if engine is None or engine.store is None:
            return
        self.ctx.controller.submit(self._load(engine), self._show_stored, self._show_error)

    async def _load(self, engine: SportsEngine) -> tuple[Any, Any, Any]:
        assert engine.store is not None and engine.webhooks is not None
        log = await engine.webhooks.log(None, 50)
        hooks = {h.id: h.description or h.id for h in engine.webhooks.cached}
        if self.selected_game is None:
            return None, log, hooks
        game = await engine.store.game(self.selected_game)
        rows = await engine.store.timeline(self.selected_game)
        return (None if game is None else score_series(game.data, rows, time.time())), log, hooks

    def _show_stored(self, loaded: tuple[Any, Any, Any]) -> None:
        series, log, hooks = loaded
        if series is not None and series.home:
            self.chart.show_series(series.labels, list(series.xs), list(series.home), list(series.away))
        elif self.selected_game is not None:
            self.chart.show_message("no scores stored for this game yet")
        self.log.setRowCount(len(log))
        for row, e in enumerate(log):
            cells = (
                time.strftime("%H:%M:%S", time.localtime(e.at)),
                hooks.get(e.webhook_id, e.webhook_id),
                e.event_uid[:12],
                str(e.attempt),
                str(e.status_code or e.error or "—"),
                "—" if e.latency_ms is None else f"{e.latency_ms:.0f}",
                e.outcome,
            )
            for col, text in enumerate(cells):
                self.log.setItem(row, col, QTableWidgetItem(text))
        self.log_empty.setVisible(not log)

    def _show_error(self, err: BaseException) -> None:
        self.chart.show_message(f"could not read the sports store: {err}")
