"""Many-to-many travel times (whole s) and lengths (whole m) on the CSR arrays; point-to-point rows.

Pure: arrays in, arrays out. Each edge weighs ``time × scale + length`` (see
:meth:`routing.roads.RoadArrays.length_scale`), so one Dijkstra finds the fastest path, ties
broken by the shortest, and its exact time and length are the quotient and remainder of the
combined weight: the distance matrix is the length of the time-shortest path.

The searches run in the compiled kernels of :mod:`routing.kernels` (a bucket-queue Dijkstra
that stops once every target is settled, from whichever side has fewer distinct nodes; a
bidirectional search for one pair). Without numba, or when some edge takes 0 s (the bucket
queue needs ≥ 1 s per edge), scipy's Dijkstra (in C) does the same work in float64, where the
combined weights are exact too.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from routing import kernels
from routing.roads import RoadArrays

#: Marker of an unreachable pair in the integer matrices.
UNREACHABLE = -1


@dataclass(frozen=True, slots=True, eq=False)
class WeightedGraph:
    """The combined-weight graph: int64 CSR arrays both ways, scipy's CSR, and the split scale.

    Attributes
    ----------
    csr
        scipy CSR matrix of float64 combined weights (the fallback path).
    scale
        Time weight of the combined weights (a power of two above every path length).
    indptr, indices, time_s, weight
        Forward CSR (int64): edge heads, whole seconds and combined weights.
    rindptr, rindices, rtime_s, rweight
        The same edges reversed (grouped by head), for backward searches.
    compiled
        True when the compiled kernels apply (numba present, every edge ≥ 1 s).
    """

    csr: csr_matrix
    scale: int
    indptr: np.ndarray
    indices: np.ndarray
    time_s: np.ndarray
    weight: np.ndarray
    rindptr: np.ndarray
    rindices: np.ndarray
    rtime_s: np.ndarray
    rweight: np.ndarray
    compiled: bool

    @classmethod
    def of(cls, arrays: RoadArrays, compiled: bool | None = None) -> WeightedGraph:
        """Combined-weight graph of road arrays (``compiled=False`` forces the scipy path)."""
        scale = arrays.length_scale()
        n = arrays.node_count
        time_s = arrays.time_s.astype(np.int64)
        weight = time_s * scale + arrays.dist_m.astype(np.int64)
        indptr = arrays.indptr.astype(np.int64)
        indices = arrays.indices.astype(np.int64)
        csr = csr_matrix((weight.astype(np.float64), arrays.indices, arrays.indptr), shape=(n, n))
        tails = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
        order = np.argsort(indices, kind="stable")
        rindptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(indices, minlength=n), out=rindptr[1:])
        usable = kernels.AVAILABLE and (len(time_s) == 0 or int(time_s.min()) >= 1)
        return cls(
            csr=csr, scale=scale, indptr=indptr, indices=indices, time_s=time_s, weight=weight,
            rindptr=rindptr, rindices=tails[order], rtime_s=time_s[order], rweight=weight[order],
            compiled=usable if compiled is None else (compiled and usable),
        )

    @property
    def node_count(self) -> int:
        """Number of nodes."""
        return len(self.indptr) - 1

    def split(self, combined: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(time s, length m) as int64 of combined weights; inf gives :data:`UNREACHABLE`."""
        finite = np.isfinite(combined)
        whole = np.where(finite, combined, 0).astype(np.int64)
        time_s = np.where(finite, whole // self.scale, UNREACHABLE)
        dist_m = np.where(finite, whole % self.scale, UNREACHABLE)
        return time_s, dist_m

    def split_int(self, combined: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(time s, length m) of int64 combined weights; negative gives :data:`UNREACHABLE`."""
        reached = combined >= 0
        time_s = np.where(reached, combined // self.scale, UNREACHABLE)
        dist_m = np.where(reached, combined % self.scale, UNREACHABLE)
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
    n = graph.node_count
    src = _rows(sources, n, "sources")
    dst = _rows(targets, n, "targets")
    if len(src) == 0 or len(dst) == 0:
        empty = np.zeros((len(src), len(dst)), dtype=np.int64)
        return empty, empty.copy()
    unique, inverse = np.unique(src, return_inverse=True)
    if graph.compiled:
        targets_u, t_inverse = np.unique(dst, return_inverse=True)
        if len(targets_u) < len(unique):  # search backward from the fewer side
            combined = kernels.dial_many(
                graph.rindptr, graph.rindices, graph.rtime_s, graph.rweight, targets_u, unique
            ).T
        else:
            combined = kernels.dial_many(graph.indptr, graph.indices, graph.time_s, graph.weight, unique, targets_u)
        return graph.split_int(combined[inverse][:, t_inverse])
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
    n = graph.node_count
    (row,) = _rows([source], n, "source")
    if graph.compiled:
        combined, pred = kernels.dial_tree(graph.indptr, graph.indices, graph.time_s, graph.weight, int(row))
        time_s, dist_m = graph.split_int(combined)
        return Tree(source=int(row), time_s=time_s, dist_m=dist_m, predecessors=pred)
    combined, pred = dijkstra(graph.csr, directed=True, indices=int(row), return_predecessors=True)
    time_s, dist_m = graph.split(combined)
    return Tree(source=int(row), time_s=time_s, dist_m=dist_m, predecessors=pred)


@dataclass(frozen=True, slots=True, eq=False)
class Landmarks:
    """Combined distances from and to a few landmark nodes, the lower bounds of ALT searches.

    ``dist_from[v, k]`` is the combined weight of the fastest path from landmark k to v,
    ``dist_to[v, k]`` from v to landmark k.
    """

    nodes: np.ndarray
    dist_from: np.ndarray
    dist_to: np.ndarray


def choose_landmarks(graph: WeightedGraph, count: int = 12) -> Landmarks | None:
    """Landmarks spread by farthest-point selection (each the node farthest from those chosen).

    Returns None without the compiled kernels or when some node cannot reach, or be reached
    from, a landmark (bounds would be infinite): searches then run without landmarks.
    """
    if not graph.compiled or graph.node_count == 0:
        return None
    n = graph.node_count
    far, _ = kernels.dial_tree(graph.indptr, graph.indices, graph.time_s, graph.weight, 0)
    if (far < 0).any():
        return None
    chosen: list[int] = [int(np.argmax(far))]
    dist_from = np.empty((n, count), dtype=np.int64)
    dist_to = np.empty((n, count), dtype=np.int64)
    nearest = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    for k in range(min(count, n)):
        node = chosen[k]
        fwd, _ = kernels.dial_tree(graph.indptr, graph.indices, graph.time_s, graph.weight, node)
        bwd, _ = kernels.dial_tree(graph.rindptr, graph.rindices, graph.rtime_s, graph.rweight, node)
        if (fwd < 0).any() or (bwd < 0).any():
            return None
        dist_from[:, k], dist_to[:, k] = fwd, bwd
        np.minimum(nearest, fwd + bwd, out=nearest)
        chosen.append(int(np.argmax(nearest)))
    k = min(count, n)
    return Landmarks(np.array(chosen[:k]), np.ascontiguousarray(dist_from[:, :k]),
                     np.ascontiguousarray(dist_to[:, :k]))


def point_to_point(graph: WeightedGraph, a: int, b: int, landmarks: Landmarks | None = None) -> tuple[int, int]:
    """(time s, length m) of the fastest path a → b, :data:`UNREACHABLE` twice if none.

    An ALT search with ``landmarks`` (see :func:`choose_landmarks`), else a bidirectional
    search; both compiled and far cheaper than a whole tree. Without the kernels, a tree.
    """
    ra, rb = (int(x) for x in _rows([a, b], graph.node_count, "nodes"))
    if not graph.compiled:
        time_s, dist_m = many_to_many(graph, [ra], [rb])
        return int(time_s[0, 0]), int(dist_m[0, 0])
    if landmarks is not None:
        combined = int(kernels.alt(graph.indptr, graph.indices, graph.weight,
                                   landmarks.dist_from, landmarks.dist_to, ra, rb))
    else:
        combined = int(kernels.bidirectional(
            graph.indptr, graph.indices, graph.weight, graph.rindptr, graph.rindices, graph.rweight, ra, rb
        ))
    if combined < 0:
        return UNREACHABLE, UNREACHABLE
    return combined // graph.scale, combined % graph.scale


class TreeCache:
    """Least-recently-used cache of shortest-path trees, for fast point-to-point queries.

    A query a → b reads the tree of ``a`` (computed once, then O(1) per target): an engine asks
    many times from the same few stops and vehicle positions. The first query from a source
    without a tree is answered by an ALT search instead (:func:`point_to_point`, landmarks
    chosen on first use); the second one builds the tree.
    """

    def __init__(self, graph: WeightedGraph, capacity: int = 512) -> None:
        self.graph = graph
        self.capacity = capacity
        self._trees: OrderedDict[int, Tree] = OrderedDict()
        self._asked: OrderedDict[int, None] = OrderedDict()
        self._landmarks: Landmarks | bool | None = False

    @property
    def landmarks(self) -> Landmarks | None:
        """The landmarks of point-to-point searches (chosen on first use; None if unusable)."""
        if self._landmarks is False:
            self._landmarks = choose_landmarks(self.graph)
        return self._landmarks  # type: ignore[return-value]

    def pair(self, a: int, b: int) -> tuple[int, int]:
        """(time s, length m) of the fastest path a → b (:data:`UNREACHABLE` twice if none)."""
        tree = self._trees.get(a)
        if tree is None and self.graph.compiled and a not in self._asked:
            self._asked[a] = None
            if len(self._asked) > 4 * self.capacity:
                self._asked.popitem(last=False)
            return point_to_point(self.graph, a, b, self.landmarks)
        if tree is None:
            tree = self.tree(a)
        else:
            self._trees.move_to_end(a)
        if not 0 <= b < self.graph.node_count:
            raise IndexError(f"target: node out of range 0..{self.graph.node_count - 1}")
        return int(tree.time_s[b]), int(tree.dist_m[b])

    def tree(self, source: int) -> Tree:
        """The tree of ``source`` (from the cache when present)."""
        tree = self._trees.get(source)
        if tree is None:
            tree = shortest_tree(self.graph, source)
            self._asked.pop(source, None)
            self._trees[source] = tree
            if len(self._trees) > self.capacity:
                self._trees.popitem(last=False)
        else:
            self._trees.move_to_end(source)
        return tree

    def clear(self) -> None:
        """Forget every cached tree (and which sources were asked)."""
        self._trees.clear()
        self._asked.clear()
