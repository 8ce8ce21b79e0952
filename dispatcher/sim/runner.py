"""A simulated service day in process, through the production engine, in jumping simulated time.

:func:`run_day` builds the service variant (:class:`Scenario`: fleet size, shift pattern, hours,
window width, ride-time limit), opens a fresh SQLite file, starts
:class:`dispatcher.engine.Engine` on the real road network with a :class:`SimClock`, and plays
the demand of :mod:`dispatcher.sim.demand`: riders ask for offers and accept them
(``make_offers`` + ``accept``, as the API does), cancel, or fail to turn up; simulated drivers
(:mod:`dispatcher.sim.vehicles`) drive the plans and report; the engine re-optimises
periodically. The clock jumps from one event to the next.
"""

from __future__ import annotations

import heapq
import itertools
import time as wall
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from dispatcher.engine import Engine, vd_key
from dispatcher.errors import NoriaiError
from dispatcher.kpis import Kpis
from dispatcher.model import StopKind
from dispatcher.places import RoadNetwork
from dispatcher.service_area import OperatingPeriod, ServiceArea, ShiftSpec, VehicleSpec, clock_s
from dispatcher.sim.clock import SimClock
from dispatcher.sim.demand import DemandParams, TripSpec, generate_day
from dispatcher.sim.records import (
    DayRecords,
    LogCheck,
    PromiseFigures,
    check_log,
    classify_broken,
    kpis_of,
    load_records,
    promise_figures,
)
from dispatcher.sim.vehicles import SimVehicle, StopView, VehicleView
from dispatcher.store.db import make_engine, migrate
from dispatcher.trip import Party, Place, TripInput

SHIFT_PATTERNS = ("as_configured", "all_day", "staggered")


@dataclass(frozen=True, slots=True)
class Scenario:
    """A variant of the service to simulate (None: as configured).

    Parameters
    ----------
    name
        Label in tables and plots.
    fleet_size
        Number of vehicles (extra ones copy the configured vehicles in turn).
    shifts
        ``as_configured``, ``all_day`` (every vehicle over the whole service hours) or
        ``staggered`` (alternately an early and a late shift covering the hours).
    hours
        Service hours ``"HH:MM-HH:MM"``.
    window_min
        Width of the promised pickup window (minutes).
    ride_factor, ride_offset_min
        Maximum ride = factor × direct + offset.
    demand_scale
        Multiplies the expected number of trips.
    slow_traffic
        Upper end of actual/planned driving time (e.g. 1.15: up to 15 % slower than planned).
    slower, leg_noise, dwell_noise
        The stochastic noise model (:class:`dispatcher.sim.noise.Reality`): a day slower than
        routing by this factor on average, lognormal spread per leg and per dwell (mean 1).
        Setting ``slower`` makes driving average exactly that factor (no uniform range), setting
        ``dwell_noise`` makes dwell average the planned dwell.
    """

    name: str = "base"
    fleet_size: int | None = None
    shifts: str = "as_configured"
    hours: str | None = None
    window_min: int | None = None
    ride_factor: float | None = None
    ride_offset_min: int | None = None
    demand_scale: float = 1.0
    slow_traffic: float | None = None
    slower: float | None = None
    leg_noise: float | None = None
    dwell_noise: float | None = None


def _hm(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def service_variant(base: ServiceArea, sc: Scenario) -> ServiceArea:
    """The service with the scenario's fleet, shifts, hours and dispatch parameters (pure)."""
    periods = base.periods
    if sc.hours:
        lo, _, hi = sc.hours.partition("-")
        periods = (OperatingPeriod("day", clock_s(lo), clock_s(hi)),)
    open_s, close_s = min(p.start_s for p in periods), max(p.end_s for p in periods)
    fleet = list(base.fleet)
    if sc.fleet_size is not None:
        fleet = [fleet[i % len(fleet)] if i < len(fleet) else
                 replace(fleet[i % len(fleet)], id=f"{base.id}-{i + 1}",
                         name=f"{fleet[i % len(fleet)].name}({i + 1})")
                 for i in range(sc.fleet_size)]
    if sc.shifts not in SHIFT_PATTERNS:
        raise ValueError(f"unknown shift pattern {sc.shifts!r}; one of {SHIFT_PATTERNS}")
    if sc.shifts != "as_configured":
        out: list[VehicleSpec] = []
        mid = (open_s + close_s) // 2
        for i, v in enumerate(fleet):
            if sc.shifts == "all_day":
                sh = ShiftSpec(open_s - 900, close_s + 1800, mid - 3600, mid + 3600, 2700)
            elif i % 2 == 0:
                sh = ShiftSpec(open_s - 900, mid + 1800)
            else:
                sh = ShiftSpec(mid - 1800, close_s + 1800)
            out.append(replace(v, shifts=(sh,)))
        fleet = out
    dispatch = dict(base.dispatch)
    if sc.window_min is not None:
        dispatch["pickup_window_s"] = sc.window_min * 60
    if sc.ride_factor is not None:
        dispatch["ride_factor"] = sc.ride_factor
    if sc.ride_offset_min is not None:
        dispatch["ride_offset_s"] = sc.ride_offset_min * 60
    return replace(base, periods=periods, fleet=tuple(fleet), dispatch=dispatch)


class EngineGateway:
    """The simulated drivers' window on the engine in process (what the driver API calls)."""

    def __init__(self, engine: Engine, day: date) -> None:
        self.engine = engine
        self.day = day
        self.network = engine.network
        self.infeasible_views = 0
        #: Views of a vehicle with pending stops but no times (a driver left without a schedule).
        self.untimed_views = 0

    def _key(self, vehicle_id: str) -> str:
        return vd_key(vehicle_id, self.day)

    def view(self, vehicle_id: str) -> VehicleView | None:
        """The vehicle's plan and the engine's schedule of it."""
        e = self.engine
        key = self._key(vehicle_id)
        with e.lock:
            if key not in e.live.plans:
                return None
            plan = e.live.plans[key]
            check = e.schedule(key)
            state = e.live.states[key]
            if not check.feasible:
                self.infeasible_views += 1
            if plan.stops and not check.stops:
                self.untimed_views += 1
            stops = []
            for i, st in enumerate(plan.stops):
                b = e.live.bookings[st.booking_id]
                timing = check.stops[i] if check.stops else None
                stops.append(StopView(
                    st.booking_id, st.kind.value, e.places.node_of(st.node),
                    timing.arrival_s if timing else 0, timing.start_s if timing else 0,
                    b.promise.pickup_earliest_s if st.kind == StopKind.PICKUP else None,
                    e.params.dwell_s(b.request.passengers),
                    check.leave_by_s[i] if check.leave_by_s else None))
            return VehicleView(tuple(stops), tuple(check.break_starts_s), tuple(state.onboard))

    def report(self, vehicle_id: str, kind: str, booking_id: str | None,
               lat: float | None, lon: float | None) -> None:
        """A driver event through the engine."""
        self.engine.driver_event(vehicle_id, kind, booking_id, f"driver-{vehicle_id}", lat, lon)

    def no_show(self, vehicle_id: str, booking_id: str) -> None:
        """A driver's no-show through the engine."""
        self.engine.no_show(booking_id, f"driver-{vehicle_id}", vehicle_id=vehicle_id)

    def position(self, vehicle_id: str, lat: float, lon: float) -> None:
        """A position report through the engine."""
        self.engine.position(vehicle_id, lat, lon, f"driver-{vehicle_id}")

    def take_break(self, vehicle_id: str, start_s: int) -> int:
        """Start the due break."""
        return int(self.engine.break_taken(vehicle_id, start_s, f"driver-{vehicle_id}")["end_s"])

    def travel_s(self, a: int, b: int) -> int:
        """Planned travel time between road nodes (the engine's matrices)."""
        places = self.engine.places
        return int(places.time_s[places.index_of(a), places.index_of(b)])

    def polyline(self, a: int, b: int) -> list[tuple[float, float]]:
        """Road path between two nodes."""
        return self.network.polyline(a, b)  # type: ignore[attr-defined, no-any-return]

    def coords(self, node: int) -> tuple[float, float]:
        """(lat, lon) of a road node."""
        return self.network.node_coords(node)


@dataclass
class RiderLog:
    """What the simulated riders did: asked, refused, booked, cancelled (counts and ids)."""

    asked: int = 0
    refused: int = 0
    took_alternative: int = 0
    declined_alternative: int = 0
    booked: dict[str, TripSpec] = field(default_factory=dict)
    cancelled: int = 0
    offer_ms: list[float] = field(default_factory=list)


class Riders:
    """Simulated riders booking through the engine as the API does (offers, then accept)."""

    def __init__(self, engine: Engine, rng: np.random.Generator) -> None:
        self.engine = engine
        self.rng = rng
        self.log = RiderLog()
        self.booking_of: dict[str, str] = {}

    def book(self, spec: TripSpec) -> str | None:
        """Ask for offers and accept the asked one (or, if willing, the nearest alternative)."""
        e = self.engine
        rider = f"sim-rider-{spec.rider:04d}"
        trip = TripInput(Place(spec.origin), Place(spec.destination),
                         Party(spec.adults, spec.children, 0, spec.wheelchairs),
                         spec.rule, spec.time_s)
        self.log.asked += 1
        t0 = wall.perf_counter()
        try:
            found = e.make_offers(rider, trip)
        except NoriaiError:
            self.log.refused += 1
            return None
        finally:
            self.log.offer_ms.append((wall.perf_counter() - t0) * 1000)
        offers = found["offers"]
        if not offers:
            if not spec.accepts_alternative or not found["alternatives"]:
                self.log.declined_alternative += 1
                return None
            offers = sorted(found["alternatives"],
                            key=lambda o: abs(int(o.pickup_earliest_at.timestamp()) - spec.time_s))
            self.log.took_alternative += 1
        offer = offers[0]
        booked_by = "operator" if spec.channel == "phone" else rider
        try:
            row, _ = e.accept(rider, offer.id, f"sim-{spec.id}", booked_by=booked_by,
                              channel=spec.channel, rider_name=rider)
        except NoriaiError:
            self.log.refused += 1
            return None
        self.log.booked[row.id] = spec
        self.booking_of[spec.id] = row.id
        return str(row.id)

    def cancel(self, spec: TripSpec) -> None:
        """Cancel the trip's booking if it still waits for pickup."""
        bid = self.booking_of.get(spec.id)
        if bid is None or bid not in self.engine.live.bookings:
            return
        actor = SimpleNamespace(user_id=f"sim-rider-{spec.rider:04d}")
        try:
            self.engine.cancel(bid, actor, by_operator=spec.channel == "phone")
            self.log.cancelled += 1
        except NoriaiError:
            pass

    def no_show(self, booking_id: str) -> bool:
        """Whether the rider of a booking stays away."""
        spec = self.log.booked.get(booking_id)
        return bool(spec and spec.no_show)


@dataclass
class SimResult:
    """Outcome of a simulated day: KPIs, invariants, riders' log, timings (wall s, sim s)."""

    scenario: Scenario
    seed: int
    day: date
    kpis: Kpis
    check: LogCheck
    riders: RiderLog
    records: DayRecords
    wall_s: float
    sim_s: int
    reopt_cycles: int
    reopt_ms: list[float]
    driver_errors: list[str]
    infeasible_views: int
    db_path: Path
    #: Broken promises the engine's own plan caused (must be none) and those caused by reality
    #: (slower driving or dwell than planned) or by waiting out a no-show's grace.
    broken_planned: list[str] = field(default_factory=list)
    broken_reality: list[str] = field(default_factory=list)
    broken_grace: list[str] = field(default_factory=list)
    #: Promise-keeping shares and worst lateness; re-optimisation cycles that failed for the
    #: whole fleet; views of a vehicle with stops but without times.
    promises: PromiseFigures | None = None
    reopt_failed: int = 0
    untimed_views: int = 0

    def row(self) -> dict[str, Any]:
        """One flat row of headline figures (for tables)."""
        k = self.kpis
        served = k.completed / max(1, self.riders.asked)
        return {"scenario": self.scenario.name, "seed": self.seed, "requests": self.riders.asked,
                "booked": k.accepted, "refused": self.riders.refused +
                self.riders.declined_alternative, "completed": k.completed,
                "served_share": round(served, 3), "cancelled": k.cancellations,
                "no_shows": k.no_shows, "shared_rate": round(k.shared_ride_rate, 3),
                "wait_mean_min": round(k.wait_mean_s / 60, 1),
                "ride_mean_min": round(k.ride_mean_s / 60, 1),
                "detour": round(k.detour_mean, 2), "on_time": round(k.on_time_rate, 3),
                "vehicle_h": round(k.vehicle_hours, 1), "vehicle_km": round(k.vehicle_km, 1),
                "empty_km": round(k.empty_km, 1), "occupancy": round(k.occupancy_mean, 2),
                "promises_broken": len(self.check.broken_promises),
                "broken_planned": len(self.broken_planned),
                "broken_reality": len(self.broken_reality),
                "broken_grace": len(self.broken_grace),
                **self.promise_row()}

    def promise_row(self) -> dict[str, Any]:
        """Promise-keeping figures (shares of pickups in window, drop-offs on time, rides in
        limit; worst lateness in s; failed re-optimisation cycles; views without times)."""
        p = self.promises or promise_figures(self.check)
        return {"pickup_in_window": round(p.pickup_share, 4),
                "dropoff_on_time": round(p.dropoff_share, 4),
                "ride_in_limit": round(p.ride_share, 4),
                "pickup_late_max_s": p.pickup_late_max_s,
                "dropoff_late_max_s": p.dropoff_late_max_s,
                "reopt_failed": self.reopt_failed, "untimed_views": self.untimed_views}


def noisy(demand: DemandParams, sc: Scenario) -> DemandParams:
    """The demand model with the scenario's noise model applied."""
    if sc.slower is not None:
        demand = replace(demand, travel_factor=(1.0, 1.0), day_factor=sc.slower)
    if sc.leg_noise is not None:
        demand = replace(demand, leg_sigma=sc.leg_noise)
    if sc.dwell_noise is not None:
        demand = replace(demand, dwell_factor=(1.0, 1.0), dwell_sigma=sc.dwell_noise)
    demand.reality()
    return demand


def next_operating_day(service: ServiceArea, after: date) -> date:
    """The first operating day after ``after``."""
    day = after + timedelta(days=1)
    while not service.calendar.runs_on(day):
        day += timedelta(days=1)
    return day


def run_day(base: ServiceArea, network: RoadNetwork, workdir: Path, *, scenario: Scenario | None = None,  # noqa: C901 — to split (issue 17)
            seed: int = 0, day: date | None = None, demand: DemandParams | None = None,
            reopt_every_s: int = 600, reopt_limit_s: float = 0.3, positions: bool = False,
            until: str | None = None,
            progress: Callable[[str], None] | None = None) -> SimResult:
    """Simulate one service day in process and return its KPIs and checked invariants.

    Parameters
    ----------
    base
        The configured service; ``scenario`` changes fleet, shifts, hours and parameters.
    network
        The road network (the real one for Mitsugi).
    workdir
        Folder for the run's SQLite file.
    seed
        Seeds demand, behaviour and noise.
    day
        Service day (default: the next operating day).
    demand
        The demand model (default: ``mitsugi_demand.toml``).
    reopt_every_s, reopt_limit_s
        Simulated seconds between re-optimisation cycles (0: none), and the solver's wall limit.
    positions
        Report vehicle positions while driving (slower; the demo always does).
    until
        Local ``HH:MM`` after which requests are no longer asked (shortened days in tests).
    """
    sc = scenario or Scenario()
    service = service_variant(base, sc)
    demand = demand or DemandParams.from_toml()
    if sc.demand_scale != 1.0:
        demand = replace(demand, outbound_per_day=demand.outbound_per_day * sc.demand_scale)
    if sc.slow_traffic is not None:
        demand = replace(demand, travel_factor=(demand.travel_factor[0], sc.slow_traffic))
    demand = noisy(demand, sc)
    tz = ZoneInfo(service.timezone)
    day = day or next_operating_day(service, datetime.now(tz).date())
    rng = np.random.default_rng(seed)
    trips = generate_day(service, demand, day, rng)
    midnight = int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())
    if until:
        cut = midnight + clock_s(until)
        trips = [t for t in trips if t.time_s <= cut]
    start_s = midnight + min(p.start_s for p in service.periods) - 5400
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / f"sim-{sc.name}-{seed}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db = make_engine(f"sqlite:///{db_path}")
    migrate(db)
    clock = SimClock(start_s)
    params = service.dispatch_params()
    engine = Engine(service, db, network, clock, params)
    engine.start()
    engine.ensure_day(day)
    gw = EngineGateway(engine, day)
    riders = Riders(engine, np.random.default_rng(seed + 1))
    vrng = np.random.default_rng(seed + 2)
    fleet: dict[str, SimVehicle] = {}
    heap: list[tuple[int, int, str, Any]] = []
    seq = itertools.count()
    token: dict[str, int] = {}

    def push(t: int, kind: str, payload: Any) -> None:
        heapq.heappush(heap, (int(t), next(seq), kind, payload))

    def wake(vid: str, t: int) -> None:
        token[vid] = token.get(vid, 0) + 1
        push(t, "veh", (vid, token[vid]))

    for key in engine.vehicle_day_keys(day=day):
        vid = key.rpartition("@")[0]
        v = engine.live.vehicles[key]
        fleet[vid] = SimVehicle(vid, engine.places.node_of(v.depot), gw,
                                np.random.default_rng(vrng.integers(1 << 31)),
                                demand.reality(), riders.no_show,
                                service.booking.no_show_grace_s,
                                demand.position_every_s if positions else 0)
        wake(vid, v.shift_start_s)
    for spec in trips:
        push(spec.book_at_s if spec.book_at_s is not None else start_s, "book", spec)
    close_s = midnight + max(p.end_s for p in service.periods)
    end_s = max([close_s + 3600, *(v.shift_end_s for v in engine.live.vehicles.values())])
    if reopt_every_s > 0:
        push(start_s + reopt_every_s, "reopt", None)
    seen = dict(engine.live.revisions)
    reopt_ms: list[float] = []
    reopt_failed = 0
    t_wall = wall.perf_counter()
    last_note = start_s
    while heap:
        t, _, kind, payload = heapq.heappop(heap)
        if t > end_s:
            break
        clock.set(t)
        now = clock()
        stepped = None
        if kind == "book":
            bid = riders.book(payload)
            if bid is not None and payload.cancel_at_s is not None:
                push(max(now, payload.cancel_at_s), "cancel", payload)
        elif kind == "cancel":
            riders.cancel(payload)
        elif kind == "reopt":
            t0 = wall.perf_counter()
            _r = engine.reoptimize(day, time_limit_s=reopt_limit_s, seed=seed)
            reopt_failed += _r.get("status") == "no_feasible_solution"
            if progress and _r.get("status") not in ("improved", "idle", "unchanged", "not_better"):
                progress(f"reopt {_r}")
            reopt_ms.append((wall.perf_counter() - t0) * 1000)
            if now + reopt_every_s <= close_s:
                push(now + reopt_every_s, "reopt", None)
        elif kind == "veh":
            vid, tok = payload
            if tok != token.get(vid):
                continue
            stepped = vid
            nxt = fleet[vid].step(now)
            if nxt is not None:
                wake(vid, max(now, nxt))
        changed = [k for k, r in engine.live.revisions.items() if seen.get(k) != r]
        for k in changed:
            seen[k] = engine.live.revisions[k]
            vid = k.rpartition("@")[0]
            if vid in fleet and vid != stepped and fleet[vid].interruptible(now):
                wake(vid, now)
        if progress and now - last_note >= 3600:
            last_note = now
            progress(f"{datetime.fromtimestamp(now, tz):%H:%M} booked {len(riders.log.booked)} "
                     f"refused {riders.log.refused}")
    wall_s = wall.perf_counter() - t_wall
    records = load_records(db, tz, day)
    check = check_log(records)
    causes = classify_broken(check, {v.id: v.delays for v in fleet.values()})
    result = SimResult(sc, seed, day, kpis_of(records), check, riders.log, records,
                       wall_s, int(clock() - start_s), len(reopt_ms), reopt_ms,
                       [f"{v.id}: {e}" for v in fleet.values() for e in v.errors],
                       gw.infeasible_views, db_path, causes["planned"],
                       causes["late_in_reality"], causes["grace_wait"],
                       promise_figures(check), reopt_failed, gw.untimed_views)
    db.dispose()
    return result
