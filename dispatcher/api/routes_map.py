"""The road network as GeoJSON, for maps drawn without outside tiles (the rider's point picker)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from dispatcher.api.deps import RuntimeDep
from dispatcher.api.map_lines import road_lines
from dispatcher.api.schemas_public import RoadsGeometryOut, RoadsOut, RoadsPropertiesOut

router = APIRouter(prefix="/api/v1/map", tags=["public"])


@router.get("/roads")
def roads(runtime: RuntimeDep, response: Response) -> RoadsOut:
    """The service's roads as a GeoJSON MultiLineString feature (cached per process): every road
    once, chains between junctions merged into one line (``[lon, lat]`` as GeoJSON orders them).
    The rider and driver apps and the operations console draw it as their base map."""
    cached = getattr(runtime, "_roads_geojson", None)
    if cached is None:
        arrays = runtime.engine.network.arrays  # type: ignore[attr-defined]
        approximate = bool(getattr(runtime.engine.network, "approximate", False))
        cached = RoadsOut(
            type="Feature",
            properties=RoadsPropertiesOut(
                service=runtime.service.id, approximate=approximate,
                source="approximate network from bus stops and timetables" if approximate
                else "© OpenStreetMap contributors (ODbL)"),
            geometry=RoadsGeometryOut(
                type="MultiLineString",
                coordinates=[[[lon, lat] for lat, lon in line] for line in
                             road_lines(arrays.lat, arrays.lon, arrays.indptr, arrays.indices)]),
        )
        runtime._roads_geojson = cached  # type: ignore[attr-defined]
    response.headers["Cache-Control"] = "public, max-age=3600"
    return cached
