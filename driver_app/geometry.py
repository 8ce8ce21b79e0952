"""Map geometry for the driver app: a plan's route as road legs, one per planned stop.

Pure; no I/O. The app draws the legs itself on a canvas over the road layer of
``GET /api/v1/map/roads`` (no map tiles: there may be no internet in the car).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

LatLon = tuple[float, float]


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
