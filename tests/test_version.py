"""One version number: `[project] version` in pyproject.toml, as --version prints it (the package,
the About box and /api/v1/health are checked in test_deb, test_gui_login_start and test_api_admin)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from core.version import read_pyproject_version, version

ROOT = Path(__file__).resolve().parents[1]


def test_the_version_is_pyprojects() -> None:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        assert version() == tomllib.load(fh)["project"]["version"]


def test_a_missing_or_broken_pyproject_gives_none(tmp_path: Path) -> None:
    assert read_pyproject_version(tmp_path / "nope.toml") is None
    (tmp_path / "bad.toml").write_text("[project\n")
    assert read_pyproject_version(tmp_path / "bad.toml") is None


def test_dash_dash_version() -> None:
    out = subprocess.run(
        [sys.executable, "main.py", "--version"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"ha-ingestor {version()}"
