"""The indicators' definitions (dispatcher.kpis): requests add up, sharing and occupancy agree,
use per stop and district, fare revenue, and the split by service day."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatcher.kpis import (
    NO_DISTRICT,
    POINT,
    Ride,
    compute_kpis,
    kpis_by_day,
    occupancy,
    shared_rides,
)
from dispatcher.store.kpi_records import event_service_day

T0 = 1_800_000_000


def booking(bid: str, status: str = "completed", *, vehicle: str = "v1", start: int = 0,
            end: int = 600, persons: int = 1, offer: str | None = None, **extra) -> dict:
    """A booking record as the loaders give them (times relative to T0)."""
    done = status == "completed"
    return {"id": bid, "status": status, "channel": "phone", "vehicle_id": vehicle, "persons": persons,
            "offer_id": offer, "pickup_earliest_s": T0 + start, "pickup_latest_s": T0 + start + 600,
            "picked_up_s": T0 + start if done else None, "dropped_off_s": T0 + end if done else None,
            "direct_s": 300, **extra}


def test_requests_are_bookings_refusals_and_abandoned_searches():
    """Three searches with offers (one booked, one lost when booking, one left), one refused at
    search: 4 requests = 1 booking + 2 refusals + 1 abandoned."""
    events = [
        {"type": "offered", "data": {"offers": ["o1", "o2"]}},
        {"type": "booked", "booking_id": "b1", "data": {"offer_id": "o2"}},
        {"type": "offered", "data": {"offers": ["o3"]}},
        {"type": "refused", "data": {"offer_id": "o3", "reason": "no_longer_feasible"}},
        {"type": "offered", "data": {"offers": ["o4", "o5"]}},
        {"type": "refused", "data": {"reason": "service_hours"}},
    ]
    k = compute_kpis([booking("b1", "confirmed", offer="o2")], events)
    assert (k.requests, k.accepted, k.refused, k.abandoned) == (4, 1, 2, 1)
    assert k.requests == k.accepted + k.refused + k.abandoned
    assert k.refused_reasons == {"no_longer_feasible": 1, "service_hours": 1}
    assert k.offers_made == 3


def test_a_booking_without_its_booked_event_still_ends_its_search():
    """The booking row's offer id ends its search even if the booked event is not loaded."""
    events = [{"type": "offered", "data": {"offers": ["o1"]}}]
    k = compute_kpis([booking("b1", "confirmed", offer="o1")], events)
    assert (k.requests, k.abandoned) == (1, 0)


def test_sharing_and_occupancy_of_known_rides():
    """Vehicle v1: a party of 2 from 0 to 600 s and a party of 1 from 300 to 900 s overlap;
    v2 carries one rider alone. Two of three rides are shared; persons on board over the
    occupied time: (2·300 + 3·300 + 1·300 + 1·600) / (900 + 600) = 1.6."""
    books = [booking("a", start=0, end=600, persons=2), booking("b", start=300, end=900),
             booking("c", vehicle="v2", start=0, end=600)]
    k = compute_kpis(books, [])
    assert k.shared_ride_rate == pytest.approx(2 / 3)
    assert k.occupancy_mean == pytest.approx(1.6)


def test_rides_that_only_touch_are_not_shared():
    """One rider alighting as the next boards: nothing shared, occupancy is the party size."""
    books = [booking("a", start=0, end=600, persons=2), booking("b", start=600, end=900, persons=2)]
    k = compute_kpis(books, [])
    assert k.shared_ride_rate == 0 and k.occupancy_mean == pytest.approx(2.0)


rides_st = st.lists(st.builds(
    lambda v, a, d, p: Ride(v, a, a + d, p), st.sampled_from(["v1", "v2"]),
    st.integers(0, 5000), st.integers(1, 3000), st.integers(1, 4)), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(rides_st)
def test_occupancy_exceeds_the_mean_party_exactly_when_rides_are_shared(rides):
    """The two figures agree on every set of rides: occupancy equals the ride-time-weighted
    mean party size when no ride is shared, and is above it when any is."""
    mean, occupied = occupancy(rides)
    weighted = sum(r.persons * (r.end_s - r.start_s) for r in rides) / sum(
        r.end_s - r.start_s for r in rides)
    if shared_rides(rides) == 0:
        assert mean == pytest.approx(weighted)
        assert occupied == sum(r.end_s - r.start_s for r in rides)
    else:
        assert mean > weighted + 1e-9


def test_use_per_stop_and_district_and_fares():
    """Completed trips count their persons at their boarding and alighting stops and districts;
    revenue is their fares, collected those with a payment recorded."""
    books = [booking("a", persons=2, origin_stop_id="honmura", destination_stop_id="hospital",
                     fare=600, payment_status="paid_cash_onboard"),
             booking("b", origin_stop_id="honmura", destination_stop_id=None, fare=300,
                     payment_status="unpaid"),
             booking("c", "cancelled", origin_stop_id="honmura", destination_stop_id="hospital",
                     fare=300)]
    k = compute_kpis(books, [], districts={"honmura": "northeast", "hospital": "centre"})
    assert k.boardings_by_stop == {"honmura": 3}
    assert k.alightings_by_stop == {"hospital": 2, POINT: 1}
    assert k.boardings_by_district == {"northeast": 3}
    assert k.alightings_by_district == {"centre": 2, POINT: 1}
    assert (k.fare_revenue, k.fare_collected) == (900, 600)
    other = compute_kpis(books, [], districts={})
    assert other.boardings_by_district == {NO_DISTRICT: 3}


def test_kpis_by_day_split_on_the_service_day():
    """Records go to the day they carry; days without records have empty figures; the days'
    counts add up to the range's."""
    books = [booking("a", service_day="2027-01-13"), booking("b", "confirmed",
                                                             service_day="2027-01-14")]
    events = [{"type": "refused", "data": {"reason": "min_notice"}, "service_day": "2027-01-14"}]
    days = kpis_by_day(books, events, [], ["2027-01-13", "2027-01-14", "2027-01-15"])
    assert [days[d].requests for d in days] == [1, 2, 0]
    total = compute_kpis(books, events)
    assert sum(k.requests for k in days.values()) == total.requests


def test_event_service_day():
    """An event counts for the day it names, else its booking's, else the local day it was
    written; an event of a booking of another day is left out."""
    from datetime import datetime

    tz = ZoneInfo("Asia/Tokyo")
    at = datetime(2027, 1, 12, 23, 30, tzinfo=tz)
    assert event_service_day({"service_day": "2027-01-14"}, None, at, {}, tz) == "2027-01-14"
    assert event_service_day({}, "b1", at, {"b1": "2027-01-15"}, tz) == "2027-01-15"
    assert event_service_day({}, "b2", at, {"b1": "2027-01-15"}, tz) is None
    assert event_service_day({}, None, at.astimezone(ZoneInfo("UTC")), {}, tz) == date(
        2027, 1, 12).isoformat()
