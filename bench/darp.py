"""Cordeau DARP benchmark: ``python -m bench.darp INSTANCE --time-limit S --json OUT``.

Also a runner over a whole set, printing per instance cost, gap to bks.csv, time and feasibility
for our solver (:func:`dispatcher.optimize.reoptimize`: ruin-and-recreate + OR-Tools) and a plain
OR-Tools model (pickup-delivery, windows, capacity, ride time by cumul constraints, parallel
cheapest insertion + guided local search) in the same run::

    python -m bench.darp --set a --time-limit 60 --table

Feasibility is judged twice: by dispatcher.feasibility on the scaled integer model, and by the
independent floating-point checker of bench/darpcheck.py on the written JSON; the cost is always
recomputed in floating point from the routes.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.darpcheck import DarpInstance, check_solution, read_instance
from bench.darpmodel import SCALE, DarpModel, request_of, to_model
from dispatcher.lns import Problem
from dispatcher.model import Fleet, PlannedStop, StopKind, VehicleState
from dispatcher.optimize import reoptimize
from dispatcher.ortools_model import solve_routing

SHARED_CANDIDATES = [Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")]


def write_report(out: Path, text: str, rows: list[dict[str, Any]]) -> None:
    """Write a benchmark table (Markdown) to ``out`` and its rows as JSON beside it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    out.with_suffix(".json").write_text(json.dumps(rows, indent=1))


def shared_dir() -> Path:
    """The shared data folder ($NORIAI_SHARED, ../shared beside the repository, /work/shared)."""
    import os

    env = os.environ.get("NORIAI_SHARED")
    for cand in ([Path(env)] if env else []) + SHARED_CANDIDATES:
        if (cand / "bench" / "darp").is_dir():
            return cand
    raise SystemExit("shared data folder not found; set NORIAI_SHARED")


def _fleet(model: DarpModel) -> Fleet:
    states = {v.id: VehicleState(v.id, v.depot, v.shift_start_s) for v in model.vehicles}
    return Fleet(model.vehicles, states, {}, model.bookings)


def _node_number(inst: DarpInstance, stop: PlannedStop) -> int:
    i = request_of(stop.booking_id)
    return i if stop.kind is StopKind.PICKUP else inst.requests + i


def solution_json(inst: DarpInstance, model: DarpModel,
                  routes: dict[str, tuple[PlannedStop, ...]]) -> tuple[dict[str, Any], bool]:
    """The DESIGN.md JSON of routes, and whether dispatcher.feasibility accepts every route."""
    from dispatcher.feasibility import check_route

    out_routes = []
    ok = True
    total = 0.0
    for k, veh in enumerate(model.vehicles):
        stops = routes.get(veh.id, ())
        state = VehicleState(veh.id, veh.depot, veh.shift_start_s)
        res = check_route(veh, state, stops, model.bookings, model.time_s, model.params,
                          model.dist_m)
        ok &= res.feasible
        nodes = [0, *(_node_number(inst, s) for s in stops), 0]
        if res.feasible:
            times = [res.start_s / SCALE, *(st.start_s / SCALE for st in res.stops),
                     res.end_s / SCALE]
        else:
            times = [0.0] * len(nodes)
        total += sum(inst.dist(nodes[j], nodes[j + 1]) for j in range(len(nodes) - 1))
        out_routes.append({"vehicle": k, "nodes": nodes, "times": times})
    return {"instance": inst.name, "cost": total, "routes": out_routes}, ok


def solve(inst: DarpInstance, time_limit: float, solver: str = "ours",
          seed: int = 0) -> tuple[dict[str, Any], bool, float]:
    """Solve one instance; returns the JSON, feasibility by dispatcher.feasibility, seconds."""
    model = to_model(inst)
    t0 = time.monotonic()
    if solver == "ours":
        res = reoptimize(_fleet(model), model.time_s, model.params, dist_m=model.dist_m,
                         time_limit_s=time_limit, seed=seed)
        routes = {vid: plan.stops for vid, plan in res.plans.items()}
    elif solver == "ortools":
        pb = Problem(model.vehicles, {v.id: VehicleState(v.id, v.depot, v.shift_start_s)
                                      for v in model.vehicles},
                     {}, model.bookings, frozenset(), frozenset(model.bookings),
                     model.time_s, model.dist_m, model.params)
        # as the OR-Tools documentation does for pickup-delivery; requests droppable at a
        # prohibitive cost so that the first-solution heuristic does not give up
        routes = solve_routing(pb, None, time_limit, drop_penalty=10**13) or {}
    else:
        raise ValueError(f"unknown solver {solver}")
    elapsed = time.monotonic() - t0
    data, ok = solution_json(inst, model, routes)
    served = {s.booking_id for st in routes.values() for s in st}
    ok &= len(served) == inst.requests
    return data, ok, elapsed


def read_bks(path: Path) -> dict[str, float]:
    """Best-known costs (4 decimals where available) by instance."""
    out = {}
    with path.open() as fh:
        for row in csv.DictReader(fh):
            val = row.get("cost_4dp") or row.get("best_known_cost")
            if val:
                out[row["instance"]] = float(val)
    return out


def run_set(which: str, time_limit: float, solvers: list[str], seed: int,
            only: list[str] | None = None) -> list[dict[str, Any]]:
    """Solve every instance of a set with each solver; one row per (instance, solver)."""
    base = shared_dir() / "bench" / "darp"
    bks = read_bks(base / "bks.csv")
    files = sorted((base / "instances" / which).glob("*.txt"),
                   key=lambda p: tuple(int(x) for x in p.stem[1:].split("-")))
    rows = []
    for f in files:
        if only and f.stem not in only:
            continue
        inst = read_instance(f)
        for solver in solvers:
            data, ok, secs = solve(inst, time_limit, solver, seed)
            problems = check_solution(inst, data) if ok else ["infeasible or incomplete"]
            best = bks.get(inst.name)
            gap = 100.0 * (data["cost"] - best) / best if best and not problems else None
            row = {"instance": inst.name, "solver": solver, "cost": data["cost"],
                   "bks": best, "gap": gap, "time": secs, "feasible": not problems}
            rows.append(row)
            print(_fmt(row), file=sys.stderr, flush=True)
    return rows


def _fmt(row: dict[str, Any]) -> str:
    gap = "—" if row["gap"] is None else f"{row['gap']:.2f}%"
    bks = "—" if row["bks"] is None else f"{row['bks']:.2f}"
    return (f"| {row['instance']} | {row['solver']} | {row['cost']:.2f} | {bks} | {gap} | "
            f"{row['time']:.1f} | {'yes' if row['feasible'] else 'NO'} |")


def table(rows: list[dict[str, Any]], title: str) -> str:
    """Markdown table: per instance both solvers side by side, then means per solver."""
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    head = "| instance | bks | " + " | ".join(
        f"{s} cost | {s} gap | {s} time s | {s} feasible" for s in solvers) + " |"
    sep = "|---|---:|" + "---:|---:|---:|:---:|" * len(solvers)
    lines = [f"### {title}", "", head, sep]
    by_inst: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        by_inst.setdefault(r["instance"], {})[r["solver"]] = r
    for name, per in by_inst.items():
        bks = next(iter(per.values()))["bks"]
        cells = [name, "—" if bks is None else f"{bks:.2f}"]
        for s in solvers:
            r = per.get(s)
            if r is None:
                cells += ["", "", "", ""]
                continue
            cells += [f"{r['cost']:.2f}", "—" if r["gap"] is None else f"{r['gap']:.2f}%",
                      f"{r['time']:.1f}", "yes" if r["feasible"] else "NO"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for s in solvers:
        mine = [r for r in rows if r["solver"] == s]
        gaps = [r["gap"] for r in mine if r["gap"] is not None]
        feas = sum(r["feasible"] for r in mine)
        mean = f"{sum(gaps) / len(gaps):.2f}%" if gaps else "—"
        lines.append(f"- **{s}**: feasible {feas}/{len(mine)}, mean gap {mean} over "
                     f"{len(gaps)} instances with a best-known value")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(prog="python -m bench.darp", description=__doc__)
    ap.add_argument("instance", nargs="?", help="instance file (Cordeau format)")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--json", help="write the solution JSON here")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solver", default="ours", choices=["ours", "ortools"])
    ap.add_argument("--set", dest="which", help="run a whole set: a, b")
    ap.add_argument("--solvers", default="ours,ortools")
    ap.add_argument("--only", help="comma-separated instance names within the set")
    ap.add_argument("--table", action="store_true", help="print a markdown table")
    ap.add_argument("--out", help="also write the table (markdown) and rows (json) here")
    args = ap.parse_args(argv)
    if args.which:
        rows = run_set(args.which, args.time_limit, args.solvers.split(","), args.seed,
                       args.only.split(",") if args.only else None)
        text = table(rows, f"DARP set '{args.which}', {args.time_limit:g} s per instance "
                           f"and solver, seed {args.seed}")
        if args.table:
            print(text)
        if args.out:
            write_report(Path(args.out), text, rows)
        return 0 if all(r["feasible"] for r in rows) else 1
    if not args.instance:
        ap.error("give an instance file or --set")
    inst = read_instance(args.instance)
    data, ok, secs = solve(inst, args.time_limit, args.solver, args.seed)
    problems = check_solution(inst, data)
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=1))
    print(f"{inst.name}: cost {data['cost']:.4f} time {secs:.1f}s feasible "
          f"{'yes' if ok and not problems else 'NO'}", file=sys.stderr)
    for p in problems:
        print("  " + p, file=sys.stderr)
    return 0 if ok and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
