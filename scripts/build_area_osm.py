"""Generate the shipped approximate road network of a service area as an OSM XML file.

No OpenStreetMap extract covering Onomichi (尾道市) can be obtained on the project's machines,
so the product ships this approximation for each service area (``AREAS``), built only from real
data in ../shared/data (see its SOURCES.md), until an operator runs ``noriai routing import`` on a
real extract. One builder serves every area; an :class:`AreaSpec` names the service, its
inputs (key places, bus-trip corridors) and its projection origin.

Nodes
    The real bus stops of 中国バス (chugokubus_subset/stops.txt) within ``ZONE_BUFFER_M`` of the
    service zone or ``CORRIDOR_BUFFER_M`` of the area's bus corridor, the おのみちバス stops
    within ``CORRIDOR_BUFFER_M`` of the corridor (mainland only), every key place of the area
    (Mitsugi: stops/mitsugi_key_places.csv), every stop of the service's registry
    (dispatcher/services/<id>/stops.csv) and every stop with coordinates of the area's timetable
    trips. Points closer than ``MERGE_M`` (the platforms of one stop) become one node.
Edges
    1. Consecutive stops of the real bus trips (chugokubus_mitsugi_timetable/stop_times.txt) of
       the area's corridors: pattern 54 is Route 184 (御調高校前 – 市出張所 – 三成 – 新尾道駅 –
       尾道駅前), tagged ``highway=trunk`` with ``maxspeed`` 50, or 40 where consecutive stops
       are closer than ``BUILT_UP_HOP_M`` (the road runs through a village or town); pattern 88
       (市出張所 towards 福山) ``highway=secondary``. An area may keep only a section of a
       pattern (Kinosho-Harada: 尾道インター入口 – 尾道駅前). The first corridor's first trip is the
       line the corridor buffer is drawn around. An area without timetable data has no corridor.
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
Clip
    Beside ``<id>.osm`` the builder writes ``<id>.clip.json``: the service zone and the margin
    (``routing.store.DEFAULT_MARGIN_M``) the network is clipped to when it is loaded.

Run: ``python scripts/build_area_osm.py [--service ID ...] [--shared DIR] [--out-dir routing/data]``
(every area by default; ``scripts/build_mitsugi_osm.py`` builds Mitsugi's alone). The output is
deterministic (same input, same bytes).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
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
from routing.store import DEFAULT_MARGIN_M  # noqa: E402

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
SOURCE_TAG = "noriai approximate network from bus stops and timetables"
CHUGOKU_STOPS = "gtfs/chugokubus_subset/stops.txt"
ONOBUS_STOPS = "gtfs/onomichibus_subset/stops.txt"
STOP_TIMES = "gtfs/chugokubus_mitsugi_timetable/stop_times.txt"


@dataclass(frozen=True)
class Corridor:
    """Bus trips of the timetable whose consecutive stops become road ways.

    ``pattern`` is a fragment of their trip ids (``_54_``: Route 184); ``highway`` the class of
    the ways; a trunk's ``maxspeed`` follows the hop length (``BUILT_UP_HOP_M``). ``section``
    (two stop ids) keeps only the trips' stops between them, both included, in either direction.
    """

    pattern: str
    highway: str
    ref: str = ""
    name: str = ""
    section: tuple[str, str] | None = None

    def tags(self, hop_m: float) -> dict[str, str]:
        """The OSM tags of a way between consecutive stops ``hop_m`` apart."""
        tags = {"highway": self.highway}
        if self.ref:
            tags["ref"] = self.ref
        if self.name:
            tags["name"] = self.name
        if self.highway == "trunk":
            tags["maxspeed"] = "40" if hop_m < BUILT_UP_HOP_M else "50"
        return tags

    def cut(self, seq: list[str]) -> list[str]:
        """The part of a trip's stop sequence this corridor keeps."""
        if self.section is None:
            return seq
        i, j = (seq.index(s) for s in self.section)
        return seq[min(i, j):max(i, j) + 1]


@dataclass(frozen=True)
class AreaSpec:
    """What the builder needs to know of one service area."""

    service: str
    #: English name of the area in the clip file's note.
    label: str
    #: Origin (lat, lon) of the local plane projection (m) used for geometry.
    origin: tuple[float, float]
    #: Bus-trip corridors from the timetable, where it covers the area; the first one's first
    #: trip is the line around which bus stops are kept.
    corridors: tuple[Corridor, ...] = ()
    #: Key-place tables (place_id, name_ja, lat, lon) under shared/data.
    places: tuple[str, ...] = ()
    #: The script named in the file's ``generator`` (how to regenerate it).
    script: str = "scripts/build_area_osm.py"
    margin_m: float = DEFAULT_MARGIN_M


ROUTE_184 = Corridor("_54_", "trunk", "184", "国道184号 (approximate)")
AREAS = {
    "mitsugi": AreaSpec(
        "mitsugi", "Mitsugi", (34.47, 133.17),
        (ROUTE_184, Corridor("_88_", "secondary")),
        ("stops/mitsugi_key_places.csv",), "scripts/build_mitsugi_osm.py"),
    # An example area (dispatcher/services/kinoshou): Route 184 runs along its south edge; the
    # 尾道・原田線 that serves it has no stop times in the shared data, so links only there.
    "kinoshou": AreaSpec(
        "kinoshou", "Kinosho-Harada (example)", (34.475, 133.195),
        (Corridor("_54_", "trunk", "184", "国道184号 (approximate)",
                  section=("1050_2162", "222_453")),)),  # 尾道インター入口 – 尾道駅前
}


@dataclass(frozen=True)
class Plane:
    """A local plane projection (m) around an origin."""

    lat0: float
    lon0: float

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        """Local plane coordinates (m) of a point."""
        x, y = project_xy(lat, lon, self.lat0, self.lon0)
        return float(x), float(y)

    def latlon(self, x: float, y: float) -> tuple[float, float]:
        """(lat, lon) of local plane coordinates."""
        la, lo = unproject_latlon(x, y, self.lat0, self.lon0)
        return float(la), float(lo)


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


def zigzag(plane: Plane, lat1: float, lon1: float, lat2: float, lon2: float,
           winding: float) -> list[tuple[float, float]]:
    """Intermediate (lat, lon) shape points making the a→b polyline ≥ winding × straight line."""
    x1, y1 = plane.xy(lat1, lon1)
    x2, y2 = plane.xy(lat2, lon2)
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
        pts = [(lat1, lon1), *(plane.latlon(x, y) for x, y in points(h)), (lat2, lon2)]
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
        la, lo = plane.latlon(x, y)
        out.append((round(la, 7), round(lo, 7)))
    return out


def build(spec: AreaSpec, shared: Path) -> tuple[list[Node], list[dict[str, object]], dict[str, int]]:
    """Nodes, ways (dicts with node list and tags) and counts of an area's approximate network."""
    src = read_sources(spec, shared)
    nodes, node_of_ref = merge_nodes(candidates(src))
    ways = Ways(nodes, src.plane)
    counts = {"timetable_ways": add_timetable_ways(ways, src.trips, node_of_ref),
              "link_ways": add_link_ways(ways)}
    return nodes, ways.ways, counts


@dataclass
class Sources:
    """The inputs read from the shared data: the service, the bus stops, the key places, the
    area's bus trips (corridor and stop sequence), and the areas (local plane, m) where stops
    are kept (``corridor_area`` None without corridor)."""

    svc: Any
    plane: Plane
    chugoku: list[dict[str, str]]
    onobus: list[dict[str, str]]
    places: list[dict[str, str]]
    by_id: dict[str, dict[str, str]]
    trips: dict[str, tuple[Corridor, list[str]]]
    zone_area: Any
    corridor_area: Any


def area_trips(corridors: tuple[Corridor, ...],
               stop_times: list[dict[str, str]]) -> dict[str, tuple[Corridor, list[str]]]:
    """The timetable's trips on the area's corridors: trip id → (corridor, kept stop ids)."""
    rows: dict[str, list[tuple[int, str]]] = {}
    for r in stop_times:
        rows.setdefault(r["trip_id"], []).append((int(r["stop_sequence"]), r["stop_id"]))
    trips = {}
    for trip, seq in rows.items():
        corridor = next((c for c in corridors if c.pattern in trip), None)
        if corridor is not None:
            trips[trip] = (corridor, corridor.cut([s for _, s in sorted(seq)]))
    return trips


def read_sources(spec: AreaSpec, shared: Path) -> Sources:
    """Read the stops, places and timetable; derive the bus corridor and the service zone."""
    data = shared / "data"
    plane = Plane(*spec.origin)
    svc = load_service(spec.service)
    chugoku = read_csv(data / CHUGOKU_STOPS)
    by_id = {r["stop_id"]: r for r in chugoku}
    trips = area_trips(spec.corridors, read_csv(data / STOP_TIMES))
    corridor_area = None
    if spec.corridors:
        line = next(seq for t, (c, seq) in sorted(trips.items()) if c == spec.corridors[0])
        corridor = LineString([plane.xy(float(by_id[s]["stop_lat"]), float(by_id[s]["stop_lon"]))
                               for s in line])
        corridor_area = corridor.buffer(CORRIDOR_BUFFER_M)
    zone = Polygon([plane.xy(a, b) for a, b in svc.zone])
    places = [row for name in spec.places for row in read_csv(data / name)]
    return Sources(svc, plane, chugoku, read_csv(data / ONOBUS_STOPS), places, by_id, trips,
                   zone.buffer(ZONE_BUFFER_M), corridor_area)


def candidates(src: Sources) -> list[tuple[float, float, str, str]]:
    """Candidate points in priority order: (lat, lon, name, ref)."""
    by_id = src.by_id
    cands: list[tuple[float, float, str, str]] = []
    cands += [(s.lat, s.lon, s.name_ja, f"service:{s.id}") for s in src.svc.stops]
    timetable_ids = sorted({s for _, seq in src.trips.values() for s in seq if s in by_id})
    cands += [(float(by_id[s]["stop_lat"]), float(by_id[s]["stop_lon"]), by_id[s]["stop_name"], f"chugoku:{s}") for s in timetable_ids]
    cands += [(float(p["lat"]), float(p["lon"]), p["name_ja"], f"place:{p['place_id']}") for p in src.places]

    def in_corridor(pt: Point) -> bool:
        return src.corridor_area is not None and bool(src.corridor_area.contains(pt))

    for r in src.chugoku:
        lat, lon = float(r["stop_lat"]), float(r["stop_lon"])
        pt = Point(src.plane.xy(lat, lon))
        if src.zone_area.contains(pt) or in_corridor(pt):
            cands.append((lat, lon, r["stop_name"], f"chugoku:{r['stop_id']}"))
    for r in src.onobus:
        lat, lon = float(r["stop_lat"]), float(r["stop_lon"])
        if lat >= MAINLAND_MIN_LAT and in_corridor(Point(src.plane.xy(lat, lon))):
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

    def __init__(self, nodes: list[Node], plane: Plane) -> None:
        self.nodes = nodes
        self.plane = plane
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
        shape = zigzag(self.plane, na.lat, na.lon, nb.lat, nb.lon, winding)
        self.ways.append({"a": a, "b": b, "shape": shape, "tags": tags})
        return 1


def add_timetable_ways(ways: Ways, trips: dict[str, tuple[Corridor, list[str]]],
                       node_of_ref: dict[str, int]) -> int:
    """Ways between consecutive stops of the area's bus trips; returns how many were added."""
    nodes = ways.nodes
    added = 0
    for trip in sorted(trips):
        corridor, stops = trips[trip]
        seq = [node_of_ref[f"chugoku:{s}"] for s in stops if f"chugoku:{s}" in node_of_ref]
        for a, b in itertools.pairwise(seq):
            na, nb = nodes[a - 1], nodes[b - 1]
            hop_m = haversine_m(na.lat, na.lon, nb.lat, nb.lon)
            added += ways.add(a, b, corridor.tags(hop_m), WINDING_TRUNK)
    return added


def add_link_ways(ways: Ways) -> int:
    """Links between neighbouring nodes: short Delaunay edges plus the Euclidean minimum spanning
    tree; returns how many were added."""
    nodes = ways.nodes
    pts = np.array([ways.plane.xy(n.lat, n.lon) for n in nodes])
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


def xml_lines(spec: AreaSpec, nodes: list[Node], ways: list[dict[str, object]]) -> Iterable[str]:
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
    yield (f'<osm version="0.6" generator="noriai {spec.script} (approximate network)" '
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


def clip_json(spec: AreaSpec) -> str:
    """``<id>.clip.json``: the service zone and the margin the shipped network is clipped to."""
    about = (f"Clip area of the shipped approximate network: the {spec.label} service zone "
             f"(dispatcher/services/{spec.service}/service.toml [zone]) and a margin that reaches "
             "the transfer hubs of Onomichi. tests/routing check it equals the service's zone.")
    zone = [list(p) for p in load_service(spec.service).zone]
    return json.dumps({"about": about, "polygon": zone, "margin_m": spec.margin_m},
                      indent=1, ensure_ascii=False) + "\n"


def write_area(spec: AreaSpec, shared: Path, out_dir: Path) -> str:
    """Write ``<id>.osm`` and ``<id>.clip.json`` of an area into ``out_dir``; a summary line."""
    nodes, ways, counts = build(spec, shared)
    osm = out_dir / f"{spec.service}.osm"
    osm.write_text("\n".join(xml_lines(spec, nodes, ways)) + "\n", encoding="utf-8")
    (out_dir / f"{spec.service}.clip.json").write_text(clip_json(spec), encoding="utf-8")
    return (f"wrote {osm} (and .clip.json): {len(nodes)} stop nodes, {len(ways)} ways "
            f"({counts['timetable_ways']} from bus trips, {counts['link_ways']} neighbour links)")


def main(argv: list[str] | None = None) -> int:
    """Write the approximate networks of the chosen areas; returns the exit code."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--service", action="append", choices=sorted(AREAS),
                    help="area to build (repeatable; default: every area)")
    ap.add_argument("--shared", help="the shared folder holding data/ (default: auto)")
    ap.add_argument("--out-dir", default=str(REPO / "routing/data"))
    args = ap.parse_args(argv)
    shared = shared_dir(args.shared)
    for name in args.service or sorted(AREAS):
        print(write_area(AREAS[name], shared, Path(args.out_dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
