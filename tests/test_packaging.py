"""The wheel holds every subpackage: pyproject lists packages by hand (instances/ installs under
the rewriter namespace), so a new folder left off that list would work in a checkout and be
missing from an installed wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_of_rewriter_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "rewriter").rglob("__init__.py")}
    assert found - listed == set()
