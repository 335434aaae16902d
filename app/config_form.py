"""A form generated from core.config's dataclasses: one widget per key, secrets never shown.

A secret's entry never holds the saved value: it says whether one is saved, an empty entry keeps it, a
typed value replaces it and its Clear button removes it on Apply (clicking again, or typing, undoes that).

Validation is core's: `validate` hands the raw values to `load_config` (no file, no environment), so
the form reports exactly the `ConfigError` the file would.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, get_type_hints

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.widgets import ui
from app.widgets.path_field import PEM_FILTER, PathField
from core.config import SECRET_KEYS, SECTIONS, AppConfig, ConfigError, load_config, to_toml_dict

SAVED_HINT = "saved (set) — leave empty to keep"
CLEARED_HINT = "will be cleared on Apply"
UNSET_HINT = "not set"
Key = tuple[str, str]
TITLES = {
    "home_assistant": "Home Assistant",
    "storage": "Storage (SQLite)",
    "simulator": "Demo home (simulator)",
    "influxdb": "InfluxDB",
    "api": "REST API",
    "ui": "Interface",
    "logging": "Logging",
    "data_sources": "Data sources (weather, air quality, carbon, prices, calendar)",
}

# Keys whose name alone does not say what they do (the rest show their TOML key).
LABELS: dict[Key, str] = {
    ("ui", "autostart"): "Start when I log in",
    ("ui", "autostart_kiosk"): "Start in kiosk mode when I log in",
    ("ui", "screen"): "Open at full screen on display N (-1: no)",
}


# Keys holding a path, with a Browse… button: (a directory?, the file dialog's name filter)
PATH_KEYS: dict[str, tuple[bool, str]] = {
    "ca_cert": (False, PEM_FILTER),
    "data_dir": (True, ""),
    "log_dir": (True, ""),
}


def validate(raw: dict[str, dict[str, Any]], base: AppConfig) -> AppConfig:
    """Build an AppConfig from form values with core's checks; raises ConfigError naming the key."""
    config = load_config(Path(os.devnull), env={}, overrides=raw)
    return replace(config, source_path=base.source_path)


class SecretField(QWidget):
    """A secret's password entry and its Clear/Undo button. It knows whether a value is saved, never
    the value: the entry holds only what the user types."""

    def __init__(self, edit: QLineEdit) -> None:
        super().__init__()
        self.edit = edit
        self.saved = False
        self.cleared = False
        self.clear_button = ui.button("Clear")
        self.clear_button.setObjectName(f"{edit.objectName()}.clear")
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.textChanged.connect(self._text_changed)
        self.clear_button.clicked.connect(self.toggle_clear)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        row.addWidget(self.clear_button)
        self._refresh()

    @property
    def hint(self) -> str:
        return CLEARED_HINT if self.cleared else SAVED_HINT if self.saved else UNSET_HINT

    def reset(self, saved: bool) -> None:
        """Show a freshly loaded secret: empty entry, nothing cleared."""
        self.saved = saved
        self.edit.clear()
        self.cleared = False
        self._refresh()

    def toggle_clear(self) -> None:
        """Clear: drop anything typed and, when a value is saved, mark it for removal; again: undo."""
        clear = self.saved and not self.cleared
        self.edit.clear()
        self.cleared = clear
        self._refresh()

    def value(self, saved_value: str) -> str:
        """What Apply uses: the typed value, "" when cleared, else the saved value."""
        typed = self.edit.text().strip()
        return typed if typed or self.cleared else saved_value

    def _text_changed(self, text: str) -> None:
        if text.strip():
            self.cleared = False  # a new value replaces the clear
        self._refresh()

    def _refresh(self) -> None:
        self.edit.setPlaceholderText(self.hint)
        self.clear_button.setText("Undo" if self.cleared else "Clear")
        self.clear_button.setEnabled(self.saved or bool(self.edit.text()))
        tip = "Keep the saved value" if self.cleared else "Remove this value on Apply"
        self.clear_button.setToolTip(tip)


class ConfigForm(QWidget):
    def __init__(
        self, parent: QWidget | None = None, *, restarts: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """`restarts`: for each section, the engines an Apply of a change there restarts (from the
        engine catalogue's specs), shown under the section's title."""
        super().__init__(parent)
        self._restarts = restarts or {}
        self.inputs: dict[Key, QLineEdit | QCheckBox] = {}
        self.secrets: dict[Key, SecretField] = {}
        self.paths: dict[Key, PathField] = {}
        self._base: AppConfig | None = None
        self._layout = QGridLayout(self)

    def load(self, config: AppConfig) -> None:
        """Show `config`; a secret shows only whether it is set, never its value."""
        self._base = config
        if not self.inputs:
            self._build(config)
        for where, value in _flat(to_toml_dict(config, mask_secrets=True)).items():
            self._set_value(where, value)
        self.clear_error()

    def raw(self) -> dict[str, dict[str, Any]]:
        """The form as TOML tables; a secret is the typed value, "" when cleared, else the saved one."""
        assert self._base is not None
        current = _flat(to_toml_dict(self._base))
        out: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
        for (section, key), widget in self.inputs.items():
            out[section][key] = self._value((section, key), widget, current[(section, key)])
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
            engines = self._restarts.get(section)
            if engines:
                form.addRow(ui.label(f"Apply restarts: {', '.join(engines)}", name="muted"))
            for f in fields(obj):
                label = QLabel(LABELS.get((section, f.name), f.name))
                form.addRow(label, self._make_input((section, f.name), hints[f.name] is bool))
            n = self._layout.count()
            self._layout.addWidget(box, n // 2, n % 2)
        self._layout.setRowStretch(self._layout.rowCount(), 1)

    def _make_input(self, where: Key, is_bool: bool) -> QWidget:
        """The key's input, registered in `inputs`; for a secret or a path, the row holding it and its
        button (Clear, Browse…)."""
        widget: QLineEdit | QCheckBox = QCheckBox() if is_bool else QLineEdit()
        widget.setObjectName(".".join(where))
        self.inputs[where] = widget
        if isinstance(widget, QLineEdit) and where[1] in SECRET_KEYS:
            self.secrets[where] = SecretField(widget)
            return self.secrets[where]
        if isinstance(widget, QLineEdit) and where[1] in PATH_KEYS:
            directory, name_filter = PATH_KEYS[where[1]]
            self.paths[where] = PathField(widget, where[1], directory=directory, name_filter=name_filter)
            return self.paths[where]
        return widget

    def _set_value(self, where: Key, value: Any) -> None:
        widget = self.inputs[where]
        if isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif where in self.secrets:
            self.secrets[where].reset(saved=bool(value))  # `value` is the mask, never the secret
        else:
            widget.setText(", ".join(value) if isinstance(value, list) else str(value))

    def _value(self, where: Key, widget: QLineEdit | QCheckBox, current: Any) -> Any:
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if where in self.secrets:
            return self.secrets[where].value(current)
        text = widget.text().strip()
        return [v.strip() for v in text.split(",") if v.strip()] if isinstance(current, list) else text


def _flat(tables: dict[str, dict[str, Any]]) -> dict[Key, Any]:
    return {(s, k): v for s, table in tables.items() for k, v in table.items()}
