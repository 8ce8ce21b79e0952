"""Fixtures of the routing tests: the shared data, the Mitsugi network and its osmnx reference."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import networkx as nx
import pytest

from routing.build import graph_from_osm
from routing.extract import filter_extract
from routing.network import Network, load_network
from routing.store import network_source

REPO = Path(__file__).resolve().parents[2]


def shared_root() -> Path:
    """The shared folder: $NORIAI_SHARED, else ../shared beside the repository, else /work/shared."""
    return Path(os.environ.get("NORIAI_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only shared data folder (GTFS subsets, key places, OSM samples)."""
    for root in (shared_root(), Path("/work/shared")):
        if (root / "data").is_dir():
            return root / "data"
    pytest.skip("the shared data folder is not present")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private data folder (imports and caches) for the session."""
    return tmp_path_factory.mktemp("noriai-var")


@pytest.fixture(scope="session")
def mitsugi(data_dir: Path) -> Network:
    """The shipped approximate Mitsugi network, built once into the session's data folder."""
    return load_network("mitsugi", data_dir)


@pytest.fixture(scope="session")
def mitsugi_graph() -> nx.MultiDiGraph:
    """The osmnx graph of the same source and clip: the networkx reference for the matrices."""
    source = network_source("mitsugi", tempfile.mkdtemp())
    with tempfile.TemporaryDirectory() as tmp:
        filtered = Path(tmp) / "drivable.osm"
        filter_extract(source.path, filtered, source.clip)
        return graph_from_osm(filtered)
