"""The compact road network: CSR arrays of a directed graph with integer travel times and lengths.

Pure values, no I/O: this is what the cache stores and what matrices, snapping and paths read.
Parallel edges are reduced to the one with the least (time, length); self-loops are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Largest integer a float64 holds exactly; combined weights must stay below it.
EXACT_FLOAT_LIMIT = 2**53


@dataclass(frozen=True, slots=True, eq=False)
class RoadArrays:
    """A directed road graph in CSR form (times in whole seconds, lengths in whole metres).

    Attributes
    ----------
    osm_ids
        OSM node id of each node (int64), node ``i`` is row ``i``.
    lat, lon
        Node coordinates (WGS84 degrees, float64).
    indptr, indices
        CSR structure: the edges leaving node ``i`` go to ``indices[indptr[i]:indptr[i + 1]]``.
    time_s, dist_m
        Travel time (s) and length (m) of each edge (int32), aligned with ``indices``.
    """

    osm_ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    time_s: np.ndarray
    dist_m: np.ndarray

    @property
    def node_count(self) -> int:
        """Number of nodes."""
        return len(self.osm_ids)

    @property
    def edge_count(self) -> int:
        """Number of directed edges (after merging parallel edges)."""
        return len(self.indices)

    def edge(self, u: int, v: int) -> int:
        """Index of the edge u → v; raises KeyError if there is none."""
        lo, hi = int(self.indptr[u]), int(self.indptr[u + 1])
        hits = np.nonzero(self.indices[lo:hi] == v)[0]
        if len(hits) == 0:
            raise KeyError((u, v))
        return lo + int(hits[0])

    def length_scale(self) -> int:
        """Power of two above the sum of all lengths: the time weight of combined weights.

        A path's combined weight ``time × scale + length`` orders paths by time, then length,
        and stays an exact float64 integer (checked here), so one Dijkstra gives both.
        """
        scale = 1 << int(int(self.dist_m.sum(dtype=np.int64)) + 1).bit_length()
        if int(self.time_s.sum(dtype=np.int64)) * scale + scale >= EXACT_FLOAT_LIMIT:
            raise ValueError("network too large for exact combined weights")
        return scale


def arrays_from_edges(
    osm_ids: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    time_s: np.ndarray,
    dist_m: np.ndarray,
) -> RoadArrays:
    """Build :class:`RoadArrays` from an edge list over node rows ``0..n-1``.

    Parameters
    ----------
    osm_ids, lat, lon
        Per-node OSM id and coordinates.
    src, dst
        Row numbers of each edge's tail and head.
    time_s, dist_m
        Integer travel time (s) and length (m) of each edge.

    Returns
    -------
    RoadArrays
        Sorted by (src, dst); of parallel edges the least (time, length) is kept.
    """
    n = len(osm_ids)
    src, dst = np.asarray(src, np.int64), np.asarray(dst, np.int64)
    time_s, dist_m = np.asarray(time_s, np.int64), np.asarray(dist_m, np.int64)
    keep = src != dst
    src, dst, time_s, dist_m = src[keep], dst[keep], time_s[keep], dist_m[keep]
    order = np.lexsort((dist_m, time_s, dst, src))
    src, dst, time_s, dist_m = src[order], dst[order], time_s[order], dist_m[order]
    first = np.ones(len(src), dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    src, dst, time_s, dist_m = src[first], dst[first], time_s[first], dist_m[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, src + 1, 1)
    return RoadArrays(
        osm_ids=np.asarray(osm_ids, np.int64),
        lat=np.asarray(lat, np.float64),
        lon=np.asarray(lon, np.float64),
        indptr=np.cumsum(indptr).astype(np.int32),
        indices=dst.astype(np.int32),
        time_s=time_s.astype(np.int32),
        dist_m=dist_m.astype(np.int32),
    )
