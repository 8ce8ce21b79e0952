"""A rider's usual trips (いつもの便) from their past bookings, and the next day to repeat one
(pure).

A usual trip is a trip the rider has booked before: the same places, the same party, the same
way of asking (leave at / arrive by) at the same local time. Repeating one needs only a day:
:func:`next_repeat_day` finds the first day the service can still take that time and the rider
has not booked that trip already.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from dispatcher.recurrence import Recurrence, expand
from dispatcher.service_area import ServiceArea
from dispatcher.statuses import BookingStatus
from dispatcher.units import from_epoch

#: Bookings that count as trips the rider made or will make.
TRAVELLED = (BookingStatus.CONFIRMED, BookingStatus.ONBOARD, BookingStatus.COMPLETED)


@dataclass(frozen=True, slots=True)
class PastTrip:
    """What a booking says about a trip (times local: ``time_s`` is seconds since midnight)."""

    booking_id: str
    status: str
    day: date
    origin: tuple[str | None, float, float]
    destination: tuple[str | None, float, float]
    rule: str
    time_s: int
    party: tuple[int, int, int, int]
    booked_s: int


@dataclass(frozen=True, slots=True)
class UsualTrip:
    """A trip the rider has made ``count`` times; ``last`` is its latest booking."""

    last: PastTrip
    count: int


def _place_key(place: tuple[str | None, float, float]) -> tuple[str | None, float, float]:
    stop, lat, lon = place
    # A point chosen on a map is the same place within about ten metres.
    return (stop, 0.0, 0.0) if stop else (None, round(lat, 4), round(lon, 4))


def usual_trips(past: Sequence[PastTrip], limit: int = 3) -> list[UsualTrip]:
    """The rider's most frequent trips, most often made first (then most recently booked).

    Parameters
    ----------
    past
        The rider's bookings as :class:`PastTrip`; cancelled ones and no-shows do not count.
    limit
        How many trips to return.

    Returns
    -------
    list[UsualTrip]
        Distinct trips (same places, party, rule and local time) with how often they were
        booked and their latest booking.
    """
    groups: dict[tuple[object, ...], list[PastTrip]] = {}
    for p in past:
        if p.status not in TRAVELLED:
            continue
        key = (_place_key(p.origin), _place_key(p.destination), p.rule, p.time_s // 60, p.party)
        groups.setdefault(key, []).append(p)
    out = [UsualTrip(max(trips, key=lambda p: (p.booked_s, p.day)), len(trips))
           for trips in groups.values()]
    out.sort(key=lambda u: (-u.count, -u.last.booked_s))
    return out[:limit]


def next_repeat_day(service: ServiceArea, time_s: int, rule: str, now_s: int,
                    taken: Collection[date] = ()) -> date | None:
    """The first day from today on when a trip at local ``time_s`` can still be booked and is
    not among ``taken`` (days the rider already has this trip), or None within the horizon."""
    today = from_epoch(now_s, ZoneInfo(service.timezone)).date()
    every_day = Recurrence(frozenset(range(7)), time_s, rule, today)
    for trip in expand(every_day, service, now_s).trips:
        if trip.day not in taken:
            return trip.day
    return None

