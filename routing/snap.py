"""Snapping a (lat, lon) to the nearest road node, with the zone and distance checks.

The network is not simplified, so its nodes are every vertex of every road (on the generated
network, shape points every ~120 m): the nearest node is a road position within that spacing
of the nearest point on an edge. Pure: the index is built from arrays, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dispatcher.errors import OutsideZone
from routing.geo import point_in_polygon, project_xy

#: Farthest a point may be from the nearest road node to be served (m).
MAX_SNAP_M = 500.0


@dataclass(frozen=True, slots=True)
class Snap:
    """Where a point lands on the network: node row and distance (m) from the point."""

    node: int
    distance_m: float


class Snapper:
    """Nearest-node index of a network's nodes (a KD-tree in a local plane projection)."""

    def __init__(self, lat: np.ndarray, lon: np.ndarray) -> None:
        from scipy.spatial import cKDTree  # deferred: only snapping needs it

        self.lat0 = float(np.mean(lat)) if len(lat) else 0.0
        self.lon0 = float(np.mean(lon)) if len(lon) else 0.0
        x, y = project_xy(lat, lon, self.lat0, self.lon0)
        self._tree = cKDTree(np.column_stack([x, y]))

    def nearest(self, lat: float, lon: float) -> Snap:
        """The nearest node to (lat, lon), without any check."""
        x, y = project_xy(lat, lon, self.lat0, self.lon0)
        dist, idx = self._tree.query([float(x), float(y)])
        return Snap(node=int(idx), distance_m=float(dist))

    def snap(
        self,
        lat: float,
        lon: float,
        zone: Sequence[tuple[float, float]] | None = None,
        max_m: float = MAX_SNAP_M,
    ) -> Snap:
        """The road node serving (lat, lon); refuses points outside ``zone`` or far from roads.

        Parameters
        ----------
        lat, lon
            The point (WGS84 degrees).
        zone
            The service zone as a ring of (lat, lon); None skips the zone check.
        max_m
            Largest accepted distance (m) between the point and its node.

        Raises
        ------
        OutsideZone
            If the point is outside the zone, or farther than ``max_m`` from any road.
        """
        if not (np.isfinite(lat) and np.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise OutsideZone("位置が正しくありません", f"not a valid position: ({lat}, {lon})")
        if zone is not None and not point_in_polygon(lat, lon, zone):
            raise OutsideZone(
                "運行区域外の地点です",
                f"({lat:.6f}, {lon:.6f}) is outside the service zone",
                lat=lat,
                lon=lon,
            )
        snap = self.nearest(lat, lon)
        if snap.distance_m > max_m:
            raise OutsideZone(
                f"道路から遠すぎる地点です（最寄りの道路まで約{snap.distance_m:.0f} m、上限 {max_m:.0f} m）",
                f"({lat:.6f}, {lon:.6f}) is {snap.distance_m:.0f} m from the nearest road "
                f"(at most {max_m:.0f} m)",
                lat=lat,
                lon=lon,
                distance_m=round(snap.distance_m),
            )
        return snap
