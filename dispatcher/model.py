"""The dispatch vocabulary (DESIGN.md) as frozen dataclasses: requests, promises, vehicles, plans.

Times are ``int`` epoch seconds (see :mod:`dispatcher.units`), durations whole seconds, distances
whole metres. Places are integer indices into travel-time/distance matrices that the caller owns
(the engine builds that index over stops, depots and snapped points).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from dispatcher.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Passengers:
    """Party size of one request. One vocabulary throughout: ``seats`` are the ordinary seats
    the party needs (adults + children), ``wheelchairs`` the wheelchair spaces, ``persons``
    everyone (a vehicle's ``seats`` and ``wheelchair_spaces`` are its capacity in the same units;
    the KPIs count ``persons``).

    Parameters
    ----------
    adults, children
        Persons taking an ordinary seat.
    wheelchairs
        Wheelchair users; each takes one wheelchair space and no seat.

    Raises
    ------
    InvalidInput
        On negative counts or an empty party.
    """

    adults: int = 1
    children: int = 0
    wheelchairs: int = 0

    def __post_init__(self) -> None:
        counts = (self.adults, self.children, self.wheelchairs)
        if any(not isinstance(c, int) or c < 0 for c in counts):
            raise InvalidInput(
                "乗車人数は0以上の整数で指定してください",
                "passenger counts must be non-negative integers",
                passengers=list(counts),
            )
        if sum(counts) == 0:
            raise InvalidInput(
                "乗車人数が0人です", "a request needs at least one passenger", passengers=list(counts)
            )

    @property
    def seats(self) -> int:
        """Ordinary seats needed (adults + children)."""
        return self.adults + self.children

    @property
    def persons(self) -> int:
        """Persons in the party (seated and in wheelchairs)."""
        return self.adults + self.children + self.wheelchairs


class TimeRule(StrEnum):
    """How the asked time of a request is meant."""

    PICKUP_AFTER = "pickup_after"
    DROPOFF_BEFORE = "dropoff_before"


@dataclass(frozen=True, slots=True)
class Request:
    """A trip asked for: from ``origin`` to ``destination`` (matrix indices) at ``time_s``.

    ``rule`` says whether ``time_s`` is the earliest pickup or the latest drop-off (epoch s).
    """

    id: str
    origin: int
    destination: int
    passengers: Passengers
    rule: TimeRule
    time_s: int

    def __post_init__(self) -> None:
        if self.origin < 0 or self.destination < 0:
            raise InvalidInput(
                "乗降地点が不正です", "origin and destination must be matrix indices", id=self.id
            )


@dataclass(frozen=True, slots=True)
class Promise:
    """What a booking has been promised (epoch s; ``max_ride_s`` in s). Hard once booked.

    Parameters
    ----------
    pickup_earliest_s, pickup_latest_s
        The promised pickup window: boarding starts inside it.
    dropoff_latest_s
        Alighting starts at the latest then.
    max_ride_s
        Longest time between leaving the pickup (after boarding) and starting to alight.
    dropoff_earliest_s
        Alighting starts no earlier than this (0: no bound). Rare in service; the Cordeau
        benchmark needs it.
    """

    pickup_earliest_s: int
    pickup_latest_s: int
    dropoff_latest_s: int
    max_ride_s: int
    dropoff_earliest_s: int = 0

    def __post_init__(self) -> None:
        if self.pickup_latest_s < self.pickup_earliest_s or self.max_ride_s < 0:
            raise InvalidInput(
                "約束の時間帯が不正です",
                "promise window is empty or ride limit negative",
                promise=(self.pickup_earliest_s, self.pickup_latest_s, self.max_ride_s),
            )


@dataclass(frozen=True, slots=True)
class Booking:
    """A confirmed request with its promise (hard from confirmation on)."""

    request: Request
    promise: Promise

    @property
    def id(self) -> str:
        """The booking id (the request's id)."""
        return self.request.id


@dataclass(frozen=True, slots=True)
class Break:
    """A driver's break (epoch s): ``duration_s`` seconds inside ``[earliest_start_s, latest_end_s]``.

    Breaks are taken with nobody on board, at the place the vehicle is at (between two stops).
    """

    earliest_start_s: int
    latest_end_s: int
    duration_s: int

    def __post_init__(self) -> None:
        if self.duration_s < 0 or self.earliest_start_s + self.duration_s > self.latest_end_s:
            raise InvalidInput(
                "休憩の設定が不正です", "break does not fit in its window", duration=self.duration_s
            )


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A vehicle and its shift (epoch s): capacity in seats and wheelchair spaces, depot index."""

    id: str
    seats: int
    wheelchair_spaces: int
    depot: int
    shift_start_s: int
    shift_end_s: int
    breaks: tuple[Break, ...] = ()

    def __post_init__(self) -> None:
        if self.seats < 0 or self.wheelchair_spaces < 0 or self.shift_end_s < self.shift_start_s:
            raise InvalidInput(
                "車両の設定が不正です", "vehicle capacity or shift is invalid", vehicle=self.id
            )


@dataclass(frozen=True, slots=True)
class VehicleState:
    """Where and when a vehicle is next free (matrix index, epoch s), and who is on board.

    Executed stops are gone from the plan. ``onboard_departed_s``, when given, is parallel to
    ``onboard``: when each rider left their pickup, so that their ride-time limit is kept too
    (otherwise only their latest drop-off is enforced).
    """

    vehicle_id: str
    node: int
    time_s: int
    onboard: tuple[str, ...] = ()
    onboard_departed_s: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.onboard_departed_s and len(self.onboard_departed_s) != len(self.onboard):
            raise InvalidInput(
                "乗車時刻の数が乗車中の予約数と一致しません",
                "onboard_departed_s must be parallel to onboard",
                vehicle=self.vehicle_id,
            )

    def departed(self) -> dict[str, int]:
        """Departure time from the pickup of each on-board rider, where known."""
        return dict(zip(self.onboard, self.onboard_departed_s, strict=False))


class StopKind(StrEnum):
    """What happens at a planned stop."""

    PICKUP = "pickup"
    DROPOFF = "dropoff"


@dataclass(frozen=True, slots=True)
class PlannedStop:
    """One pending stop of a plan: a booking boards or alights at matrix index ``node``."""

    booking_id: str
    kind: StopKind
    node: int


@dataclass(frozen=True, slots=True)
class Plan:
    """A vehicle's pending stops in order; the first ``locked`` are committed and never move."""

    vehicle_id: str
    stops: tuple[PlannedStop, ...] = ()
    locked: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.locked <= len(self.stops):
            raise InvalidInput(
                "固定停留所数が不正です", "locked must be within the plan", vehicle=self.vehicle_id
            )


@dataclass(frozen=True, slots=True)
class Fleet:
    """A snapshot of everything open: vehicles, their states and plans, confirmed bookings.

    Vehicles without a state start at their depot at the start of their shift; vehicles without a
    plan have no pending stops.
    """

    vehicles: tuple[Vehicle, ...]
    states: Mapping[str, VehicleState] = field(default_factory=dict)
    plans: Mapping[str, Plan] = field(default_factory=dict)
    bookings: Mapping[str, Booking] = field(default_factory=dict)

    def state_of(self, vehicle: Vehicle) -> VehicleState:
        """The vehicle's state, or its depot at shift start."""
        state = self.states.get(vehicle.id)
        if state is None:
            return VehicleState(vehicle.id, vehicle.depot, vehicle.shift_start_s)
        return state

    def plan_of(self, vehicle: Vehicle) -> Plan:
        """The vehicle's plan, or an empty one."""
        return self.plans.get(vehicle.id) or Plan(vehicle.id)
