"""Route elimination: fewer vehicles when using one has a cost (``params.weight_vehicle > 0``).

Used by :func:`dispatcher.optimize.reoptimize` only when vehicles cost something (the live
service and the DARP benchmark have ``weight_vehicle = 0`` and never get here). The phase takes
a used route whose bookings are all movable (preferring short ones), puts its bookings in a bank
and searches, with that vehicle and every unused one forbidden, for plans serving them all on
the remaining routes. A step is either an ejection insertion (the heaviest banked booking goes
in directly or in place of one of the nearest served bookings, the one with the least weight,
which is banked instead: an ejection pool with penalty counters, after Nagata & Bräysy 2009) or
a ruin-and-recreate (:class:`dispatcher.lns.Search`) of bookings near a banked one or chosen as
usual, kept unless it banks more bookings. A booking's weight grows each time it is tried. When
the bank empties the plans use one vehicle fewer: they become the best and the next route goes;
when the bank stops shrinking another route is tried from the best. Every route passes the same
feasibility check as everywhere else, so every solution returned is feasible.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from dispatcher.insertion import Insertion, insertions_into
from dispatcher.lns import Problem, Search, Solution, relatedness


def used_routes(sol: Solution) -> int:
    """Vehicles with at least one stop planned."""
    return sum(1 for st in sol.routes.values() if st)


def _removable(pb: Problem, sol: Solution) -> list[tuple[int, str]]:
    """(stops, vehicle) of the used routes that can be emptied: no locked stop, nobody on board,
    every booking movable; shortest first."""
    out = []
    for vid, stops in sol.routes.items():
        if (stops and not pb.locked.get(vid, 0) and not pb.states[vid].onboard
                and all(s.booking_id in pb.movable for s in stops)):
            out.append((len(stops), vid))
    return sorted(out)


def _drop_route(sub: Search, sol: Solution, tried: set[str]) -> Solution | None:
    """A working solution without one used route (its bookings banked), preferably one not in
    ``tried`` (then added to it); None if none can go."""
    cands = _removable(sub.pb, sol)
    if not cands:
        return None
    if all(vid in tried for _, vid in cands):
        tried.clear()
    cands = [c for c in cands if c[1] not in tried]
    k = int(len(cands) * sub.rng.random() ** 3)
    vid = cands[k][1]
    tried.add(vid)
    routes = {v: st for v, st in sol.routes.items() if st and v != vid}
    if not routes:
        return None
    banked = {s.booking_id for s in sol.routes[vid]}
    return sub.evaluate(routes, set(sol.unserved) | banked)


def _complete(search: Search, work: Solution) -> Solution:
    """The working solution as a solution of the full problem (unused vehicles empty)."""
    routes = {v.id: work.routes.get(v.id, ()) for v in search.pb.vehicles}
    return search.evaluate(routes, work.unserved)


def eliminate(
    search: Search,
    start: Solution,
    deadline: float,
    iteration_limit: int | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[Solution, int]:
    """Remove routes from ``start`` until ``deadline`` (clock s) or the iteration limit.

    Returns the solution with the fewest vehicles found (``start`` if none has fewer; never one
    serving fewer bookings) and the iterations done.
    """
    pb = search.pb
    knobs = pb.params.search
    # vehicles cost nothing inside the phase: a route emptied by a ruin may be refilled
    sub = Search(replace(pb, params=replace(pb.params, weight_vehicle=0.0)), 0)
    sub.rng = search.rng
    sub.max_checks = None
    if iteration_limit is None:
        sub.stop_at, sub.clock = deadline, clock
    best = start
    allowed = set(start.unserved)
    weight: dict[str, float] = {}
    tried: set[str] = set()
    work = _drop_route(sub, start, tried)
    it, fails = 0, 0.0
    cap = knobs.attempt_share * (deadline - clock())
    while work is not None:
        if iteration_limit is not None and it >= iteration_limit:
            break
        now = clock()
        if now >= deadline:
            break
        work, it = _attempt(sub, work, allowed, weight, it, iteration_limit,
                            min(deadline, now + cap), clock)
        if not work.unserved - allowed:
            best = _complete(search, work)
            tried.clear()
            fails = 0.0
        else:  # a near miss (one or two bookings left) counts less than a clear failure
            fails += knobs.max_fails if len(work.unserved - allowed) > 2 else 0.5
            if fails >= knobs.max_fails:
                break
        weight.clear()
        work = _drop_route(sub, best, tried)
    return best, it


def _attempt(sub: Search, work: Solution, allowed: set[str], weight: dict[str, float], it: int,
             iteration_limit: int | None, deadline: float,
             clock: Callable[[], float]) -> tuple[Solution, int]:
    """Search from the working solution until its bank is empty (or the budget ends, or it
    stops shrinking).

    A step is an ejection insertion (always kept) or a ruin-and-recreate, kept unless it banks
    more bookings (a plateau walk: the driving cost plays no part here).
    """
    knobs = sub.pb.params.search
    n_mov = max(1, len(sub.served_movable(work)) + len(work.unserved))
    cur = work
    best = cur
    last_best = it
    while True:
        if iteration_limit is not None and it >= iteration_limit:
            break
        if clock() >= deadline:
            break
        it += 1
        if it - last_best > knobs.give_up_after:
            break
        bank = sorted(cur.unserved - allowed, key=lambda b: (-weight.get(b, 0.0), b))
        cand = cur.copy()
        if not (sub.rng.random() < knobs.eject_share and _eject_insert(sub, cand, bank[0], weight)):
            cand = cur.copy()
            hi = max(2, min(knobs.ruin_cap, int(knobs.ruin_share * n_mov)))
            count = sub.rng.randint(2, hi)
            if sub.rng.random() < knobs.near_share:
                removed = _near_bank(sub, cand, bank, count)
            else:
                removed = sub.ruin(cand, count)
            if any(not cand.checks[v].feasible for v in cand.routes):
                continue
            pending = bank + removed
            cand.unserved -= set(pending)
            rebuild = sub.recreate if sub.rng.random() < knobs.regret_share else sub.greedy
            if not rebuild(cand, pending):
                continue
        left = len(cand.unserved - allowed)
        if not left:
            return cand, it
        if left <= len(bank):
            cur = cand
            if left < len(best.unserved - allowed):
                best, last_best = cand, it
    return best, it


def _near_bank(sub: Search, sol: Solution, banked: list[str], count: int) -> list[str]:
    """Remove ``count`` served movable bookings related to a random banked one (the ones in its
    way), drawn with a bias to the nearest."""
    served = sub.served_movable(sol)
    if not served or not banked:
        return sub.ruin(sol, count)
    pb = sub.pb
    seed = sub.rng.choice(banked)
    ranked = sorted(served, key=lambda b: (relatedness(pb, seed, b), b))
    out: list[str] = []
    while len(out) < count and ranked:
        out.append(ranked.pop(int(len(ranked) * sub.rng.random() ** 3)))
    gone = set(out)
    for vid, stops in sol.routes.items():
        if any(s.booking_id in gone for s in stops):
            sol.routes[vid] = tuple(s for s in stops if s.booking_id not in gone)
            sol.checks[vid] = sub.check(vid, sol.routes[vid])
    return out


def _eject_insert(sub: Search, sol: Solution, bid: str, weight: dict[str, float]) -> bool:
    """Insert banked ``bid`` directly, or in place of one served movable booking (the one with
    the least weight, then the cheapest insertion), which goes to the bank; False if neither.

    The booking tried gains weight, so a booking that keeps coming back gets priority.
    """
    pb = sub.pb
    weight[bid] = weight.get(bid, 0.0) + 1.0
    best: tuple[float, float, str, str, Insertion] | None = None
    for vid in sorted(sol.routes):
        ins = sub.best_into(sol, vid, bid)
        if ins is not None and (best is None or ins.added_cost < best[1]):
            best = (0.0, ins.added_cost, vid, "", ins)
    if best is None:
        route_of = {s.booking_id: vid for vid in sorted(sol.routes) for s in sol.routes[vid]
                    if s.booking_id in pb.movable}
        near = sorted(route_of, key=lambda e: (relatedness(pb, bid, e), e))[:pb.params.search.eject_nearest]
        options = sorted((weight.get(e, 0.0), sub.rng.random(), route_of[e], e) for e in near)
        for w, _, vid, e in options:
            if best is not None and w > best[0]:
                break
            stops = tuple(s for s in sol.routes[vid] if s.booking_id != e)
            ri = sub.route_index(vid, stops)
            if ri is None:
                continue
            got = insertions_into(ri, pb.bookings, pb.bookings[bid], pb.time_s, pb.params,
                                  pb.dist_m, sub.cmat, limit=1, max_checks=sub.max_checks, lazy=True)
            if got and (best is None or got[0].added_cost < best[1]):
                best = (w, got[0].added_cost, vid, e, got[0])
    if best is None:
        return False
    _, _, vid, e, ins = best
    check = ins.check if ins.check is not None else sub.check(vid, ins.stops)
    if not check.feasible:
        return False
    sol.routes[vid] = ins.stops
    sol.checks[vid] = check
    sol.unserved.discard(bid)
    if e:
        sol.unserved.add(e)
    sol.cost = sum(c.cost for c in sol.checks.values()) + pb.penalty(sol.unserved)
    return True
