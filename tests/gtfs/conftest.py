"""Fixtures of the gtfs tests: the shared data folder and the shipped outside feeds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def shared_root() -> Path:
    """The read-only shared folder: NORIAI_SHARED, else ../shared beside the repo, else /work/shared."""
    for candidate in (os.environ.get("NORIAI_SHARED"), REPO.parent / "shared", "/work/shared"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_gtfs() -> Path:
    """``shared/data/gtfs`` (skipped visibly when the shared folder is absent)."""
    path = shared_root() / "data" / "gtfs"
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path
