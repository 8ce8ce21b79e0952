"""Key performance indicators of a service day (or range), from bookings and the event log.

Pure: plain records in (bookings as mappings with epoch-second times, events as mappings), a
:class:`Kpis` out. The operations console, the city's monthly report and the simulator read
these figures; the definitions below are the only ones.

One basis: every figure belongs to a **service day**, the day of the trip (a booking's pickup
day, a request's asked day), not the day the event was written. Choosing the records of a day
is the caller's job (:mod:`dispatcher.store.kpi_records` for the API); :func:`kpis_by_day`
splits records that carry their ``service_day``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from dispatcher.statuses import BookingStatus, EventType

#: Key of trips from or to a chosen point (not a stop) in the per-stop and per-district counts.
POINT = "_point"
#: Key of stops that belong to no district in the per-district counts.
NO_DISTRICT = "_none"
#: Event types the indicators read (a loader may ask the store for these only).
KPI_EVENT_TYPES: tuple[str, ...] = tuple(str(t) for t in (
    EventType.OFFERED, EventType.REFUSED, EventType.BOOKED, EventType.CANCELLED, EventType.LEG))


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass(frozen=True, slots=True)
class Kpis:
    """Indicators of a period (durations in s, distances in km, money in yen, rates in 0..1).

    Requests: ``requests = accepted + refused + abandoned``. A request is one search for a
    trip; it ends as a booking (``accepted``), a refusal (``refused``: no offer could be made,
    or the chosen offer was taken meanwhile), or is abandoned (``abandoned``: offers were made
    and none was booked).

    Sharing and occupancy are two views of the same completed rides (pickup to drop-off on
    their vehicle): ``shared_ride_rate`` is the share of those rides during which another
    booking's party was on board too; ``occupancy_mean`` is the mean number of persons on board
    while the vehicle carries anyone, weighted by time. With no shared ride it equals the
    ride-time-weighted mean party size; it is above that exactly when some rides are shared.
    Empty running is measured apart (``empty_km``).
    """

    requests: int = 0
    offers_made: int = 0
    accepted: int = 0
    refused: int = 0
    refused_reasons: dict[str, int] = field(default_factory=dict)
    abandoned: int = 0
    completed: int = 0
    riders_carried: int = 0
    shared_ride_rate: float = 0.0
    occupancy_mean: float = 0.0
    wait_mean_s: float = 0.0
    wait_p95_s: float = 0.0
    ride_mean_s: float = 0.0
    detour_mean: float = 0.0
    on_time_rate: float = 0.0
    no_shows: int = 0
    cancellations: int = 0
    late_cancellations: int = 0
    vehicle_hours: float = 0.0
    vehicle_km: float = 0.0
    empty_km: float = 0.0
    passenger_km: float = 0.0
    fare_revenue: int = 0
    fare_collected: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    boardings_by_stop: dict[str, int] = field(default_factory=dict)
    alightings_by_stop: dict[str, int] = field(default_factory=dict)
    boardings_by_district: dict[str, int] = field(default_factory=dict)
    alightings_by_district: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The indicators as a plain mapping."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Ride:
    """A completed ride on a vehicle: pickup and drop-off (epoch s) and the party's persons."""

    vehicle_id: str
    start_s: int
    end_s: int
    persons: int


def rides_of(bookings: Iterable[Mapping[str, Any]]) -> list[Ride]:
    """The timed rides of completed bookings (a drop-off after the pickup, on a vehicle)."""
    out = []
    for b in bookings:
        if b.get("status") != BookingStatus.COMPLETED:
            continue
        a, z = b.get("picked_up_s"), b.get("dropped_off_s")
        if a is None or z is None or z <= a:
            continue
        out.append(Ride(str(b.get("vehicle_id") or ""), int(a), int(z), int(b.get("persons", 1))))
    return out


def shared_rides(rides: Sequence[Ride]) -> int:
    """Rides that overlap (for a positive time) another ride on the same vehicle."""
    by_vehicle: dict[str, list[Ride]] = defaultdict(list)
    for r in rides:
        by_vehicle[r.vehicle_id].append(r)
    shared = 0
    for group in by_vehicle.values():
        for r in group:
            if any(o is not r and o.start_s < r.end_s and r.start_s < o.end_s for o in group):
                shared += 1
    return shared


def occupancy(rides: Sequence[Ride]) -> tuple[float, int]:
    """Mean persons on board while occupied (time-weighted) and the occupied time (s).

    Per vehicle, the persons on board are swept over time (drop-offs before pickups at the
    same instant, so rides that only touch do not overlap); the mean is the integral of the
    persons on board divided by the time with anyone on board.
    """
    by_vehicle: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for r in rides:
        by_vehicle[r.vehicle_id] += [(r.start_s, r.persons), (r.end_s, -r.persons)]
    person_s = 0
    occupied_s = 0
    for changes in by_vehicle.values():
        changes.sort(key=lambda c: (c[0], c[1] > 0))
        on_board = 0
        last = changes[0][0]
        for t, delta in changes:
            if on_board > 0:
                person_s += on_board * (t - last)
                occupied_s += t - last
            on_board += delta
            last = t
    return (person_s / occupied_s if occupied_s else 0.0), occupied_s


def _use(books: Sequence[Mapping[str, Any]], key: str,
         districts: Mapping[str, str]) -> tuple[dict[str, int], dict[str, int]]:
    by_stop: Counter[str] = Counter()
    by_district: Counter[str] = Counter()
    for b in books:
        stop = b.get(key) or POINT
        persons = int(b.get("persons", 1))
        by_stop[stop] += persons
        by_district[POINT if stop == POINT else districts.get(stop, NO_DISTRICT)] += persons
    return dict(by_stop), dict(by_district)


def _abandoned(books: Sequence[Mapping[str, Any]], evs: Sequence[Mapping[str, Any]],
               offered: Sequence[Mapping[str, Any]]) -> int:
    """Offer searches abandoned: none of their offers was booked or lost at booking."""
    ended = {b.get("offer_id") for b in books} | {
        (e.get("data") or {}).get("offer_id") for e in evs if e["type"] in (EventType.BOOKED, EventType.REFUSED)}
    ended.discard(None)
    return sum(1 for e in offered
               if not ended.intersection((e.get("data") or {}).get("offers") or ()))


def _trip_times(books: Sequence[Mapping[str, Any]], done: Sequence[Mapping[str, Any]],
                ) -> tuple[list[Any], list[Any], list[Any], list[bool]]:
    """Waits after the window opened (s), ride times (s), detour factors (ride / direct) of the
    completed trips, and whether each pickup was on time."""
    waits = [b["picked_up_s"] - b["pickup_earliest_s"] for b in books
             if b.get("picked_up_s") is not None]
    ride_s = [b["dropped_off_s"] - b["picked_up_s"] for b in done
              if b.get("picked_up_s") is not None and b.get("dropped_off_s") is not None]
    detours = [(b["dropped_off_s"] - b["picked_up_s"]) / b["direct_s"] for b in done
               if b.get("direct_s") and b.get("picked_up_s") is not None
               and b.get("dropped_off_s") is not None]
    on_time = [b["picked_up_s"] <= b["pickup_latest_s"] for b in books
               if b.get("picked_up_s") is not None]
    return waits, ride_s, detours, on_time


def _leg_totals(leg_list: Sequence[Mapping[str, Any]]) -> tuple[float, float, float, float]:
    """Vehicle hours, vehicle km, empty km and passenger km of the driven legs."""
    hours = sum(max(0, lg["end_s"] - lg["start_s"]) for lg in leg_list) / 3600
    km = sum(lg.get("distance_m", 0) for lg in leg_list) / 1000
    empty = sum(lg.get("distance_m", 0) for lg in leg_list if not lg.get("load")) / 1000
    person_km = sum(lg.get("distance_m", 0) * lg.get("load", 0) for lg in leg_list) / 1000
    return hours, km, empty, person_km


def compute_kpis(bookings: Iterable[Mapping[str, Any]], events: Iterable[Mapping[str, Any]],
                 legs: Iterable[Mapping[str, Any]] = (), *,
                 districts: Mapping[str, str] | None = None) -> Kpis:
    """Compute the indicators of the records of a period (see :class:`Kpis` for definitions).

    Parameters
    ----------
    bookings
        Records with ``id``, ``status``, ``channel``, ``vehicle_id``, ``persons`` (everyone in the party, lap infants included),
        ``pickup_earliest_s``, ``pickup_latest_s``, ``picked_up_s``, ``dropped_off_s``,
        ``direct_s`` (epoch s / s; missing times as None), and where known ``offer_id``,
        ``origin_stop_id``, ``destination_stop_id``, ``fare`` (yen), ``payment_status``.
    events
        Records with ``type`` and ``data``: ``offered`` (``offers``: the offer ids),
        ``refused`` (``reason``; ``offer_id`` when a chosen offer was lost), ``booked``
        (``offer_id``), ``cancelled`` (``late``).
    legs
        Driven legs with ``vehicle_id``, ``start_s``, ``end_s``, ``distance_m``, ``load`` (persons
        on board while driving), from the simulation or the vehicles' traces.
    districts
        Stop id -> district id, for the per-district use.

    Returns
    -------
    Kpis
        The indicators.
    """
    books = list(bookings)
    evs = list(events)
    reasons = Counter(str((e.get("data") or {}).get("reason", "unknown")) for e in evs
                      if e["type"] == EventType.REFUSED)
    offered = [e for e in evs if e["type"] == EventType.OFFERED]
    abandoned = _abandoned(books, evs, offered)
    done = [b for b in books if b["status"] == BookingStatus.COMPLETED]
    waits, ride_s, detours, on_time = _trip_times(books, done)
    rides = rides_of(done)
    mean_on_board, _ = occupancy(rides)
    hours, km, empty, person_km = _leg_totals(list(legs))
    board_stop, board_district = _use(done, "origin_stop_id", districts or {})
    alight_stop, alight_district = _use(done, "destination_stop_id", districts or {})
    refused = sum(reasons.values())
    return Kpis(
        requests=len(books) + refused + abandoned,
        offers_made=len(offered),
        accepted=len(books),
        refused=refused,
        refused_reasons=dict(reasons),
        abandoned=abandoned,
        completed=len(done),
        riders_carried=sum(int(b.get("persons", 1)) for b in done),
        shared_ride_rate=shared_rides(rides) / len(rides) if rides else 0.0,
        occupancy_mean=mean_on_board,
        wait_mean_s=sum(waits) / len(waits) if waits else 0.0,
        wait_p95_s=_pct(waits, 0.95),
        ride_mean_s=sum(ride_s) / len(ride_s) if ride_s else 0.0,
        detour_mean=sum(detours) / len(detours) if detours else 0.0,
        on_time_rate=sum(on_time) / len(on_time) if on_time else 0.0,
        no_shows=sum(1 for b in books if b["status"] == BookingStatus.NO_SHOW),
        cancellations=sum(1 for b in books if b["status"] == BookingStatus.CANCELLED),
        late_cancellations=sum(1 for e in evs if e["type"] == EventType.CANCELLED
                               and (e.get("data") or {}).get("late")),
        vehicle_hours=hours,
        vehicle_km=km,
        empty_km=empty,
        passenger_km=person_km,
        fare_revenue=sum(int(b.get("fare") or 0) for b in done),
        fare_collected=sum(int(b.get("fare") or 0) for b in done
                           if b.get("payment_status") not in (None, "unpaid")),
        by_channel=dict(Counter(str(b.get("channel", "app")) for b in books)),
        boardings_by_stop=board_stop,
        alightings_by_stop=alight_stop,
        boardings_by_district=board_district,
        alightings_by_district=alight_district,
    )


def kpis_by_day(bookings: Iterable[Mapping[str, Any]], events: Iterable[Mapping[str, Any]],
                legs: Iterable[Mapping[str, Any]], days: Iterable[str], *,
                districts: Mapping[str, str] | None = None) -> dict[str, Kpis]:
    """The indicators of each service day in ``days`` (ISO dates), from records that carry
    their ``service_day`` (ISO date); records of other days are left out."""
    wanted = list(days)
    split: dict[str, tuple[list[Mapping[str, Any]], ...]] = {d: ([], [], []) for d in wanted}
    for i, records in enumerate((bookings, events, legs)):
        for r in records:
            part = split.get(str(r.get("service_day")))
            if part is not None:
                part[i].append(r)
    return {d: compute_kpis(b, e, lg, districts=districts) for d, (b, e, lg) in split.items()}
