"""The app's version: one number, `[project] version` in pyproject.toml.

From a source checkout it is read from pyproject.toml itself (an editable install's metadata can be
stale after a version bump). A PyInstaller bundle has no pyproject.toml: the spec writes the number
into `VERSION` next to the bundled resources, and the bundle reads that.
"""

from __future__ import annotations

import sys
import tomllib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNKNOWN = "0+unknown"


def bundled_version_file() -> Path:
    """Where the bundle keeps its version (sys._MEIPASS is the bundle's _internal dir)."""
    base = Path(getattr(sys, "_MEIPASS", ROOT))
    return base / "resources" / "VERSION"


def read_pyproject_version(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            value = tomllib.load(fh).get("project", {}).get("version")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return value if isinstance(value, str) and value else None


@cache
def version() -> str:
    from_source = read_pyproject_version(ROOT / "pyproject.toml")
    if from_source:
        return from_source
    try:
        return bundled_version_file().read_text(encoding="utf-8").strip() or UNKNOWN
    except OSError:
        return UNKNOWN
