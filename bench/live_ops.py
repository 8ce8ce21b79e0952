"""Promises under uncertainty: Mitsugi days with slower, noisy roads, with and without slack.

Plays simulated Mitsugi days (the real stops and network, the Mitsugi demand model, simulated
drivers that follow the manifest's "leave by" times) through the production engine, for each
planning setting (``--slack FACTOR:MARGIN``: promises checked against ``ceil(FACTOR × routing) +
MARGIN`` per leg; ``1.0:0`` is no slack) and each kind of day (``--reality``):

- ``exact``: roads and dwell exactly as the routing says;
- ``today``: the demand model's default (drivers make the routing's speeds or a little better);
- ``wet``: roads ``--slower`` (1.10) slower than routing on average, lognormal spread per leg
  (``--leg-noise`` 0.15) and per dwell (``--dwell-noise`` 0.25, mean = the planned dwell).

Reports per setting and day the shares of pickups inside their window, drop-offs by their latest
time and rides within their limit, the worst late pickup, re-optimisation cycles that failed for
the fleet, manifests without times, promises the plan itself broke, and the cost of the slack:
served share and driving hours against the no-slack setting on exact days (ratios in the same
run; the same seeds everywhere).

    python -m bench.live_ops                                  # 5 seeds, demand ×1.0 and ×1.6
    python -m bench.live_ops --seeds 2 --demand 1.0 --slack 1.0:0 1.15:30 --md out.md
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from dispatcher.services import load_service
from dispatcher.sim.demand import DemandParams
from dispatcher.sim.runner import Scenario, run_day

REALITIES = ("exact", "today", "wet")


def reality_scenario(kind: str, slower: float, leg: float, dwell: float,
                     demand: float) -> Scenario:
    """The simulated day's reality as a scenario of the runner."""
    if kind == "exact":
        return Scenario("exact", slower=1.0, leg_noise=0.0, dwell_noise=0.0, demand_scale=demand)
    if kind == "today":
        return Scenario("today", demand_scale=demand)
    if kind == "wet":
        return Scenario("wet", slower=slower, leg_noise=leg, dwell_noise=dwell,
                        demand_scale=demand)
    raise ValueError(f"unknown reality {kind!r}; one of {REALITIES}")


def parse_slack(text: str) -> tuple[float, int]:
    """``FACTOR:MARGIN`` → (travel_factor, travel_margin_s)."""
    factor, _, margin = text.partition(":")
    return float(factor), int(margin or 0)


def one_day(service: Any, network: Any, slack: tuple[float, int], sc: Scenario, seed: int,
            day: date, workdir: Path, until: str | None = None) -> dict[str, Any]:
    """Simulate one day under a slack setting; its figures as a flat row."""
    factor, margin = slack
    svc = service
    if slack != (1.0, 0) or "travel_factor" in service.dispatch:
        svc = replace(service, dispatch={**service.dispatch, "travel_factor": factor,
                                         "travel_margin_s": margin})
    r = run_day(svc, network, workdir, scenario=sc, seed=seed, day=day,
                demand=DemandParams.from_toml(), reopt_every_s=300, reopt_limit_s=0.3,
                until=until)
    p = r.promises
    assert p is not None
    return {"slack": f"{factor:g}:{margin}", "reality": sc.name, "demand": sc.demand_scale,
            "seed": seed, "requests": r.riders.asked, "completed": r.kpis.completed,
            "served_share": r.kpis.completed / max(1, r.riders.asked),
            "vehicle_h": r.kpis.vehicle_hours, "pickups": p.pickups,
            "pickups_in_window": p.pickups_in_window, "dropoffs": p.dropoffs,
            "dropoffs_on_time": p.dropoffs_on_time, "rides_in_limit": p.rides_in_limit,
            "pickup_late_max_s": p.pickup_late_max_s, "dropoff_late_max_s": p.dropoff_late_max_s,
            "reopt_failed": r.reopt_failed, "reopt_cycles": r.reopt_cycles,
            "untimed_views": r.untimed_views, "broken_planned": len(r.broken_planned),
            "over_capacity": len(r.check.over_capacity), "wall_s": r.wall_s}


def summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Totals per (slack, reality, demand) over seeds, with shares and ratios."""
    groups: dict[tuple[str, str, float], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["slack"], r["reality"], r["demand"]), []).append(r)
    out = []
    for (slack, reality, demand), g in groups.items():
        tot = {k: sum(x[k] for x in g) for k in ("requests", "completed", "pickups",
                                                 "pickups_in_window", "dropoffs",
                                                 "dropoffs_on_time", "rides_in_limit",
                                                 "reopt_failed", "reopt_cycles", "untimed_views",
                                                 "broken_planned", "over_capacity")}
        out.append({
            "slack": slack, "reality": reality, "demand": demand, "seeds": len(g), **tot,
            "served_share": tot["completed"] / max(1, tot["requests"]),
            "vehicle_h_per_day": float(np.mean([x["vehicle_h"] for x in g])),
            "pickup_share": tot["pickups_in_window"] / max(1, tot["pickups"]),
            "dropoff_share": tot["dropoffs_on_time"] / max(1, tot["dropoffs"]),
            "ride_share": tot["rides_in_limit"] / max(1, tot["dropoffs"]),
            "pickup_late_max_s": max(x["pickup_late_max_s"] for x in g),
            "dropoff_late_max_s": max(x["dropoff_late_max_s"] for x in g),
        })
    for s in out:
        base = next((b for b in out if b["slack"] == out[0]["slack"]
                     and b["reality"] == s["reality"] and b["demand"] == s["demand"]), None)
        if base is not None:
            s["served_vs_first"] = s["served_share"] / max(1e-9, base["served_share"])
            s["vehicle_h_vs_first"] = s["vehicle_h_per_day"] / max(1e-9, base["vehicle_h_per_day"])
    return out


def markdown(summ: list[dict[str, Any]]) -> str:
    """The summary as a Markdown table."""
    head = ("| slack | day | demand | requests | served | served ×first | driving h/day | h ×first "
            "| pickups in window | drop-offs by latest | rides in limit | worst late pickup s "
            "| reopt failed | manifests without times | broken by plan |")
    lines = [head, "|" + "---|" * 15]
    for s in summ:
        lines.append(
            f"| {s['slack']} | {s['reality']} | ×{s['demand']:g} | {s['requests']} "
            f"| {s['served_share']:.1%} | {s.get('served_vs_first', 1):.3f} "
            f"| {s['vehicle_h_per_day']:.2f} | {s.get('vehicle_h_vs_first', 1):.3f} "
            f"| {s['pickup_share']:.1%} | {s['dropoff_share']:.1%} | {s['ride_share']:.1%} "
            f"| {s['pickup_late_max_s']} | {s['reopt_failed']}/{s['reopt_cycles']} "
            f"| {s['untimed_views']} | {s['broken_planned']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run every (slack, reality, demand, seed) day and print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--seed0", type=int, default=0)
    p.add_argument("--demand", type=float, nargs="+", default=[1.0, 1.6])
    p.add_argument("--slack", nargs="+", default=["1.0:0", "1.15:0"],
                   help="planning settings FACTOR:MARGIN; the first is the reference")
    p.add_argument("--reality", nargs="+", default=["exact", "wet"], choices=REALITIES)
    p.add_argument("--slower", type=float, default=1.10)
    p.add_argument("--leg-noise", type=float, default=0.15)
    p.add_argument("--dwell-noise", type=float, default=0.25)
    p.add_argument("--day", type=date.fromisoformat, default=date(2027, 1, 13))
    p.add_argument("--until", default=None, help="no requests after this local HH:MM")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--md", type=Path, default=None)
    args = p.parse_args(argv)
    from routing.network import load_network

    service = load_service("mitsugi")
    network = load_network("mitsugi")
    workdir = Path(tempfile.mkdtemp(prefix="noriai-liveops-"))
    rows = []
    jobs = [(parse_slack(sl), reality_scenario(k, args.slower, args.leg_noise, args.dwell_noise, d),
             seed) for d in args.demand for k in args.reality for sl in args.slack
            for seed in range(args.seed0, args.seed0 + args.seeds)]
    t0 = time.perf_counter()
    for i, (slack, sc, seed) in enumerate(jobs, start=1):
        row = one_day(service, network, slack, sc, seed, args.day, workdir, args.until)
        rows.append(row)
        print(f"[{i}/{len(jobs)}] slack {row['slack']} {sc.name} ×{sc.demand_scale:g} seed {seed}: "
              f"{row['completed']}/{row['requests']} carried, pickups in window "
              f"{row['pickups_in_window']}/{row['pickups']}, reopt failed {row['reopt_failed']}, "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
    summ = summary(rows)
    table = markdown(summ)
    print()
    print(table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rows": rows, "summary": summ}, indent=1))
    if args.md:
        args.md.parent.mkdir(parents=True, exist_ok=True)
        args.md.write_text(table + "\n")
    bad = sum(s["broken_planned"] + s["over_capacity"] for s in summ)
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
