"""The engine serves the example area end to end: on a fresh SQLite database, with the area's
shipped network, it offers trips between its real stops, books one on the area's vehicles, and
refuses places of another area."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from pathlib import Path

import pytest

from dispatcher.engine import Engine
from dispatcher.errors import InvalidInput, OutsideZone
from dispatcher.services import load_service
from dispatcher.store.db import make_engine, migrate
from dispatcher.trip import Party, Place, TripInput
from dispatcher.units import at_local
from routing.network import load_network

#: A Wednesday on which the area runs; "now" is 08:00 of it.
DAY = date(2027, 1, 13)


class Clock:
    """A clock the test sets (epoch s)."""

    def __init__(self, t: int) -> None:
        self.t = t

    def __call__(self) -> int:
        return self.t


@pytest.fixture
def kinoshou(tmp_path: Path, area_data_dir: Path) -> Iterator[Engine]:
    """The dispatch engine of the example area on a new SQLite file."""
    svc = load_service("kinoshou")
    db = make_engine(f"sqlite:///{tmp_path / 'noriai.db'}")
    migrate(db)
    engine = Engine(svc, db, load_network("kinoshou", area_data_dir),
                    Clock(at_local(DAY, time(8, 0))))
    engine.start()
    try:
        yield engine
    finally:
        engine.workers.stop()
        db.dispose()


def _trip(origin: Place, dest: Place, at: time, rule: str = "pickup_after") -> TripInput:
    return TripInput(origin, dest, Party(adults=1), rule, at_local(DAY, at))


def test_an_offer_is_made_and_booked_in_the_example_area(kinoshou):
    """枝上 (Harada) to the 三成 transfer stop at 10:00: offers on the area's vehicles with a
    pickup window at the asked time, a drop-off the road network makes possible, the area's
    fare; accepting one books it for this area on the offered vehicle."""
    svc = kinoshou.service
    got = kinoshou.make_offers("rider-k", _trip(Place("edakami"), Place("minari"), time(10, 0)))
    offers = got["offers"]
    assert offers
    fleet = {v.id for v in svc.fleet}
    ride_s = kinoshou.network.travel_time(*(
        kinoshou.network.snap(svc.stop(s).lat, svc.stop(s).lon, svc.zone)
        for s in ("edakami", "minari")))
    for offer in offers:
        assert offer.vehicle_id in fleet
        start = int(offer.pickup_earliest_at.timestamp())
        assert at_local(DAY, time(10, 0)) <= start <= at_local(DAY, time(10, 30))
        assert offer.dropoff_expected_at.timestamp() >= start + ride_s
        assert offer.fare == svc.fares.adult
    row, created = kinoshou.accept("rider-k", offers[0].id, None, "rider-k")
    assert created and row.service_id == "kinoshou"
    vd = kinoshou.assigned(row.id)
    assert vd is not None and vd.vehicle_id == offers[0].vehicle_id
    assert kinoshou.schedule(vd).feasible


def test_an_arrive_by_trip_from_a_point_in_the_zone(kinoshou):
    """A point near 木梨 (not a stop) to 原田温泉, arriving by 11:00: the offer drops off in time."""
    got = kinoshou.make_offers("rider-k", _trip(Place(lat=34.4735, lon=133.1900),
                                                Place("harada_onsen"), time(11, 0),
                                                "dropoff_before"))
    assert got["offers"]
    assert all(o.dropoff_latest_at.timestamp() <= at_local(DAY, time(11, 0))
               for o in got["offers"])


def test_places_of_another_area_are_refused(kinoshou):
    """Mitsugi's stops are not stops of this area, and a point in Mitsugi is outside its zone."""
    mitsugi = load_service("mitsugi")
    with pytest.raises(InvalidInput):
        kinoshou.make_offers("rider-k", _trip(Place("ichi_office"), Place("minari"), time(10, 0)))
    ichi = mitsugi.stop("ichi_office")
    with pytest.raises(OutsideZone):
        kinoshou.make_offers("rider-k", _trip(Place(lat=ichi.lat, lon=ichi.lon), Place("minari"),
                                              time(10, 0)))
