"""Build a road network from an OSM XML file with osmnx (offline): speeds, times, largest part.

The only module that imports osmnx and networkx on the build path; loading from the cache never
comes here. :func:`graph_from_osm` gives the osmnx graph (also used by tests as the reference
for networkx shortest paths), :func:`arrays_from_graph` its compact CSR form.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import networkx as nx
import numpy as np

from dispatcher.errors import InvalidInput
from routing.roads import RoadArrays, arrays_from_edges
from routing.speeds import DEFAULT_SPEEDS_KPH, edge_length_m, edge_speed_kph, edge_time_s


def graph_from_osm(
    path: Path, table: Mapping[str, float] = DEFAULT_SPEEDS_KPH
) -> nx.MultiDiGraph:
    """The drivable graph of an OSM XML file, with integer ``travel_time_s`` and ``length_m``.

    Parameters
    ----------
    path
        OSM XML holding only drivable ways (see :func:`routing.extract.filter_extract`).
    table
        Default speeds (km/h) per highway class where ``maxspeed`` is not tagged.

    Returns
    -------
    networkx.MultiDiGraph
        The largest strongly connected component, unsimplified (every OSM node kept, so the
        polylines follow the road and snapping has every vertex); each edge has ``speed_kph``,
        ``length_m`` (whole metres) and ``travel_time_s`` (whole seconds).
    """
    import osmnx as ox  # deferred: heavy, and only needed to build

    ox.settings.use_cache = False
    ox.settings.log_console = False
    try:
        graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
    except (ValueError, KeyError) as exc:
        raise InvalidInput(
            f"道路網を読み込めません: {path.name}", f"cannot build a road network from {path.name}: {exc}"
        ) from exc
    if graph.number_of_edges() == 0:
        raise InvalidInput(f"走行可能な道路がありません: {path.name}", f"no drivable roads in {path.name}")
    graph = ox.truncate.largest_component(graph, strongly=True)
    for _, _, data in graph.edges(data=True):
        speed = edge_speed_kph(data.get("highway"), data.get("maxspeed"), table)
        data["speed_kph"] = speed
        data["length_m"] = edge_length_m(float(data["length"]))
        data["travel_time_s"] = edge_time_s(float(data["length"]), speed)
    return graph


def arrays_from_graph(graph: nx.MultiDiGraph) -> RoadArrays:
    """The CSR arrays of a graph built by :func:`graph_from_osm` (nodes in sorted OSM-id order)."""
    osm_ids = np.array(sorted(graph.nodes), dtype=np.int64)
    row = {int(n): i for i, n in enumerate(osm_ids)}
    lat = np.array([graph.nodes[n]["y"] for n in osm_ids], dtype=float)
    lon = np.array([graph.nodes[n]["x"] for n in osm_ids], dtype=float)
    edges = list(graph.edges(data=True))
    src = np.array([row[int(u)] for u, _, _ in edges], dtype=np.int64)
    dst = np.array([row[int(v)] for _, v, _ in edges], dtype=np.int64)
    time_s = np.array([d["travel_time_s"] for _, _, d in edges], dtype=np.int64)
    dist_m = np.array([d["length_m"] for _, _, d in edges], dtype=np.int64)
    return arrays_from_edges(osm_ids, lat, lon, src, dst, time_s, dist_m)
