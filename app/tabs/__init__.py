"""Tabs plug in by registering their class: `@register_tab` on a `BaseTab` subclass with a `key`,
a `title` and an `order`. Later tabs (Sports, Data Sources, Energy) add a module and one import line
in `load_builtin_tabs`."""

from __future__ import annotations

import importlib
from typing import TypeVar

from app.tabs.base import BaseTab, TabContext

T = TypeVar("T", bound=type[BaseTab])
_REGISTRY: dict[str, type[BaseTab]] = {}
BUILTIN = (
    "overview_tab",
    "services_tab",
    "dependencies_tab",
    "devices_tab",
    "events_tab",
    "logs_tab",
    "analytics_tab",
    "alerts_tab",
    "config_tab",
)


def register_tab(cls: T) -> T:
    if not cls.key:
        raise ValueError(f"{cls.__name__} has no key")
    _REGISTRY[cls.key] = cls
    return cls


def load_builtin_tabs() -> None:
    for module in BUILTIN:
        importlib.import_module(f"app.tabs.{module}")


def tab_classes() -> list[type[BaseTab]]:
    load_builtin_tabs()
    return sorted(_REGISTRY.values(), key=lambda c: (c.order, c.key))


__all__ = ["BaseTab", "TabContext", "register_tab", "tab_classes"]
