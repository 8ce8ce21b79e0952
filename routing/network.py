"""The road network of a service: build once (osmnx, offline), cache, load, and query.

:func:`load_network` is the engine's entry point. Loading from the cache needs numpy and scipy
only; osmnx, networkx, pyosmium and shapely are imported on a cache miss or an import.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from routing.clip import ClipArea
from routing.geo import convex_hull_area_m2, project_xy
from routing.matrix import UNREACHABLE, TreeCache, WeightedGraph, many_to_many
from routing.paths import path_from_predecessors, polyline
from routing.roads import RoadArrays
from routing.snap import MAX_SNAP_M, Snap, Snapper
from routing.speeds import DEFAULT_SPEEDS_KPH, speed_table_hash
from routing.store import (
    NetworkSource,
    cache_key,
    cache_path,
    file_sha256,
    load_cache,
    network_source,
    save_cache,
    service_dir,
    shipped_path,
    write_import_record,
)


@dataclass(frozen=True, slots=True)
class NetworkInfo:
    """Where a loaded network came from: source, approximate flag, cache use."""

    service: str
    source_label: str
    source_path: str
    approximate: bool
    source_sha256: str
    speed_table_hash: str
    cache_file: str
    from_cache: bool
    load_s: float


class Network:
    """A service's road network: CSR arrays plus snapping, matrices, paths and polylines.

    Nodes are row numbers ``0 .. node_count - 1``; times are whole seconds, lengths whole metres.
    """

    def __init__(self, arrays: RoadArrays, info: NetworkInfo) -> None:
        self.arrays = arrays
        self.info = info
        self._graph: WeightedGraph | None = None
        self._trees: TreeCache | None = None
        self._snapper: Snapper | None = None

    @property
    def graph(self) -> WeightedGraph:
        """The combined-weight CSR graph (built on first use)."""
        if self._graph is None:
            self._graph = WeightedGraph.of(self.arrays)
        return self._graph

    @property
    def trees(self) -> TreeCache:
        """The cache of shortest-path trees behind point-to-point queries."""
        if self._trees is None:
            self._trees = TreeCache(self.graph)
        return self._trees

    @property
    def node_count(self) -> int:
        """Number of nodes."""
        return self.arrays.node_count

    @property
    def edge_count(self) -> int:
        """Number of directed edges."""
        return self.arrays.edge_count

    @property
    def approximate(self) -> bool:
        """True while the network is the shipped approximation (no real extract imported)."""
        return self.info.approximate

    @property
    def coords(self) -> np.ndarray:
        """Node coordinates, shape (node_count, 2): (lat, lon) degrees."""
        return np.column_stack([self.arrays.lat, self.arrays.lon])

    @property
    def area_km2(self) -> float:
        """Area (km²) of the convex hull of the nodes, in a local plane projection."""
        lat0, lon0 = float(np.mean(self.arrays.lat)), float(np.mean(self.arrays.lon))
        x, y = project_xy(self.arrays.lat, self.arrays.lon, lat0, lon0)
        return convex_hull_area_m2(x, y) / 1e6

    def snap_point(
        self,
        lat: float,
        lon: float,
        zone: Sequence[tuple[float, float]] | None = None,
        max_m: float = MAX_SNAP_M,
    ) -> Snap:
        """The node serving (lat, lon) and its distance (m); raises OutsideZone (see routing.snap)."""
        if self._snapper is None:
            self._snapper = Snapper(self.arrays.lat, self.arrays.lon)
        return self._snapper.snap(lat, lon, zone, max_m)

    def snap(
        self,
        lat: float,
        lon: float,
        zone: Sequence[tuple[float, float]] | None = None,
        max_m: float = MAX_SNAP_M,
    ) -> int:
        """The node serving (lat, lon); raises OutsideZone outside ``zone`` or far from roads."""
        return self.snap_point(lat, lon, zone, max_m).node

    def matrix(
        self, sources: Sequence[int] | np.ndarray, targets: Sequence[int] | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Travel-time (s) and length (m) int64 matrices sources × targets (fastest paths)."""
        return many_to_many(self.graph, sources, targets)

    def travel_time(self, a: int, b: int) -> int:
        """Travel time (s) of the fastest path a → b (:data:`UNREACHABLE` if none)."""
        return self.trees.pair(a, b)[0]

    def distance(self, a: int, b: int) -> int:
        """Length (m) of the fastest path a → b (:data:`UNREACHABLE` if none)."""
        return self.trees.pair(a, b)[1]

    def path(self, a: int, b: int) -> list[int]:
        """Node rows of the fastest path a → b ([] if unreachable)."""
        return path_from_predecessors(self.trees.tree(a).predecessors, a, b)

    def polyline(self, a: int, b: int) -> list[tuple[float, float]]:
        """The fastest path a → b as [(lat, lon), ...] for maps and GTFS shapes."""
        return polyline(self.arrays, self.path(a, b))

    def node_coords(self, node: int) -> tuple[float, float]:
        """(lat, lon) of a node."""
        return float(self.arrays.lat[node]), float(self.arrays.lon[node])


def build_arrays(source: NetworkSource, table: Mapping[str, float] = DEFAULT_SPEEDS_KPH) -> RoadArrays:
    """Build the CSR arrays of a source: pyosmium filter and clip, then osmnx (the slow path)."""
    from routing.build import arrays_from_graph, graph_from_osm
    from routing.extract import filter_extract

    with tempfile.TemporaryDirectory(prefix="noriai-osm-") as tmp:
        filtered = Path(tmp) / "drivable.osm"
        filter_extract(source.path, filtered, source.clip)
        return arrays_from_graph(graph_from_osm(filtered, table))


def load_source(
    source: NetworkSource,
    base: str | Path | None = None,
    table: Mapping[str, float] = DEFAULT_SPEEDS_KPH,
) -> Network:
    """The network of ``source``, from the cache when its key matches, else built and cached."""
    start = time.perf_counter()
    sha = file_sha256(source.path)
    speed_hash = speed_table_hash(table)
    shipped = source.path.resolve() == shipped_path(source.service).resolve()
    path = cache_path(source.service, cache_key(sha, speed_hash, source.clip), base, shipped=shipped)
    cached = load_cache(path)
    from_cache = cached is not None
    if cached is not None:
        arrays = cached[0]
    else:
        arrays = build_arrays(source, table)
        save_cache(
            path,
            arrays,
            {"source": source.label, "source_sha256": sha, "speed_table_hash": speed_hash,
             "approximate": source.approximate, "built_at": datetime.now(UTC).isoformat()},
            prune=not shipped,
        )
    info = NetworkInfo(
        service=source.service,
        source_label=source.label,
        source_path=str(source.path),
        approximate=source.approximate,
        source_sha256=sha,
        speed_table_hash=speed_hash,
        cache_file=str(path),
        from_cache=from_cache,
        load_s=time.perf_counter() - start,
    )
    return Network(arrays, info)


def load_network(
    service: str = "mitsugi",
    data_dir: str | Path | None = None,
    table: Mapping[str, float] = DEFAULT_SPEEDS_KPH,
) -> Network:
    """The road network of ``service``: imported extract if any, else the shipped approximation.

    Parameters
    ----------
    service
        Service id: the folder of its imported network, and the name of its shipped one.
    data_dir
        Data folder (default ``$NORIAI_DATA_DIR`` or ``./var``) holding imports and caches.
    table
        Default speeds (km/h) per highway class; part of the cache key.
    """
    return load_source(network_source(service, data_dir), data_dir, table)


def import_extract(
    file: str | Path,
    service: str = "mitsugi",
    data_dir: str | Path | None = None,
    clip: ClipArea | None = None,
    table: Mapping[str, float] = DEFAULT_SPEEDS_KPH,
) -> Network:
    """Import an OSM extract as ``service``'s network (replacing the shipped one) and build it.

    Parameters
    ----------
    file
        .osm, .osm.bz2 or .osm.pbf extract.
    service
        The service whose network it becomes.
    data_dir
        Data folder (see :func:`routing.store.data_dir`).
    clip
        Area to keep; None keeps every drivable road of the file.

    Returns
    -------
    Network
        The new network (built, cached, and not approximate).
    """
    from routing.extract import filter_extract

    src = Path(file)
    folder = service_dir(service, data_dir)
    stats = filter_extract(src, folder / "network.osm.new", clip)
    (folder / "network.osm.new").replace(folder / "network.osm")
    write_import_record(
        service,
        {"source_name": src.name, "source_sha256": file_sha256(src), "approximate": False,
         "clip": None if clip is None else {"polygon": clip.polygon, "margin_m": clip.margin_m},
         "ways_kept": stats.ways_kept, "nodes_kept": stats.nodes_kept,
         "imported_at": datetime.now(UTC).isoformat()},
        data_dir,
    )
    return load_network(service, data_dir, table)


__all__ = [
    "UNREACHABLE",
    "Network",
    "NetworkInfo",
    "build_arrays",
    "import_extract",
    "load_network",
    "load_source",
]
