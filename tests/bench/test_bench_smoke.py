"""Benchmark CLIs: the DARP JSON contract, its independent check, and small PDPTW/latency runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.darpcheck import check_solution, read_instance
from bench.pdptw import check as pdp_check
from bench.pdptw import read_instance as read_pdp
from bench.pdptw import solve_ours as pdp_ours

REPO = Path(__file__).resolve().parents[2]


def _run(args: list[str], shared: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NORIAI_SHARED": str(shared), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_darp_cli_json_passes_independent_check(shared_data, tmp_path):
    """bench.darp on a2-16 writes the DESIGN.md JSON; it passes the float checker, cost exact."""
    inst_file = shared_data / "bench/darp/instances/a/a2-16.txt"
    out = tmp_path / "a2-16.json"
    proc = _run(["-m", "bench.darp", str(inst_file), "--time-limit", "2", "--json", str(out)],
                shared_data)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert set(data) == {"instance", "cost", "routes"}
    assert data["instance"] == "a2-16"
    for route in data["routes"]:
        assert set(route) == {"vehicle", "nodes", "times"}
        assert route["nodes"][0] == route["nodes"][-1] == 0
        assert len(route["times"]) == len(route["nodes"])
    inst = read_instance(inst_file)
    assert check_solution(inst, data) == []
    served = sorted(v for r in data["routes"] for v in r["nodes"][1:-1])
    assert served == list(range(1, 2 * inst.requests + 1))
    assert data["cost"] <= 294.2480 * 1.03  # within 3 % of the optimum after 2 s


def test_independent_checker_catches_broken_solutions(shared_data, tmp_path):
    """The float checker rejects wrong cost, late times, ride-time and precedence breaks."""
    inst = read_instance(shared_data / "bench/darp/instances/a/a2-16.txt")
    ref = json.loads((shared_data / "bench/darp/reference_solutions/a2-16.json").read_text())
    route = ref["routes"][0]
    bad_order = {"instance": "a2-16", "cost": 0.0,
                 "routes": [{"vehicle": 0, "nodes": [0, route[1], route[0], *route[2:], 0],
                             "times": [0.0] * (len(route) + 2)}]}
    problems = check_solution(inst, bad_order)
    assert any("cost" in p for p in problems)
    assert any("not served" in p for p in problems)
    assert any("time" in p or "schedule" in p for p in problems)


def test_darp_set_runner_table(shared_data, tmp_path):
    """The set runner prints a table with both solvers, gap and feasibility columns."""
    out = tmp_path / "a.md"
    proc = _run(["-m", "bench.darp", "--set", "a", "--only", "a2-16", "--time-limit", "1",
                 "--table", "--out", str(out)], shared_data)
    text = out.read_text()
    assert "| a2-16 |" in text and "ours gap" in text and "ortools gap" in text
    rows = json.loads(out.with_suffix(".json").read_text())
    ours = next(r for r in rows if r["solver"] == "ours")
    assert ours["feasible"]
    assert proc.stdout.strip().startswith("###")


def test_pdptw_ours_small(shared_data):
    """Our optimiser on lc101 for 3 s is feasible by the independent PDPTW checker."""
    inst = read_pdp(shared_data / "bench/pdptw/instances/lc101.txt")
    routes = pdp_ours(inst, 3.0, 0)
    problems, dist = pdp_check(inst, [r for r in routes if r])
    assert problems == []
    assert dist > 800


def test_insertion_bench_cli_small():
    """bench.insertion runs and prints the latency table."""
    proc = subprocess.run([sys.executable, "-m", "bench.insertion", "--requests", "5",
                           "--fleets", "5"], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert "| 5 |" in proc.stdout and "p95 ms" in proc.stdout


def test_live_ops_bench_small(tmp_path):
    """bench.live_ops plays an exact and a wet Mitsugi morning with and without slack and
    writes the promise-keeping table (shares, failed cycles, manifests without times)."""
    out = tmp_path / "live.json"
    proc = subprocess.run([sys.executable, "-m", "bench.live_ops", "--seeds", "1",
                           "--demand", "0.8", "--until", "11:00", "--slack", "1.0:0", "1.15:0",
                           "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "| pickups in window |" in proc.stdout
    summ = json.loads(out.read_text())["summary"]
    assert {(s["slack"], s["reality"]) for s in summ} == {("1:0", "exact"), ("1:0", "wet"),
                                                         ("1.15:0", "exact"), ("1.15:0", "wet")}
    exact = [s for s in summ if s["reality"] == "exact"]
    assert all(s["pickup_share"] == 1.0 and s["dropoff_share"] == 1.0 for s in exact)
    assert all(s["reopt_failed"] == 0 and s["untimed_views"] == 0 for s in summ)
