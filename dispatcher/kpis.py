"""Key performance indicators of a service day (or range), from bookings and the event log.

Pure: plain records in (bookings as mappings with epoch-second times, events as mappings), a
:class:`Kpis` out. The operations console and the city's monthly report read these figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass(frozen=True, slots=True)
class Kpis:
    """Indicators of a period (durations in s, distances in m, rates in 0..1)."""

    requests: int = 0
    offers_made: int = 0
    accepted: int = 0
    refused: int = 0
    refused_reasons: dict[str, int] = field(default_factory=dict)
    completed: int = 0
    riders_carried: int = 0
    shared_ride_rate: float = 0.0
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
    occupancy_mean: float = 0.0
    by_channel: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The indicators as a plain mapping."""
        return asdict(self)


def compute_kpis(bookings: Iterable[Mapping[str, Any]], events: Iterable[Mapping[str, Any]],
                 legs: Iterable[Mapping[str, Any]] = ()) -> Kpis:
    """Compute the indicators.

    Parameters
    ----------
    bookings
        Records with ``id``, ``status``, ``channel``, ``vehicle_id``, ``seats`` (persons),
        ``pickup_earliest_s``, ``pickup_latest_s``, ``picked_up_s``, ``dropped_off_s``,
        ``direct_s`` (epoch s / s; missing times as None).
    events
        Records with ``type`` and ``data`` (``offered`` with ``asked``/``alternatives`` counts,
        ``refused`` with ``reason``, ``cancelled`` with ``late``).
    legs
        Driven legs with ``vehicle_id``, ``start_s``, ``end_s``, ``distance_m``, ``load`` (persons
        on board while driving), from the simulation or the vehicles' traces.

    Returns
    -------
    Kpis
        The indicators.
    """
    books = list(bookings)
    evs = list(events)
    requests = sum(1 for e in evs if e["type"] in ("offered", "refused") and
                   not e.get("data", {}).get("offer_id"))
    offers_made = sum(1 for e in evs if e["type"] == "offered")
    reasons = Counter(str(e.get("data", {}).get("reason", "unknown")) for e in evs
                      if e["type"] == "refused")
    done = [b for b in books if b["status"] == "completed"]
    waits = [b["picked_up_s"] - b["pickup_earliest_s"] for b in books
             if b.get("picked_up_s") is not None]
    rides = [b["dropped_off_s"] - b["picked_up_s"] for b in done
             if b.get("picked_up_s") is not None and b.get("dropped_off_s") is not None]
    detours = [(b["dropped_off_s"] - b["picked_up_s"]) / b["direct_s"] for b in done
               if b.get("direct_s") and b.get("picked_up_s") is not None
               and b.get("dropped_off_s") is not None]
    on_time = [b["picked_up_s"] <= b["pickup_latest_s"] for b in books
               if b.get("picked_up_s") is not None]
    shared = 0
    for b in done:
        if b.get("picked_up_s") is None or b.get("dropped_off_s") is None:
            continue
        for o in done:
            if o is b or o.get("vehicle_id") != b.get("vehicle_id") or o.get("picked_up_s") is None:
                continue
            if o["picked_up_s"] < b["dropped_off_s"] and b["picked_up_s"] < o["dropped_off_s"]:
                shared += 1
                break
    leg_list = list(legs)
    hours = sum(max(0, lg["end_s"] - lg["start_s"]) for lg in leg_list) / 3600
    km = sum(lg.get("distance_m", 0) for lg in leg_list) / 1000
    empty = sum(lg.get("distance_m", 0) for lg in leg_list if not lg.get("load")) / 1000
    person_km = sum(lg.get("distance_m", 0) * lg.get("load", 0) for lg in leg_list) / 1000
    return Kpis(
        requests=requests,
        offers_made=offers_made,
        accepted=len(books),
        refused=sum(reasons.values()),
        refused_reasons=dict(reasons),
        completed=len(done),
        riders_carried=sum(int(b.get("seats", 1)) for b in done),
        shared_ride_rate=shared / len(done) if done else 0.0,
        wait_mean_s=sum(waits) / len(waits) if waits else 0.0,
        wait_p95_s=_pct(waits, 0.95),
        ride_mean_s=sum(rides) / len(rides) if rides else 0.0,
        detour_mean=sum(detours) / len(detours) if detours else 0.0,
        on_time_rate=sum(on_time) / len(on_time) if on_time else 0.0,
        no_shows=sum(1 for b in books if b["status"] == "no_show"),
        cancellations=sum(1 for b in books if b["status"] == "cancelled"),
        late_cancellations=sum(1 for e in evs if e["type"] == "cancelled"
                               and e.get("data", {}).get("late")),
        vehicle_hours=hours,
        vehicle_km=km,
        empty_km=empty,
        occupancy_mean=person_km / km if km else 0.0,
        by_channel=dict(Counter(str(b.get("channel", "app")) for b in books)),
    )
