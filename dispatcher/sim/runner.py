"""A simulated service day in process, through the production engine, in jumping simulated time.

:func:`run_day` builds the service variant (:class:`Scenario`: fleet size, shift pattern, hours,
window width, ride-time limit), opens a fresh SQLite file, starts
:class:`dispatcher.engine.Engine` on the real road network with a :class:`SimClock`, and plays
the demand of :mod:`dispatcher.sim.demand`: riders ask for offers and accept them
(``make_offers`` + ``accept``, as the API does), cancel, or fail to turn up; simulated drivers
(:mod:`dispatcher.sim.vehicles`) drive the plans and report; the engine re-optimises
periodically. The clock jumps from one event to the next. The drivers' gateway and the riders
live in :mod:`dispatcher.sim.agents`.
"""

from __future__ import annotations

import heapq
import itertools
import time as wall
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine as DbEngine

from dispatcher.engine import Engine, VehicleDay
from dispatcher.kpis import Kpis
from dispatcher.places import RoadNetwork
from dispatcher.service_area import OperatingPeriod, ServiceArea, ShiftSpec, VehicleSpec, clock_s
from dispatcher.sim.agents import EngineGateway, RiderLog, Riders
from dispatcher.sim.clock import SimClock
from dispatcher.sim.demand import DemandParams, generate_day
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
from dispatcher.sim.vehicles import SimVehicle
from dispatcher.store.db import make_engine, migrate

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


def run_day(base: ServiceArea, network: RoadNetwork, workdir: Path, *, scenario: Scenario | None = None,
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
    demand = _scenario_demand(demand or DemandParams.from_toml(), sc)
    tz = ZoneInfo(service.timezone)
    day = day or next_operating_day(service, datetime.now(tz).date())
    rng = np.random.default_rng(seed)
    trips = generate_day(service, demand, day, rng)
    midnight = int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())
    if until:
        cut = midnight + clock_s(until)
        trips = [t for t in trips if t.time_s <= cut]
    start_s = midnight + min(p.start_s for p in service.periods) - 5400
    db, db_path = _fresh_database(workdir, sc, seed)
    clock = SimClock(start_s)
    engine = Engine(service, db, network, clock, service.dispatch_params())
    engine.start()
    engine.ensure_day(day)
    gw = EngineGateway(engine, day)
    riders = Riders(engine, np.random.default_rng(seed + 1))
    loop = _DayLoop(engine, clock, riders, _Reopt(day, seed, reopt_every_s, reopt_limit_s,
                                                  midnight + max(p.end_s for p in service.periods)),
                    tz, progress)
    loop.add_vehicles(day, lambda vid, depot, vrng: SimVehicle(
        vid, depot, gw, vrng, demand.reality(), riders.no_show, service.booking.no_show_grace_s,
        demand.position_every_s if positions else 0), np.random.default_rng(seed + 2))
    for spec in trips:
        loop.push(spec.book_at_s if spec.book_at_s is not None else start_s, "book", spec)
    end_s = max([loop.reopt.close_s + 3600,
                 *(v.vehicle.shift_end_s for v in map(engine.view, engine.vehicle_days()) if v)])
    if reopt_every_s > 0:
        loop.push(start_s + reopt_every_s, "reopt", None)
    t_wall = wall.perf_counter()
    loop.run(end_s, start_s)
    wall_s = wall.perf_counter() - t_wall
    result = _result(sc, seed, day, db, db_path, tz, loop, gw, wall_s, int(clock() - start_s))
    db.dispose()
    return result


def _scenario_demand(demand: DemandParams, sc: Scenario) -> DemandParams:
    """The demand model scaled, slowed and made noisy as the scenario says."""
    if sc.demand_scale != 1.0:
        demand = replace(demand, outbound_per_day=demand.outbound_per_day * sc.demand_scale)
    if sc.slow_traffic is not None:
        demand = replace(demand, travel_factor=(demand.travel_factor[0], sc.slow_traffic))
    return noisy(demand, sc)


def _fresh_database(workdir: Path, sc: Scenario, seed: int) -> tuple[DbEngine, Path]:
    """A new, migrated SQLite database for the run (an earlier run's file is removed)."""
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / f"sim-{sc.name}-{seed}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db = make_engine(f"sqlite:///{db_path}")
    migrate(db)
    return db, db_path


@dataclass
class _Reopt:
    """The periodic re-optimisation of a simulated day and what it cost (wall ms per cycle)."""

    day: date
    seed: int
    every_s: int
    limit_s: float
    close_s: int
    ms: list[float] = field(default_factory=list)
    failed: int = 0


#: Wall seconds between progress lines when simulated time stands still.
PROGRESS_WALL_S = 60.0


class _DayLoop:
    """The day's event queue, in simulated time: bookings, cancellations, re-optimisation cycles
    and the simulated vehicles' steps (a vehicle's stale wake-ups are skipped by token)."""

    def __init__(self, engine: Engine, clock: SimClock, riders: Riders, reopt: _Reopt,
                 tz: ZoneInfo, progress: Callable[[str], None] | None) -> None:
        self.engine = engine
        self.clock = clock
        self.riders = riders
        self.reopt = reopt
        self.tz = tz
        self.progress = progress
        self.fleet: dict[str, SimVehicle] = {}
        self.heap: list[tuple[int, int, str, Any]] = []
        self.seq = itertools.count()
        self.token: dict[str, int] = {}
        self._changes = 0

    def push(self, t: int, kind: str, payload: Any) -> None:
        """Queue an event at ``t`` (epoch s); equal times keep their order of queueing."""
        heapq.heappush(self.heap, (int(t), next(self.seq), kind, payload))

    def wake(self, vid: str, t: int) -> None:
        """Step vehicle ``vid`` at ``t``; any earlier wake-up of it goes stale."""
        self.token[vid] = self.token.get(vid, 0) + 1
        self.push(t, "veh", (vid, self.token[vid]))

    def add_vehicles(self, day: date,
                     make: Callable[[str, int, np.random.Generator], SimVehicle],
                     vrng: np.random.Generator) -> None:
        """A simulated vehicle per vehicle-day, woken at its shift start."""
        engine = self.engine
        for vd in engine.vehicle_days(day=day):
            view = engine.view(vd)
            assert view is not None
            v = view.vehicle
            self.fleet[vd.vehicle_id] = make(vd.vehicle_id, engine.places.node_of(v.depot),
                                             np.random.default_rng(vrng.integers(1 << 31)))
            self.wake(vd.vehicle_id, v.shift_start_s)

    def run(self, end_s: int, start_s: int) -> None:
        """Play the events until the queue is empty or past ``end_s``."""
        seen = dict(self.engine.live.revisions)
        self._changes = self.engine.live.changes
        last_note, last_wall = start_s, wall.perf_counter()
        while self.heap:
            t, _, kind, payload = heapq.heappop(self.heap)
            if t > end_s:
                break
            self.clock.set(t)
            now = self.clock()
            if kind == "veh" and payload[1] != self.token.get(payload[0]):
                continue
            stepped = self._handle(now, kind, payload)
            self._wake_replanned(now, stepped, seen)
            if self.progress and (now - last_note >= 3600
                                  or wall.perf_counter() - last_wall >= PROGRESS_WALL_S):
                # Every simulated hour, and while one moment takes long (the advance
                # bookings all ask at the start) every PROGRESS_WALL_S of wall time.
                last_note, last_wall = now, wall.perf_counter()
                log = self.riders.log
                self.progress(f"{datetime.fromtimestamp(now, self.tz):%H:%M} booked "
                              f"{len(log.booked)} refused {log.refused}")

    def _handle(self, now: int, kind: str, payload: Any) -> str | None:
        """One event; the id of the vehicle stepped, if any."""
        if kind == "book":
            bid = self.riders.book(payload)
            if bid is not None and payload.cancel_at_s is not None:
                self.push(max(now, payload.cancel_at_s), "cancel", payload)
        elif kind == "cancel":
            self.riders.cancel(payload)
        elif kind == "reopt":
            self._reoptimize(now)
        elif kind == "veh":
            vid: str = payload[0]
            nxt = self.fleet[vid].step(now)
            if nxt is not None:
                self.wake(vid, max(now, nxt))
            return vid
        return None

    def _reoptimize(self, now: int) -> None:
        """One re-optimisation cycle, and the next one while the service is open."""
        ro = self.reopt
        t0 = wall.perf_counter()
        got = self.engine.reoptimize(ro.day, time_limit_s=ro.limit_s, seed=ro.seed)
        ro.failed += got.get("status") == "no_feasible_solution"
        if self.progress and got.get("status") not in ("improved", "idle", "unchanged",
                                                       "not_better"):
            self.progress(f"reopt {got}")
        ro.ms.append((wall.perf_counter() - t0) * 1000)
        if now + ro.every_s <= ro.close_s:
            self.push(now + ro.every_s, "reopt", None)

    def _wake_replanned(self, now: int, stepped: str | None, seen: dict[str, int]) -> None:
        """Wake the other vehicles whose plan the event changed, if they can be interrupted."""
        live = self.engine.live
        if live.changes == self._changes:
            return  # no plan got a new revision (most events): nothing to compare
        self._changes = live.changes
        # Set difference of the items (not a Python loop): a large fleet has many plans.
        changed = dict(live.revisions.items() - seen.items())
        seen.update(changed)
        for k in sorted(changed):
            vid = VehicleDay.of(k).vehicle_id
            if vid in self.fleet and vid != stepped and self.fleet[vid].interruptible(now):
                self.wake(vid, now)


def _result(sc: Scenario, seed: int, day: date, db: DbEngine, db_path: Path, tz: ZoneInfo,
            loop: _DayLoop, gw: EngineGateway, wall_s: float, sim_s: int) -> SimResult:
    """The day's outcome, read back from the database's records and checked."""
    records = load_records(db, tz, day)
    check = check_log(records)
    fleet = loop.fleet
    causes = classify_broken(check, {v.id: v.delays for v in fleet.values()})
    reopt = loop.reopt
    return SimResult(sc, seed, day, kpis_of(records), check, loop.riders.log, records,
                     wall_s, sim_s, len(reopt.ms), reopt.ms,
                     [f"{v.id}: {e}" for v in fleet.values() for e in v.errors],
                     gw.infeasible_views, db_path, causes["planned"],
                     causes["late_in_reality"], causes["grace_wait"],
                     promise_figures(check), reopt.failed, gw.untimed_views)
