"""The OR-Tools routing model of a re-optimisation problem (the only module importing ``ortools``).

Pickup-and-delivery with time windows, seats and wheelchair spaces, ride-time limits, riders on
board bound to their vehicle and locked prefixes fixed. Breaks are not modelled (the caller checks
every route with :func:`dispatcher.feasibility.check_route`). Times in the model are seconds from
the earliest vehicle start (``base``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dispatcher.lns import Problem
from dispatcher.model import PlannedStop, StopKind


@dataclass
class _Nodes:
    """Routing nodes: per vehicle a start and an end, then one node per pending stop."""

    place: list[int] = field(default_factory=list)  # node of the caller's matrices
    dwell: list[int] = field(default_factory=list)
    stop: list[PlannedStop | None] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    of_stop: dict[tuple[str, StopKind], int] = field(default_factory=dict)
    onboard_of: dict[str, int] = field(default_factory=dict)  # booking -> vehicle index

    def add(self, place: int, dwell: int = 0, stop: PlannedStop | None = None) -> int:
        self.place.append(place)
        self.dwell.append(dwell)
        self.stop.append(stop)
        return len(self.place) - 1


def _nodes(pb: Problem) -> _Nodes:
    nodes = _Nodes()
    for v in pb.vehicles:
        nodes.starts.append(nodes.add(pb.states[v.id].node))
        nodes.ends.append(nodes.add(v.depot))
    for k, v in enumerate(pb.vehicles):
        for b in pb.states[v.id].onboard:
            nodes.onboard_of[b] = k
    for bid in sorted(pb.bookings):
        book = pb.bookings[bid]
        dwell = pb.params.dwell_s(book.request.passengers)
        kinds = ([StopKind.DROPOFF] if bid in nodes.onboard_of
                 else [StopKind.PICKUP, StopKind.DROPOFF])
        for kind in kinds:
            place = book.request.origin if kind is StopKind.PICKUP else book.request.destination
            nodes.of_stop[(bid, kind)] = nodes.add(place, dwell, PlannedStop(bid, kind, place))
    return nodes


@dataclass
class _Model:
    pb: Problem
    nodes: _Nodes
    base: int
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    loads: list[pywrapcp.RoutingDimension]

    def index(self, bid: str, kind: StopKind) -> int:
        return int(self.manager.NodeToIndex(self.nodes.of_stop[(bid, kind)]))


def _model(pb: Problem, nodes: _Nodes) -> _Model:
    """Arc costs, the time dimension (travel + dwell) and the two load dimensions."""
    params, vehicles = pb.params, pb.vehicles
    idx = np.asarray(nodes.place, dtype=np.intp)
    base = min(min(pb.states[v.id].time_s, v.shift_start_s) for v in vehicles)
    horizon = max(v.shift_end_s for v in vehicles) - base
    tmat = pb.time_s[np.ix_(idx, idx)] + np.asarray(nodes.dwell, dtype=np.int64)[:, None]
    cmat = params.weight_travel_time * pb.time_s[np.ix_(idx, idx)].astype(float)
    if pb.dist_m is not None and params.weight_distance:
        cmat = cmat + params.weight_distance * pb.dist_m[np.ix_(idx, idx)]
    manager = pywrapcp.RoutingIndexManager(len(idx), len(vehicles), nodes.starts, nodes.ends)
    routing = pywrapcp.RoutingModel(manager)
    # matrices are indexed by node; RegisterTransitMatrix takes node-indexed values
    routing.SetArcCostEvaluatorOfAllVehicles(
        routing.RegisterTransitMatrix(np.rint(cmat).astype(np.int64).tolist()))
    if params.weight_vehicle:
        routing.SetFixedCostOfAllVehicles(round(params.weight_vehicle))
    routing.AddDimension(routing.RegisterTransitMatrix(tmat.tolist()), horizon, horizon, False,
                         "time")
    seats = [0] * len(idx)
    chairs = [0] * len(idx)
    for (bid, kind), node in nodes.of_stop.items():
        pax = pb.bookings[bid].request.passengers
        sign = 1 if kind is StopKind.PICKUP else -1
        seats[node], chairs[node] = sign * pax.seats, sign * pax.wheelchairs
    loads = []
    for name, demand, caps in (("seats", seats, [v.seats for v in vehicles]),
                               ("chairs", chairs, [v.wheelchair_spaces for v in vehicles])):
        cb = routing.RegisterUnaryTransitVector(demand)
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, False, name)
        loads.append(routing.GetDimensionOrDie(name))
    return _Model(pb, nodes, base, manager, routing, routing.GetDimensionOrDie("time"), loads)


def _vehicles(m: _Model) -> None:
    """Each vehicle starts when it is free with its riders on board and ends by its shift end."""
    for k, v in enumerate(m.pb.vehicles):
        st = m.pb.states[v.id]
        s_idx, e_idx = m.routing.Start(k), m.routing.End(k)
        m.time.CumulVar(s_idx).SetRange(max(st.time_s, v.shift_start_s) - m.base,
                                        v.shift_end_s - m.base)
        m.time.CumulVar(e_idx).SetRange(0, v.shift_end_s - m.base)
        pax = [m.pb.bookings[b].request.passengers for b in st.onboard]
        m.loads[0].CumulVar(s_idx).SetValue(sum(p.seats for p in pax))
        m.loads[1].CumulVar(s_idx).SetValue(sum(p.wheelchairs for p in pax))
        m.routing.AddVariableMinimizedByFinalizer(m.time.CumulVar(e_idx))


def _bookings(m: _Model, drop_penalty: int | None) -> bool:
    """Windows, pairing, ride limits and optional requests; False when a promise is already
    out of reach (no model can keep it)."""
    pb, base, solver = m.pb, m.base, m.routing.solver()
    shift_end = max(v.shift_end_s for v in pb.vehicles)
    departed: dict[str, int] = {}
    for v in pb.vehicles:
        departed.update(pb.states[v.id].departed())
    for bid in sorted(pb.bookings):
        book = pb.bookings[bid]
        pr = book.promise
        d_idx = m.index(bid, StopKind.DROPOFF)
        d_hi = min(pr.dropoff_latest_s, shift_end)
        if bid in departed:
            d_hi = min(d_hi, departed[bid] + pr.max_ride_s)
        d_lo = max(pr.dropoff_earliest_s - base, 0)
        if d_hi - base < d_lo:
            return False
        m.time.CumulVar(d_idx).SetRange(d_lo, d_hi - base)
        if bid in m.nodes.onboard_of:
            m.routing.SetAllowedVehiclesForIndex([m.nodes.onboard_of[bid]], d_idx)
            continue
        p_idx = m.index(bid, StopKind.PICKUP)
        if pr.pickup_latest_s < base:
            return False
        dwell = pb.params.dwell_s(book.request.passengers)
        p_lo = pb.params.pickup_from_s(pr.pickup_earliest_s, pr.pickup_latest_s, dwell)
        m.time.CumulVar(p_idx).SetRange(max(p_lo - base, 0), pr.pickup_latest_s - base)
        m.routing.AddPickupAndDelivery(p_idx, d_idx)
        solver.Add(m.routing.VehicleVar(p_idx) == m.routing.VehicleVar(d_idx))
        solver.Add(m.time.CumulVar(p_idx) <= m.time.CumulVar(d_idx))
        solver.Add(m.time.CumulVar(d_idx) - m.time.CumulVar(p_idx) <= dwell + pr.max_ride_s)
        if bid in pb.optional:
            m.routing.AddDisjunction([p_idx, d_idx], int(pb.params.rejection_penalty), 2)
        elif drop_penalty is not None:
            m.routing.AddDisjunction([p_idx, d_idx], int(drop_penalty), 2)
    return True


def _locked(m: _Model, warm: Mapping[str, Sequence[PlannedStop]] | None) -> None:
    """Locked prefixes: the chain start -> locked stops is fixed on its vehicle."""
    if warm is None:
        return
    solver = m.routing.solver()
    for k, v in enumerate(m.pb.vehicles):
        prev = m.routing.Start(k)
        for s in list(warm[v.id])[:m.pb.locked.get(v.id, 0)]:
            nxt = m.index(s.booking_id, s.kind)
            m.routing.SetAllowedVehiclesForIndex([k], nxt)
            solver.Add(m.routing.NextVar(prev) == nxt)
            prev = nxt


def _routes(m: _Model, solution: pywrapcp.Assignment) -> dict[str, tuple[PlannedStop, ...]]:
    out: dict[str, tuple[PlannedStop, ...]] = {}
    for k, v in enumerate(m.pb.vehicles):
        stops = []
        i = solution.Value(m.routing.NextVar(m.routing.Start(k)))
        while not m.routing.IsEnd(i):
            stop = m.nodes.stop[m.manager.IndexToNode(i)]
            if stop is not None:
                stops.append(stop)
            i = solution.Value(m.routing.NextVar(i))
        out[v.id] = tuple(stops)
    return out


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
    m = _model(pb, _nodes(pb))
    _vehicles(m)
    if not _bookings(m, drop_penalty):
        return None
    _locked(m, warm)
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION)
    search.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    search.time_limit.FromMilliseconds(max(100, int(time_limit_s * 1000)))
    search.log_search = log
    if warm is not None and not first_solution:
        routes_idx = [[m.index(s.booking_id, s.kind) for s in warm[v.id]] for v in pb.vehicles]
        m.routing.CloseModelWithParameters(search)
        initial = m.routing.ReadAssignmentFromRoutes(routes_idx, True)
        if initial is None:
            return None
        solution = m.routing.SolveFromAssignmentWithParameters(initial, search)
    else:
        solution = m.routing.SolveWithParameters(search)
    return None if solution is None else _routes(m, solution)
