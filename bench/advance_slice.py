"""The first K booking events of a single-fleet day: the advance bookings that fill the fleet.

``python -m bench.advance_slice --events 8000 --vehicles 250 --requests 12500`` runs the same day
as ``python -m bench.city_scale --single-fleet`` (same grid, stops, fleet and demand; seed 0)
through :func:`dispatcher.sim.runner.run_day`, and stops after ``--events`` booking events, which
at the start of the day are all advance bookings. It prints every 1,000 events and ends with
the wall and CPU seconds and the bookings made and refused. The outcome is deterministic until
the first re-optimisation cycle (none runs before the simulated day starts), so two commits can
be compared by their CPU time on the same bookings.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.city_scale import GridNetwork, zone_service
from dispatcher.services import load_service


class _Enough(Exception):
    """Raised inside the day loop once the events asked for are done."""


def run(events: int, vehicles: int, requests: int, side: int = 60, stops: int = 1000
        ) -> dict[str, Any]:
    """Play the day until ``events`` booking events are done; their figures."""
    from dispatcher.sim import runner
    from dispatcher.sim.demand import DemandParams

    seen: dict[str, Any] = {"n": 0}
    handle = runner._DayLoop._handle

    def counted(loop: Any, now: int, kind: str, payload: Any) -> str | None:
        if kind == "book":
            if seen["n"] == 0:
                seen["t0"], seen["c0"] = time.perf_counter(), time.process_time()
            seen["n"] += 1
            log = loop.riders.log
            if seen["n"] % 1000 == 0:
                print(f"{seen['n']} events: {time.perf_counter() - seen['t0']:.1f} s wall, "
                      f"{time.process_time() - seen['c0']:.1f} s CPU, booked {len(log.booked)} "
                      f"refused {log.refused}", flush=True)
            if seen["n"] > events:
                seen["booked"], seen["refused"] = len(log.booked), log.refused
                raise _Enough
        return handle(loop, now, kind, payload)

    base = load_service("mitsugi")
    service = zone_service(base, side, stops, vehicles, np.random.default_rng(0))
    service = replace(service, dispatch={**service.dispatch, "prune_offers": True})
    demand = replace(DemandParams.from_toml(), outbound_per_day=requests / 1.75)
    runner._DayLoop._handle = counted  # type: ignore[method-assign, assignment]
    try:
        runner.run_day(service, GridNetwork(side), Path(tempfile.mkdtemp(prefix="noriai-adv-")),
                       scenario=runner.Scenario("city"), seed=0, demand=demand,
                       reopt_every_s=900, reopt_limit_s=0.2)
    except _Enough:
        pass
    finally:
        runner._DayLoop._handle = handle  # type: ignore[method-assign]
    return {"events": min(seen["n"], events), "wall_s": time.perf_counter() - seen["t0"],
            "cpu_s": time.process_time() - seen["c0"], "booked": seen.get("booked"),
            "refused": seen.get("refused")}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=8000)
    p.add_argument("--vehicles", type=int, default=250)
    p.add_argument("--requests", type=int, default=12_500)
    args = p.parse_args(argv)
    got = run(args.events, args.vehicles, args.requests)
    print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                   for k, v in got.items()), flush=True)


if __name__ == "__main__":
    main()
