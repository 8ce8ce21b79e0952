"""Road network geometry for maps: the undirected edges merged into polylines (pure).

The operations console draws the zone's roads as its base layer (no outside tiles). Directed
CSR edges are folded to undirected segments, and chains through nodes of degree two are merged
into one line each, so the map gets a few hundred lines instead of thousands of segments.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np


def road_lines(lat: np.ndarray, lon: np.ndarray, indptr: np.ndarray, indices: np.ndarray,
               *, digits: int = 5) -> list[list[list[float]]]:
    """Polylines ``[[lat, lon], ...]`` covering every road of a CSR graph once.

    Parameters
    ----------
    lat, lon
        Node coordinates (WGS84 degrees).
    indptr, indices
        CSR structure of the directed graph (edges of node ``i`` go to
        ``indices[indptr[i]:indptr[i + 1]]``).
    digits
        Decimal places kept in coordinates (5 ≈ 1 m).

    Returns
    -------
    list of list of [lat, lon]
        One line per chain of roads between junctions or dead ends; every undirected edge
        appears in exactly one line.
    """
    adj: dict[int, set[int]] = defaultdict(set)
    for u in range(len(indptr) - 1):
        for v in indices[int(indptr[u]):int(indptr[u + 1])]:
            v = int(v)
            if u != v:
                adj[u].add(v)
                adj[v].add(u)
    seen: set[tuple[int, int]] = set()

    def point(n: int) -> list[float]:
        return [round(float(lat[n]), digits), round(float(lon[n]), digits)]

    def walk(a: int, b: int) -> list[int]:
        chain = [a, b]
        seen.add((min(a, b), max(a, b)))
        prev, cur = a, b
        while len(adj[cur]) == 2:
            nxt = next(n for n in adj[cur] if n != prev)
            key = (min(cur, nxt), max(cur, nxt))
            if key in seen:
                break
            seen.add(key)
            chain.append(nxt)
            prev, cur = cur, nxt
        return chain

    lines: list[list[int]] = []
    # Start at junctions and dead ends first, then pick up closed loops of degree-2 nodes.
    for start in sorted(adj, key=lambda n: len(adj[n]) == 2):
        for nb in sorted(adj[start]):
            if (min(start, nb), max(start, nb)) not in seen:
                lines.append(walk(start, nb))
    return [[point(n) for n in line] for line in lines]
