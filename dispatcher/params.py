"""Service parameters of dispatching: windows, dwell times, ride-time limits, alternatives, weights.

Defaults suit a rural shared taxi (Mitsugi): a 10-minute pickup window, 30 s + 15 s per passenger
at a stop (+ 90 s per wheelchair), rides at most 1.5 × direct + 10 minutes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from dispatcher.errors import InvalidInput
from dispatcher.model import Passengers
from dispatcher.search_params import SearchParams


@dataclass(frozen=True, slots=True)
class DispatchParams:
    """Dispatch parameters of one service (durations in s, weights per s or m).

    Parameters
    ----------
    pickup_window_s
        Width of the promised pickup window ``[a, a + width]``.
    dwell_base_s, dwell_per_passenger_s, dwell_per_wheelchair_s
        Dwell at a stop: base + per person + extra per wheelchair user (boarding or alighting).
    ride_factor, ride_offset_s
        Maximum ride time = ``ride_factor × direct + ride_offset_s`` (rounded down to seconds).
    max_shift_s
        How far an offered pickup may drift from the asked time (either side).
    alternative_step_s
        Spacing of alternative pickup times proposed when the asked one cannot be served.
    alternatives_per_side
        Alternatives proposed before and after the asked time when it cannot be served.
    max_offers
        Offers returned for the asked time (best vehicle first, one per vehicle).
    weight_travel_time, weight_distance
        Objective weight per second of driving and per metre driven.
    weight_excess_ride
        Objective weight per second of riders' ride time above their direct time.
    rejection_penalty
        Objective cost of not serving an optional (not yet confirmed) request.
    weight_vehicle
        Objective cost of using a vehicle at all (a route with pending stops); 0 by default.
        Large values make the optimiser minimise the fleet first (as the PDPTW benchmark does).
    no_show_grace_s
        How long after a pickup window opens the driver waits for a rider before recording a
        no-show (the service's booking rule). Planning reserves that wait: see
        :meth:`pickup_from_s`. 0 (no reservation) for the benchmarks.
    travel_factor, travel_margin_s
        Planning travel times: promises (windows, latest drop-off, ride limit) are checked
        against ``ceil(factor × routing time) + margin`` per leg between two different places
        (:meth:`planning_times`), while the driver's schedule and the riders' ETAs use the
        routing's times. 1.0 and 0 (no margin) for the benchmarks.
    prune_offers
        Offers look only at the vehicle-days that pass a vectorised necessary condition
        (:mod:`dispatcher.fleet_prune`); the offers are the same without (kept switchable to
        measure it and to check that claim).
    search
        Knobs of the re-optimisation search (:class:`dispatcher.search_params.SearchParams`;
        ``[dispatch.search]`` in ``service.toml``).
    """

    pickup_window_s: int = 600
    dwell_base_s: int = 30
    dwell_per_passenger_s: int = 15
    dwell_per_wheelchair_s: int = 90
    ride_factor: float = 1.5
    ride_offset_s: int = 600
    max_shift_s: int = 3600
    alternative_step_s: int = 600
    alternatives_per_side: int = 1
    max_offers: int = 3
    weight_travel_time: float = 1.0
    weight_distance: float = 0.0
    weight_excess_ride: float = 0.2
    rejection_penalty: float = 1_000_000.0
    weight_vehicle: float = 0.0
    no_show_grace_s: int = 0
    travel_factor: float = 1.0
    travel_margin_s: int = 0
    prune_offers: bool = True
    search: SearchParams = field(default_factory=SearchParams)

    def __post_init__(self) -> None:
        ints = (
            self.pickup_window_s, self.dwell_base_s, self.dwell_per_passenger_s,
            self.dwell_per_wheelchair_s, self.ride_offset_s, self.max_shift_s,
            self.no_show_grace_s, self.travel_margin_s,
        )
        if (min(ints) < 0 or self.ride_factor < 1.0 or self.alternative_step_s <= 0
                or not 1.0 <= self.travel_factor <= 3.0):
            raise InvalidInput(
                "配車パラメータが不正です",
                "dispatch parameters out of range (negative durations, ride factor < 1, "
                "step <= 0 or travel factor outside 1..3)",
            )
        if self.max_offers < 1 or self.alternatives_per_side < 0 or min(self.weight_travel_time, self.weight_distance,
                                      self.weight_excess_ride, self.weight_vehicle) < 0:
            raise InvalidInput("配車パラメータが不正です", "max_offers < 1 or negative weight")
        if self.no_show_grace_s > self.pickup_window_s:
            raise InvalidInput(
                "不乗車の猶予時間が迎車時間帯の幅より長くなっています",
                "the no-show grace must not be longer than the pickup window",
                no_show_grace_s=self.no_show_grace_s, pickup_window_s=self.pickup_window_s,
            )

    def dwell_s(self, passengers: Passengers) -> int:
        """Dwell in s when ``passengers`` board or alight at a stop."""
        return (
            self.dwell_base_s
            + self.dwell_per_passenger_s * passengers.persons
            + self.dwell_per_wheelchair_s * passengers.wheelchairs
        )

    def pickup_from_s(self, earliest_s: int, latest_s: int, dwell_s: int) -> int:
        """Earliest planned start of boarding in the pickup window ``[earliest_s, latest_s]``.

        A driver may record a no-show only once the window has been open for the grace time, so
        a vehicle at the stop can leave no earlier than ``earliest_s + grace`` whether or not the
        rider comes. Boarding is therefore planned from ``earliest_s + grace − dwell_s`` on: the
        planned departure already covers the wait, and a no-show never delays the stops after it
        beyond the plan (a rider who comes boards at the planned time, inside the window).
        Capped at the window's end (a window narrower than the grace).
        """
        return min(earliest_s + max(0, self.no_show_grace_s - dwell_s), latest_s)

    @property
    def pessimistic(self) -> bool:
        """True when planning times differ from the routing's (a factor or a margin)."""
        return self.travel_factor != 1.0 or self.travel_margin_s != 0

    def planning_times(self, time_s: np.ndarray) -> np.ndarray:
        """Planning travel times (s) from routing times: ``ceil(factor × t) + margin`` for every
        leg between two different places (``t > 0``), 0 on the diagonal. The same array when
        there is neither a factor nor a margin.

        Examples
        --------
        >>> p = DispatchParams(travel_factor=1.15, travel_margin_s=30)
        >>> p.planning_times(np.array([[0, 600], [100, 0]])).tolist()
        [[0, 720], [145, 0]]
        """
        if not self.pessimistic:
            return time_s
        scaled = np.ceil(time_s * self.travel_factor - 1e-9).astype(np.int64) + self.travel_margin_s
        return np.where(time_s > 0, scaled, 0)

    def max_ride_s(self, direct_s: int) -> int:
        """Longest allowed ride in s for a trip whose direct travel time is ``direct_s``."""
        return int(self.ride_factor * direct_s) + self.ride_offset_s

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DispatchParams:
        """Build from a mapping (service configuration); unknown keys are refused."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInput(
                "不明な配車パラメータがあります", f"unknown dispatch parameters: {unknown}"
            )
        search = data.get("search", {})
        if isinstance(search, dict):
            data = {**data, "search": SearchParams.from_dict(search)}
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The parameters as a plain mapping."""
        return asdict(self)
