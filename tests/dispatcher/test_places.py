"""The engine's index of places (dispatcher.places.PlaceIndex): grows with new places, keeps
existing indices and matrix entries, batches network queries."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from dispatcher.places import PlaceIndex


class LineNetwork:
    """Nodes on a line, 60 s and 1 000 m apart; counts the matrix queries."""

    def __init__(self) -> None:
        self.queries: list[tuple[int, int]] = []

    def snap(self, lat: float, lon: float, zone: Sequence[tuple[float, float]] | None = None) -> int:
        return round(lon)

    def node_coords(self, node: int) -> tuple[float, float]:
        return 0.0, float(node)

    def matrix(self, sources: Sequence[int], targets: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        self.queries.append((len(sources), len(targets)))
        s = np.asarray(sources)[:, None]
        t = np.asarray(targets)[None, :]
        return np.abs(s - t) * 60, np.abs(s - t) * 1000


def test_indices_are_stable_and_matrices_follow_the_network() -> None:
    net = LineNetwork()
    idx = PlaceIndex(net, [10, 20])
    assert idx.index_of(10) == 0 and idx.index_of(20) == 1
    before = idx.time_s.copy()
    assert idx.ensure([30, 10, 40, 30]) == [2, 0, 3, 2]
    assert len(idx) == 4 and idx.node_of(3) == 40
    np.testing.assert_array_equal(idx.time_s[:2, :2], before)
    nodes = np.asarray(idx.nodes)
    np.testing.assert_array_equal(idx.time_s, np.abs(nodes[:, None] - nodes[None, :]) * 60)
    np.testing.assert_array_equal(idx.dist_m, np.abs(nodes[:, None] - nodes[None, :]) * 1000)


def test_new_places_cost_two_batched_queries_and_known_ones_none() -> None:
    net = LineNetwork()
    idx = PlaceIndex(net, [1, 2, 3])
    net.queries.clear()
    idx.ensure([4, 5])
    assert net.queries == [(2, 5), (3, 2)]  # new rows, then the old rows' new columns
    net.queries.clear()
    idx.ensure([1, 5])
    assert net.queries == []


def test_concurrent_growth_gives_each_node_one_index() -> None:
    net = LineNetwork()
    idx = PlaceIndex(net, [0])
    got: list[list[int]] = []

    def add(start: int) -> None:
        got.append(idx.ensure(list(range(start, start + 20))))

    threads = [threading.Thread(target=add, args=(k * 10,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(idx.nodes) == len(set(idx.nodes)) == 70
    for n in range(70):
        assert idx.nodes[idx.index_of(n)] == n
    nodes = np.asarray(idx.nodes)
    np.testing.assert_array_equal(idx.time_s, np.abs(nodes[:, None] - nodes[None, :]) * 60)
