"""Generate the shipped approximate Mitsugi road network as an OSM XML file.

No OpenStreetMap extract covering Mitsugi (御調町, Onomichi) can be obtained on the project's
machines, so the product ships this approximation, built only from real data in ../shared/data
(see its SOURCES.md), until an operator runs ``noriai routing import`` on a real extract:

Nodes
    The real bus stops of 中国バス (chugokubus_subset/stops.txt) within ``ZONE_BUFFER_M`` of the
    service zone or ``CORRIDOR_BUFFER_M`` of the bus corridor, the おのみちバス stops within
    ``CORRIDOR_BUFFER_M`` of the corridor (mainland only), every key place
    (stops/mitsugi_key_places.csv), every stop of the service's registry
    (dispatcher/services/mitsugi/stops.csv) and every timetable stop with coordinates. Points
    closer than ``MERGE_M`` (the platforms of one stop) become one node.
Edges
    1. Consecutive stops of the real bus trips (chugokubus_mitsugi_timetable/stop_times.txt):
       pattern 54 is Route 184 (御調高校前 – 市出張所 – 新尾道駅 – 尾道駅前), tagged
       ``highway=trunk`` with ``maxspeed`` 50, or 40 where consecutive stops are closer than
       ``BUILT_UP_HOP_M`` (the road runs through a village or town); pattern 88 (市出張所 towards 福山) ``highway=secondary``.
    2. Links between neighbouring stops: the Delaunay triangulation edges not longer than
       ``LINK_MAX_M``, plus the Euclidean minimum spanning tree (so every node is reached),
       ``highway=tertiary`` (≥ ``MINOR_MAX_M``) or ``unclassified`` (shorter), no maxspeed
       (speeds come from routing.speeds' default table).
    Every way is two-way (no ``oneway``), so the network is strongly connected.
Road winding
    Real roads are longer than the straight line between stops. Each way gets intermediate
    shape nodes on a zig-zag around the straight line, with the amplitude solved so that the
    polyline's great-circle length (what osmnx computes as ``length``) is at least
    ``winding × straight-line distance``: ``WINDING_TRUNK`` on the bus corridor (valley road),
    ``WINDING_LINK`` on the links. The factor is written on the way as ``noriai:winding``.
Marking
    Every way carries ``note=approximate`` and ``source=noriai approximate network from bus stops
    and timetables``; the file's ``generator`` says so too.

Run: ``python scripts/build_mitsugi_osm.py [--shared DIR] [--out routing/data/mitsugi.osm]``.
The output is deterministic (same input, same bytes).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree
from shapely.geometry import LineString, Point, Polygon

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dispatcher.services import load_service  # noqa: E402
from routing.geo import haversine_m, project_xy, unproject_latlon  # noqa: E402

ZONE_BUFFER_M = 2500.0
CORRIDOR_BUFFER_M = 1000.0
MERGE_M = 25.0
LINK_MAX_M = 1500.0
MINOR_MAX_M = 500.0
WINDING_TRUNK = 1.20
WINDING_LINK = 1.30
SHAPE_SPACING_M = 120.0
BUILT_UP_HOP_M = 700.0  # corridor hops shorter than this run through villages or town
MAINLAND_MIN_LAT = 34.4005  # south of this lies the strait (尾道水道) and Mukaishima
CORRIDOR_PATTERN = "_54_"
SECONDARY_PATTERN = "_88_"
SOURCE_TAG = "noriai approximate network from bus stops and timetables"
LAT0, LON0 = 34.47, 133.17


@dataclass
class Node:
    """A network node: a stop (or several platforms merged) at (lat, lon)."""

    id: int
    lat: float
    lon: float
    name: str
    refs: list[str] = field(default_factory=list)


def shared_dir(arg: str | None) -> Path:
    """The shared data folder: argument, NORIAI_SHARED, ../shared beside the repo, /work/shared."""
    for cand in (arg, os.environ.get("NORIAI_SHARED"), str(REPO.parent / "shared"), "/work/shared"):
        if cand and (Path(cand) / "data").is_dir():
            return Path(cand)
    raise SystemExit("shared data folder not found (use --shared or NORIAI_SHARED)")


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file with a header."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def xy(lat: float, lon: float) -> tuple[float, float]:
    """Local plane coordinates (m) of a point."""
    x, y = project_xy(lat, lon, LAT0, LON0)
    return float(x), float(y)


def zigzag(lat1: float, lon1: float, lat2: float, lon2: float, winding: float) -> list[tuple[float, float]]:
    """Intermediate (lat, lon) shape points making the a→b polyline ≥ winding × straight line."""
    x1, y1 = xy(lat1, lon1)
    x2, y2 = xy(lat2, lon2)
    d = math.hypot(x2 - x1, y2 - y1)
    if d < 1.0 or winding <= 1.0:
        return []
    k = max(1, round(d / SHAPE_SPACING_M))  # number of shape points
    ux, uy = (x2 - x1) / d, (y2 - y1) / d
    px, py = -uy, ux

    def points(h: float) -> list[tuple[float, float]]:
        out = []
        for i in range(1, k + 1):
            t = i / (k + 1)
            s = h if i % 2 else -h
            out.append((x1 + ux * d * t + px * s, y1 + uy * d * t + py * s))
        return out

    def great_circle(h: float) -> float:
        pts = [(lat1, lon1)]
        for x, y in points(h):
            la, lo = unproject_latlon(x, y, LAT0, LON0)
            pts.append((float(la), float(lo)))
        pts.append((lat2, lon2))
        return sum(haversine_m(*pts[i], *pts[i + 1]) for i in range(len(pts) - 1))

    target = winding * haversine_m(lat1, lon1, lat2, lon2)
    lo_h, hi_h = 0.0, d
    for _ in range(60):
        mid = (lo_h + hi_h) / 2
        if great_circle(mid) >= target:
            hi_h = mid
        else:
            lo_h = mid
    # coordinates are written with 7 decimals (~1 cm): add 1 m of amplitude to stay above target
    out = []
    for x, y in points(hi_h + 1.0):
        la, lo = unproject_latlon(x, y, LAT0, LON0)
        out.append((round(float(la), 7), round(float(lo), 7)))
    return out


def build(shared: Path) -> tuple[list[Node], list[dict[str, object]], dict[str, int]]:
    """Nodes, ways (dicts with node list and tags) and counts of the approximate network."""
    src = read_sources(shared)
    nodes, node_of_ref = merge_nodes(candidates(src))
    ways = Ways(nodes)
    counts = {"timetable_ways": add_timetable_ways(ways, src.sequences, node_of_ref),
              "link_ways": add_link_ways(ways)}
    return nodes, ways.ways, counts


@dataclass
class Sources:
    """The inputs read from the shared data: the service, the bus stops, the key places, the
    real bus trips' stop sequences, and the areas (local plane, m) where stops are kept."""

    svc: Any
    chugoku: list[dict[str, str]]
    onobus: list[dict[str, str]]
    places: list[dict[str, str]]
    by_id: dict[str, dict[str, str]]
    sequences: dict[str, list[str]]
    zone_area: Any
    corridor_area: Any


def read_sources(shared: Path) -> Sources:
    """Read the stops, places and timetable; derive the bus corridor and the service zone."""
    data = shared / "data"
    svc = load_service("mitsugi")
    chugoku = read_csv(data / "gtfs/chugokubus_subset/stops.txt")
    onobus = read_csv(data / "gtfs/onomichibus_subset/stops.txt")
    places = read_csv(data / "stops/mitsugi_key_places.csv")
    stop_times = read_csv(data / "gtfs/chugokubus_mitsugi_timetable/stop_times.txt")
    by_id = {r["stop_id"]: r for r in chugoku}

    trips: dict[str, list[tuple[int, str]]] = {}
    for r in stop_times:
        trips.setdefault(r["trip_id"], []).append((int(r["stop_sequence"]), r["stop_id"]))
    sequences = {t: [s for _, s in sorted(v)] for t, v in trips.items()}
    corridor_ids = next(v for t, v in sorted(sequences.items()) if CORRIDOR_PATTERN in t)
    corridor = LineString([xy(float(by_id[s]["stop_lat"]), float(by_id[s]["stop_lon"])) for s in corridor_ids])
    zone = Polygon([xy(a, b) for a, b in svc.zone])
    return Sources(svc, chugoku, onobus, places, by_id, sequences, zone.buffer(ZONE_BUFFER_M),
                   corridor.buffer(CORRIDOR_BUFFER_M))


def candidates(src: Sources) -> list[tuple[float, float, str, str]]:
    """Candidate points in priority order: (lat, lon, name, ref)."""
    by_id, sequences = src.by_id, src.sequences
    cands: list[tuple[float, float, str, str]] = []
    cands += [(s.lat, s.lon, s.name_ja, f"service:{s.id}") for s in src.svc.stops]
    timetable_ids = sorted({s for seq in sequences.values() for s in seq if s in by_id})
    cands += [(float(by_id[s]["stop_lat"]), float(by_id[s]["stop_lon"]), by_id[s]["stop_name"], f"chugoku:{s}") for s in timetable_ids]
    cands += [(float(p["lat"]), float(p["lon"]), p["name_ja"], f"place:{p['place_id']}") for p in src.places]
    for r in src.chugoku:
        lat, lon = float(r["stop_lat"]), float(r["stop_lon"])
        pt = Point(xy(lat, lon))
        if src.zone_area.contains(pt) or src.corridor_area.contains(pt):
            cands.append((lat, lon, r["stop_name"], f"chugoku:{r['stop_id']}"))
    for r in src.onobus:
        lat, lon = float(r["stop_lat"]), float(r["stop_lon"])
        if lat >= MAINLAND_MIN_LAT and src.corridor_area.contains(Point(xy(lat, lon))):
            cands.append((lat, lon, r["stop_name"], f"onomichibus:{r['stop_id']}"))
    return cands


def merge_nodes(cands: list[tuple[float, float, str, str]]) -> tuple[list[Node], dict[str, int]]:
    """One node per point, points closer than ``MERGE_M`` to an earlier one merged into it;
    and the node of each reference."""
    nodes: list[Node] = []
    node_of_ref: dict[str, int] = {}
    for lat, lon, name, ref in cands:
        if ref in node_of_ref:
            continue
        near = [n for n in nodes if haversine_m(lat, lon, n.lat, n.lon) < MERGE_M]
        if near:
            node = near[0]
        else:
            node = Node(id=len(nodes) + 1, lat=round(lat, 7), lon=round(lon, 7), name=name)
            nodes.append(node)
        node.refs.append(ref)
        node_of_ref[ref] = node.id
    return nodes, node_of_ref


class Ways:
    """The ways of the network: at most one between two nodes, each with its winding shape."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes
        self.ways: list[dict[str, object]] = []
        self.linked: set[tuple[int, int]] = set()

    def add(self, a: int, b: int, tags: dict[str, str], winding: float) -> int:
        """Add the way a–b unless it exists; returns how many ways were added (0 or 1)."""
        key = (min(a, b), max(a, b))
        if a == b or key in self.linked:
            return 0
        self.linked.add(key)
        na, nb = self.nodes[a - 1], self.nodes[b - 1]
        tags = {**tags, "note": "approximate", "source": SOURCE_TAG, "noriai:winding": f"{winding:.2f}"}
        self.ways.append({"a": a, "b": b, "shape": zigzag(na.lat, na.lon, nb.lat, nb.lon, winding), "tags": tags})
        return 1


def add_timetable_ways(ways: Ways, sequences: dict[str, list[str]], node_of_ref: dict[str, int]) -> int:
    """Ways between consecutive stops of the real bus trips; returns how many were added."""
    nodes = ways.nodes
    added = 0
    for trip in sorted(sequences):
        seq = [node_of_ref[f"chugoku:{s}"] for s in sequences[trip] if f"chugoku:{s}" in node_of_ref]
        for a, b in itertools.pairwise(seq):
            if CORRIDOR_PATTERN in trip:
                na, nb = nodes[a - 1], nodes[b - 1]
                built_up = haversine_m(na.lat, na.lon, nb.lat, nb.lon) < BUILT_UP_HOP_M
                tags = {"highway": "trunk", "ref": "184", "name": "国道184号 (approximate)", "maxspeed": "40" if built_up else "50"}
                added += ways.add(a, b, tags, WINDING_TRUNK)
            elif SECONDARY_PATTERN in trip:
                added += ways.add(a, b, {"highway": "secondary"}, WINDING_TRUNK)
    return added


def add_link_ways(ways: Ways) -> int:
    """Links between neighbouring nodes: short Delaunay edges plus the Euclidean minimum spanning
    tree; returns how many were added."""
    nodes = ways.nodes
    pts = np.array([xy(n.lat, n.lon) for n in nodes])
    tri = Delaunay(pts)
    pairs: set[tuple[int, int]] = set()
    for simplex in tri.simplices:
        for i in range(3):
            u, v = sorted((int(simplex[i]), int(simplex[(i + 1) % 3])))
            pairs.add((u, v))
    rows, cols = zip(*sorted(pairs), strict=True)
    lengths = np.hypot(*(pts[list(rows)] - pts[list(cols)]).T)
    mst = minimum_spanning_tree(coo_matrix((lengths, (rows, cols)), shape=(len(nodes),) * 2)).tocoo()
    mst_pairs = {(min(int(u), int(v)), max(int(u), int(v))) for u, v in zip(mst.row, mst.col, strict=True)}
    added = 0
    for (u, v), length in zip(sorted(pairs), lengths, strict=True):
        if length <= LINK_MAX_M or (u, v) in mst_pairs:
            added += ways.add(u + 1, v + 1, {"highway": "tertiary" if length >= MINOR_MAX_M else "unclassified"}, WINDING_LINK)
    assert cKDTree(pts).query(pts, k=2)[0][:, 1].min() >= MERGE_M * 0.9
    return added


def xml_lines(nodes: list[Node], ways: list[dict[str, object]]) -> Iterable[str]:
    """The OSM XML document, line by line."""
    shape_id = len(nodes) + 1
    shape_nodes: list[tuple[int, float, float]] = []
    way_nodes: list[list[int]] = []
    for w in ways:
        ids = [int(w["a"])]  # type: ignore[call-overload]
        for lat, lon in w["shape"]:  # type: ignore[attr-defined]
            shape_nodes.append((shape_id, lat, lon))
            ids.append(shape_id)
            shape_id += 1
        ids.append(int(w["b"]))  # type: ignore[call-overload]
        way_nodes.append(ids)
    lats = [n.lat for n in nodes] + [s[1] for s in shape_nodes]
    lons = [n.lon for n in nodes] + [s[2] for s in shape_nodes]
    yield "<?xml version='1.0' encoding='UTF-8'?>"
    yield ('<osm version="0.6" generator="noriai scripts/build_mitsugi_osm.py (approximate network)" '
           'copyright="中国バス / おのみちバス / 広島県バス協会 GTFSオープンデータ (derived)">')
    yield (f'  <bounds minlat="{min(lats):.7f}" minlon="{min(lons):.7f}" '
           f'maxlat="{max(lats):.7f}" maxlon="{max(lons):.7f}"/>')
    for n in nodes:
        yield f'  <node id="{n.id}" version="1" lat="{n.lat:.7f}" lon="{n.lon:.7f}">'
        yield f"    <tag k=\"name\" v={quoteattr(n.name)}/>"
        yield f"    <tag k=\"noriai:refs\" v={quoteattr(';'.join(n.refs))}/>"
        yield '    <tag k="note" v="approximate"/>'
        yield "  </node>"
    for sid, lat, lon in shape_nodes:
        yield f'  <node id="{sid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>'
    for i, (w, ids) in enumerate(zip(ways, way_nodes, strict=True), start=1):
        yield f'  <way id="{i}" version="1">'
        for nid in ids:
            yield f'    <nd ref="{nid}"/>'
        for k, v in sorted(w["tags"].items()):  # type: ignore[attr-defined]
            yield f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>"
        yield "  </way>"
    yield "</osm>"


def main(argv: list[str] | None = None) -> int:
    """Write the approximate Mitsugi network; returns the exit code."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", help="the shared folder holding data/ (default: auto)")
    ap.add_argument("--out", default=str(REPO / "routing/data/mitsugi.osm"))
    args = ap.parse_args(argv)
    nodes, ways, counts = build(shared_dir(args.shared))
    out = Path(args.out)
    out.write_text("\n".join(xml_lines(nodes, ways)) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(nodes)} stop nodes, {len(ways)} ways "
          f"({counts['timetable_ways']} from bus trips, {counts['link_ways']} neighbour links)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
