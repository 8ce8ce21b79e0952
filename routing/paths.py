"""Node paths from shortest-path trees, their summed times, and polylines for maps and shapes.

Pure functions over :class:`routing.roads.RoadArrays` and predecessor arrays.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from routing.roads import RoadArrays

#: scipy's predecessor marker for "no predecessor".
NO_PREDECESSOR = -9999


def path_from_predecessors(predecessors: np.ndarray, source: int, target: int) -> list[int]:
    """Node rows of the tree path source → target; [] if the target is unreachable."""
    if source == target:
        return [source]
    if predecessors[target] == NO_PREDECESSOR:
        return []
    path = [target]
    node = target
    while node != source:
        node = int(predecessors[node])
        if node == NO_PREDECESSOR:
            return []
        path.append(node)
    path.reverse()
    return path


def path_time_dist(arrays: RoadArrays, path: Sequence[int]) -> tuple[int, int]:
    """Summed edge travel time (s) and length (m) along a node path."""
    time_s = dist_m = 0
    for u, v in itertools.pairwise(path):
        e = arrays.edge(int(u), int(v))
        time_s += int(arrays.time_s[e])
        dist_m += int(arrays.dist_m[e])
    return time_s, dist_m


def polyline(arrays: RoadArrays, path: Sequence[int]) -> list[tuple[float, float]]:
    """The path as [(lat, lon), ...] (every road vertex: the network is not simplified)."""
    return [(float(arrays.lat[i]), float(arrays.lon[i])) for i in path]
