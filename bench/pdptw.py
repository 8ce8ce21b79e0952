"""Li & Lim PDPTW (100 tasks): our optimiser against PyVRP on the same instances and limit.

``python -m bench.pdptw --time-limit 30 --table [--only lc101,lr101]``

Both solvers get the same integer model: distances ``round(d × 1000)``, travel times
``ceil(d × 1000)`` (so integer-feasible routes are feasible in floating point), a large fixed
cost per used vehicle (fewest vehicles first, then distance: the SINTEF convention). Results are
compared with the best known (vehicles, distance) lexicographically; distances are recomputed in
floating point from the routes and every solution is checked by an independent float checker.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.darp import shared_dir, write_report
from dispatcher.model import (
    Booking,
    Fleet,
    Passengers,
    Promise,
    Request,
    TimeRule,
    Vehicle,
    VehicleState,
)
from dispatcher.optimize import reoptimize
from dispatcher.params import DispatchParams

SCALE = 1000
VEHICLE_COST = 10**9


@dataclass(frozen=True)
class PdpInstance:
    """A Li & Lim instance (file units)."""

    name: str
    vehicles: int
    capacity: int
    xy: list[tuple[float, float]]
    demand: list[int]
    early: list[float]
    late: list[float]
    service: list[float]
    delivery_of: dict[int, int]

    def dist(self, i: int, j: int) -> float:
        """Euclidean distance between nodes."""
        (a, b), (c, d) = self.xy[i], self.xy[j]
        return math.hypot(a - c, b - d)


def read_instance(path: Path) -> PdpInstance:
    """Parse a Li & Lim file."""
    rows = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    k, q = int(rows[0][0]), int(rows[0][1])
    nodes = sorted((list(map(float, r)) for r in rows[1:]), key=lambda r: r[0])
    return PdpInstance(
        path.stem, k, q, [(r[1], r[2]) for r in nodes], [int(r[3]) for r in nodes],
        [r[4] for r in nodes], [r[5] for r in nodes], [r[6] for r in nodes],
        {int(r[0]): int(r[8]) for r in nodes if r[3] > 0},
    )


def check(inst: PdpInstance, routes: list[list[int]]) -> tuple[list[str], float]:
    """Independent float check (windows with waiting, capacity, pairing, precedence, each node
    once, back at the depot in time); returns problems and the total distance."""
    problems: list[str] = []
    seen: set[int] = set()
    total = 0.0
    pickup_of = {d: p for p, d in inst.delivery_of.items()}
    for k, r in enumerate(routes):
        path = [0, *r, 0]
        t, load = inst.early[0], 0
        for a, b in itertools.pairwise(path):
            total += inst.dist(a, b)
            t = max(t + inst.service[a] + inst.dist(a, b), inst.early[b])
            if t > inst.late[b] + 1e-6:
                problems.append(f"route {k}: node {b} at {t:.3f} > {inst.late[b]}")
            load += inst.demand[b]
            if load > inst.capacity:
                problems.append(f"route {k}: load {load} at node {b}")
        for i, v in enumerate(r):
            if v in seen:
                problems.append(f"node {v} twice")
            seen.add(v)
            if v in pickup_of and pickup_of[v] not in r[:i]:
                problems.append(f"route {k}: delivery {v} before/without its pickup")
    missing = set(range(1, len(inst.xy))) - seen
    if missing:
        problems.append(f"{len(missing)} nodes not served")
    return problems, total


def solve_ours(inst: PdpInstance, limit: float, seed: int) -> list[list[int]]:
    """Our reoptimize() on the instance; routes as node lists (depot omitted)."""
    xy = np.asarray(inst.xy)
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    # service times differ between nodes (some are 0): each node is its own stop here, so the
    # service at i is folded into every travel time out of i and the dwell is 0
    serv = np.rint(np.asarray(inst.service) * SCALE).astype(np.int64)
    time_s = np.ceil(d * SCALE).astype(np.int64) + serv[:, None]
    np.fill_diagonal(time_s, 0)
    dist_m = np.rint(d * SCALE).astype(np.int64)
    horizon = round(inst.late[0] * SCALE)
    params = DispatchParams(
        dwell_base_s=0, dwell_per_passenger_s=0, dwell_per_wheelchair_s=0,
        weight_travel_time=0.0, weight_distance=1.0, weight_excess_ride=0.0,
        weight_vehicle=float(VEHICLE_COST), ride_factor=1.0, ride_offset_s=horizon,
    )
    books = {}
    for p, dl in inst.delivery_of.items():
        req = Request(f"p{p}", p, dl, Passengers(inst.demand[p]), TimeRule.PICKUP_AFTER,
                      round(inst.early[p] * SCALE))
        books[req.id] = Booking(req, Promise(
            round(inst.early[p] * SCALE), round(inst.late[p] * SCALE),
            round(inst.late[dl] * SCALE), horizon, round(inst.early[dl] * SCALE)))
    vehs = tuple(Vehicle(f"k{k}", inst.capacity, 0, 0, round(inst.early[0] * SCALE), horizon)
                 for k in range(inst.vehicles))
    fleet = Fleet(vehs, {v.id: VehicleState(v.id, 0, v.shift_start_s) for v in vehs}, {}, books)
    res = reoptimize(fleet, time_s, params, dist_m=dist_m, time_limit_s=limit, seed=seed)
    return [[s.node for s in plan.stops] for plan in res.plans.values() if plan.stops]


def solve_pyvrp(inst: PdpInstance, limit: float, seed: int) -> list[list[int]]:
    """PyVRP (>= 0.14, shipments) on the same integer model."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    m = Model()
    locs = [m.add_location(x, y) for x, y in inst.xy]
    depot = m.add_depot(locs[0], tw_early=round(inst.early[0] * SCALE),
                        tw_late=round(inst.late[0] * SCALE))
    m.add_vehicle_type(inst.vehicles, capacity=inst.capacity, start_depot=depot,
                       end_depot=depot, fixed_cost=VEHICLE_COST,
                       tw_early=round(inst.early[0] * SCALE), tw_late=round(inst.late[0] * SCALE))
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            d = inst.dist(i, j)
            m.add_edge(a, b, distance=round(d * SCALE), duration=math.ceil(d * SCALE))
    shipments = []
    for p, dl in inst.delivery_of.items():
        m.add_shipment(
            locs[p], locs[dl],
            pickup_tw_early=round(inst.early[p] * SCALE), pickup_tw_late=round(inst.late[p] * SCALE),
            pickup_service_duration=round(inst.service[p] * SCALE),
            delivery_tw_early=round(inst.early[dl] * SCALE),
            delivery_tw_late=round(inst.late[dl] * SCALE),
            delivery_service_duration=round(inst.service[dl] * SCALE),
            amount=[inst.demand[p]],
        )
        shipments.append((p, dl))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PenaltyBoundWarning from the large fixed vehicle cost
        res = m.solve(stop=MaxRuntime(limit), seed=seed, display=False)
    out = []
    for route in res.best.routes():
        nodes = []
        for act in route:
            if act.is_pickup():
                nodes.append(shipments[act.idx][0])
            elif act.is_delivery():
                nodes.append(shipments[act.idx][1])
        out.append(nodes)
    return out


def read_bks(path: Path) -> dict[str, tuple[int, float]]:
    """Best-known (vehicles, distance) by instance."""
    with path.open() as fh:
        return {r["instance"]: (int(r["vehicles"]), float(r["distance_4dp"]))
                for r in csv.DictReader(fh)}


def run(limit: float, seed: int, only: list[str] | None, solvers: list[str]) -> list[dict[str, Any]]:
    """Solve the instances with each solver; one row per (instance, solver)."""
    base = shared_dir() / "bench" / "pdptw"
    bks = read_bks(base / "bks.csv")
    rows = []
    for f in sorted((base / "instances").glob("*.txt")):
        if only and f.stem not in only:
            continue
        inst = read_instance(f)
        for solver in solvers:
            t0 = time.monotonic()
            routes = (solve_ours if solver == "ours" else solve_pyvrp)(inst, limit, seed)
            secs = time.monotonic() - t0
            routes = [r for r in routes if r]
            problems, dist = check(inst, routes)
            bv, bd = bks[inst.name]
            row = {"instance": inst.name, "solver": solver, "vehicles": len(routes),
                   "distance": dist, "bks_vehicles": bv, "bks_distance": bd,
                   "gap": 100 * (dist - bd) / bd, "time": secs, "feasible": not problems}
            rows.append(row)
            print(row, file=sys.stderr, flush=True)
    return rows


def _compare(a: dict[str, Any], b: dict[str, Any]) -> str:
    """Lexicographic (feasible, vehicles, distance) comparison, distances equal within 1e-6."""
    if a["feasible"] != b["feasible"]:
        return "better" if a["feasible"] else "worse"
    if a["vehicles"] != b["vehicles"]:
        return "better" if a["vehicles"] < b["vehicles"] else "worse"
    if abs(a["distance"] - b["distance"]) <= 1e-6 * max(1.0, b["distance"]):
        return "equal"
    return "better" if a["distance"] < b["distance"] else "worse"


def table(rows: list[dict[str, Any]], title: str) -> str:
    """Markdown table: instance, BKS, then (vehicles, distance, gap, feasible) per solver."""
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    head = "| instance | BKS veh | BKS dist | " + " | ".join(
        f"{s} veh | {s} dist | {s} gap | {s} ok" for s in solvers) + " |"
    lines = [f"### {title}", "", head, "|---|---:|---:|" + "---:|---:|---:|:---:|" * len(solvers)]
    per: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        per.setdefault(r["instance"], {})[r["solver"]] = r
    for name, by in per.items():
        first = next(iter(by.values()))
        cells = [name, str(first["bks_vehicles"]), f"{first['bks_distance']:.2f}"]
        for s in solvers:
            r = by[s]
            cells += [str(r["vehicles"]), f"{r['distance']:.2f}", f"{r['gap']:.2f}%",
                      "yes" if r["feasible"] else "NO"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for s in solvers:
        mine = [r for r in rows if r["solver"] == s]
        same_v = [r for r in mine if r["vehicles"] == r["bks_vehicles"] and r["feasible"]]
        lines.append(
            f"- **{s}**: feasible {sum(r['feasible'] for r in mine)}/{len(mine)}, "
            f"BKS vehicle count matched {len(same_v)}/{len(mine)}, extra vehicles "
            f"{sum(r['vehicles'] - r['bks_vehicles'] for r in mine)}, mean distance gap where "
            f"vehicles match {np.mean([r['gap'] for r in same_v]) if same_v else float('nan'):.2f}%")
    if "ours" in solvers and "pyvrp" in solvers:
        tally = {"better": 0, "equal": 0, "worse": 0}
        for by in per.values():
            if "ours" in by and "pyvrp" in by:
                tally[_compare(by["ours"], by["pyvrp"])] += 1
        lines.append(f"- ours vs PyVRP, (vehicles, distance) lexicographically: better on "
                     f"{tally['better']}, equal on {tally['equal']}, worse on {tally['worse']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(prog="python -m bench.pdptw", description=__doc__)
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", help="comma-separated instance names")
    ap.add_argument("--solvers", default="ours,pyvrp")
    ap.add_argument("--table", action="store_true")
    ap.add_argument("--out", help="write the markdown table here (and rows as .json)")
    ap.add_argument("--from-json", help="only re-print the table of an earlier run's rows")
    args = ap.parse_args(argv)
    if args.from_json:
        rows = json.loads(Path(args.from_json).read_text())
    else:
        rows = run(args.time_limit, args.seed, args.only.split(",") if args.only else None,
                   args.solvers.split(","))
    text = table(rows, f"Li & Lim 100-task PDPTW, {args.time_limit:g} s per instance and "
                       f"solver, seed {args.seed}")
    if args.table:
        print(text)
    if args.out:
        write_report(Path(args.out), text, rows)
    return 0 if all(r["feasible"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
