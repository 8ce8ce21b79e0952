"""Matrices and paths on the shipped Mitsugi network agree with networkx on the same graph."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from routing_checks import assert_matches_networkx

from routing.matrix import UNREACHABLE, WeightedGraph, many_to_many
from routing.paths import path_time_dist
from routing.roads import arrays_from_edges


def test_mitsugi_matrix_equals_networkx(mitsugi, mitsugi_graph):
    """Every matrix entry is exactly networkx's shortest integer travel time, and each path's
    summed edge times and lengths equal the matrix entries: the engine's promises rest on it."""
    assert_matches_networkx(mitsugi, mitsugi_graph, pairs=300, seed=7)


def test_distance_is_length_of_fastest_path(mitsugi):
    """The distance matrix is the length of the time-shortest path, not the shortest length:
    the two differ somewhere on the network, and the matrix follows time."""
    rng = np.random.default_rng(3)
    nodes = rng.choice(mitsugi.node_count, size=40, replace=False)
    time_s, dist_m = mitsugi.matrix(nodes, nodes)
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    a = mitsugi.arrays
    by_length = dijkstra(csr_matrix((a.dist_m.astype(float), a.indices, a.indptr)), indices=nodes)[:, nodes]
    assert (dist_m >= by_length - 1e-9).all()
    assert (dist_m > by_length).any(), "fastest and shortest paths never differ: test is vacuous"
    for i in range(0, 40, 7):
        for j in range(0, 40, 5):
            path = mitsugi.path(int(nodes[i]), int(nodes[j]))
            assert path_time_dist(a, path) == (time_s[i, j], dist_m[i, j])


def test_polyline_follows_the_path(mitsugi):
    """A polyline has one (lat, lon) per path node, starting and ending at the two nodes."""
    line = mitsugi.polyline(0, mitsugi.node_count - 1)
    assert line[0] == mitsugi.node_coords(0)
    assert line[-1] == mitsugi.node_coords(mitsugi.node_count - 1)
    assert len(line) == len(mitsugi.path(0, mitsugi.node_count - 1)) >= 2


@st.composite
def small_graphs(draw):
    """Random directed multigraphs with integer times and lengths (parallel edges, self-loops)."""
    n = draw(st.integers(2, 12))
    edges = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(1, 500), st.integers(0, 5000)),
            min_size=1,
            max_size=40,
        )
    )
    return n, edges


@settings(max_examples=60, deadline=None)
@given(small_graphs())
def test_matrix_equals_networkx_on_random_graphs(case):
    """On any multigraph (parallel edges, self-loops, unreachable pairs) the CSR matrix equals
    networkx's Dijkstra, and unreachable pairs are marked, never given a number."""
    n, edges = case
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(n))
    for u, v, t, d in edges:
        g.add_edge(u, v, t=t, d=d)
    arrays = arrays_from_edges(
        np.arange(n), np.zeros(n), np.zeros(n),
        np.array([e[0] for e in edges]), np.array([e[1] for e in edges]),
        np.array([e[2] for e in edges]), np.array([e[3] for e in edges]),
    )
    time_s, dist_m = many_to_many(WeightedGraph.of(arrays), range(n), range(n))
    for s in range(n):
        ref = nx.single_source_dijkstra_path_length(g, s, weight="t")
        for t in range(n):
            assert time_s[s, t] == ref.get(t, UNREACHABLE)
            assert (dist_m[s, t] == UNREACHABLE) == (t not in ref)
