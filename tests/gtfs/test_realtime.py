"""gtfs.realtime: VehiclePositions and TripUpdates decode with gtfs-realtime-bindings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from google.transit import gtfs_realtime_pb2 as rt

from dispatcher.errors import InvalidInput
from dispatcher.services import load_service
from gtfs import realtime
from gtfs.flex import FeedIds

TOKYO = ZoneInfo("Asia/Tokyo")
T0 = int(datetime(2026, 12, 1, 9, 0, tzinfo=TOKYO).timestamp())
ROUTE = FeedIds.of(load_service("mitsugi")).route


def _decode(msg: rt.FeedMessage) -> rt.FeedMessage:
    out = rt.FeedMessage()
    out.ParseFromString(msg.SerializeToString())
    return out


def test_vehicle_positions_round_trip():
    """Positions, time, occupancy and the NEW trip survive serialisation and decoding."""
    fixes = [
        realtime.VehicleFix("mitsugi-2", 34.509, 133.1476, T0 - 5, "FULL"),
        realtime.VehicleFix(
            "mitsugi-1",
            34.5152,
            133.149,
            T0 - 3,
            realtime.occupancy_from_load(1, 4),
            label="みつぎ1号",
            trip_id="run-1",
            stop_id="ichi_office",
            current_status="IN_TRANSIT_TO",
        ),
    ]
    msg = _decode(realtime.vehicle_positions(fixes, T0, ROUTE))
    assert msg.header.gtfs_realtime_version == "2.0" and msg.header.timestamp == T0
    assert [e.id for e in msg.entity] == ["vp-mitsugi-1", "vp-mitsugi-2"]
    v1 = msg.entity[0].vehicle
    assert v1.vehicle.id == "mitsugi-1" and v1.vehicle.label == "みつぎ1号"
    assert v1.position.latitude == pytest.approx(34.5152, abs=1e-5)
    assert v1.position.longitude == pytest.approx(133.149, abs=1e-5)
    assert v1.timestamp == T0 - 3
    assert v1.occupancy_status == rt.VehiclePosition.MANY_SEATS_AVAILABLE
    assert v1.trip.trip_id == "run-1" and v1.trip.route_id == ROUTE
    assert v1.trip.schedule_relationship == rt.TripDescriptor.NEW
    assert v1.current_status == rt.VehiclePosition.IN_TRANSIT_TO
    assert msg.entity[1].vehicle.occupancy_status == rt.VehiclePosition.FULL


def test_trip_updates_publish_runs_as_new_trips_with_every_stop():
    """A run becomes a NEW trip of the Flex route with all stops, times and start date/time."""
    stops = (
        realtime.RunStop("ichi_office", 1, T0, T0 + 60),
        realtime.RunStop("hospital", 2, T0 + 400, T0 + 460),
        realtime.RunStop("iwane", 3, T0 + 1200, T0 + 1230),
    )
    run = realtime.VehicleRun("mitsugi-1-20261201-1", "mitsugi-1", stops, label="みつぎ1号")
    msg = _decode(realtime.trip_updates([run], ROUTE, T0 + 30, TOKYO))
    (ent,) = msg.entity
    tu = ent.trip_update
    assert tu.trip.schedule_relationship == rt.TripDescriptor.NEW
    assert tu.trip.route_id == ROUTE and tu.trip.trip_id == run.trip_id
    assert (tu.trip.start_date, tu.trip.start_time) == ("20261201", "09:01:00")
    assert tu.vehicle.id == "mitsugi-1"
    got = [
        (u.stop_id, u.stop_sequence, u.arrival.time, u.departure.time) for u in tu.stop_time_update
    ]
    assert got == [(s.stop_id, s.stop_sequence, s.arrival, s.departure) for s in stops]
    as_json = realtime.to_json(msg)
    trip = as_json["entity"][0]["trip_update"]["trip"]
    assert trip["schedule_relationship"] == "NEW" and trip["route_id"] == ROUTE


def test_bad_runs_and_fixes_are_refused():
    """Empty runs, decreasing sequences or times, unknown occupancy and bad coordinates fail."""
    ok = realtime.RunStop("a", 1, T0, T0)
    for stops in (
        (),
        (ok, realtime.RunStop("b", 1, T0 + 9, T0 + 9)),
        (ok, realtime.RunStop("b", 2, T0 - 9, T0 - 9)),
    ):
        with pytest.raises(InvalidInput):
            realtime.trip_updates([realtime.VehicleRun("t", "v", stops)], ROUTE, T0, TOKYO)
    with pytest.raises(InvalidInput):
        realtime.vehicle_positions([realtime.VehicleFix("v", 34.5, 133.1, T0, "HALF")], T0)
    with pytest.raises(InvalidInput):
        realtime.vehicle_positions([realtime.VehicleFix("v", 134.5, 33.1, T0)], T0)


def test_occupancy_from_load():
    """Occupancy names follow the load: empty, many seats, few seats, full."""
    assert [realtime.occupancy_from_load(n, 4) for n in (0, 1, 2, 4, 5)] == [
        "EMPTY",
        "MANY_SEATS_AVAILABLE",
        "FEW_SEATS_AVAILABLE",
        "FULL",
        "FULL",
    ]
