"""The repository stands on its own and its names say what things are."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT_DIRS = ("core", "app", "bench", "packaging")


def _product_files(suffix: str = ".py") -> list[Path]:
    return [p for d in PRODUCT_DIRS for p in (ROOT / d).rglob(f"*{suffix}")]


def test_no_product_module_is_named_like_a_test() -> None:
    """pytest collects test_*.py and *_test.py: a product module with such a name looks like one."""
    named_like_tests = [
        str(p.relative_to(ROOT))
        for p in _product_files()
        if p.name.startswith("test_") or p.stem.endswith("_test")
    ]
    assert named_like_tests == []


def _referring_files() -> list[Path]:
    files = [p for suffix in (".py", ".spec", ".md") for p in _product_files(suffix)]
    files += [*(ROOT / "tests").rglob("*.py"), ROOT / "pyproject.toml", ROOT / "Makefile"]
    return [p for p in files if p.is_file() and p != Path(__file__).resolve()]


def test_nothing_points_outside_the_repository() -> None:
    """The product ships alone: a comment, test or pin that cites a document must cite one in it."""
    outside = [
        str(p.relative_to(ROOT))
        for p in _referring_files()
        if any(f"shared/{part}" in p.read_text() for part in ("docs", "fixtures"))
    ]
    assert outside == []


def test_stack_notes_references_resolve() -> None:
    """Every mention of the stack notes names docs/stack-notes.md and a section that exists there."""
    notes = (ROOT / "docs" / "stack-notes.md").read_text()
    sections = set(re.findall(r"^## (§\d+)", notes, flags=re.MULTILINE))
    bad: list[str] = []
    for path in _referring_files():
        for line in path.read_text().splitlines():
            if "stack-notes" not in line:
                continue
            cited = re.search(r"docs/stack-notes\.md (§\d+)", line)
            if cited is None or cited.group(1) not in sections:
                bad.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert bad == []


def test_cited_project_documents_exist() -> None:
    """A comment or test that cites docs/<name>.md cites a file the repository has."""
    missing = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in _referring_files()
        for name in set(re.findall(r"docs/[\w-]+\.md", path.read_text()))
        if not (ROOT / name).is_file()
    )
    assert missing == []
