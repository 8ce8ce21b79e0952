"""Shared checks of the routing tests: a network's matrix against networkx on the same graph."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np

from routing.network import Network
from routing.paths import path_time_dist


def assert_matches_networkx(net: Network, graph: nx.MultiDiGraph, pairs: int, seed: int) -> None:
    """Random pairs: matrix time == networkx Dijkstra on integer travel_time_s; paths sum up."""
    assert net.node_count == graph.number_of_nodes()
    osm = net.arrays.osm_ids
    rng = random.Random(seed)
    sources = [rng.randrange(net.node_count) for _ in range(max(1, pairs // 10))]
    targets = [rng.randrange(net.node_count) for _ in range(10)]
    time_s, dist_m = net.matrix(sources, targets)
    assert time_s.dtype == np.int64
    for i, s in enumerate(sources):
        ref = nx.single_source_dijkstra_path_length(graph, int(osm[s]), weight="travel_time_s")
        for j, t in enumerate(targets):
            assert time_s[i, j] == ref[int(osm[t])], (s, t)
            path = net.path(s, t)
            assert path[0] == s and path[-1] == t
            assert path_time_dist(net.arrays, path) == (time_s[i, j], dist_m[i, j])
            assert net.travel_time(s, t) == time_s[i, j]
