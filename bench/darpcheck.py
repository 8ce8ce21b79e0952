"""Independent floating-point checker of Cordeau DARP solutions (no dispatcher code used).

Convention of ../shared/bench/darp/README.md: travel time = distance = unrounded Euclidean
distance; service starts within [e, l] (waiting allowed); ride time of request i is
``B(n+i) - (B(i) + d(i)) <= L``; route duration ``B(end) - B(start) <= T``; load <= Q; at most K
routes; every request served once on one route, pickup before drop-off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EPS = 1e-6


@dataclass(frozen=True)
class DarpInstance:
    """A Cordeau DARP instance (times and distances in the file's units, minutes)."""

    name: str
    vehicles: int
    requests: int
    horizon: float
    capacity: int
    max_ride: float
    xy: list[tuple[float, float]]
    service: list[float]
    load: list[int]
    early: list[float]
    late: list[float]

    def dist(self, i: int, j: int) -> float:
        """Euclidean distance between nodes (the end depot 2n+1 is node 0)."""
        (x1, y1), (x2, y2) = self.xy[i], self.xy[j]
        return math.hypot(x1 - x2, y1 - y2)


def read_instance(path: str | Path) -> DarpInstance:
    """Parse an 'a'/'b' instance file; the end-depot line 2n+1, if present, is dropped."""
    lines = [ln.split() for ln in Path(path).read_text().splitlines() if ln.strip()]
    k, n, t, q, ride = lines[0][:5]
    n_req = int(n)
    rows = [list(map(float, r)) for r in lines[1 : 2 * n_req + 2]]
    return DarpInstance(
        Path(path).stem, int(k), n_req, float(t), int(q), float(ride),
        [(r[1], r[2]) for r in rows], [r[3] for r in rows], [int(r[4]) for r in rows],
        [r[5] for r in rows], [r[6] for r in rows],
    )


def _schedule(inst: DarpInstance, nodes: list[int]) -> list[float] | None:
    """Least start times of a route [0, ..., 0] by Bellman-Ford on the difference constraints."""
    m = len(nodes)
    n = inst.requests
    # edges (u, v, w): B[v] >= B[u] + w ; bounds handled by a source
    edges: list[tuple[int, int, float]] = []
    for k in range(m - 1):
        a, b = nodes[k], nodes[k + 1]
        edges.append((k, k + 1, inst.service[a] + inst.dist(a, b)))
    pos = {v: k for k, v in enumerate(nodes[1:-1], start=1)}
    for k, v in enumerate(nodes[1:-1], start=1):
        if 1 <= v <= n and v + n in pos:
            q = pos[v + n]
            edges.append((q, k, -(inst.service[v] + inst.max_ride)))
    edges.append((m - 1, 0, -inst.horizon))
    b = [inst.early[v] for v in nodes]
    for _ in range(m + 1):
        changed = False
        for u, v, w in edges:
            if b[u] + w > b[v] + 1e-12:
                b[v] = b[u] + w
                changed = True
        if not changed:
            break
    else:
        return None
    late = [inst.late[v] for v in nodes]
    if any(bv > lv + EPS for bv, lv in zip(b, late, strict=True)):
        return None
    return b


def check_solution(inst: DarpInstance, solution: dict[str, Any]) -> list[str]:
    """All problems found in a solution JSON (empty list = feasible and cost correct)."""
    n = inst.requests
    problems: list[str] = []
    routes = solution.get("routes", [])
    if len([r for r in routes if len(r["nodes"]) > 2]) > inst.vehicles:
        problems.append("more routes than vehicles")
    seen: dict[int, int] = {}
    total = 0.0
    for ri, route in enumerate(routes):
        nodes, times = route["nodes"], route["times"]
        if nodes[0] != 0 or nodes[-1] != 0 or len(times) != len(nodes):
            problems.append(f"route {ri}: must start and end at depot 0 with one time per node")
            continue
        load = 0
        for k, v in enumerate(nodes[1:-1], start=1):
            if not 1 <= v <= 2 * n or v in seen:
                problems.append(f"route {ri}: node {v} unknown or visited twice")
            seen[v] = ri
            if v > n and seen.get(v - n) != ri:
                problems.append(f"route {ri}: drop-off {v} without its pickup earlier on this route")
            load += inst.load[v]
            if load > inst.capacity:
                problems.append(f"route {ri}: load {load} > {inst.capacity} at node {v}")
            if k < len(nodes) - 1 and v <= n and (v + n) not in nodes[k:]:
                problems.append(f"route {ri}: pickup {v} without drop-off later on this route")
        for k in range(len(nodes) - 1):
            total += inst.dist(nodes[k], nodes[k + 1])
        problems += [f"route {ri}: {p}" for p in _check_times(inst, nodes, times)]
        if _schedule(inst, nodes) is None:
            problems.append(f"route {ri}: no feasible schedule exists")
    missing = [v for v in range(1, 2 * n + 1) if v not in seen]
    if missing:
        problems.append(f"nodes not served: {missing[:10]}")
    if abs(total - float(solution.get("cost", -1))) > 1e-6 * max(1.0, total):
        problems.append(f"reported cost {solution.get('cost')} != recomputed {total}")
    return problems


def _check_times(inst: DarpInstance, nodes: list[int], times: list[float]) -> list[str]:
    """Check the reported service start times themselves."""
    n = inst.requests
    out = []
    at = dict(zip(nodes[1:-1], times[1:-1], strict=True))
    for k, (v, b) in enumerate(zip(nodes, times, strict=True)):
        if b < inst.early[v] - EPS or b > inst.late[v] + EPS:
            out.append(f"time {b} at node {v} outside [{inst.early[v]}, {inst.late[v]}]")
        if k > 0:
            u = nodes[k - 1]
            if b < times[k - 1] + inst.service[u] + inst.dist(u, v) - EPS:
                out.append(f"node {v} reached before {times[k - 1]} + service + travel")
        if 1 <= v <= n and v + n in at:
            ride = at[v + n] - (b + inst.service[v])
            if ride > inst.max_ride + EPS:
                out.append(f"ride time of request {v} is {ride:.4f} > {inst.max_ride}")
    if times[-1] - times[0] > inst.horizon + EPS:
        out.append(f"route duration {times[-1] - times[0]:.4f} > {inst.horizon}")
    return out


def route_cost(inst: DarpInstance, routes: list[list[int]]) -> float:
    """Total Euclidean length of routes given as node lists (depot implied at both ends)."""
    total = 0.0
    for r in routes:
        nodes = [0, *r, 0]
        total += sum(inst.dist(nodes[k], nodes[k + 1]) for k in range(len(nodes) - 1))
    return total
