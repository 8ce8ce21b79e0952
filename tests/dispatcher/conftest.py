"""Fixtures of the dispatcher tests: a small line network and the shared benchmark folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def find_shared() -> Path | None:
    """The shared data folder: $NORIAI_SHARED, ../shared beside the repository, or /work/shared."""
    candidates = [os.environ.get("NORIAI_SHARED"), REPO.parent / "shared", "/work/shared"]
    for cand in candidates:
        if cand and Path(cand, "bench").is_dir():
            return Path(cand)
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only shared folder with benchmark instances (skips visibly when absent)."""
    found = find_shared()
    if found is None:
        pytest.skip("shared data folder not found (set NORIAI_SHARED)")
    return found


@pytest.fixture(scope="session")
def line_matrix() -> np.ndarray:
    """Travel times (s) between 10 points on a line one minute apart."""
    pos = np.arange(10)
    return (60 * np.abs(pos[:, None] - pos[None, :])).astype(np.int64)
