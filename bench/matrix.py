"""Benchmark: stop-to-stop matrix and point-to-point queries, noriai vs networkx's Dijkstra.

Run ``python -m bench.matrix [--data-dir DIR] [--queries 10000] [--grid 141]``. On each graph
(the Mitsugi network as loaded by ``load_network``, and a synthetic grid of about 20,000 nodes
so the ratio means something) it times, in one run:

- the all-pairs matrix between the stops (``Network.matrix``: the compiled bucket-queue
  Dijkstra of routing.kernels when numba is installed, else scipy's Dijkstra) against
  networkx ``single_source_dijkstra_path_length`` from each stop on the same graph (a DiGraph
  with the same integer times), checking that both agree;
- ``queries`` random point-to-point queries between stops through ``Network.travel_time``
  (tree cache), per-query p50/p95, against ``networkx.bidirectional_dijkstra`` (timed on a
  sample of ``nx_queries`` when that would take long, and scaled: said in the output);
- the cold case: queries from never-seen sources (an ALT search each with the kernels; the
  landmarks are chosen once before timing, and that set-up time is printed).
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import numpy as np

from routing import kernels
from routing.network import Network, NetworkInfo, load_network, stop_nodes
from routing.roads import arrays_from_edges


def grid_network(side: int, seed: int = 0) -> Network:
    """A side × side two-way grid (~100 m blocks near Mitsugi) with random integer times."""
    rng = np.random.default_rng(seed)
    ids = np.arange(side * side)
    r, c = np.divmod(ids, side)
    lat, lon = 34.45 + r * 0.0009, 133.10 + c * 0.0011
    right = ids[c < side - 1]
    down = ids[r < side - 1]
    src = np.concatenate([right, right + 1, down, down + side])
    dst = np.concatenate([right + 1, right, down + side, down])
    dist = rng.integers(80, 140, len(src))
    time_s = np.maximum(1, (dist * 3.6 / rng.choice([20, 30, 40, 50], len(src))).round()).astype(int)
    arrays = arrays_from_edges(ids, lat, lon, src, dst, time_s, dist)
    info = NetworkInfo("grid", f"synthetic {side}x{side} grid", "", False, "", "", "", False, 0.0)
    return Network(arrays, info)


def to_networkx(net: Network) -> nx.DiGraph:
    """The same graph as a networkx DiGraph with integer ``time`` on each edge."""
    a = net.arrays
    src = np.repeat(np.arange(a.node_count), np.diff(a.indptr))
    g = nx.DiGraph()
    g.add_nodes_from(range(a.node_count))
    g.add_weighted_edges_from(zip(src.tolist(), a.indices.tolist(), a.time_s.tolist(), strict=True), weight="time")
    return g


def bench(name: str, net: Network, stops: np.ndarray, queries: int, nx_queries: int, seed: int) -> None:
    """Print the matrix and point-to-point figures of one graph."""
    g = to_networkx(net)
    print(f"\n== {name}: {net.node_count:,} nodes, {net.edge_count:,} edges, {len(stops)} stops")
    method = "compiled kernels" if net.graph.compiled else "scipy"
    print(f"method: {method} (numba {'present' if kernels.AVAILABLE else 'absent'})")
    net.matrix(stops[:2], stops[:2])  # warm the first call (numba loads its cached code)
    t0 = time.perf_counter()
    time_s, _ = net.matrix(stops, stops)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = [nx.single_source_dijkstra_path_length(g, int(s), weight="time") for s in stops]
    theirs = time.perf_counter() - t0
    assert all(time_s[i, j] == ref[i][int(t)] for i in range(len(stops)) for j, t in enumerate(stops))
    print(f"matrix {len(stops)}x{len(stops)}: noriai {ours * 1000:.1f} ms, networkx {theirs * 1000:.1f} ms, "
          f"ratio {theirs / ours:.0f}x (identical results)")

    rng = np.random.default_rng(seed)
    pairs = rng.choice(stops, size=(queries, 2))
    net.trees.clear()
    t0 = time.perf_counter()
    net.trees.landmarks  # noqa: B018 - one-time set-up of point-to-point searches
    print(f"point-to-point set-up (landmarks): {(time.perf_counter() - t0) * 1000:.0f} ms")
    net.travel_time(int(stops[0]), int(stops[-1]))  # warm the first call of the search kernel
    net.trees.clear()
    lat = np.empty(queries)
    for k, (a, b) in enumerate(pairs):
        t0 = time.perf_counter_ns()
        net.travel_time(int(a), int(b))
        lat[k] = (time.perf_counter_ns() - t0) / 1e6
    sample = pairs[: min(nx_queries, queries)]
    t0 = time.perf_counter()
    for a, b in sample:
        nx.bidirectional_dijkstra(g, int(a), int(b), weight="time")
    nx_mean = (time.perf_counter() - t0) / len(sample) * 1000
    scaled = "" if len(sample) == queries else f" (timed on {len(sample)}, scaled)"
    print(f"{queries:,} point-to-point queries between stops: noriai total {lat.sum():.1f} ms, "
          f"p50 {np.percentile(lat, 50):.4f} ms, p95 {np.percentile(lat, 95):.4f} ms, max {lat.max():.2f} ms; "
          f"networkx bidirectional {nx_mean * queries:.0f} ms{scaled}, mean {nx_mean:.3f} ms; "
          f"ratio {nx_mean * queries / lat.sum():.0f}x")
    cold_src = rng.choice(net.node_count, size=min(200, net.node_count), replace=False)
    net.trees.clear()
    cold = []
    for s in cold_src:
        t0 = time.perf_counter_ns()
        net.travel_time(int(s), int(stops[0]))
        cold.append((time.perf_counter_ns() - t0) / 1e6)
    print(f"cold queries (new source each, {len(cold)}): p50 {np.percentile(cold, 50):.2f} ms, "
          f"p95 {np.percentile(cold, 95):.2f} ms")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit code."""
    ap = argparse.ArgumentParser(description="matrix and point-to-point benchmark")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--nx-queries", type=int, default=1_000)
    ap.add_argument("--grid", type=int, default=141, help="grid side (141 -> 19,881 nodes)")
    ap.add_argument("--grid-stops", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    net = load_network("mitsugi", args.data_dir)
    tag = "approximate" if net.approximate else "OSM"
    stops = np.array(sorted(set(stop_nodes("mitsugi", net).values())))
    bench(f"Mitsugi ({tag}), service stops", net, stops, args.queries, args.queries, args.seed)
    rng = np.random.default_rng(args.seed)
    stops_all = rng.choice(net.node_count, size=min(200, net.node_count), replace=False)
    bench(f"Mitsugi ({tag}), 200 random nodes", net, stops_all, args.queries, args.queries, args.seed)
    grid = grid_network(args.grid, args.seed)
    gstops = rng.choice(grid.node_count, size=args.grid_stops, replace=False)
    bench("synthetic grid", grid, gstops, args.queries, args.nx_queries, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
