"""The engine's index of places: road nodes that requests, stops and vehicles use, with matrices.

The optimizer works on dense square matrices over a small set of places, not over the whole
road network. This index grows as new places appear (a rider's own point, a vehicle's reported
position) and fills the new rows and columns from the road network's many-to-many queries.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from dispatcher.service_area import ServiceArea


class RoadNetwork(Protocol):
    """What the engine needs from routing: snapping and many-to-many travel times."""

    def snap(self, lat: float, lon: float,
             zone: Sequence[tuple[float, float]] | None = None) -> int:
        """Road node of a point (raises OutsideZone outside ``zone`` or far from any road)."""
        ...

    def node_coords(self, node: int) -> tuple[float, float]:
        """(lat, lon) of a road node."""
        ...

    def matrix(
        self, sources: Sequence[int], targets: Sequence[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Travel time (s) and distance (m) from each source to each target node."""
        ...



def stop_nodes(service: ServiceArea, network: RoadNetwork) -> dict[str, int]:
    """The service's stop ids mapped to their road nodes (snapped inside the zone; raises
    OutsideZone for a stop outside it or far from any road)."""
    return {s.id: network.snap(s.lat, s.lon, service.zone) for s in service.stops}

class PlaceIndex:
    """Dense indices over road nodes, with their travel-time and distance matrices.

    Parameters
    ----------
    network
        The road network to query.
    nodes
        Initial road nodes (e.g. the stops'), indexed in this order.
    """

    def __init__(self, network: RoadNetwork, nodes: Sequence[int] = ()) -> None:
        self.network = network
        self._lock = threading.Lock()
        self.nodes: list[int] = []
        self._index: dict[int, int] = {}
        self.time_s = np.zeros((0, 0), dtype=np.int64)
        self.dist_m = np.zeros((0, 0), dtype=np.int64)
        if nodes:
            self.ensure(nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def index_of(self, node: int) -> int:
        """Index of a road node, adding it (and its matrix rows/columns) when new."""
        found = self._index.get(node)
        if found is not None:
            return found
        return self.ensure([node])[0]

    def node_of(self, index: int) -> int:
        """Road node of a place index."""
        return self.nodes[index]

    def ensure(self, nodes: Sequence[int]) -> list[int]:
        """Indices of ``nodes``, extending the matrices for the new ones in one batch."""
        with self._lock:
            new = [n for n in dict.fromkeys(nodes) if n not in self._index]
            if new:
                old = list(self.nodes)
                everything = old + new
                t_out, d_out = self.network.matrix(new, everything)
                size = len(everything)
                time_s = np.zeros((size, size), dtype=np.int64)
                dist_m = np.zeros((size, size), dtype=np.int64)
                k = len(old)
                time_s[:k, :k] = self.time_s
                dist_m[:k, :k] = self.dist_m
                time_s[k:, :] = t_out
                dist_m[k:, :] = d_out
                if old:
                    t_in, d_in = self.network.matrix(old, new)
                    time_s[:k, k:] = t_in
                    dist_m[:k, k:] = d_in
                for n in new:
                    self._index[n] = len(self.nodes)
                    self.nodes.append(n)
                # Swap whole arrays so that readers holding the old ones stay consistent.
                self.time_s, self.dist_m = time_s, dist_m
            return [self._index[n] for n in nodes]
