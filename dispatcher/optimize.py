"""Re-optimisation of all open plans: OR-Tools routing plus a ruin-and-recreate search.

The OR-Tools model is :mod:`dispatcher.ortools_model`. Every confirmed booking is mandatory with its promise as
hard constraints; vehicles start from their state; riders on board stay on their vehicle; locked
prefixes are fixed; optional (not yet confirmed) requests may be added with a rejection penalty.
The result replaces the input plans only if every route passes
:func:`dispatcher.feasibility.check_route` and the objective (unserved confirmed bookings, then
rejected optional requests, then cost) is not worse.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from dispatcher import fleetmin, recovery
from dispatcher.feasibility import RouteCheck, check_route
from dispatcher.lns import Problem, Search, Solution, improve
from dispatcher.model import Booking, Fleet, Plan, PlannedStop
from dispatcher.ortools_model import solve_routing
from dispatcher.params import DispatchParams


class ReoptStatus(StrEnum):
    """Why :func:`reoptimize` returned what it returned."""

    IMPROVED = "improved"
    REPAIRED = "repaired"
    NOT_BETTER = "not_better"
    NO_FEASIBLE_SOLUTION = "no_feasible_solution"


@dataclass(frozen=True)
class ReoptResult:
    """Plans after re-optimisation (the input plans unless ``status`` is ``IMPROVED``).

    ``served_optional`` / ``rejected_optional`` split the optional requests; ``cost_before`` and
    ``cost_after`` are route objectives (without penalties); ``unserved_mandatory`` counts
    confirmed bookings missing from the plans (input side / output side). ``REPAIRED``: the
    input plans broke promises (a late vehicle) and were repaired (:mod:`dispatcher.recovery`):
    ``moved`` bookings were handed over on time, ``late`` ones (s) placed where least late.
    """

    status: ReoptStatus
    plans: dict[str, Plan]
    checks: dict[str, RouteCheck] = field(default_factory=dict)
    served_optional: tuple[str, ...] = ()
    rejected_optional: tuple[str, ...] = ()
    cost_before: float = 0.0
    cost_after: float = 0.0
    unserved_mandatory: tuple[int, int] = (0, 0)
    iterations: int = 0
    detail: str = ""
    moved: tuple[str, ...] = ()
    late: dict[str, int] = field(default_factory=dict)


def _problem(fleet: Fleet, optional: Sequence[Booking], time_s: np.ndarray,
             dist_m: np.ndarray | None, params: DispatchParams) -> Problem:
    bookings: dict[str, Booking] = dict(fleet.bookings)
    for b in optional:
        bookings[b.id] = b
    fixed: set[str] = set()
    locked: dict[str, int] = {}
    states = {}
    for v in fleet.vehicles:
        st, plan = fleet.state_of(v), fleet.plan_of(v)
        states[v.id] = st
        locked[v.id] = plan.locked
        fixed.update(st.onboard)
        fixed.update(s.booking_id for s in plan.stops[: plan.locked])
    movable = frozenset(b for b in bookings if b not in fixed)
    return Problem(tuple(fleet.vehicles), states, locked, bookings,
                   frozenset(b.id for b in optional), movable, time_s, dist_m, params)


def _rank(sol: Solution, pb: Problem, mandatory: set[str]) -> tuple[int, int, float]:
    served = {s.booking_id for stops in sol.routes.values() for s in stops}
    served |= {b for v in pb.vehicles for b in pb.states[v.id].onboard}
    infeasible = sum(not c.feasible for c in sol.checks.values())
    return (len(mandatory - served) + 1000 * infeasible, len(pb.optional - served),
            sum(c.cost for c in sol.checks.values()))


def reoptimize(
    fleet: Fleet,
    time_s: np.ndarray,
    params: DispatchParams,
    *,
    dist_m: np.ndarray | None = None,
    optional: Sequence[Booking] = (),
    time_limit_s: float = 5.0,
    seed: int = 0,
    iteration_limit: int | None = None,
    use_ortools: bool = True,
    ortools_share: float | None = None,
) -> ReoptResult:
    """Re-optimise every open plan (times epoch s; matrices s and m).

    Parameters
    ----------
    fleet
        Vehicles, states (position, time, riders on board), current plans (with locked
        prefixes) and every confirmed booking (all mandatory, promises hard).
    time_s, dist_m
        Square travel-time (s) and distance (m) matrices over the caller's node index.
    params
        Dwell times, objective weights, rejection penalty of optional requests.
    optional
        Not yet confirmed requests with the promise they would get; served if possible.
    time_limit_s
        Wall-clock budget of the search (s).
    seed
        Seed of the ruin-and-recreate search.
    iteration_limit
        Ruin-and-recreate iterations; with it (and ``use_ortools=False``) the result is the same
        on every run for a seed, whatever the machine speed (the wall-clock budget is then not
        applied). Under a pure time limit the amount of search done depends on the machine.
    use_ortools
        Also run OR-Tools guided local search (warm-started from the best plans found) on a share
        ``ortools_share`` of the budget (default: ``params.search.ortools_share``).

    Returns
    -------
    ReoptResult
        New plans if feasible and not worse, else the input plans, with the reason.
    """
    t_start = time.monotonic()
    deadline = t_start + time_limit_s
    if ortools_share is None:
        ortools_share = params.search.ortools_share
    mandatory = set(fleet.bookings)
    in_plans = {v.id: tuple(fleet.plan_of(v).stops) for v in fleet.vehicles}
    onboard = {b for v in fleet.vehicles for b in fleet.state_of(v).onboard}
    served_in = {s.booking_id for st in in_plans.values() for s in st}
    rep, start, detail = _repair_if_late(fleet, in_plans, time_s, params, dist_m)
    pb = _problem(rep.fleet if rep else fleet, optional, time_s, dist_m, params)
    search = Search(pb, seed)
    before = search.evaluate(in_plans, pb.optional - served_in, full=True)
    if rep is None:
        rank_before = _rank(before, pb, mandatory)
    else:  # the input plans break promises: any repaired plan set is better
        rank_before = (len(mandatory) + 1, len(pb.optional), math.inf)
    cur = search.evaluate(start, set())
    served_now = {s.booking_id for st in cur.routes.values() for s in st} | onboard
    pending = sorted((mandatory | pb.optional) - served_now,
                     key=lambda b: (b in pb.optional, b))
    if pending:
        trial = cur.copy()
        if search.recreate(trial, pending):
            cur = trial
    iterations = 0
    if all(c.feasible for c in cur.checks.values()):
        lns_deadline = deadline - (time_limit_s * ortools_share if use_ortools else 0.0)
        if iteration_limit is not None and not use_ortools:
            lns_deadline = math.inf  # reproducible: the iterations bound the search, not the clock
        cur, iterations = _search(search, cur, lns_deadline, iteration_limit)
        if use_ortools:
            cur, note = _ortools_polish(search, cur, deadline, mandatory)
            detail += note
    cur = search.evaluate(cur.routes, cur.unserved, full=True)
    return _result(fleet, pb, before, rank_before, cur, mandatory, iterations, detail, rep)


def _repair_if_late(fleet: Fleet, in_plans: dict[str, tuple[PlannedStop, ...]],
                    time_s: np.ndarray, params: DispatchParams, dist_m: np.ndarray | None,
                    ) -> tuple[recovery.Repair | None, dict[str, tuple[PlannedStop, ...]], str]:
    """The plans to start the search from: the input plans, or, when a vehicle is late, the
    repair's (what can be kept on time handed over, the rest placed least late:
    :mod:`dispatcher.recovery`), with a note for the result's detail."""
    late_in = any(not check_route(v, fleet.state_of(v), in_plans[v.id], fleet.bookings, time_s,
                                  params).feasible for v in fleet.vehicles)
    if not late_in:
        return None, in_plans, ""
    rep = recovery.repair(fleet, time_s, params, dist_m)
    return rep, rep.routes, (f"repaired: {len(rep.moved)} booking(s) handed to another vehicle "
                             f"on time, {len(rep.late)} placed least late. ")


def _search(search: Search, cur: Solution, lns_deadline: float,
            iteration_limit: int | None) -> tuple[Solution, int]:
    """Ruin and recreate from feasible plans (route elimination first when vehicles cost);
    the best plans found and the iterations done."""
    params = search.pb.params
    iterations = 0
    if params.weight_vehicle > 0:
        cur, iterations = _fewer_vehicles(search, cur, lns_deadline, iteration_limit)
    cur, more = improve(search, cur, lns_deadline,
                        None if iteration_limit is None else iteration_limit - iterations,
                        driving_temperature=params.weight_vehicle > 0)
    return cur, iterations + more


def _ortools_polish(search: Search, cur: Solution, deadline: float,
                    mandatory: set[str]) -> tuple[Solution, str]:
    """OR-Tools guided local search from the best plans on the rest of the budget; its plans
    when they rank better, with a note for the result's detail."""
    pb = search.pb
    remaining = deadline - time.monotonic()
    if remaining > 0.2:
        routes = solve_routing(pb, cur.routes, remaining, first_solution=False)
        if routes is not None:
            served = {s.booking_id for st in routes.values() for s in st}
            cand = search.evaluate(routes, pb.optional - served)
            if _rank(cand, pb, mandatory) < _rank(cur, pb, mandatory):
                return cand, "OR-Tools improved the search's plans. "
    return cur, ""


def _fewer_vehicles(search: Search, cur: Solution, lns_deadline: float,
                    iteration_limit: int | None) -> tuple[Solution, int]:
    """With a vehicle cost: the search as usual on a first share of the budget, then route
    elimination (:mod:`dispatcher.fleetmin`) from its best on a second share."""
    now = time.monotonic()
    span = max(0.0, lns_deadline - now)
    knobs = search.pb.params.search
    first, second = knobs.elimination_before, knobs.elimination_share
    cur, it1 = improve(search, cur, now + first * span,
                       None if iteration_limit is None else int(first * iteration_limit))
    cur, it2 = fleetmin.eliminate(search, cur, now + (first + second) * span,
                                  None if iteration_limit is None
                                  else int(second * iteration_limit))
    return cur, it1 + it2


def _result(fleet: Fleet, pb: Problem, before: Solution, rank_before: tuple[int, int, float],
            cur: Solution, mandatory: set[str], iterations: int, detail: str,
            rep: recovery.Repair | None = None) -> ReoptResult:
    rank_after = _rank(cur, pb, mandatory)
    in_plans = {v.id: fleet.plan_of(v) for v in fleet.vehicles}
    feasible = all(c.feasible for c in cur.checks.values())
    served = {s.booking_id for st in cur.routes.values() for s in st}
    cost_before = (rank_before[2] if math.isfinite(rank_before[2])
                   else sum(c.cost for c in before.checks.values()))
    if not feasible or rank_after[0] > 0:
        return ReoptResult(ReoptStatus.NO_FEASIBLE_SOLUTION, in_plans, before.checks,
                           cost_before=cost_before, unserved_mandatory=(rank_before[0], -1),
                           iterations=iterations,
                           detail=detail + "no plan set keeps every confirmed booking")
    if rank_after >= rank_before:
        return ReoptResult(ReoptStatus.NOT_BETTER, in_plans, before.checks, (),
                           tuple(sorted(pb.optional)), cost_before, rank_after[2],
                           (rank_before[0], rank_after[0]), iterations,
                           detail + "no improvement found; input plans kept")
    status = ReoptStatus.REPAIRED if rep is not None else ReoptStatus.IMPROVED
    plans = {v.id: Plan(v.id, cur.routes[v.id], pb.locked[v.id]) for v in fleet.vehicles}
    return ReoptResult(
        status, plans, cur.checks, tuple(sorted(pb.optional & served)),
        tuple(sorted(pb.optional - served)), cost_before, rank_after[2],
        (rank_before[0], rank_after[0]), iterations, detail,
        tuple(rep.moved) if rep else (), dict(rep.late) if rep else {},
    )
