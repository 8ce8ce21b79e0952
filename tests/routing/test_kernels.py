"""The compiled kernels (bucket-queue matrix, trees, ALT and bidirectional pairs) equal networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing import kernels
from routing.matrix import (
    UNREACHABLE,
    TreeCache,
    WeightedGraph,
    choose_landmarks,
    many_to_many,
    point_to_point,
    shortest_tree,
)
from routing.paths import path_from_predecessors, path_time_dist
from routing.roads import arrays_from_edges

needs_numba = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed: scipy path only")


@st.composite
def graphs(draw, min_time: int = 1, connected: bool = False):
    """Random directed multigraphs (parallel edges, self-loops); ``connected`` adds a cycle."""
    n = draw(st.integers(2, 14))
    edge = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(min_time, 300), st.integers(0, 3000))
    edges = draw(st.lists(edge, min_size=1, max_size=45))
    if connected:
        edges += [(i, (i + 1) % n, draw(st.integers(max(1, min_time), 900)), 100) for i in range(n)]
    return n, edges


def _arrays(n, edges):
    col = list(zip(*edges, strict=True))
    return arrays_from_edges(np.arange(n), np.zeros(n), np.zeros(n), *(np.array(c) for c in col))


def _reference(n, edges):
    """networkx's (time, length) of the fastest path, ties to the shortest, for every pair."""
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(n))
    for u, v, t, d in edges:
        if u != v:
            g.add_edge(u, v, w=(t, d))
    ref = {}
    for s in range(n):
        # lexicographic (time, length) as one weight: lengths < 2**20 here
        dist = nx.single_source_dijkstra_path_length(g, s, weight=lambda _u, _v, e: min(
            x["w"][0] * 2**20 + x["w"][1] for x in e.values()))
        ref[s] = {t: divmod(c, 2**20) for t, c in dist.items()}
    return ref


def _check(graph, arrays, n, ref, landmarks=None):
    time_s, dist_m = many_to_many(graph, range(n), range(n))
    for s in range(n):
        tree = shortest_tree(graph, s)
        for t in range(n):
            want = ref[s].get(t, (UNREACHABLE, UNREACHABLE))
            assert (time_s[s, t], dist_m[s, t]) == want
            assert point_to_point(graph, s, t, landmarks) == want
            assert (tree.time_s[t], tree.dist_m[t]) == want
            path = path_from_predecessors(tree.predecessors, s, t)
            assert (path == []) == (want[0] == UNREACHABLE)
            if path:
                assert path_time_dist(arrays, path) == want



@needs_numba
@settings(max_examples=60, deadline=None)
@given(graphs())
def test_kernels_equal_networkx_on_random_graphs(case):
    """On any multigraph the compiled matrix, trees, paths and bidirectional pairs give exactly
    networkx's fastest time and the length of that fastest path; unreachable pairs stay -1."""
    n, edges = case
    arrays = _arrays(n, edges)
    graph = WeightedGraph.of(arrays)
    assert graph.compiled
    _check(graph, arrays, n, _reference(n, edges))


@needs_numba
@settings(max_examples=40, deadline=None)
@given(graphs(connected=True))
def test_alt_equals_networkx_on_strongly_connected_graphs(case):
    """With landmarks (strongly connected graphs) the A* lower bounds never change a result."""
    n, edges = case
    arrays = _arrays(n, edges)
    graph = WeightedGraph.of(arrays)
    landmarks = choose_landmarks(graph, count=3)
    assert landmarks is not None
    _check(graph, arrays, n, _reference(n, edges), landmarks)


@settings(max_examples=40, deadline=None)
@given(graphs(min_time=0))
def test_scipy_path_with_zero_second_edges(case):
    """Edges of 0 s (which the bucket queue cannot take) send the graph to scipy's Dijkstra,
    and the forced scipy path gives the same exact results as networkx."""
    n, edges = case
    arrays = _arrays(n, edges)
    graph = WeightedGraph.of(arrays)
    assert graph.compiled == (kernels.AVAILABLE and int(arrays.time_s.min(initial=1)) >= 1)
    _check(graph, arrays, n, _reference(n, edges))
    forced = WeightedGraph.of(arrays, compiled=False)
    _check(forced, arrays, n, _reference(n, edges))


@needs_numba
def test_mitsugi_alt_pairs_and_tree_policy(mitsugi):
    """On the shipped network: landmarks exist, ALT pairs equal the matrix, and the tree cache
    answers a new source's first query without a tree and builds the tree on the second."""
    graph = mitsugi.graph
    assert graph.compiled
    cache = TreeCache(graph)
    assert cache.landmarks is not None
    rng = np.random.default_rng(11)
    nodes = rng.choice(mitsugi.node_count, size=30, replace=False)
    time_s, dist_m = many_to_many(graph, nodes, nodes)
    for i, a in enumerate(nodes):
        for j, b in enumerate(nodes):
            assert point_to_point(graph, int(a), int(b), cache.landmarks) == (time_s[i, j], dist_m[i, j])
    a, b, c = (int(x) for x in nodes[:3])
    assert cache.pair(a, b) == (time_s[0, 1], dist_m[0, 1])
    assert a not in cache._trees
    assert cache.pair(a, c) == (time_s[0, 2], dist_m[0, 2])
    assert a in cache._trees
    assert cache.pair(a, b) == (time_s[0, 1], dist_m[0, 1])
