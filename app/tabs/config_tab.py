"""Configuration: every key of core.config, validated by core, secrets never shown (each can be kept,
replaced or cleared). Apply calls runtime.apply_config (only the engines concerned restart); Save also
writes the file (save_config)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget

from app import connection_check, fmt
from app.about import show_about
from app.config_form import ConfigForm
from app.tabs import BaseTab, TabContext, register_tab
from app.widgets import ui
from core.config import SECTIONS, ConfigError, default_config_path, save_config


@register_tab
class ConfigTab(BaseTab):
    key = "configuration"
    title = "Configuration"
    order = 90

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        restarts = {
            section: [spec.label for spec in self.runtime.specs if section in spec.sections]
            for section in SECTIONS
        }
        self.form = ConfigForm(restarts=restarts)
        self.path_label = ui.label(name="muted")
        self.status = ui.MessageLabel()
        self.test_result = ui.MessageLabel("muted")
        self.buttons = {
            "test_ha": QPushButton("Test Home Assistant"),
            "test_influx": QPushButton("Test InfluxDB"),
            "revert": QPushButton("Revert"),
            "apply": QPushButton("Apply"),
            "save": ui.button("Apply and save", "primary"),
            "about": QPushButton("About"),
        }
        self.buttons["about"].clicked.connect(lambda: show_about(self, self.runtime.config))
        self.buttons["test_ha"].clicked.connect(self.test_ha)
        self.buttons["test_influx"].clicked.connect(self.test_influx)
        self.buttons["revert"].clicked.connect(self.revert)
        self.buttons["apply"].clicked.connect(lambda: self.apply(save=False))
        self.buttons["save"].clicked.connect(lambda: self.apply(save=True))
        self._setup_ui()
        self.revert()

    def _setup_ui(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.path_label, 1)
        for button in self.buttons.values():
            bar.addWidget(button)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.form)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(self.test_result)
        layout.addWidget(scroll, 1)

    @property
    def config_path(self) -> Path:
        return Path(self.runtime.config.source_path or default_config_path())

    def revert(self) -> None:
        self.form.load(self.runtime.config)
        self.path_label.setText(f"file: {self.config_path}")
        self.status.show_message("")

    def apply(self, save: bool) -> None:
        try:
            config = self.form.build_config()
        except ConfigError as err:
            self._show_error(str(err))
            return
        self._set_busy(True)
        self.status.show_message("applying…")

        def done(restarted: list[str]) -> None:
            self._set_busy(False)
            what = f"restarted: {', '.join(restarted)}" if restarted else "no engine needed a restart"
            if save:
                try:
                    path = save_config(config, self.config_path)
                except OSError as err:
                    self._show_error(f"applied ({what}), but saving failed: {err}")
                    return
                what += f"; saved to {path}"
            self.status.show_message(f"applied at {fmt.clock(time.time())}: {what}")
            self.form.load(config)

        def failed(err: BaseException) -> None:
            self._set_busy(False)
            self._show_error(f"apply failed: {err}")

        self.ctx.controller.apply_config(config, done, failed)

    def test_ha(self) -> None:
        raw = self.form.raw()["home_assistant"]
        config = self.runtime.config  # the form's token decides: a cleared one must not fall back
        config = replace(config, home_assistant=replace(config.home_assistant, token=str(raw["token"])))
        self._run_test("Home Assistant", connection_check.check_ha_form(config, raw))

    def test_influx(self) -> None:
        try:
            config = self.form.build_config()
        except ConfigError as err:
            self._show_error(str(err))
            return
        self._run_test("InfluxDB", connection_check.check_influx(config.influxdb))

    def _run_test(self, what: str, work: Any) -> None:
        self.test_result.show_message(f"testing {what}…")
        self.ctx.controller.submit(
            work,
            lambda text: self.test_result.show_message(f"{what}: {text}"),
            lambda err: self.test_result.show_message(f"{what}: failed: {err}", error=True),
        )

    def _show_error(self, text: str) -> None:
        self.status.show_message(text, error=True)

    def _set_busy(self, busy: bool) -> None:
        for key in ("apply", "save", "revert"):
            self.buttons[key].setEnabled(not busy)
