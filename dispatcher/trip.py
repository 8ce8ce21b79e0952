"""A rider's trip request as the service receives it (before it becomes a core Request)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dispatcher.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Place:
    """A stop of the service (``stop_id``) or a point (``lat``, ``lon``) inside the zone."""

    stop_id: str | None = None
    lat: float | None = None
    lon: float | None = None

    def __post_init__(self) -> None:
        if self.stop_id is None and (self.lat is None or self.lon is None):
            raise InvalidInput(
                "乗り場（stop_id）または地点（緯度・経度）を指定してください",
                "give a stop_id or a point (lat and lon)",
            )


@dataclass(frozen=True, slots=True)
class Party:
    """Who travels: adults, children, infants (on a lap/child seat), wheelchair users, concessions."""

    adults: int = 1
    children: int = 0
    infants: int = 0
    wheelchairs: int = 0
    concessions: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        counts = [self.adults, self.children, self.infants, self.wheelchairs,
                  *self.concessions.values()]
        if any(c < 0 for c in counts):
            raise InvalidInput("人数は0以上で指定してください", "counts cannot be negative")
        if self.adults + self.children + self.wheelchairs == 0:
            raise InvalidInput("乗車する人数が0人です", "at least one passenger is needed")
        if sum(self.concessions.values()) > self.adults + self.wheelchairs:
            raise InvalidInput(
                "割引の人数が大人の人数を超えています",
                "more concession riders than adults and wheelchair users",
            )

    def fare_categories(self) -> dict[str, int]:
        """Riders per fare category: concession riders are taken out of the adults."""
        counts = {"adult": self.adults + self.wheelchairs - sum(self.concessions.values()),
                  "child": self.children, "infant": self.infants}
        counts.update(self.concessions)
        return {k: v for k, v in counts.items() if v}

    @property
    def seats(self) -> int:
        """Seats taken (adults and children; infants ride on a lap or child seat)."""
        return self.adults + self.children


@dataclass(frozen=True, slots=True)
class TripInput:
    """A trip asked for: places, party, ``rule`` (pickup_after | dropoff_before) and time (epoch s).

    ``connection``: the bus the trip connects to (``gtfs.transfer.connection_record``); its
    ``latest_dropoff_s`` bounds every offer's latest drop-off.
    """

    origin: Place
    destination: Place
    party: Party
    rule: str
    time_s: int
    notes: str = ""
    connection: dict[str, Any] | None = None
