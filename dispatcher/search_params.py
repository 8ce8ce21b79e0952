"""Knobs of the re-optimisation search (ruin-and-recreate, route elimination, OR-Tools share).

They were module constants; as one frozen value they can be set per service (``[dispatch.search]``
in ``service.toml``) and per benchmark run, and a test can pin them. The defaults are the values
tuned on the Li & Lim PDPTW and Cordeau DARP instances (``bench/RESULTS.md``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from dispatcher.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class SearchParams:
    """Parameters of :mod:`dispatcher.lns`, :mod:`dispatcher.fleetmin` and :mod:`dispatcher.optimize`.

    Parameters
    ----------
    start_temperature
        Start temperature of the annealing, as a share of the start objective (it falls to 1 %
        of that over the run).
    max_checks
        Candidate positions tested exactly per booking and route before giving up on the route
        (0: no limit).
    ruin_share, ruin_cap
        Largest share of the movable bookings removed in one ruin, and at most this many (small
        ruins: many more iterations per second, better results).
    regret_share
        Probability of rebuilding by regret-2 rather than by greedy insertion in random order.
    worst_share
        Probability of a worst removal (the bookings whose stops cost the most driving); the
        rest of the ruins are random or related (near in space and time) half and half.
    restart_after
        Iterations without a new best after which the search goes back to the best (0: never).
    elimination_before, elimination_share
        With a vehicle cost: share of the budget for the ordinary search before route
        elimination, and largest share for route elimination (the rest goes to the ordinary
        search again).
    near_share
        In route elimination, probability of a ruin removing the bookings nearest (space and
        time) to a banked one.
    eject_share
        Probability of an ejection step (insert the heaviest banked booking, ejecting another).
    eject_nearest
        Bookings (the nearest to the banked one) considered for ejection.
    give_up_after
        Iterations without fewer banked bookings after which another route is tried instead.
    attempt_share
        Longest try at emptying one route, as a share of the elimination phase's time.
    max_fails
        Failed tries in a row after which route elimination ends: a try leaving more than two
        bookings banked counts ``max_fails`` at once, a near miss counts 0.5.
    ortools_share
        Share of a re-optimisation's budget given to OR-Tools guided local search (warm-started
        from the best plans found) when it is used.
    neighbourhood_vehicles
        A day with more vehicles than this is re-optimised one neighbourhood per cycle: a seed
        vehicle and the routes nearest to it (:mod:`dispatcher.neighbourhood`); 0: always the
        whole fleet.
    """

    start_temperature: float = 0.05
    max_checks: int = 40
    ruin_share: float = 0.15
    ruin_cap: int = 15
    regret_share: float = 0.5
    worst_share: float = 0.2
    restart_after: int = 500
    elimination_before: float = 0.2
    elimination_share: float = 0.6
    near_share: float = 0.5
    eject_share: float = 0.5
    eject_nearest: int = 12
    give_up_after: int = 100
    attempt_share: float = 0.2
    max_fails: float = 3.0
    ortools_share: float = 0.1
    neighbourhood_vehicles: int = 40

    def __post_init__(self) -> None:
        shares = (self.ruin_share, self.regret_share, self.worst_share, self.elimination_before,
                  self.elimination_share, self.near_share, self.eject_share,
                  self.attempt_share, self.ortools_share)
        counts = (self.max_checks, self.ruin_cap, self.restart_after, self.eject_nearest,
                  self.give_up_after, self.neighbourhood_vehicles)
        if (any(not 0.0 <= s <= 1.0 for s in shares) or min(counts) < 0
                or self.elimination_before + self.elimination_share > 1.0
                or self.start_temperature <= 0 or self.max_fails <= 0 or self.ruin_cap < 2):
            raise InvalidInput(
                "探索パラメータが不正です",
                "search parameters out of range (shares in 0..1, elimination shares summing "
                "to at most 1, counts >= 0, ruin_cap >= 2, start_temperature and max_fails > 0)",
            )

    @property
    def checks_limit(self) -> int | None:
        """``max_checks`` as the search uses it (``None``: no limit)."""
        return self.max_checks or None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchParams:
        """Build from a mapping (``[dispatch.search]``); unknown keys are refused."""
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise InvalidInput("不明な探索パラメータがあります",
                               f"unknown search parameters: {unknown}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The parameters as a plain mapping."""
        return asdict(self)
