"""``noriai sim``: what-if days through the production engine, KPIs side by side, plots.

Examples
--------
noriai sim --seeds 3 --fleet 2 4                 # base (3 vehicles) vs 2 and 4 vehicles
noriai sim --window 15 --ride-factor 1.3         # wider window; tighter ride limit
noriai sim --shifts staggered all_day --hours 07:30-18:00
noriai sim --slower 1.0 1.10 --seeds 5          # a wet day: 10 % slower roads plus per-leg noise
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from datetime import date
from pathlib import Path

from dispatcher.services import load_service
from dispatcher.sim.report import kpi_figure, summarise, table_text
from dispatcher.sim.runner import SHIFT_PATTERNS, Scenario, run_day


def build_parser() -> argparse.ArgumentParser:
    """Arguments of ``noriai sim``."""
    p = argparse.ArgumentParser(prog="noriai sim", description=(
        "Simulate Mitsugi days through the production engine and compare KPIs of variants "
        "against the configured service (base)."))
    p.add_argument("--seeds", type=int, default=1, help="days (seeds) per scenario")
    p.add_argument("--seed0", type=int, default=0, help="first seed")
    p.add_argument("--day", type=date.fromisoformat, default=date(2027, 1, 13),
                   help="service day (an operating day; default 2027-01-13)")
    p.add_argument("--fleet", type=int, nargs="*", default=[], help="fleet sizes to try")
    p.add_argument("--shifts", nargs="*", default=[], choices=SHIFT_PATTERNS,
                   help="shift patterns to try")
    p.add_argument("--hours", nargs="*", default=[], help="service hours to try, HH:MM-HH:MM")
    p.add_argument("--window", type=int, nargs="*", default=[], help="pickup window widths (min)")
    p.add_argument("--ride-factor", type=float, nargs="*", default=[],
                   help="maximum ride factors (× direct time)")
    p.add_argument("--ride-offset", type=int, nargs="*", default=[],
                   help="maximum ride offsets (min)")
    p.add_argument("--demand", type=float, nargs="*", default=[], help="demand scales to try")
    p.add_argument("--slow", type=float, nargs="*", default=[],
                   help="slower traffic: upper actual/planned driving time, e.g. 1.15")
    p.add_argument("--slower", type=float, nargs="*", default=[],
                   help="days slower than routing on average, e.g. 1.10 (with per-leg noise)")
    p.add_argument("--leg-noise", type=float, default=0.15,
                   help="lognormal spread of each leg's driving time on --slower days")
    p.add_argument("--dwell-noise", type=float, default=0.25,
                   help="lognormal spread of each dwell on --slower days")
    p.add_argument("--no-base", action="store_true", help="leave out the base scenario")
    p.add_argument("--reopt-every", type=int, default=600, help="simulated s between cycles")
    p.add_argument("--reopt-limit", type=float, default=0.3, help="solver wall s per cycle")
    p.add_argument("--out", type=Path, default=Path("var/sim"), help="output folder")
    p.add_argument("--service", default="mitsugi")
    return p


def scenarios_from(args: argparse.Namespace) -> list[Scenario]:
    """The base scenario and one variant per value given."""
    out = [] if args.no_base else [Scenario("base")]
    out += [Scenario(f"fleet={n}", fleet_size=n) for n in args.fleet]
    out += [Scenario(f"shifts={s}", shifts=s) for s in args.shifts]
    out += [Scenario(f"hours={h}", hours=h) for h in args.hours]
    out += [Scenario(f"window={w}m", window_min=w) for w in args.window]
    out += [Scenario(f"ride×{f}", ride_factor=f) for f in args.ride_factor]
    out += [Scenario(f"ride+{m}m", ride_offset_min=m) for m in args.ride_offset]
    out += [Scenario(f"demand×{d}", demand_scale=d) for d in args.demand]
    out += [Scenario(f"slow≤{s}", slow_traffic=s) for s in args.slow]
    out += [Scenario(f"slower×{f:.2f}", slower=f, leg_noise=args.leg_noise,
                     dwell_noise=args.dwell_noise) for f in args.slower]
    return out


def main(argv: list[str]) -> int:
    """Run the scenarios, print the table, write CSV/JSON and a PNG of the KPIs."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from routing.network import load_network

    service = load_service(args.service)
    network = load_network(args.service)
    scenarios = scenarios_from(args)
    if not scenarios:
        print("noriai sim: nothing to run (give a variant or drop --no-base)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for sc in scenarios:
        for seed in range(args.seed0, args.seed0 + args.seeds):
            r = run_day(service, network, args.out / "runs", scenario=sc, seed=seed, day=args.day,
                        reopt_every_s=args.reopt_every, reopt_limit_s=args.reopt_limit)
            row = r.row() | {"wall_s": round(r.wall_s, 1),
                             "speedup": round(r.sim_s / max(r.wall_s, 1e-9))}
            rows.append(row)
            print(f"{sc.name:<18} seed {seed}: {row['completed']}/{row['requests']} carried, "
                  f"{row['refused']} refused, {row['wall_s']} s wall "
                  f"({row['speedup']}× real time), promises broken {row['promises_broken']}, "
                  f"pickups in window {row['pickup_in_window']:.1%}",
                  flush=True)
            c = r.check
            if c.over_capacity or c.not_final or c.kpi_mismatch or r.broken_planned:
                print(f"  invariant problems: over capacity {c.over_capacity[:3]}, not final "
                      f"{c.not_final[:3]}, KPI mismatch {c.kpi_mismatch[:3]}, promises the plan "
                      f"broke {r.broken_planned[:3]}", file=sys.stderr)
    summary = summarise(rows)
    print()
    print(table_text(summary))
    with (args.out / "whatif.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (args.out / "whatif.json").write_text(json.dumps({"rows": rows, "summary": summary},
                                                     ensure_ascii=False, indent=1))
    fig = kpi_figure(rows)
    fig.savefig(args.out / "whatif.png", dpi=110)
    print(f"\nwrote {args.out / 'whatif.csv'}, {args.out / 'whatif.png'}")
    return 0
