"""Tabs plug in by registering their class: `@register_tab` on a `BaseTab` subclass with a `key`,
a `title` and an `order`. A tab is one module named `*_tab.py` in this package: it is found by
name, so adding a tab changes no other file."""

from __future__ import annotations

import importlib
import pkgutil
from typing import TypeVar

from app.tabs.base import BaseTab, TabContext

T = TypeVar("T", bound=type[BaseTab])
_REGISTRY: dict[str, type[BaseTab]] = {}


def register_tab(cls: T) -> T:
    if not cls.key:
        raise ValueError(f"{cls.__name__} has no key")
    _REGISTRY[cls.key] = cls
    return cls


def builtin_tab_modules() -> list[str]:
    """Every `*_tab` module of this package (PyInstaller lists them as hidden imports too)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.endswith("_tab"))


def load_builtin_tabs() -> None:
    for module in builtin_tab_modules():
        importlib.import_module(f"app.tabs.{module}")


def tab_classes() -> list[type[BaseTab]]:
    load_builtin_tabs()
    return sorted(_REGISTRY.values(), key=lambda c: (c.order, c.key))


__all__ = ["BaseTab", "TabContext", "register_tab", "tab_classes"]
