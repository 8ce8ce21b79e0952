"""City scale as one fleet: one service area, one Engine, all vehicles on one city-sized grid.

``python -m bench.city_scale --single-fleet`` runs this instead of the zones: one
:class:`bench.city_scale.GridNetwork` (``--city-side`` nodes per side, 400 m apart), ``--city-stops``
stops on it (the engine's matrices are over the place index: stops × stops, not grid nodes),
vehicles based at the transfer stops, the requests of the day through
:func:`dispatcher.sim.runner.run_day` (riders, simulated drivers, re-optimisation cycles, the
event-log checks). The same day (same seed) is run with the offers' candidate pruning
(:mod:`dispatcher.fleet_prune`) and, with ``--baseline``, without it, in one process one after
the other, so the figures can be read as ratios of the same run.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.city_scale import GridNetwork, figures, summary, zone_service
from dispatcher.services import load_service


def run_city(job: dict[str, Any]) -> dict[str, Any]:
    """Simulate the one fleet's day (pruning on or off as ``job["prune"]``) and its figures."""
    from dispatcher.sim.demand import DemandParams
    from dispatcher.sim.runner import Scenario, run_day

    base = load_service("mitsugi")
    rng = np.random.default_rng(job["seed"])
    service = zone_service(base, job["side"], job["stops"], job["vehicles"], rng)
    dispatch = {**service.dispatch, "prune_offers": job["prune"]}
    if job.get("neighbourhood") is not None:
        dispatch["search"] = {**dispatch.get("search", {}),
                              "neighbourhood_vehicles": job["neighbourhood"]}
    service = replace(service, dispatch=dispatch)
    demand = replace(DemandParams.from_toml(), outbound_per_day=job["requests"] / 1.75)
    t0 = time.perf_counter()
    r = run_day(service, GridNetwork(job["side"]), Path(job["workdir"]),
                scenario=Scenario("city"), seed=job["seed"], demand=demand,
                reopt_every_s=job["reopt_every"], reopt_limit_s=job["reopt_limit"],
                until=job.get("until"),
                progress=(lambda m: print(f"  [{'on' if job['prune'] else 'off'}] {m}",
                                          flush=True)) if job.get("verbose") else None)
    return figures(r, time.perf_counter() - t0)


def run_single(args: Any) -> dict[str, Any]:
    """The single-fleet mode of ``bench.city_scale``: pruned, then (``--baseline``) unpruned."""
    workdir = Path(tempfile.mkdtemp(prefix="noriai-city1-"))
    out: dict[str, Any] = {}
    modes = [True, False] if args.baseline else [True]
    for prune in modes:
        job = {"seed": args.seed, "side": args.city_side, "stops": args.city_stops,
               "vehicles": args.vehicles, "requests": args.requests, "prune": prune,
               "workdir": str(workdir / ("pruned" if prune else "unpruned")),
               "reopt_every": args.reopt_every, "reopt_limit": args.reopt_limit,
               "until": args.until, "verbose": args.verbose,
               "neighbourhood": args.neighbourhood}
        t0 = time.perf_counter()
        res = run_city(job)
        wall = time.perf_counter() - t0
        name = "pruned" if prune else "unpruned"
        out[name] = {"vehicles": args.vehicles, "city_side": args.city_side,
                     "stops": args.city_stops, **summary([res], wall),
                     "reopt_limit_ms": args.reopt_limit * 1000}
        print(f"{name}:", flush=True)
        for k, v in out[name].items():
            print(f"{k:>32}: {v:.3f}" if isinstance(v, float) else f"{k:>32}: {v}", flush=True)
    if args.baseline:
        on, off = out["pruned"], out["unpruned"]
        out["ratios_pruned_vs_unpruned"] = {
            k: on[k] / off[k] for k in ("offer_ms_p50", "offer_ms_p95", "sim_to_wall",
                                        "served_share", "reopt_ms_per_cycle_mean")
            if off[k]}
        print("ratios pruned / unpruned:", flush=True)
        for k, v in out["ratios_pruned_vs_unpruned"].items():
            print(f"{k:>32}: {v:.3f}", flush=True)
    return out
