"""Offer latency: ``python -m bench.insertion [--requests 200] [--fleets 10,50,200]``.

Each fleet has 5 open bookings per vehicle on a synthetic 400-node road matrix (15 km square,
29 km/h); new random requests (70 % pickup-after, 30 % drop-off-before, 1-3 passengers, 10 %
with a wheelchair) are offered against the unchanged fleet. Latency includes indexing the fleet
(``cold``: nothing cached) and, separately, with the fleet index kept between offers (``warm``,
as an engine does while plans do not change). Target: p95 ≤ 20 ms at 50 vehicles.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

from bench.synthetic import random_request, scenario
from dispatcher.insertion import offers
from dispatcher.route_index import index_fleet


def measure(vehicles: int, requests: int, seed: int) -> dict[str, float]:
    """Latency statistics (ms) of offers into a fleet of ``vehicles``."""
    sc = scenario(vehicles, 5, seed=seed)
    rng = random.Random(seed + 1)
    reqs = [random_request(rng, f"new{i}", sc.time_s.shape[0], sc.now_s) for i in range(requests)]
    cold, warm, served, alternatives = [], [], 0, 0
    indexed = index_fleet(sc.fleet, sc.time_s, sc.params, sc.dist_m)
    for req in reqs:
        t = time.perf_counter()
        found = offers(sc.fleet, req, sc.time_s, sc.params, sc.now_s, sc.dist_m)
        cold.append(time.perf_counter() - t)
        t = time.perf_counter()
        offers(sc.fleet, req, sc.time_s, sc.params, sc.now_s, sc.dist_m, indexed=indexed)
        warm.append(time.perf_counter() - t)
        served += bool(found)
        alternatives += bool(found) and found[0].shift_s != 0
    c, w = np.asarray(cold) * 1000, np.asarray(warm) * 1000
    return {"vehicles": vehicles, "bookings": len(sc.fleet.bookings), "requests": requests,
            "p50": float(np.percentile(c, 50)), "p95": float(np.percentile(c, 95)),
            "max": float(c.max()), "warm_p50": float(np.percentile(w, 50)),
            "warm_p95": float(np.percentile(w, 95)), "warm_max": float(w.max()),
            "offered": served, "alternatives": alternatives}


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(prog="python -m bench.insertion", description=__doc__)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--fleets", default="10,50,200")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="write the markdown table here")
    args = ap.parse_args(argv)
    lines = ["| vehicles | open bookings | requests | p50 ms | p95 ms | max ms | warm p50 | "
             "warm p95 | warm max | with offer | of which alternative |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    ok = True
    for n in (int(x) for x in args.fleets.split(",")):
        r = measure(n, args.requests, args.seed)
        lines.append(
            f"| {n} | {r['bookings']} | {r['requests']} | {r['p50']:.1f} | {r['p95']:.1f} | "
            f"{r['max']:.1f} | {r['warm_p50']:.1f} | {r['warm_p95']:.1f} | {r['warm_max']:.1f} | "
            f"{r['offered']} | {r['alternatives']} |")
        if n == 50:
            ok = r["p95"] <= 20.0
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
