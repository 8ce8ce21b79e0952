"""Snapping real coordinates, and refusing points outside the zone or far from any road."""

from __future__ import annotations

import pytest

from dispatcher.errors import OutsideZone
from dispatcher.places import stop_nodes
from dispatcher.services import load_service
from routing.geo import haversine_m
from routing.snap import MAX_SNAP_M


def test_ichi_office_snaps_close_by(mitsugi):
    """市出張所 (the depot and transfer stop) snaps to a road node a few metres away."""
    svc = load_service("mitsugi")
    stop = svc.stop("ichi_office")
    snap = mitsugi.snap_point(stop.lat, stop.lon, zone=svc.zone)
    assert snap.distance_m < 50
    lat, lon = mitsugi.node_coords(snap.node)
    assert haversine_m(stop.lat, stop.lon, lat, lon) == pytest.approx(snap.distance_m, rel=0.01, abs=0.5)


def test_onomichi_station_is_outside_the_zone(mitsugi):
    """尾道駅前 is on the network but outside the Mitsugi zone: refused with ja+en messages,
    yet it snaps when no zone is given (trips to the transfer hub are computable)."""
    svc = load_service("mitsugi")
    with pytest.raises(OutsideZone) as err:
        mitsugi.snap(34.404167, 133.19315, zone=svc.zone)
    assert "運行区域外" in err.value.message_ja and "outside the service zone" in err.value.message_en
    assert mitsugi.snap_point(34.404167, 133.19315).distance_m < 50


def test_points_far_from_roads_are_refused(mitsugi):
    """A point in the Seto Inland Sea (south of Mukaishima), and one in Okayama, are farther
    than the snapping limit from any road and are refused even without a zone."""
    for lat, lon in [(34.33, 133.20), (34.66, 133.92)]:
        with pytest.raises(OutsideZone) as err:
            mitsugi.snap(lat, lon)
        assert err.value.details["distance_m"] > MAX_SNAP_M
    with pytest.raises(OutsideZone):
        mitsugi.snap(float("nan"), 133.1)


def test_every_service_stop_has_a_node(mitsugi):
    """The stop registry maps every stop of the Mitsugi service to a node within 100 m."""
    svc = load_service("mitsugi")
    nodes = stop_nodes(svc, mitsugi)
    assert set(nodes) == set(svc.stop_ids())
    for s in svc.stops:
        lat, lon = mitsugi.node_coords(nodes[s.id])
        assert haversine_m(s.lat, s.lon, lat, lon) < 100, s.id


def test_the_shipped_clip_area_is_the_service_zone():
    """routing ships the clip of its approximate network itself (it knows no services): it must
    stay the Mitsugi zone of service.toml, with the margin that reaches Onomichi's stations."""
    from routing.store import DEFAULT_MARGIN_M, shipped_clip

    clip = shipped_clip("mitsugi")
    assert clip is not None
    assert clip.polygon == load_service("mitsugi").zone
    assert clip.margin_m == DEFAULT_MARGIN_M
    assert shipped_clip("no-such-service") is None
