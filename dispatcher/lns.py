"""Ruin-and-recreate large neighbourhood search over all open plans (pure Python).

A solution is one stop sequence per vehicle; every route is checked with
:func:`dispatcher.feasibility.check_route`, so every solution the search holds is feasible.
Ruin removes some movable bookings (at random, or related ones: near in space and time); recreate
inserts them back by regret-2 cheapest insertion (:mod:`dispatcher.insertion`). Acceptance is
threshold annealing on the objective. Bookings on board or with a stop in a locked prefix are
never removed, so they stay on their vehicle, and locked prefixes never change.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import numpy as np

from dispatcher.candidate_filter import candidates_many
from dispatcher.feasibility import (
    Evaluation,
    RouteCheck,
    evaluate_route,
    loads_after,
    structure_violations,
)
from dispatcher.insertion import Insertion, insertions_into
from dispatcher.model import Booking, PlannedStop, Vehicle, VehicleState
from dispatcher.params import DispatchParams
from dispatcher.route_eval import (
    compile_route,
    least_times,
    leg_times,
    route_cost,
)
from dispatcher.route_index import RouteIndex, cost_matrix, index_route

MISSING_COST = 1e15
"""Search penalty of a confirmed booking left out (only while searching: a plan set missing one
is never returned)."""


@dataclass(slots=True)
class Solution:
    """Routes by vehicle id, their checks, the optional bookings left out, and the objective."""

    routes: dict[str, tuple[PlannedStop, ...]]
    checks: dict[str, RouteCheck]
    unserved: set[str]
    cost: float

    def copy(self) -> Solution:
        """A shallow copy safe to modify route by route."""
        return Solution(dict(self.routes), dict(self.checks), set(self.unserved), self.cost)


@dataclass(frozen=True)
class Problem:
    """Everything fixed during a search (matrices in s and m; ``optional`` booking ids)."""

    vehicles: tuple[Vehicle, ...]
    states: Mapping[str, VehicleState]
    locked: Mapping[str, int]
    bookings: Mapping[str, Booking]
    optional: frozenset[str]
    movable: frozenset[str]
    time_s: np.ndarray
    dist_m: np.ndarray | None
    params: DispatchParams

    def penalty(self, unserved: AbstractSet[str]) -> float:
        """Objective cost of the bookings not served (confirmed ones cost ``MISSING_COST``)."""
        optional = len(unserved & self.optional)
        return self.params.rejection_penalty * optional + MISSING_COST * (len(unserved) - optional)


def _light_check(vehicle: Vehicle, state: VehicleState, stops: tuple[PlannedStop, ...],
                 bookings: Mapping[str, Booking], time_s: np.ndarray, params: DispatchParams,
                 dist_m: np.ndarray | None) -> Evaluation:
    """Feasibility and driving cost of a break-free route without its rider-friendly schedule.

    Same constraints as :func:`dispatcher.feasibility.check_route` (structure, capacity, least
    times); an infeasible route gets the full check (for its named violations).
    """
    if structure_violations(state, stops, bookings):
        return evaluate_route(vehicle, state, stops, bookings, time_s, params, dist_m)
    _, capacity = loads_after(vehicle, state, stops, bookings)
    if capacity:
        return evaluate_route(vehicle, state, stops, bookings, time_s, params, dist_m)
    seq = compile_route(vehicle, state, stops, bookings, params)
    legs = leg_times(seq, time_s)
    least, fail = least_times(seq, legs)
    if fail is not None:
        return evaluate_route(vehicle, state, stops, bookings, time_s, params, dist_m)
    travel, distance, cost = route_cost(seq, legs, bool(stops), params, dist_m)
    res = RouteCheck(vehicle.id, (), least[0], (), least[-1], (), travel, distance, {}, 0, cost)
    return Evaluation(res, seq, legs, least)


class Search:
    """Insertion and ruin-and-recreate machinery over one :class:`Problem`."""

    def __init__(self, problem: Problem, seed: int) -> None:
        self.pb = problem
        self.rng = random.Random(seed)
        self.cmat = cost_matrix(problem.time_s, problem.dist_m, problem.params)
        self.by_id = {v.id: v for v in problem.vehicles}
        self._checked: dict[tuple[str, int], tuple[tuple[PlannedStop, ...], Any]] = {}
        self._index: dict[tuple[str, int], tuple[tuple[PlannedStop, ...], RouteIndex | None]] = {}
        #: While set (by :func:`improve` under a time limit), a rebuild still running at this
        #: clock time gives up (returns False), so that one iteration cannot overrun the limit.
        self.stop_at: float | None = None
        #: Candidate positions tested exactly per booking and route (``None``: all of them).
        self.max_checks: int | None = problem.params.search.checks_limit
        self.clock: Callable[[], float] = time.monotonic

    def _late(self) -> bool:
        return self.stop_at is not None and self.clock() > self.stop_at

    def check(self, vid: str, stops: tuple[PlannedStop, ...], full: bool = False) -> RouteCheck:
        """Check one route of the problem (the full result is kept for indexing it later).

        Unless ``full``, and when the route's cost is driving cost only (no excess-ride weight,
        no breaks), the check stops at feasibility and cost: the same verdict and cost as
        :func:`dispatcher.feasibility.check_route` without the rider-friendly schedule.
        """
        pb = self.pb
        veh = self.by_id[vid]
        if full or veh.breaks or pb.params.weight_excess_ride:
            got = evaluate_route(veh, pb.states[vid], stops, pb.bookings, pb.time_s, pb.params, pb.dist_m)
        else:
            got = _light_check(veh, pb.states[vid], stops, pb.bookings, pb.time_s, pb.params,
                               pb.dist_m)
        full_res = got
        if len(self._checked) > 256:
            self._checked.clear()
        self._checked[(vid, id(stops))] = (stops, full_res)
        return full_res[0]

    def evaluate(self, routes: dict[str, tuple[PlannedStop, ...]], unserved: AbstractSet[str],
                 full: bool = False) -> Solution:
        """A solution from routes (checks every route; ``full``: with schedules)."""
        checks = {vid: self.check(vid, stops, full) for vid, stops in routes.items()}
        cost = sum(c.cost for c in checks.values()) + self.pb.penalty(unserved)
        return Solution(dict(routes), checks, set(unserved), cost)

    def route_index(self, vid: str, stops: tuple[PlannedStop, ...]) -> RouteIndex | None:
        hit = self._index.get((vid, id(stops)))
        if hit is not None and hit[0] is stops:
            return hit[1]
        if len(self._index) > 4096:
            self._index.clear()
        pb = self.pb
        known = self._checked.get((vid, id(stops)))
        ri = index_route(self.by_id[vid], pb.states[vid], stops, pb.locked.get(vid, 0),
                         pb.bookings, pb.time_s, pb.params, pb.dist_m,
                         checked=known[1] if known is not None and known[0] is stops else None)
        self._index[(vid, id(stops))] = (stops, ri)
        return ri

    def best_into(self, sol: Solution, vid: str, bid: str) -> Insertion | None:
        """Cheapest feasible insertion of booking ``bid`` into vehicle ``vid``'s route."""
        ri = self.route_index(vid, sol.routes[vid])
        if ri is None:
            return None
        pb = self.pb
        got = insertions_into(ri, pb.bookings, pb.bookings[bid], pb.time_s, pb.params, pb.dist_m,
                              self.cmat, limit=1, max_checks=self.max_checks, lazy=True)
        return got[0] if got else None

    def best_many(self, sol: Solution, vid: str, bids: list[str]) -> dict[str, Insertion | None]:
        """Cheapest feasible insertion of each of ``bids`` into vehicle ``vid``'s route."""
        out: dict[str, Insertion | None] = dict.fromkeys(bids)
        ri = self.route_index(vid, sol.routes[vid])
        if ri is None or not bids:
            return out
        pb = self.pb
        news = [pb.bookings[b] for b in bids]
        cands = candidates_many(ri, news, pb.params, pb.time_s, self.cmat)
        for b, new, cand in zip(bids, news, cands, strict=True):
            if cand[0].size:
                got = insertions_into(ri, pb.bookings, new, pb.time_s, pb.params, pb.dist_m,
                                      self.cmat, limit=1, max_checks=self.max_checks, candidates=cand,
                                      lazy=True)
                out[b] = got[0] if got else None
        return out

    def _table(self, sol: Solution, pending: list[str]) -> dict[str, dict[str, Insertion | None]]:
        table: dict[str, dict[str, Insertion | None]] = {b: {} for b in pending}
        for vid in sol.routes:
            for b, ins in self.best_many(sol, vid, pending).items():
                table[b][vid] = ins
        return table

    def greedy(self, sol: Solution, pending: list[str]) -> bool:
        """Insert ``pending`` one by one in random order, each at its cheapest place."""
        pb = self.pb
        order = list(pending)
        self.rng.shuffle(order)
        for b in order:
            if self._late():
                return False
            best: tuple[float, str, Insertion] | None = None
            for vid in sorted(sol.routes):
                ins = self.best_into(sol, vid, b)
                if ins is not None and (best is None or ins.added_cost < best[0]):
                    best = (ins.added_cost, vid, ins)
            if best is not None:
                _, vid, ins = best
                check = ins.check if ins.check is not None else self.check(vid, ins.stops)
                if check.feasible:
                    sol.routes[vid] = ins.stops
                    sol.checks[vid] = check
                    sol.unserved.discard(b)
                    continue
            sol.unserved.add(b)
        sol.cost = sum(c.cost for c in sol.checks.values()) + pb.penalty(sol.unserved)
        return True

    def recreate(self, sol: Solution, pending: list[str]) -> bool:
        """Insert ``pending`` bookings by regret-2; those that fit nowhere stay unserved."""
        pb = self.pb
        table = self._table(sol, pending)
        left = list(pending)
        while left:
            if self._late():
                return False
            best_key: tuple[float, float] | None = None
            chosen: tuple[str, str, Insertion] | None = None
            for b in left:
                opts = sorted(
                    ((ins.added_cost, vid, ins) for vid, ins in table[b].items() if ins),
                    key=lambda x: (x[0], x[1]),
                )
                if not opts:
                    continue
                regret = (opts[1][0] - opts[0][0]) if len(opts) > 1 else math.inf
                noise = 1.0 + 0.1 * self.rng.random()
                key = (regret * noise, -opts[0][0])
                if best_key is None or key > best_key:
                    best_key, chosen = key, (b, opts[0][1], opts[0][2])
            if chosen is None:
                for b in left:
                    sol.unserved.add(b)
                sol.cost = sum(c.cost for c in sol.checks.values()) + pb.penalty(sol.unserved)
                return True
            b, vid, ins = chosen
            check = ins.check if ins.check is not None else self.check(vid, ins.stops)
            if not check.feasible:  # the incremental test and the full check disagree
                table[b][vid] = None
                continue
            sol.routes[vid] = ins.stops
            sol.checks[vid] = check
            sol.unserved.discard(b)
            left.remove(b)
            for other, again in self.best_many(sol, vid, left).items():
                table[other][vid] = again
        sol.cost = sum(c.cost for c in sol.checks.values()) + pb.penalty(sol.unserved)
        return True

    def served_movable(self, sol: Solution) -> list[str]:
        """Movable bookings currently in some route (in a stable order)."""
        out = []
        for vid in sorted(sol.routes):
            for s in sol.routes[vid]:
                if s.kind.value == "pickup" and s.booking_id in self.pb.movable:
                    out.append(s.booking_id)
        return out

    def ruin(self, sol: Solution, count: int) -> list[str]:
        """Remove ``count`` movable bookings (random or related); returns them."""
        served = self.served_movable(sol)
        if not served:
            return []
        count = min(count, len(served))
        draw = self.rng.random()
        if self.pb.params.weight_vehicle and draw < 0.15:
            removed = self._route_of_few(sol, served)
        elif draw < 0.45:
            removed = self.rng.sample(served, count)
        elif draw < 1.0 - self.pb.params.search.worst_share:
            removed = self._related(served, count)
        else:
            removed = self._worst(sol, count)
        gone = set(removed)
        for vid, stops in sol.routes.items():
            if any(s.booking_id in gone for s in stops):
                sol.routes[vid] = tuple(s for s in stops if s.booking_id not in gone)
                sol.checks[vid] = self.check(vid, sol.routes[vid])
        return removed

    def _route_of_few(self, sol: Solution, served: list[str]) -> list[str]:
        """All movable bookings of a used route, preferring short routes (to empty a vehicle)."""
        movable = set(served)
        used = sorted((len(st), vid) for vid, st in sol.routes.items()
                      if any(s.booking_id in movable for s in st))
        if not used:
            return []
        k = int(len(used) * self.rng.random() ** 3)
        stops = sol.routes[used[k][1]]
        return sorted({s.booking_id for s in stops if s.booking_id in movable})

    def _worst(self, sol: Solution, count: int) -> list[str]:
        """Bookings whose stops cost the most driving (detour saved by removing them), drawn
        with a bias to the costliest."""
        cm = self.cmat
        movable = self.pb.movable
        saving: dict[str, float] = {}
        for vid in sorted(sol.routes):
            stops = sol.routes[vid]
            if not stops:
                continue
            st = self.pb.states[vid]
            nodes = [st.node, *(s.node for s in stops), self.by_id[vid].depot]
            for k, s in enumerate(stops, start=1):
                if s.booking_id not in movable:
                    continue
                a, x, b = nodes[k - 1], nodes[k], nodes[k + 1]
                gain = float(cm[a, x] + cm[x, b] - cm[a, b])
                saving[s.booking_id] = saving.get(s.booking_id, 0.0) + gain
        ranked = sorted(saving, key=lambda b: (-saving[b], b))
        out: list[str] = []
        while len(out) < count and ranked:
            k = int(len(ranked) * self.rng.random() ** 3)
            out.append(ranked.pop(k))
        return out

    def _related(self, served: list[str], count: int) -> list[str]:
        pb = self.pb
        seed = self.rng.choice(served)

        def rel(b: str) -> float:
            return relatedness(pb, seed, b)

        ranked = sorted(served, key=lambda b: (rel(b), b))
        out: list[str] = []
        while len(out) < count and ranked:
            k = int(len(ranked) * self.rng.random() ** 4)
            out.append(ranked.pop(k))
        return out


def relatedness(pb: Problem, a: str, b: str) -> float:
    """How close two bookings are (s; smaller is closer): their pickups and their drop-offs in
    space (the shorter direction of travel) and their promises in time. The one measure of the
    related removals of the search and of route elimination."""
    t = pb.time_s
    r0, p0 = pb.bookings[a].request, pb.bookings[a].promise
    r, p = pb.bookings[b].request, pb.bookings[b].promise
    return float(min(t[r0.origin, r.origin], t[r.origin, r0.origin])
                 + min(t[r0.destination, r.destination], t[r.destination, r0.destination])
                 + abs(p0.pickup_earliest_s - p.pickup_earliest_s)
                 + abs(p0.dropoff_latest_s - p.dropoff_latest_s))


def improve(
    search: Search,
    start: Solution,
    deadline: float,
    iteration_limit: int | None = None,
    clock: Callable[[], float] = time.monotonic,
    driving_temperature: bool = False,
) -> tuple[Solution, int]:
    """Ruin-and-recreate from ``start`` until ``deadline`` (clock seconds) or the iteration limit.

    The annealing temperature is a share of the start objective, or with
    ``driving_temperature`` of its driving cost only (without vehicle costs).
    Returns the best solution found (never worse than ``start``) and the iterations done.
    """
    best = start.copy()
    cur = start.copy()
    pb = search.pb
    n_mov = max(1, len(search.served_movable(start)) + len(start.unserved))
    t0 = clock()
    span = max(1e-9, deadline - t0)
    base_cost = start.cost - pb.penalty(start.unserved)
    if driving_temperature:
        base_cost -= pb.params.weight_vehicle * sum(1 for st in start.routes.values() if st)
    base_cost = max(1.0, base_cost)
    if iteration_limit is None:
        search.stop_at, search.clock = deadline, clock
    try:
        return _anneal(search, best, cur, n_mov, t0, span, base_cost, deadline, iteration_limit,
                       clock)
    finally:
        search.stop_at = None


def _anneal(search: Search, best: Solution, cur: Solution, n_mov: int, t0: float, span: float,
            base_cost: float, deadline: float, iteration_limit: int | None,
            clock: Callable[[], float]) -> tuple[Solution, int]:
    """The annealing loop of :func:`improve`."""
    knobs = search.pb.params.search
    it = 0
    last_best = 0
    while True:
        if iteration_limit is not None and it >= iteration_limit:
            break
        now = clock()
        if now >= deadline:
            break
        frac = it / iteration_limit if iteration_limit else (now - t0) / span
        temp = knobs.start_temperature * base_cost * (0.01 ** frac)
        it += 1
        if knobs.restart_after and it - last_best > knobs.restart_after:
            cur, last_best = best.copy(), it
        cand = cur.copy()
        hi = max(2, min(knobs.ruin_cap, int(knobs.ruin_share * n_mov)))
        count = search.rng.randint(min(2, hi), hi)
        removed = search.ruin(cand, count)
        if any(not cand.checks[v].feasible for v in cand.routes):
            continue
        pending = removed + sorted(cand.unserved)
        cand.unserved -= set(pending)
        rebuild = search.recreate if search.rng.random() < knobs.regret_share else search.greedy
        if not rebuild(cand, pending):
            continue
        worse = cand.cost - cur.cost
        if worse < 0 or search.rng.random() < math.exp(-worse / temp):
            cur = cand
            if cand.cost < best.cost - 1e-9:
                best = cand.copy()
                last_best = it
    return search.evaluate(best.routes, best.unserved, full=True), it
