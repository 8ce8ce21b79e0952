"""Fixtures of the benchmark smoke tests: where the shared benchmark data lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """$NORIAI_SHARED, ../shared beside the repository, or /work/shared (skips when absent)."""
    for cand in (os.environ.get("NORIAI_SHARED"), REPO.parent / "shared", "/work/shared"):
        if cand and Path(cand, "bench").is_dir():
            return Path(cand)
    pytest.skip("shared data folder not found (set NORIAI_SHARED)")
