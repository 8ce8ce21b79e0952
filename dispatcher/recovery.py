"""Recovery when reality is slower than the plan: keep what can be kept, lose as little as possible.

A vehicle that runs late (or a shift that ends while the vehicle is still out) makes its route
infeasible under the promises. Nothing else in the fleet is wrong, so planning must go on
(pure functions, no I/O):

- :func:`relax_route` makes a route feasible without moving anything, by loosening its own
  bookings' promises (and its shift end, and a break that no longer fits) exactly as far as the
  best schedule that exists (:func:`dispatcher.timetable.soft_times`) breaks them. Offers and
  insertions use such a *planning view* of a late vehicle, so that one late vehicle never
  blocks the others and a late route never gets later.
- :func:`repair` is the re-optimiser's first step: the bookings a late vehicle cannot keep and
  could hand over (not on board, not in its locked prefix) are taken off it and re-inserted
  with their promises kept wherever that is possible (other vehicles take over); only a booking
  that no vehicle can serve on time is inserted where it will be least late, its promise
  loosened by exactly that lateness (a soft constraint with a lexicographically heavy penalty:
  lateness only where no plan keeps the promise).

The loosened promises exist only inside planning; the bookings keep their promises, and the
timetable names every promise the plan does not keep (``late`` / ``at_risk``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from dispatcher import insertion
from dispatcher.feasibility import (
    Late,
    PromisePart,
    ViolationKind,
    check_route,
    loads_after,
)
from dispatcher.model import Booking, Fleet, PlannedStop, StopKind, Vehicle, VehicleState
from dispatcher.params import DispatchParams
from dispatcher.route_eval import (
    compile_route,
    least_times,
    leg_times,
)
from dispatcher.timetable import lateness, soft_times

#: A bound that never binds (s): the loosened promise of a booking being placed where it is
#: least late.
_OPEN = 10 ** 12

STRUCTURAL = frozenset({ViolationKind.SEATS, ViolationKind.WHEELCHAIR_SPACES,
                        ViolationKind.PRECEDENCE, ViolationKind.ONBOARD_MISSING,
                        ViolationKind.UNKNOWN_BOOKING, ViolationKind.DUPLICATE_STOP,
                        ViolationKind.NODE_MISMATCH})


@dataclass(frozen=True, slots=True)
class Relaxed:
    """A route made feasible by loosening: the planning vehicle, the loosened bookings (only
    those that changed) and the lateness they carry (planning times)."""

    vehicle: Vehicle
    bookings: dict[str, Booking]
    late: tuple[Late, ...]
    overrun_s: int = 0


def loosen(booking: Booking, pickup_s: int | None = None, dropoff_s: int | None = None,
           ride_s: int | None = None) -> Booking:
    """The booking with its promise widened to admit a pickup start, drop-off start and ride
    (s) that it would not otherwise admit (never narrowed)."""
    pr = booking.promise
    new = replace(
        pr,
        pickup_latest_s=max(pr.pickup_latest_s, pickup_s if pickup_s is not None else 0),
        dropoff_latest_s=max(pr.dropoff_latest_s, dropoff_s if dropoff_s is not None else 0),
        max_ride_s=max(pr.max_ride_s, ride_s if ride_s is not None else 0),
    )
    return booking if new == pr else Booking(booking.request, new)


def relax_route(vehicle: Vehicle, state: VehicleState, stops: Sequence[PlannedStop],
                bookings: Mapping[str, Booking], time_s: np.ndarray,
                params: DispatchParams) -> Relaxed | None:
    """Loosen a route's own promises, shift end and breaks until it is feasible; ``None`` when
    it is feasible already or cannot be fixed by loosening (structure, capacity)."""
    check = check_route(vehicle, state, stops, bookings, time_s, params)
    if check.feasible or any(v.kind in STRUCTURAL for v in check.violations):
        return None
    seq = compile_route(vehicle, state, stops, bookings, params)
    legs = leg_times(seq, time_s)
    times = soft_times(seq, legs)
    late, overrun = lateness(seq, times, stops, bookings, state, vehicle)
    changed: dict[str, Booking] = {}
    departed = state.departed()
    pick_end: dict[str, int] = {}
    for k in range(1, len(seq.nodes) - 1):
        i = seq.stop_of[k]
        if i < 0:
            continue
        stop = stops[i]
        bid = stop.booking_id
        booking = changed.get(bid, bookings[bid])
        if stop.kind is StopKind.PICKUP:
            pick_end[bid] = times[k] + seq.service[k]
            changed[bid] = loosen(booking, pickup_s=times[k])
        else:
            left = pick_end.get(bid, departed.get(bid, times[k]))
            changed[bid] = loosen(booking, dropoff_s=times[k], ride_s=times[k] - left)
    changed = {b: bk for b, bk in changed.items() if bk is not bookings[b]}
    planning = vehicle
    if overrun or state.time_s > vehicle.shift_end_s:
        planning = replace(vehicle, shift_end_s=max(vehicle.shift_end_s, *times, state.time_s))
    merged = {**bookings, **changed}
    if not check_route(planning, state, stops, merged, time_s, params).feasible and planning.breaks:
        planning = replace(planning, breaks=())  # the break no longer fits: it is missed
    return Relaxed(planning, changed, tuple(late), overrun)


def relax_fleet(fleet: Fleet, time_s: np.ndarray, params: DispatchParams
                ) -> tuple[Fleet, dict[str, Relaxed]]:
    """The fleet's planning view: every late route loosened (:func:`relax_route`), nothing moved.

    Returns the fleet with loosened vehicles and bookings, and the loosening per vehicle id.
    """
    relaxed: dict[str, Relaxed] = {}
    for v in fleet.vehicles:
        plan = fleet.plan_of(v)
        got = relax_route(v, fleet.state_of(v), plan.stops, fleet.bookings, time_s, params)
        if got is not None:
            relaxed[v.id] = got
    return apply_relaxed(fleet, relaxed), relaxed


def apply_relaxed(fleet: Fleet, relaxed: Mapping[str, Relaxed]) -> Fleet:
    """``fleet`` with the given loosenings (planning vehicles and loosened bookings) applied."""
    if not relaxed:
        return fleet
    bookings = dict(fleet.bookings)
    for r in relaxed.values():
        bookings.update(r.bookings)
    vehicles = tuple(relaxed[v.id].vehicle if v.id in relaxed else v for v in fleet.vehicles)
    return replace(fleet, vehicles=vehicles, bookings=bookings)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a booking that cannot be kept on time is least late: the planning vehicle (its
    shift extended if the placement runs past it), its new stops and the booking with its
    promise loosened by that lateness."""

    vehicle: Vehicle
    stops: tuple[PlannedStop, ...]
    booking: Booking
    late_s: int


def least_late(vehicle: Vehicle, state: VehicleState, stops: Sequence[PlannedStop], locked: int,
               bookings: Mapping[str, Booking], new: Booking, time_s: np.ndarray,
               params: DispatchParams) -> Placement | None:
    """The insertion of ``new`` into a feasible route that makes it least late (planning times),
    keeping every other promise of the route; ``None`` if no position keeps the others.

    The shift may run over for it (a booking nobody can serve on time is still served); the
    lateness, then the route's end, decide between positions.
    """
    req = new.request
    open_booking = Booking(req, replace(new.promise, pickup_latest_s=_OPEN,
                                        dropoff_latest_s=_OPEN, max_ride_s=_OPEN))
    books = {**bookings, new.id: open_booking}
    planning = replace(vehicle, breaks=(), shift_end_s=_OPEN)
    best: tuple[tuple[int, int, int], tuple[PlannedStop, ...], Booking] | None = None
    n = len(stops)
    for i in range(locked, n + 1):
        for j in range(i, n + 1):
            cand = (*stops[:i], PlannedStop(req.id, StopKind.PICKUP, req.origin), *stops[i:j],
                    PlannedStop(req.id, StopKind.DROPOFF, req.destination), *stops[j:])
            if loads_after(planning, state, cand, books)[1]:
                continue  # over capacity somewhere
            seq = compile_route(planning, state, cand, books, params)
            times, fail = least_times(seq, leg_times(seq, time_s))
            if fail is not None:
                continue
            p, q = i + 1, j + 2
            late, _ = lateness(seq, times, cand, {**bookings, new.id: new}, state, planning)
            mine = sum(x.by_s for x in late if x.booking_id == new.id)
            key = (mine, max(0, times[-1] - vehicle.shift_end_s), times[-1])
            if best is None or key < best[0]:
                ride = times[q] - (times[p] + seq.service[p])
                best = (key, cand, loosen(new, pickup_s=times[p], dropoff_s=times[q],
                                          ride_s=ride))
    if best is None:
        return None
    (late_s, _, end), stops, booking = best
    loosened = {**bookings, new.id: booking}
    out = vehicle if end <= vehicle.shift_end_s else replace(vehicle, shift_end_s=end)
    if not check_route(out, state, stops, loosened, time_s, params).feasible:
        out = replace(out, breaks=())  # the break no longer fits: it is missed
        if not check_route(out, state, stops, loosened, time_s, params).feasible:
            return None
    return Placement(out, stops, booking, late_s)


@dataclass
class Repair:
    """The re-optimiser's repair of a fleet with late routes (see the module docstring).

    ``routes`` by vehicle id; ``fleet`` the planning fleet (loosened vehicles and bookings) the
    routes are feasible in; ``moved`` the bookings that changed vehicle (handed over on time,
    or to where they are least late); ``late`` the movable bookings no vehicle keeps on time,
    with their lateness where they are (planning times, s).
    """

    routes: dict[str, tuple[PlannedStop, ...]]
    fleet: Fleet
    moved: list[str] = field(default_factory=list)
    late: dict[str, int] = field(default_factory=dict)


def repair(fleet: Fleet, time_s: np.ndarray, params: DispatchParams,
           dist_m: np.ndarray | None = None) -> Repair:
    """Make every route feasible, keeping every promise that any vehicle can keep and never
    making a kept promise late.

    1. A late route stays as it is, loosened exactly where it is late (:func:`relax_route`):
       a booking it keeps on time stays on it untouched.
    2. Each booking it does not keep (earliest pickup first), unless fixed to the vehicle (on
       board, or in its locked prefix), is handed to another vehicle that keeps its promise as
       it is, at the cheapest such place.
    3. A booking nobody can keep on time stays where it is least late: on its vehicle, or on
       another one where it is at least a minute less late without breaking anyone else's
       promise (:func:`least_late`); its promise is loosened by that lateness (planning only).

    Confirmed bookings that are in no plan at all (e.g. after a restart) are placed on time
    where possible, else where they are least late.
    """
    job = _Repairer(fleet, time_s, params, dist_m)
    late_routes, orphans = job.take_structural()
    before: dict[str, int] = {}
    for r in job.relaxed.values():
        for bid, by in late_by(r.late).items():
            before[bid] = max(before.get(bid, 0), by)
    _hand_over(job, late_routes)
    for bid in sorted(orphans, key=lambda b: (fleet.bookings[b].promise.pickup_earliest_s, b)):
        dest = job.on_time(list(fleet.vehicles), bid)
        if dest is not None:
            job.move(bid, None, dest)
            continue
        place = job.least_late(list(fleet.vehicles), bid)
        if place is not None:  # else no vehicle has room (capacity): the caller reports it
            job.place(bid, None, place)
    kept = job.result()
    if not kept.late:
        return kept
    # Bolder: every movable booking of the late routes placed again (a plan set the first
    # pass cannot reach by moving late bookings one by one) -- taken only when it leaves fewer
    # bookings late and makes none late that was not, nor any later.
    bold = _rebuild(fleet, time_s, params, dist_m)
    if (all(b in before and late <= before[b] for b, late in bold.late.items())
            and _late_key(bold) < _late_key(kept)):
        return bold
    return kept


def _hand_over(job: _Repairer, late_routes: Sequence[Vehicle]) -> None:
    """Steps 2 and 3 of :func:`repair` for the late routes."""
    vehicles = job.fleet.vehicles
    for v in late_routes:
        for bid in job.unkept(v):
            dest = job.on_time([u for u in vehicles if u.id != v.id], bid)
            if dest is not None:
                job.move(bid, v.id, dest)
    for v in late_routes:
        here = late_by(job.relaxed[v.id].late) if v.id in job.relaxed else {}
        for bid in sorted(set(here) - job.fixed(v)):
            place = job.least_late([u for u in vehicles if u.id != v.id], bid)
            if place is not None and place.late_s + 60 <= here[bid]:
                job.place(bid, v.id, place)
            elif v.id in job.relaxed:
                job.out.late[bid] = late_by(job.relaxed[v.id].late).get(bid, here[bid])


def _late_key(rep: Repair) -> tuple[int, int]:
    return len(rep.late), sum(rep.late.values())


def _rebuild(fleet: Fleet, time_s: np.ndarray, params: DispatchParams,
             dist_m: np.ndarray | None) -> Repair:
    """Every movable booking of a late route taken off and placed again, earliest pickup first:
    on time at the cheapest place of any vehicle, else where it is least late."""
    job = _Repairer(fleet, time_s, params, dist_m)
    late_routes, pending = job.take_structural()
    was_on = {s.booking_id: vid for vid, stops in job.routes.items() for s in stops}
    for v in late_routes:
        fixed = job.fixed(v)
        pending += sorted({s.booking_id for s in job.routes[v.id]} - fixed)
        job.routes[v.id] = tuple(s for s in job.routes[v.id] if s.booking_id in fixed)
    job.refresh()
    unkept: list[str] = []
    for bid in sorted(set(pending), key=lambda b: (fleet.bookings[b].promise.pickup_earliest_s, b)):
        dest = job.on_time(list(fleet.vehicles), bid)
        if dest is None:
            unkept.append(bid)
            continue
        job.move(bid, None, dest)
        if was_on.get(bid) not in (None, dest[0]):
            job.out.moved.append(bid)
    for bid in unkept:
        place = job.least_late(list(fleet.vehicles), bid)
        if place is None:
            continue
        job.place(bid, None, place)
        if was_on.get(bid) not in (None, place.vehicle.id):
            job.out.moved.append(bid)
    return job.result()


class _Repairer:
    """The working state of :func:`repair`: routes, placements made late (their loosened
    bookings and extended vehicles) and the relaxed planning view of the fleet."""

    def __init__(self, fleet: Fleet, time_s: np.ndarray, params: DispatchParams,
                 dist_m: np.ndarray | None) -> None:
        self.fleet, self.time_s, self.params, self.dist_m = fleet, time_s, params, dist_m
        self.routes = {v.id: tuple(fleet.plan_of(v).stops) for v in fleet.vehicles}
        self.locked = {v.id: fleet.plan_of(v).locked for v in fleet.vehicles}
        self.placed: dict[str, Booking] = {}  # bookings placed least late, loosened
        self.vehicles = {v.id: v for v in fleet.vehicles}  # shifts extended by placements
        self.out = Repair(self.routes, fleet)
        self.relaxed: dict[str, Relaxed] = {}
        self.work = fleet
        self.refresh()

    def refresh(self) -> None:
        """Recompute the planning view: every route loosened where it is late."""
        base = replace(self.fleet, vehicles=tuple(self.vehicles[v.id] for v in self.fleet.vehicles),
                       bookings={**self.fleet.bookings, **self.placed})
        self.relaxed = {}
        for v in base.vehicles:
            got = relax_route(v, base.state_of(v), self.routes[v.id], base.bookings,
                              self.time_s, self.params)
            if got is not None:
                self.relaxed[v.id] = got
        self.work = apply_relaxed(base, self.relaxed)

    def fixed(self, v: Vehicle) -> set[str]:
        return _fixed(self.fleet.state_of(v), self.routes[v.id], self.locked[v.id])

    def take_structural(self) -> tuple[list[Vehicle], list[str]]:
        """The late routes; a route broken in structure (not in time) keeps only its fixed
        bookings. Returns the late vehicles and the bookings to place (in no plan)."""
        late: list[Vehicle] = []
        pending: list[str] = []
        for v in self.fleet.vehicles:
            check = check_route(v, self.fleet.state_of(v), self.routes[v.id],
                                self.fleet.bookings, self.time_s, self.params)
            if check.feasible:
                continue
            if any(x.kind in STRUCTURAL for x in check.violations):
                fixed = self.fixed(v)
                pending += sorted({s.booking_id for s in self.routes[v.id]} - fixed)
                self.routes[v.id] = tuple(s for s in self.routes[v.id] if s.booking_id in fixed)
            late.append(v)
        planned = {s.booking_id for st in self.routes.values() for s in st} | set(pending)
        planned |= {b for v in self.fleet.vehicles for b in self.fleet.state_of(v).onboard}
        self.refresh()
        return late, sorted(set(self.fleet.bookings) - planned) + pending

    def unkept(self, v: Vehicle) -> list[str]:
        """The movable bookings of ``v``'s route that it does not keep, earliest first."""
        if v.id not in self.relaxed:
            return []
        books = self.fleet.bookings
        return sorted({x.booking_id for x in self.relaxed[v.id].late} - self.fixed(v),
                      key=lambda b: (books[b].promise.pickup_earliest_s, b))

    def on_time(self, vehicles: Sequence[Vehicle], bid: str
                ) -> tuple[str, tuple[PlannedStop, ...]] | None:
        booking = self.fleet.bookings[bid]
        return _on_time(self.work, self.routes, self.locked, vehicles, booking, self.time_s,
                        self.params, self.dist_m)

    def least_late(self, vehicles: Sequence[Vehicle], bid: str) -> Placement | None:
        others = {k: b for k, b in self.work.bookings.items() if k != bid}
        return _least_late_on(self.work, self.routes, self.locked, vehicles, others,
                              self.fleet.bookings[bid], self.time_s, self.params)

    def move(self, bid: str, from_vid: str | None,
             dest: tuple[str, tuple[PlannedStop, ...]]) -> None:
        """Hand ``bid`` over on time to the route ``dest``."""
        if from_vid is not None:
            self.routes[from_vid] = tuple(s for s in self.routes[from_vid]
                                          if s.booking_id != bid)
            self.out.moved.append(bid)
        self.routes[dest[0]] = dest[1]
        self.refresh()

    def place(self, bid: str, from_vid: str | None, place: Placement) -> None:
        """Put ``bid`` where it is least late (``place``)."""
        if from_vid is not None:
            self.routes[from_vid] = tuple(s for s in self.routes[from_vid]
                                          if s.booking_id != bid)
            self.out.moved.append(bid)
        self.routes[place.vehicle.id] = place.stops
        self.vehicles[place.vehicle.id] = place.vehicle
        self.placed[bid] = place.booking
        self.out.late[bid] = place.late_s
        self.refresh()

    def result(self) -> Repair:
        self.out.routes = self.routes
        self.out.fleet = self.work
        return self.out


def _fixed(state: VehicleState, stops: Sequence[PlannedStop], locked: int) -> set[str]:
    """Bookings that stay on the vehicle: riders on board and the locked prefix."""
    return set(state.onboard) | {s.booking_id for s in stops[:locked]}


def late_by(late: Sequence[Late]) -> dict[str, int]:
    """Total lateness (s) per booking over its promise parts."""
    out: dict[str, int] = {}
    for x in late:
        out[x.booking_id] = out.get(x.booking_id, 0) + x.by_s
    return out


def _on_time(work: Fleet, routes: Mapping[str, tuple[PlannedStop, ...]],
             locked: Mapping[str, int], vehicles: Sequence[Vehicle], booking: Booking,
             time_s: np.ndarray, params: DispatchParams,
             dist_m: np.ndarray | None) -> tuple[str, tuple[PlannedStop, ...]] | None:
    """The cheapest place among ``vehicles`` that keeps ``booking``'s promise as it is."""
    books = {**work.bookings, booking.id: booking}
    best: tuple[float, str, tuple[PlannedStop, ...]] | None = None
    for v in vehicles:
        pv = next(u for u in work.vehicles if u.id == v.id)
        found = insertion.best_insertions(pv, work.state_of(pv), routes[v.id], locked[v.id],
                                          books, booking, time_s, params, dist_m)
        if found and (best is None or found[0].added_cost < best[0]):
            best = (found[0].added_cost, v.id, found[0].stops)
    return None if best is None else (best[1], best[2])


def _least_late_on(work: Fleet, routes: Mapping[str, tuple[PlannedStop, ...]],
                   locked: Mapping[str, int], vehicles: Sequence[Vehicle],
                   others: Mapping[str, Booking], booking: Booking, time_s: np.ndarray,
                   params: DispatchParams) -> Placement | None:
    """Where among ``vehicles`` ``booking`` is least late, keeping everyone else's promise."""
    best: Placement | None = None
    for v in vehicles:
        pv = next(u for u in work.vehicles if u.id == v.id)
        cand = least_late(pv, work.state_of(pv), routes[v.id], locked[v.id], others, booking,
                          time_s, params)
        if cand is not None and (best is None or cand.late_s < best.late_s):
            best = cand
    return best


def late_parts(late: Sequence[Late]) -> dict[str, dict[PromisePart, int]]:
    """Lateness by booking and promise part (s)."""
    out: dict[str, dict[PromisePart, int]] = {}
    for x in late:
        out.setdefault(x.booking_id, {})[x.part] = max(x.by_s,
                                                       out.get(x.booking_id, {}).get(x.part, 0))
    return out
