"""Re-optimisation of all open plans: OR-Tools routing plus a ruin-and-recreate search.

The only module importing ``ortools``. Every confirmed booking is mandatory with its promise as
hard constraints; vehicles start from their state; riders on board stay on their vehicle; locked
prefixes are fixed; optional (not yet confirmed) requests may be added with a rejection penalty.
The result replaces the input plans only if every route passes
:func:`dispatcher.feasibility.check_route` and the objective (unserved confirmed bookings, then
rejected optional requests, then cost) is not worse.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dispatcher import fleetmin, recovery
from dispatcher.feasibility import RouteCheck, check_route
from dispatcher.lns import Problem, Search, Solution, improve
from dispatcher.model import Booking, Fleet, Plan, PlannedStop, StopKind
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
    late_in = any(not check_route(v, fleet.state_of(v), in_plans[v.id], fleet.bookings, time_s,
                                  params).feasible for v in fleet.vehicles)
    rep: recovery.Repair | None = None
    detail = ""
    start = in_plans
    if late_in:
        # Late vehicles: hand over what can be kept on time, place the rest where it is least
        # late (dispatcher.recovery).
        rep = recovery.repair(fleet, time_s, params, dist_m)
        start = rep.routes
        detail = (f"repaired: {len(rep.moved)} booking(s) handed to another vehicle on time, "
                  f"{len(rep.late)} placed least late. ")
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
        if params.weight_vehicle > 0:
            cur, iterations = _fewer_vehicles(search, cur, lns_deadline, iteration_limit)
        cur, more = improve(search, cur, lns_deadline,
                            None if iteration_limit is None else iteration_limit - iterations,
                            driving_temperature=params.weight_vehicle > 0)
        iterations += more
        if use_ortools:
            remaining = deadline - time.monotonic()
            if remaining > 0.2:
                routes = solve_routing(pb, cur.routes, remaining, first_solution=False)
                if routes is not None:
                    served = {s.booking_id for st in routes.values() for s in st}
                    cand = search.evaluate(routes, pb.optional - served)
                    if _rank(cand, pb, mandatory) < _rank(cur, pb, mandatory):
                        cur = cand
                        detail += "OR-Tools improved the search's plans. "
    cur = search.evaluate(cur.routes, cur.unserved, full=True)
    return _result(fleet, pb, before, rank_before, cur, mandatory, iterations, detail, rep)


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


# --------------------------------------------------------------------------- OR-Tools model


def solve_routing(
    pb: Problem,
    warm: Mapping[str, Sequence[PlannedStop]] | None,
    time_limit_s: float,
    first_solution: bool = True,
    log: bool = False,
    drop_penalty: int | None = None,
) -> dict[str, tuple[PlannedStop, ...]] | None:
    """Solve the problem with OR-Tools routing (pickup-delivery, windows, capacities, ride time).

    Guided local search within ``time_limit_s``; warm-started from ``warm`` when given (the
    routes must contain every pending stop of every booking they serve), else from parallel
    cheapest insertion. Breaks are not modelled here (the caller checks the result). With
    ``drop_penalty`` every request not on board may be left out at that cost (this helps the
    first-solution heuristic on tight instances; the caller sees the missing bookings). Returns
    routes by vehicle id, or ``None`` when no solution was found.
    """
    params = pb.params
    vehicles = pb.vehicles
    nv = len(vehicles)
    # routing nodes: per vehicle a start and an end, then one node per pending stop
    node_mat: list[int] = []
    node_dwell: list[int] = []
    node_stop: list[PlannedStop | None] = []
    starts, ends = [], []
    for v in vehicles:
        starts.append(len(node_mat))
        node_mat.append(pb.states[v.id].node)
        node_dwell.append(0)
        node_stop.append(None)
        ends.append(len(node_mat))
        node_mat.append(v.depot)
        node_dwell.append(0)
        node_stop.append(None)
    onboard_of: dict[str, int] = {}
    for k, v in enumerate(vehicles):
        for b in pb.states[v.id].onboard:
            onboard_of[b] = k
    stop_node: dict[tuple[str, StopKind], int] = {}
    for bid in sorted(pb.bookings):
        book = pb.bookings[bid]
        dwell = params.dwell_s(book.request.passengers)
        kinds = [StopKind.DROPOFF] if bid in onboard_of else [StopKind.PICKUP, StopKind.DROPOFF]
        for kind in kinds:
            node = book.request.origin if kind is StopKind.PICKUP else book.request.destination
            stop_node[(bid, kind)] = len(node_mat)
            node_mat.append(node)
            node_dwell.append(dwell)
            node_stop.append(PlannedStop(bid, kind, node))
    n = len(node_mat)
    idx = np.asarray(node_mat, dtype=np.intp)
    base = min(min(pb.states[v.id].time_s, v.shift_start_s) for v in vehicles)
    horizon = max(v.shift_end_s for v in vehicles) - base
    tmat = pb.time_s[np.ix_(idx, idx)] + np.asarray(node_dwell, dtype=np.int64)[:, None]
    cmat = params.weight_travel_time * pb.time_s[np.ix_(idx, idx)].astype(float)
    if pb.dist_m is not None and params.weight_distance:
        cmat = cmat + params.weight_distance * pb.dist_m[np.ix_(idx, idx)]
    cmat = np.rint(cmat).astype(np.int64)
    manager = pywrapcp.RoutingIndexManager(n, nv, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    # matrices are indexed by node; RegisterTransitMatrix takes node-indexed values
    cost_cb = routing.RegisterTransitMatrix(cmat.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    if params.weight_vehicle:
        routing.SetFixedCostOfAllVehicles(round(params.weight_vehicle))
    time_cb = routing.RegisterTransitMatrix(tmat.tolist())
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    seats = [0] * n
    chairs = [0] * n
    for (bid, kind), node in stop_node.items():
        pax = pb.bookings[bid].request.passengers
        sign = 1 if kind is StopKind.PICKUP else -1
        seats[node], chairs[node] = sign * pax.seats, sign * pax.wheelchairs
    dims = []
    for name, demand, caps in (("seats", seats, [v.seats for v in vehicles]),
                               ("chairs", chairs, [v.wheelchair_spaces for v in vehicles])):
        cb = routing.RegisterUnaryTransitVector(demand)
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, False, name)
        dims.append(routing.GetDimensionOrDie(name))
    solver = routing.solver()
    for k, v in enumerate(vehicles):
        st = pb.states[v.id]
        s_idx, e_idx = routing.Start(k), routing.End(k)
        tdim.CumulVar(s_idx).SetRange(max(st.time_s, v.shift_start_s) - base, v.shift_end_s - base)
        tdim.CumulVar(e_idx).SetRange(0, v.shift_end_s - base)
        load_s = sum(pb.bookings[b].request.passengers.seats for b in st.onboard)
        load_c = sum(pb.bookings[b].request.passengers.wheelchairs for b in st.onboard)
        dims[0].CumulVar(s_idx).SetValue(load_s)
        dims[1].CumulVar(s_idx).SetValue(load_c)
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(e_idx))
    shift_end = max(v.shift_end_s for v in vehicles)
    departed: dict[str, int] = {}
    for v in vehicles:
        departed.update(pb.states[v.id].departed())
    for bid in sorted(pb.bookings):
        book = pb.bookings[bid]
        pr = book.promise
        d_idx = manager.NodeToIndex(stop_node[(bid, StopKind.DROPOFF)])
        d_hi = min(pr.dropoff_latest_s, shift_end)
        if bid in departed:
            d_hi = min(d_hi, departed[bid] + pr.max_ride_s)
        d_lo = max(pr.dropoff_earliest_s - base, 0)
        if d_hi - base < d_lo:
            return None
        tdim.CumulVar(d_idx).SetRange(d_lo, d_hi - base)
        if bid in onboard_of:
            routing.SetAllowedVehiclesForIndex([onboard_of[bid]], d_idx)
            continue
        p_idx = manager.NodeToIndex(stop_node[(bid, StopKind.PICKUP)])
        if pr.pickup_latest_s < base:
            return None
        dwell = params.dwell_s(book.request.passengers)
        p_lo = params.pickup_from_s(pr.pickup_earliest_s, pr.pickup_latest_s, dwell)
        tdim.CumulVar(p_idx).SetRange(max(p_lo - base, 0), pr.pickup_latest_s - base)
        routing.AddPickupAndDelivery(p_idx, d_idx)
        solver.Add(routing.VehicleVar(p_idx) == routing.VehicleVar(d_idx))
        solver.Add(tdim.CumulVar(p_idx) <= tdim.CumulVar(d_idx))
        solver.Add(tdim.CumulVar(d_idx) - tdim.CumulVar(p_idx) <= dwell + pr.max_ride_s)
        if bid in pb.optional:
            routing.AddDisjunction([p_idx, d_idx], int(params.rejection_penalty), 2)
        elif drop_penalty is not None:
            routing.AddDisjunction([p_idx, d_idx], int(drop_penalty), 2)
    # locked prefixes: fix the chain start -> locked stops
    by_vehicle = {v.id: k for k, v in enumerate(vehicles)}
    locked_next: list[tuple[int, int]] = []
    for v in vehicles:
        k = by_vehicle[v.id]
        nlock = pb.locked.get(v.id, 0)
        if nlock and warm is not None:
            prev = routing.Start(k)
            for s in list(warm[v.id])[:nlock]:
                nxt = manager.NodeToIndex(stop_node[(s.booking_id, s.kind)])
                locked_next.append((prev, nxt))
                routing.SetAllowedVehiclesForIndex([k], nxt)
                prev = nxt
    for a, b in locked_next:
        solver.Add(routing.NextVar(a) == b)
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    search.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    search.time_limit.FromMilliseconds(max(100, int(time_limit_s * 1000)))
    search.log_search = log
    if warm is not None and not first_solution:
        routes_idx = [
            [manager.NodeToIndex(stop_node[(s.booking_id, s.kind)]) for s in warm[v.id]]
            for v in vehicles
        ]
        routing.CloseModelWithParameters(search)
        initial = routing.ReadAssignmentFromRoutes(routes_idx, True)
        if initial is None:
            return None
        solution = routing.SolveFromAssignmentWithParameters(initial, search)
    else:
        solution = routing.SolveWithParameters(search)
    if solution is None:
        return None
    out: dict[str, tuple[PlannedStop, ...]] = {}
    for k, v in enumerate(vehicles):
        stops = []
        i = solution.Value(routing.NextVar(routing.Start(k)))
        while not routing.IsEnd(i):
            stop = node_stop[manager.IndexToNode(i)]
            if stop is not None:
                stops.append(stop)
            i = solution.Value(routing.NextVar(i))
        out[v.id] = tuple(stops)
    return out
