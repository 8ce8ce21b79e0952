"""The single-fleet city (bench/city_single.py): one engine, re-optimised by neighbourhoods."""

from __future__ import annotations

from dispatcher import optimize
from dispatcher.engine import reopt


def test_single_fleet_day_keeps_promises_and_reoptimises_neighbourhoods(tmp_path, monkeypatch):
    """A short day of a 30-vehicle fleet with neighbourhoods of 8: every cycle solves at most 8
    vehicles, and no promise is broken by the plans (checked against the event log)."""
    from bench.city_single import run_city

    sizes: list[int] = []
    real = optimize.reoptimize

    def spy(fleet, *args, **kwargs):
        sizes.append(len(fleet.vehicles))
        return real(fleet, *args, **kwargs)

    monkeypatch.setattr(reopt.optimize, "reoptimize", spy)
    res = run_city({"seed": 3, "side": 20, "stops": 80, "vehicles": 30, "requests": 240,
                    "prune": True, "workdir": str(tmp_path), "reopt_every": 900,
                    "reopt_limit": 0.1, "until": "10:30", "neighbourhood": 8})
    assert res["booked"] > 20
    assert sizes and max(sizes) <= 8
    assert res["broken_planned"] == [] and res["over_capacity"] == []
    assert res["reopt_failed"] == 0
