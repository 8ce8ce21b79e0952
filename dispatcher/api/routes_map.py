"""The road network as GeoJSON, for maps drawn without outside tiles (the rider's point picker)."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Response

from dispatcher.api.deps import RuntimeDep

router = APIRouter(prefix="/api/v1/map", tags=["public"])


def road_segments(lat: np.ndarray, lon: np.ndarray, indptr: np.ndarray,
                  indices: np.ndarray) -> list[list[list[float]]]:
    """Undirected road segments ``[[lon, lat], [lon, lat]]`` of a CSR graph (each pair once).

    Parameters
    ----------
    lat, lon
        Node coordinates (degrees).
    indptr, indices
        CSR adjacency: edges leaving node ``i`` go to ``indices[indptr[i]:indptr[i + 1]]``.
    """
    src = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    dst = np.asarray(indices)
    a, b = np.minimum(src, dst), np.maximum(src, dst)
    pairs = np.unique(np.stack([a, b], axis=1)[a != b], axis=0)
    return [[[round(float(lon[i]), 5), round(float(lat[i]), 5)],
             [round(float(lon[j]), 5), round(float(lat[j]), 5)]] for i, j in pairs]


@router.get("/roads")
def roads(runtime: RuntimeDep, response: Response) -> dict[str, Any]:
    """The service's roads as a GeoJSON MultiLineString feature (cached per process)."""
    cached = getattr(runtime, "_roads_geojson", None)
    if cached is None:
        arrays = runtime.engine.network.arrays  # type: ignore[attr-defined]
        cached = {
            "type": "Feature",
            "properties": {"service": runtime.service.id,
                           "approximate": bool(getattr(runtime.engine.network, "approximate", False)),
                           "source": "approximate network from bus stops and timetables"
                           if getattr(runtime.engine.network, "approximate", False)
                           else "© OpenStreetMap contributors (ODbL)"},
            "geometry": {"type": "MultiLineString",
                         "coordinates": road_segments(arrays.lat, arrays.lon, arrays.indptr,
                                                      arrays.indices)},
        }
        runtime._roads_geojson = cached  # type: ignore[attr-defined]
    response.headers["Cache-Control"] = "public, max-age=3600"
    return cached
