"""``noriai routing``: network summary and travel-time table, OSM import, PNG map.

    noriai routing [--service S] [--data-dir DIR]
    noriai routing import FILE [--service S] [--data-dir DIR] [--margin-m M | --bbox S,W,N,E | --no-clip]
    noriai routing map OUT.png [--service S] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dispatcher.errors import NoriaiError
from dispatcher.services import load_service
from routing.network import Network, load_network


def table_points(service: str) -> list[tuple[str, str, float, float, bool]]:
    """(name ja, name en, lat, lon, in zone) of the table's places for ``service``."""
    svc = load_service(service)
    table = svc.routing
    ids = [s for s in table.get("table_stops", ()) if s in svc.stop_ids()]
    ids = ids or list(svc.transfer_stops) + [s for s in svc.stop_ids()[:6]
                                             if s not in svc.transfer_stops]
    pts = [(svc.stop(s).name_ja, svc.stop(s).name_en, svc.stop(s).lat, svc.stop(s).lon, True)
           for s in ids]
    return pts + [(str(p["name_ja"]), str(p["name_en"]), float(p["lat"]), float(p["lon"]), False)
                  for p in table.get("outside_places", ())]


def summary(net: Network, service: str) -> str:
    """The text of ``noriai routing``: source, approximate flag, size, area, minutes table."""
    zone = load_service(service).zone
    flag = "APPROXIMATE (概算の道路網)" if net.approximate else "real OSM extract"
    lines = [
        f"road network of service {service!r}: {flag}",
        f"  source: {net.info.source_label}",
        f"  nodes: {net.node_count:,}   edges: {net.edge_count:,} (directed)",
        f"  area covered: {net.area_km2:.1f} km² (convex hull of the nodes)",
        f"  loaded {'from cache' if net.info.from_cache else 'after a build'} in {net.info.load_s:.3f} s",
    ]
    if net.approximate:
        lines.append("  (approximate until a real extract is imported: noriai routing import FILE)")
    named, nodes = [], []
    for ja, en, lat, lon, in_zone in table_points(service):
        try:
            nodes.append(net.snap(lat, lon, zone=zone if in_zone else None))
            named.append(f"{ja} ({en})")
        except NoriaiError:
            continue
    t, d = net.matrix(nodes, nodes)
    lines += ["", "travel time by car, minutes (row → column):"]
    for i, name in enumerate(named, start=1):
        lines.append(f"  [{i}] {name}")
    lines.append("       " + "".join(f"{f'[{j}]':>7}" for j in range(1, len(named) + 1)))
    for i in range(len(named)):
        cells = "".join(f"{t[i, j] / 60:7.1f}" if t[i, j] >= 0 else f"{'-':>7}" for j in range(len(named)))
        lines.append(f"  {f'[{i + 1}]':>4} {cells}")
    if len(named) > 1:
        lines.append(f"  e.g. [1]→[{len(named)}]: {t[0, -1] / 60:.1f} min, {d[0, -1] / 1000:.1f} km")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="noriai routing", description="road network and travel times")
    ap.add_argument("--service", default="mitsugi")
    ap.add_argument("--data-dir", default=None, help="data folder (default $NORIAI_DATA_DIR or ./var)")
    sub = ap.add_subparsers(dest="command")
    imp = sub.add_parser("import", help="import an OSM extract (.osm, .osm.bz2, .osm.pbf)")
    imp.add_argument("file", type=Path)
    clip = imp.add_mutually_exclusive_group()
    clip.add_argument("--margin-m", type=float, default=None, help="margin around the zone (m)")
    clip.add_argument("--bbox", default=None, help="keep SOUTH,WEST,NORTH,EAST instead of the zone")
    clip.add_argument("--no-clip", action="store_true", help="keep every drivable road of the file")
    mp = sub.add_parser("map", help="draw the network and the stops to a PNG")
    mp.add_argument("out", type=Path)
    for p in (imp, mp):
        p.add_argument("--service", default=argparse.SUPPRESS)
        p.add_argument("--data-dir", default=argparse.SUPPRESS)
    return ap


def _import(args: argparse.Namespace) -> int:
    from routing.clip import ClipArea
    from routing.network import import_extract
    from routing.store import DEFAULT_MARGIN_M

    if args.no_clip:
        clip = None
    elif args.bbox:
        try:
            s, w, n, e = (float(v) for v in args.bbox.split(","))
        except ValueError:
            print("noriai routing import: --bbox must be SOUTH,WEST,NORTH,EAST", file=sys.stderr)
            return 2
        clip = ClipArea.from_bbox(s, w, n, e)
    else:
        margin = DEFAULT_MARGIN_M if args.margin_m is None else args.margin_m
        clip = ClipArea(polygon=load_service(args.service).zone, margin_m=margin)
    net = import_extract(args.file, args.service, args.data_dir, clip)
    print(f"imported {args.file.name} for service {args.service!r}: "
          f"{net.node_count:,} nodes, {net.edge_count:,} edges, {net.area_km2:.2f} km²")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``noriai routing``; returns the exit code."""
    args = _parser().parse_args(argv)
    start = time.perf_counter()
    try:
        if args.command == "import":
            return _import(args)
        net = load_network(args.service, args.data_dir)
        if args.command == "map":
            from routing.plot import MapPoint, draw_map

            svc = load_service(args.service)
            stops = [MapPoint(s.lat, s.lon, s.name_en if s.id in svc.transfer_stops else None)
                     for s in svc.stops]
            draw_map(net, args.out, svc.name_en, svc.zone, stops)
            print(f"wrote {args.out} ({'approximate' if net.approximate else 'OSM'} network)")
            return 0
        print(summary(net, args.service))
        print(f"\n({time.perf_counter() - start:.2f} s)")
        return 0
    except (NoriaiError, FileNotFoundError) as exc:
        msg = f"{exc.message_ja} / {exc.message_en}" if isinstance(exc, NoriaiError) else str(exc)
        print(f"noriai routing: {msg}", file=sys.stderr)
        return 1
