"""City-scale simulation: 1,000 vehicles and 50,000 requests over a day through the engine.

The synthetic city is a set of zones, each a square grid road network (:class:`GridNetwork`,
RoadNetwork-compatible: snapping, many-to-many matrices, polylines, computed on the fly so the
matrices stay small per vehicle-day) with its own stops (a hospital, shops, transfer points,
hamlets), its own fleet and its own :class:`dispatcher.engine.Engine` on its own SQLite file.
Zones are used because the engine plans a service day's whole fleet in one offer call; one
fleet of 1,000 vehicles would make every offer walk 1,000 plans. Zones run in parallel worker
processes (the machine has 2 cores), each through :func:`dispatcher.sim.runner.run_day`: the
same riders (offers + accept), simulated drivers, re-optimisation cycles and event-log checks as
``noriai sim``.

With ``--slower 1.10 --leg-noise 0.15 --dwell-noise 0.25`` the simulated drivers meet slower,
noisy roads (:class:`dispatcher.sim.noise.Reality`); the shares of pickups inside their window,
drop-offs by their latest time and rides within their limit are reported with the rest.

Reports offer latency p50/p95, re-optimisation time per cycle, share of requests served,
promises broken (checked against the event log), split into those the engine's plan broke
(must be 0) and those broken by reality (a simulated vehicle slower than planned, or waiting out a
no-show's grace beyond the plan; planning reserves that wait, so it must be 0 too), and simulated /
wall-clock time.

    python -m bench.city_scale                      # the full city (long: tens of minutes)
    python -m bench.city_scale --vehicles 100 --requests 5000 --workers 2
    python -m bench.city_scale --single-fleet --vehicles 1000 --requests 10000 --baseline
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from dispatcher.service_area import ServiceArea, StopPoint, VehicleSpec
from dispatcher.services import load_service

SPACING_M = 400
EDGE_S = 48  # 400 m at 30 km/h
LAT0, LON0 = 34.40, 133.00
DLAT = SPACING_M / 111_320
DLON = SPACING_M / (111_320 * np.cos(np.radians(LAT0)))


class GridNetwork:
    """A square grid of roads (``side`` × ``side`` nodes, 400 m apart, 30 km/h).

    Shortest paths are Manhattan paths, so travel times and distances are computed in closed
    form: matrices of any size cost only numpy arithmetic.
    """

    def __init__(self, side: int) -> None:
        self.side = side

    def _rc(self, node: int | np.ndarray) -> tuple[Any, Any]:
        return np.divmod(node, self.side)

    def snap(self, lat: float, lon: float, zone: Sequence[tuple[float, float]] | None = None) -> int:
        """Nearest grid node (the zone is the whole grid)."""
        del zone
        r = int(np.clip(round((lat - LAT0) / DLAT), 0, self.side - 1))
        c = int(np.clip(round((lon - LON0) / DLON), 0, self.side - 1))
        return r * self.side + c

    def node_coords(self, node: int) -> tuple[float, float]:
        """(lat, lon) of a node."""
        r, c = self._rc(node)
        return float(LAT0 + r * DLAT), float(LON0 + c * DLON)

    def matrix(self, sources: Sequence[int], targets: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Travel time (s) and distance (m) matrices (Manhattan paths)."""
        rs, cs = self._rc(np.asarray(sources, dtype=np.int64))
        rt, ct = self._rc(np.asarray(targets, dtype=np.int64))
        hops = np.abs(rs[:, None] - rt[None, :]) + np.abs(cs[:, None] - ct[None, :])
        return (hops * EDGE_S).astype(np.int64), (hops * SPACING_M).astype(np.int64)

    def travel_time(self, a: int, b: int) -> int:
        """Travel time a → b (s)."""
        return int(self.matrix([a], [b])[0][0, 0])

    def polyline(self, a: int, b: int) -> list[tuple[float, float]]:
        """An L-shaped path a → b."""
        (ra, _ca), (_rb, cb) = self._rc(a), self._rc(b)
        corner = int(ra) * self.side + int(cb)
        return [self.node_coords(a), self.node_coords(corner), self.node_coords(b)]


def zone_service(base: ServiceArea, side: int, n_stops: int, n_vehicles: int,
                 rng: np.random.Generator) -> ServiceArea:
    """A synthetic zone's (or one city's) service: ``n_stops`` stops on a ``side`` × ``side``
    grid — every block of 60 opens with a hospital, three shops and two transfer stops — and
    4-seat vehicles (every fifth with a wheelchair space) spread over the transfer stops as
    depots."""
    net = GridNetwork(side)
    nodes = rng.choice(side * side, size=n_stops, replace=False)
    kinds = ["hospital", "shop", "shop", "shop", "transfer", "transfer"]
    digits = max(3, len(str(n_stops - 1)))
    stops = []
    for i, n in enumerate(nodes):
        lat, lon = net.node_coords(int(n))
        kind = kinds[i % 60] if i % 60 < len(kinds) else "settlement"
        weight = {"hospital": 10.0, "shop": 5.0, "transfer": 6.0}.get(kind, float(rng.integers(1, 4)))
        stops.append(StopPoint(f"s{i:0{digits}d}", f"停留所{i}", f"Stop {i}", "", lat, lon, kind,
                               True, weight))
    depots = [s.id for s in stops if s.kind == "transfer"]
    shift = base.fleet[0].shifts[0]
    width = max(3, len(str(n_vehicles - 1)))
    fleet = tuple(VehicleSpec(f"v{k:0{width}d}", f"車{k}", 4, 1 if k % 5 == 0 else 0,
                              depots[k % len(depots)], (shift,)) for k in range(n_vehicles))
    corners = ((LAT0 - DLAT, LON0 - DLON), (LAT0 - DLAT, LON0 + side * DLON),
               (LAT0 + side * DLAT, LON0 + side * DLON), (LAT0 + side * DLAT, LON0 - DLON))
    return replace(base, id="city", stops=tuple(stops), fleet=fleet, zone=corners,
                   transfer_stops=(), connection_stop_ids=())


def run_zone(job: dict[str, Any]) -> dict[str, Any]:
    """Simulate one zone's day (in a worker process) and return its figures."""
    from dispatcher.sim.demand import DemandParams
    from dispatcher.sim.runner import Scenario, run_day

    base = load_service("mitsugi")
    rng = np.random.default_rng(job["seed"])
    service = zone_service(base, job["side"], job["stops"], job["vehicles"], rng)
    net = GridNetwork(job["side"])
    demand = replace(DemandParams.from_toml(), outbound_per_day=job["requests"] / 1.75)
    if job.get("slack"):
        factor, margin = job["slack"]
        service = replace(service, dispatch={**service.dispatch, "travel_factor": factor,
                                             "travel_margin_s": margin})
    sc = Scenario("city", slower=job.get("slower"), leg_noise=job.get("leg_noise"),
                  dwell_noise=job.get("dwell_noise"))
    t0 = time.perf_counter()
    r = run_day(service, net, Path(job["workdir"]), scenario=sc, seed=job["seed"],
                demand=demand, reopt_every_s=job["reopt_every"], reopt_limit_s=job["reopt_limit"])
    return {"zone": job["zone"], **figures(r, time.perf_counter() - t0)}


def figures(r: Any, wall_s: float) -> dict[str, Any]:
    """What a simulated day (:class:`dispatcher.sim.runner.SimResult`) reports to the summary."""
    p = r.promises
    assert p is not None
    return {"asked": r.riders.asked, "booked": r.kpis.accepted,
            "completed": r.kpis.completed, "cancelled": r.kpis.cancellations,
            "no_shows": r.kpis.no_shows, "offer_ms": r.riders.offer_ms, "reopt_ms": r.reopt_ms,
            "broken": r.check.broken_promises, "broken_planned": r.broken_planned,
            "broken_reality": r.broken_reality, "broken_grace": r.broken_grace,
            "infeasible_views": r.infeasible_views,
            "over_capacity": r.check.over_capacity,
            "not_final": r.check.not_final, "sim_s": r.sim_s,
            "wall_s": wall_s, "shared": r.kpis.shared_ride_rate,
            "pickups": p.pickups, "pickups_in_window": p.pickups_in_window,
            "dropoffs": p.dropoffs, "dropoffs_on_time": p.dropoffs_on_time,
            "rides_in_limit": p.rides_in_limit, "reopt_failed": r.reopt_failed,
            "untimed_views": r.untimed_views}


def summary(results: list[dict[str, Any]], wall: float) -> dict[str, Any]:
    """The figures of all zones (or of the one fleet) together."""
    offers = np.concatenate([r["offer_ms"] for r in results])
    reopt = np.concatenate([r["reopt_ms"] for r in results]) if any(
        r["reopt_ms"] for r in results) else np.zeros(1)
    asked = sum(r["asked"] for r in results)
    sim_day = max(r["sim_s"] for r in results)
    return {
        "requests_asked": asked, "booked": sum(r["booked"] for r in results),
        "completed": sum(r["completed"] for r in results),
        "served_share": sum(r["completed"] for r in results) / max(1, asked),
        "booked_share": sum(r["booked"] for r in results) / max(1, asked),
        "offer_ms_p50": float(np.percentile(offers, 50)),
        "offer_ms_p95": float(np.percentile(offers, 95)),
        "reopt_ms_per_cycle_mean": float(reopt.mean()),
        "reopt_ms_per_cycle_p95": float(np.percentile(reopt, 95)),
        "reopt_cycles": int(sum(len(r["reopt_ms"]) for r in results)),
        "promises_broken": sum(len(r["broken"]) for r in results),
        "promises_broken_planned": sum(len(r["broken_planned"]) for r in results),
        "promises_broken_late_in_reality": sum(len(r["broken_reality"]) for r in results),
        "promises_broken_grace_wait": sum(len(r["broken_grace"]) for r in results),
        "infeasible_plan_views": sum(r["infeasible_views"] for r in results),
        "pickups_in_window_share": sum(r["pickups_in_window"] for r in results)
        / max(1, sum(r["pickups"] for r in results)),
        "dropoffs_on_time_share": sum(r["dropoffs_on_time"] for r in results)
        / max(1, sum(r["dropoffs"] for r in results)),
        "rides_in_limit_share": sum(r["rides_in_limit"] for r in results)
        / max(1, sum(r["dropoffs"] for r in results)),
        "reopt_cycles_failed": sum(r["reopt_failed"] for r in results),
        "manifests_without_times": sum(r["untimed_views"] for r in results),
        "over_capacity": sum(len(r["over_capacity"]) for r in results),
        "not_final": sum(len(r["not_final"]) for r in results),
        "simulated_s": sim_day, "wall_s": wall, "sim_to_wall": sim_day / wall,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the city and print (and optionally write) the figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vehicles", type=int, default=1000)
    p.add_argument("--requests", type=int, default=50_000)
    p.add_argument("--zone-vehicles", type=int, default=20, help="vehicles per zone (engine)")
    p.add_argument("--side", type=int, default=25, help="grid nodes per side of a zone")
    p.add_argument("--stops", type=int, default=60, help="stops per zone")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--reopt-every", type=int, default=900, help="simulated s between cycles")
    p.add_argument("--reopt-limit", type=float, default=0.2, help="wall s per cycle")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--slower", type=float, default=None,
                   help="roads this much slower than routing on average (e.g. 1.10)")
    p.add_argument("--leg-noise", type=float, default=None, help="lognormal spread per leg")
    p.add_argument("--dwell-noise", type=float, default=None, help="lognormal spread per dwell")
    p.add_argument("--slack", default=None,
                   help="planning times FACTOR:MARGIN (default: the service's configuration)")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--single-fleet", action="store_true",
                   help="one service area, one engine, all vehicles (bench/city_single.py)")
    p.add_argument("--city-side", type=int, default=60,
                   help="single fleet: grid nodes per side of the city")
    p.add_argument("--city-stops", type=int, default=1000, help="single fleet: stops")
    p.add_argument("--baseline", action="store_true",
                   help="single fleet: run the same day again without offer pruning")
    p.add_argument("--until", default=None,
                   help="single fleet: no requests asked after this local HH:MM")
    p.add_argument("--verbose", action="store_true", help="single fleet: hourly progress")
    p.add_argument("--neighbourhood", type=int, default=None,
                   help="single fleet: vehicles re-optimised per cycle (default: the service's)")
    args = p.parse_args(argv)
    if args.single_fleet:
        from bench.city_single import run_single

        single = run_single(args)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(single, indent=1))
        bad = [r for r in single.values() if "over_capacity" in r
               and (r["promises_broken_planned"] or r["over_capacity"])]
        return 1 if bad else 0
    zones = max(1, args.vehicles // args.zone_vehicles)
    workdir = Path(tempfile.mkdtemp(prefix="noriai-city-"))
    jobs = [{"zone": z, "seed": args.seed * 10_000 + z, "side": args.side, "stops": args.stops,
             "vehicles": args.zone_vehicles, "requests": args.requests / zones,
             "workdir": str(workdir / f"z{z}"), "reopt_every": args.reopt_every,
             "reopt_limit": args.reopt_limit, "slower": args.slower,
             "leg_noise": args.leg_noise, "dwell_noise": args.dwell_noise,
             "slack": (float(args.slack.split(":")[0]), int(args.slack.split(":")[1] or 0))
             if args.slack else None} for z in range(zones)]
    t0 = time.perf_counter()
    with mp.get_context("fork").Pool(args.workers) as pool:
        results = []
        for i, res in enumerate(pool.imap_unordered(run_zone, jobs)):
            results.append(res)
            print(f"zone {res['zone']:3d} done ({i + 1}/{zones}): {res['completed']}/{res['asked']} "
                  f"carried, {res['wall_s']:.0f} s", flush=True)
    wall = time.perf_counter() - t0
    out = {"vehicles": zones * args.zone_vehicles, "zones": zones, "workers": args.workers,
           **summary(results, wall),
           "zone_wall_s_mean": float(np.mean([r["wall_s"] for r in results]))}
    for k, v in out.items():
        print(f"{k:>26}: {v:.3f}" if isinstance(v, float) else f"{k:>26}: {v}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1))
    return 0 if out["promises_broken_planned"] == 0 and out["over_capacity"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
