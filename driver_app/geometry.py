"""Map geometry for the driver app: the road network as light GeoJSON, and a plan's route legs.

Pure functions over :class:`routing.roads.RoadArrays` and polylines; no I/O. The app draws these
itself on a canvas (no map tiles: there may be no internet in the car).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from routing.roads import RoadArrays

LatLon = tuple[float, float]


def undirected_edges(arrays: RoadArrays) -> list[tuple[int, int]]:
    """Each road once: the directed edges u → v reduced to pairs (min, max), sorted."""
    src = np.repeat(np.arange(arrays.node_count), np.diff(arrays.indptr))
    dst = np.asarray(arrays.indices)
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    pairs = np.unique(np.column_stack([lo, hi]), axis=0)
    return [(int(a), int(b)) for a, b in pairs if a != b]


def road_chains(edges: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Merge roads through nodes of degree two into chains (fewer, longer lines to draw).

    Parameters
    ----------
    edges
        Undirected edges (u, v), each once.

    Returns
    -------
    list of list of int
        Node sequences; together they cover every edge exactly once.
    """
    adjacent: dict[int, list[int]] = {}
    for u, v in edges:
        adjacent.setdefault(u, []).append(v)
        adjacent.setdefault(v, []).append(u)
    used: set[tuple[int, int]] = set()

    def key(a: int, b: int) -> tuple[int, int]:
        return (a, b) if a < b else (b, a)

    def walk(start: int, nxt: int) -> list[int]:
        chain = [start, nxt]
        used.add(key(start, nxt))
        prev, node = start, nxt
        while len(adjacent[node]) == 2:
            after = adjacent[node][0] if adjacent[node][1] == prev else adjacent[node][1]
            if key(node, after) in used:
                break
            used.add(key(node, after))
            chain.append(after)
            prev, node = node, after
        return chain

    chains: list[list[int]] = []
    # Chains start at junctions and dead ends first, then what is left are pure loops.
    for node in sorted(adjacent, key=lambda n: (len(adjacent[n]) == 2, n)):
        for nb in adjacent[node]:
            if key(node, nb) not in used:
                chains.append(walk(node, nb))
    return chains


def roads_geojson(arrays: RoadArrays, digits: int = 5) -> dict[str, Any]:
    """The road network as a GeoJSON FeatureCollection of LineStrings ([lon, lat], rounded).

    Parameters
    ----------
    arrays
        The road network.
    digits
        Decimal places kept (5 ≈ 1 m): enough to draw, and a small download.
    """
    lat = np.round(np.asarray(arrays.lat, dtype=float), digits)
    lon = np.round(np.asarray(arrays.lon, dtype=float), digits)
    features = []
    for chain in road_chains(undirected_edges(arrays)):
        coords = [[float(lon[n]), float(lat[n])] for n in chain]
        features.append({"type": "Feature", "properties": {},
                         "geometry": {"type": "LineString", "coordinates": coords}})
    bbox = [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())]
    return {"type": "FeatureCollection", "bbox": bbox, "features": features}


def route_legs(start: int, stops: Sequence[tuple[int, dict[str, Any]]],
               polyline: Callable[[int, int], list[LatLon]], digits: int = 5) -> list[dict[str, Any]]:
    """The road path from the vehicle's place to each planned stop in turn.

    Parameters
    ----------
    start
        Road node where the vehicle is (its last known place).
    stops
        (road node, properties) of each planned stop in order; the properties are copied
        into the leg (e.g. index, booking id, kind).
    polyline
        Road path a → b as [(lat, lon), ...] (``Network.polyline``).
    digits
        Decimal places kept.

    Returns
    -------
    list of dict
        One leg per stop: the properties plus ``coords`` [[lat, lon], ...] (a single point when
        the stop is where the vehicle already is, empty when no road leads there).
    """
    legs = []
    here = start
    for node, props in stops:
        line = polyline(here, node)
        coords = [[round(a, digits), round(b, digits)] for a, b in line]
        legs.append({**props, "coords": coords})
        here = node
    return legs
