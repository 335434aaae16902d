"""The repository stands on its own and its names say what things are."""

from __future__ import annotations

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
