"""Many-to-many travel times (whole s) and lengths (whole m) on the CSR arrays; point-to-point rows.

Pure: arrays in, arrays out. Each edge weighs ``time × scale + length`` (see
:meth:`routing.roads.RoadArrays.length_scale`), so one Dijkstra (scipy's, in C) finds the
fastest path, ties broken by the shortest, and its exact time and length are the quotient and
remainder of the combined weight: the distance matrix is the length of the time-shortest path.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from routing.roads import RoadArrays

#: Marker of an unreachable pair in the integer matrices.
UNREACHABLE = -1


@dataclass(frozen=True, slots=True, eq=False)
class WeightedGraph:
    """The scipy CSR matrix of combined weights and the scale that splits them."""

    csr: csr_matrix
    scale: int

    @classmethod
    def of(cls, arrays: RoadArrays) -> WeightedGraph:
        """Combined-weight graph of road arrays."""
        scale = arrays.length_scale()
        weights = arrays.time_s.astype(np.float64) * scale + arrays.dist_m.astype(np.float64)
        n = arrays.node_count
        csr = csr_matrix((weights, arrays.indices, arrays.indptr), shape=(n, n))
        return cls(csr=csr, scale=scale)

    def split(self, combined: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(time s, length m) as int64 of combined weights; inf gives :data:`UNREACHABLE`."""
        finite = np.isfinite(combined)
        whole = np.where(finite, combined, 0).astype(np.int64)
        time_s = np.where(finite, whole // self.scale, UNREACHABLE)
        dist_m = np.where(finite, whole % self.scale, UNREACHABLE)
        return time_s, dist_m


def _rows(nodes: Sequence[int] | np.ndarray, n: int, what: str) -> np.ndarray:
    arr = np.asarray(nodes, dtype=np.int64).reshape(-1)
    if len(arr) and (arr.min() < 0 or arr.max() >= n):
        raise IndexError(f"{what}: node out of range 0..{n - 1}")
    return arr


def many_to_many(
    graph: WeightedGraph, sources: Sequence[int] | np.ndarray, targets: Sequence[int] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Travel-time (s) and length (m) matrices from ``sources`` to ``targets`` (node rows).

    Parameters
    ----------
    graph
        The combined-weight graph.
    sources, targets
        Node rows; duplicates allowed.

    Returns
    -------
    tuple of numpy.ndarray
        ``(time_s, dist_m)``, int64 arrays of shape (len(sources), len(targets)); ``dist_m`` is
        the length of the fastest path; unreachable pairs hold :data:`UNREACHABLE`.
    """
    n = graph.csr.shape[0]
    src = _rows(sources, n, "sources")
    dst = _rows(targets, n, "targets")
    if len(src) == 0 or len(dst) == 0:
        empty = np.zeros((len(src), len(dst)), dtype=np.int64)
        return empty, empty.copy()
    unique, inverse = np.unique(src, return_inverse=True)
    combined = dijkstra(graph.csr, directed=True, indices=unique)
    combined = np.atleast_2d(combined)[inverse][:, dst]
    return graph.split(combined)


@dataclass(frozen=True, slots=True, eq=False)
class Tree:
    """A single-source shortest-path tree: time and length to every node, and predecessors."""

    source: int
    time_s: np.ndarray
    dist_m: np.ndarray
    predecessors: np.ndarray


def shortest_tree(graph: WeightedGraph, source: int) -> Tree:
    """The fastest-path tree from node row ``source`` (times s, lengths m, predecessor rows)."""
    n = graph.csr.shape[0]
    (row,) = _rows([source], n, "source")
    combined, pred = dijkstra(graph.csr, directed=True, indices=int(row), return_predecessors=True)
    time_s, dist_m = graph.split(combined)
    return Tree(source=int(row), time_s=time_s, dist_m=dist_m, predecessors=pred)


class TreeCache:
    """Least-recently-used cache of shortest-path trees, for fast point-to-point queries.

    A query a → b reads the tree of ``a`` (computed once, then O(1) per target): an engine asks
    many times from the same few stops and vehicle positions.
    """

    def __init__(self, graph: WeightedGraph, capacity: int = 512) -> None:
        self.graph = graph
        self.capacity = capacity
        self._trees: OrderedDict[int, Tree] = OrderedDict()

    def tree(self, source: int) -> Tree:
        """The tree of ``source`` (from the cache when present)."""
        tree = self._trees.get(source)
        if tree is None:
            tree = shortest_tree(self.graph, source)
            self._trees[source] = tree
            if len(self._trees) > self.capacity:
                self._trees.popitem(last=False)
        else:
            self._trees.move_to_end(source)
        return tree

    def clear(self) -> None:
        """Forget every cached tree."""
        self._trees.clear()
