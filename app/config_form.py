"""A form generated from core.config's dataclasses: one widget per key, secrets masked.

Validation is core's: `validate` hands the raw values to `load_config` (no file, no environment), so
the form reports exactly the `ConfigError` the file would.
"""

from __future__ import annotations

import os
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, get_type_hints

from PySide6.QtWidgets import QCheckBox, QFormLayout, QGridLayout, QGroupBox, QLabel, QLineEdit, QWidget

from core.config import SECRET_KEYS, SECTIONS, AppConfig, ConfigError, load_config, to_toml_dict

MASK = "********"
TITLES = {
    "home_assistant": "Home Assistant",
    "storage": "Storage (SQLite)",
    "simulator": "Demo home (simulator)",
    "influxdb": "InfluxDB",
    "api": "REST API",
    "ui": "Interface",
    "logging": "Logging",
}


def validate(raw: dict[str, dict[str, Any]], base: AppConfig) -> AppConfig:
    """Build an AppConfig from form values with core's checks; raises ConfigError naming the key."""
    config = load_config(Path(os.devnull), env={}, overrides=raw)
    return replace(config, source_path=base.source_path)


class ConfigForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inputs: dict[tuple[str, str], QWidget] = {}
        self._secret_set: set[tuple[str, str]] = set()
        self._base: AppConfig | None = None
        self._layout = QGridLayout(self)

    def load(self, config: AppConfig) -> None:
        """Show `config` (secrets masked: a set secret shows as a placeholder)."""
        self._base = config
        if not self.inputs:
            self._build(config)
        for (section, key), value in _flat(to_toml_dict(config, mask_secrets=True)).items():
            self._set_value(section, key, value)
        self.clear_error()

    def raw(self) -> dict[str, dict[str, Any]]:
        """The form as TOML tables; an untouched secret keeps the current value."""
        assert self._base is not None
        current = to_toml_dict(self._base)
        out: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
        for (section, key), widget in self.inputs.items():
            if isinstance(widget, QCheckBox):
                value: Any = widget.isChecked()
            else:
                value = widget.text().strip()  # type: ignore[attr-defined]
                if (section, key) in self._secret_set and value == "":
                    value = current[section][key]
                elif isinstance(current[section][key], list):
                    value = [v.strip() for v in value.split(",") if v.strip()]
            out[section][key] = value
        return out

    def build_config(self) -> AppConfig:
        assert self._base is not None
        try:
            return validate(self.raw(), self._base)
        except ConfigError as err:
            self.mark_error(err.key)
            raise

    def mark_error(self, dotted: str) -> None:
        self.clear_error()
        widget = self.inputs.get(tuple(dotted.split(".", 1)))  # type: ignore[arg-type]
        if widget is not None:
            widget.setProperty("invalid", True)
            widget.style().polish(widget)
            widget.setFocus()

    def clear_error(self) -> None:
        for widget in self.inputs.values():
            if widget.property("invalid"):
                widget.setProperty("invalid", False)
                widget.style().polish(widget)

    def _build(self, config: AppConfig) -> None:
        for section in SECTIONS:
            box = QGroupBox(TITLES.get(section, section))
            form = QFormLayout(box)
            obj = getattr(config, section)
            hints = get_type_hints(type(obj))
            for f in fields(obj):
                widget = QCheckBox() if hints[f.name] is bool else QLineEdit()
                widget.setObjectName(f"{section}.{f.name}")
                self.inputs[(section, f.name)] = widget
                form.addRow(QLabel(f.name), widget)
            n = self._layout.count()
            self._layout.addWidget(box, n // 2, n % 2)
        self._layout.setRowStretch(self._layout.rowCount(), 1)

    def _set_value(self, section: str, key: str, value: Any) -> None:
        widget = self.inputs[(section, key)]
        if isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
            return
        assert isinstance(widget, QLineEdit)
        if key in SECRET_KEYS:
            widget.setEchoMode(QLineEdit.EchoMode.Password)
            is_set = value == MASK
            (self._secret_set.add if is_set else self._secret_set.discard)((section, key))
            widget.setText("")
            widget.setPlaceholderText("set (leave empty to keep)" if is_set else "not set")
            return
        widget.setText(", ".join(value) if isinstance(value, list) else str(value))


def _flat(tables: dict[str, dict[str, Any]]) -> dict[tuple[str, str], Any]:
    return {(s, k): v for s, table in tables.items() for k, v in table.items()}
