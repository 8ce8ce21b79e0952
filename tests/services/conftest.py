"""Fixtures of the service-area tests: the shipped areas, their networks, the shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dispatcher.services import shipped_services
from routing.network import Network, load_network

REPO = Path(__file__).resolve().parents[2]

#: Every shipped service area (a folder of dispatcher/services holding service.toml).
AREAS = shipped_services()


@pytest.fixture(scope="session")
def area_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private data folder (imports and caches) for the session's networks."""
    return tmp_path_factory.mktemp("noriai-areas-var")


@pytest.fixture(scope="session", params=AREAS)
def area_network(request: pytest.FixtureRequest, area_data_dir: Path) -> tuple[str, Network]:
    """Each shipped area with its shipped road network (loaded once per session)."""
    return request.param, load_network(request.param, area_data_dir)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only shared data folder (stops, timetables) the networks are built from."""
    for root in (os.environ.get("NORIAI_SHARED"), REPO.parent / "shared", "/work/shared"):
        if root and (Path(root) / "data").is_dir():
            return Path(root)
    pytest.skip("the shared data folder is not present")
