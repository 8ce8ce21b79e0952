"""Plane geometry on WGS84 coordinates (metres): great-circle distance, a local projection, polygons.

Pure functions over floats and numpy arrays; no I/O. The local projection is equirectangular
around a reference latitude, accurate to well under 0.1 % over the few tens of kilometres of a
service area, which is all snapping, areas and clipping need.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Mean Earth radius (m), the value osmnx uses for great-circle lengths.
EARTH_RADIUS_M = 6_371_009.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two (lat, lon) points in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def project_xy(
    lat: np.ndarray | float, lon: np.ndarray | float, lat0: float, lon0: float
) -> tuple[np.ndarray, np.ndarray]:
    """Local plane coordinates (x east, y north) in metres around the reference (lat0, lon0)."""
    k = math.pi / 180.0 * EARTH_RADIUS_M
    x = (np.asarray(lon, dtype=float) - lon0) * k * math.cos(math.radians(lat0))
    y = (np.asarray(lat, dtype=float) - lat0) * k
    return x, y


def unproject_latlon(
    x: np.ndarray | float, y: np.ndarray | float, lat0: float, lon0: float
) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`project_xy`: (lat, lon) in degrees of local plane coordinates (m)."""
    k = math.pi / 180.0 * EARTH_RADIUS_M
    lat = lat0 + np.asarray(y, dtype=float) / k
    lon = lon0 + np.asarray(x, dtype=float) / (k * math.cos(math.radians(lat0)))
    return lat, lon


def point_in_polygon(lat: float, lon: float, polygon: Sequence[tuple[float, float]]) -> bool:
    """True if (lat, lon) lies inside ``polygon`` (a ring of (lat, lon); even-odd rule)."""
    inside = False
    n = len(polygon)
    for i in range(n):
        a_lat, a_lon = polygon[i]
        b_lat, b_lon = polygon[(i + 1) % n]
        if (a_lat > lat) != (b_lat > lat):
            cross = a_lon + (lat - a_lat) * (b_lon - a_lon) / (b_lat - a_lat)
            if lon < cross:
                inside = not inside
    return inside


def convex_hull_area_m2(x: np.ndarray, y: np.ndarray) -> float:
    """Area in square metres of the convex hull of plane points (0 for fewer than 3 points)."""
    pts = sorted(set(zip(np.asarray(x).tolist(), np.asarray(y).tolist(), strict=True)))
    if len(pts) < 3:
        return 0.0

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    hull = lower[:-1] + upper[:-1]
    area = 0.0
    for i in range(len(hull)):
        x1, y1 = hull[i]
        x2, y2 = hull[(i + 1) % len(hull)]
        area += x1 * y2 - x2 * y1
    return abs(area) / 2.0
