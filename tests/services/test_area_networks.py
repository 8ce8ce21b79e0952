"""Each area's shipped approximate network: it loads, serves every stop, connects them all, and
is what the builder makes of the shared data today."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from dispatcher.places import stop_nodes
from dispatcher.services import load_service, shipped_services
from routing.matrix import UNREACHABLE
from routing.snap import MAX_SNAP_M

AREAS = shipped_services()
REPO = Path(__file__).resolve().parents[2]


def test_every_stop_snaps_within_the_limit(area_network):
    """Every stop of the area lands on a road node inside its zone, within the snapping limit
    (on the generated network, on the node made from the stop itself)."""
    area, net = area_network
    svc = load_service(area)
    assert net.approximate and net.info.service == area
    for s in svc.stops:
        snap = net.snap_point(s.lat, s.lon, zone=svc.zone)
        assert snap.distance_m <= MAX_SNAP_M, s.id
        assert snap.distance_m < 1.0, (s.id, snap.distance_m)


def test_every_stop_reaches_every_other(area_network):
    """All stops are mutually reachable, in plausible times for a rural zone (under an hour),
    and the places outside the zone of the routing summary (the stations) are reached too."""
    area, net = area_network
    svc = load_service(area)
    nodes = list(stop_nodes(svc, net).values())
    times, lengths = net.matrix(nodes, nodes)
    off = ~np.eye(len(nodes), dtype=bool)
    assert (times[off] != UNREACHABLE).all() and (times[off] > 0).all()
    assert times.max() < 3600 and lengths.max() < 60_000
    for place in svc.routing.get("outside_places", ()):
        node = net.snap(place["lat"], place["lon"])
        assert net.travel_time(nodes[0], node) not in (UNREACHABLE, 0), place["name_en"]


def test_the_shipped_files_are_what_the_builder_makes(shared_data, tmp_path):
    """Regenerating every area's network from the shared data gives the shipped bytes (the
    builder is deterministic and the files are up to date)."""
    out = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_area_osm.py"), "--shared", str(shared_data),
         "--out-dir", str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.count("wrote ") == len(AREAS)
    for area in AREAS:
        for suffix in (".osm", ".clip.json"):
            shipped = REPO / "routing" / "data" / f"{area}{suffix}"
            assert (tmp_path / f"{area}{suffix}").read_bytes() == shipped.read_bytes(), area + suffix
