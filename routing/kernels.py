"""Compiled shortest-path kernels on CSR arrays (numba), exact in int64 combined weights.

Pure: arrays in, arrays out. Every edge weighs ``time × scale + length`` as an int64 (see
:meth:`routing.roads.RoadArrays.length_scale`), so a search orders paths by time, then length,
and its labels are exact integers.

- :func:`dial_many` and :func:`dial_tree`: Dijkstra with a bucket queue on whole seconds
  (Dial's algorithm). Every edge must take at least one second, so all nodes of one bucket
  (one arrival second) are final when the bucket is opened and can be settled in any order;
  inside a bucket the stale entries (a longer length at the same second) are skipped. It is
  two to three times faster than a heap Dijkstra, and the many-to-many search stops as soon
  as every target is settled.
- :func:`alt`: one fastest path a → b by A* with landmark lower bounds (ALT), which settles
  a small part of the nodes a tree would; :func:`bidirectional` (forward from a and backward
  from b, stopping when the two smallest keys add up to the best meeting so far) when there
  are no landmarks (a graph that is not strongly connected).

When numba is not installed :data:`AVAILABLE` is False and :mod:`routing.matrix` uses scipy.
"""

from __future__ import annotations

import numpy as np

try:  # pragma: no cover - exercised through AVAILABLE
    from numba import njit

    AVAILABLE = True
except ImportError:  # pragma: no cover - the scipy path is taken instead
    AVAILABLE = False

    def njit(*_args, **_kwargs):  # type: ignore[no-redef]
        """Stand-in decorator: the kernels stay plain (slow) Python functions."""

        def wrap(fn):
            return fn

        return wrap


#: Label of a node not reached yet (larger than any combined weight).
INF = np.iinfo(np.int64).max

#: scipy's predecessor marker for "no predecessor" (kept for :mod:`routing.paths`).
NO_PREDECESSOR = -9999


@njit(cache=True)
def _buckets(time_s):  # pragma: no cover - compiled
    """Power of two above the largest edge time: the circular bucket count."""
    top = 1
    for e in range(len(time_s)):
        if time_s[e] > top:
            top = time_s[e]
    size = 1
    while size <= top:
        size *= 2
    return size


@njit(cache=True)
def _dial(indptr, indices, time_s, weight, source, is_target, targets_left, dist, done, pred,
          touched, head, ent_node, ent_key, ent_next, mask):  # pragma: no cover - compiled
    """One Dial search from ``source``; returns the number of touched nodes (for the reset).

    Stops once ``targets_left`` marked nodes are settled (pass -1 to settle everything).
    """
    dist[source] = 0
    touched[0] = source
    n_touched = 1
    ent_node[0] = source
    ent_key[0] = 0
    ent_next[0] = -1
    head[0] = 0
    count = 1
    pending = 1
    now = 0
    left = targets_left
    while pending > 0 and left != 0:
        slot = now & mask
        while head[slot] >= 0:
            i = head[slot]
            head[slot] = ent_next[i]
            pending -= 1
            u = ent_node[i]
            d = ent_key[i]
            if done[u] or d != dist[u]:
                continue
            done[u] = True
            if is_target[u]:
                left -= 1
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                nd = d + weight[e]
                if nd < dist[v]:
                    if dist[v] == INF:
                        touched[n_touched] = v
                        n_touched += 1
                    dist[v] = nd
                    pred[v] = u
                    s = (now + time_s[e]) & mask
                    ent_node[count] = v
                    ent_key[count] = nd
                    ent_next[count] = head[s]
                    head[s] = count
                    count += 1
                    pending += 1
        now += 1
    # unsettled labels may be too large: only settled nodes are reported
    for s in range(len(head)):
        head[s] = -1
    return n_touched


@njit(cache=True)
def dial_many(indptr, indices, time_s, weight, sources, targets):  # pragma: no cover - compiled
    """Combined weights sources × targets (-1 when unreachable); edge times must be ≥ 1 s."""
    n = len(indptr) - 1
    out = np.full((len(sources), len(targets)), -1, np.int64)
    dist = np.full(n, INF, np.int64)
    done = np.zeros(n, np.bool_)
    pred = np.empty(n, np.int64)
    is_target = np.zeros(n, np.bool_)
    n_targets = 0
    for t in targets:
        if not is_target[t]:
            is_target[t] = True
            n_targets += 1
    size = _buckets(time_s)
    head = np.full(size, -1, np.int64)
    m = len(indices) + 1
    ent_node = np.empty(m, np.int64)
    ent_key = np.empty(m, np.int64)
    ent_next = np.empty(m, np.int64)
    touched = np.empty(n, np.int64)
    for i in range(len(sources)):
        k = _dial(indptr, indices, time_s, weight, sources[i], is_target, n_targets, dist, done, pred,
                  touched, head, ent_node, ent_key, ent_next, size - 1)
        for j in range(len(targets)):
            if done[targets[j]]:
                out[i, j] = dist[targets[j]]
        for x in range(k):
            dist[touched[x]] = INF
            done[touched[x]] = False
    return out


@njit(cache=True)
def dial_tree(indptr, indices, time_s, weight, source):  # pragma: no cover - compiled
    """Combined weight (-1 when unreachable) and predecessor (:data:`NO_PREDECESSOR`) of every node."""
    n = len(indptr) - 1
    dist = np.full(n, INF, np.int64)
    done = np.zeros(n, np.bool_)
    pred = np.full(n, NO_PREDECESSOR, np.int64)
    is_target = np.zeros(n, np.bool_)
    size = _buckets(time_s)
    head = np.full(size, -1, np.int64)
    m = len(indices) + 1
    ent = np.empty(m, np.int64)
    key = np.empty(m, np.int64)
    nxt = np.empty(m, np.int64)
    touched = np.empty(n, np.int64)
    _dial(indptr, indices, time_s, weight, source, is_target, -1, dist, done, pred, touched, head,
          ent, key, nxt, size - 1)
    for v in range(n):
        if not done[v]:
            dist[v] = -1
            pred[v] = NO_PREDECESSOR
    pred[source] = NO_PREDECESSOR
    return dist, pred


@njit(cache=True)
def _push(keys, nodes, size, k, v):  # pragma: no cover - compiled
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if keys[p] <= k:
            break
        keys[i] = keys[p]
        nodes[i] = nodes[p]
        i = p
    keys[i] = k
    nodes[i] = v
    return size + 1


@njit(cache=True)
def _pop(keys, nodes, size):  # pragma: no cover - compiled
    size -= 1
    k = keys[size]
    v = nodes[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and keys[c + 1] < keys[c]:
            c += 1
        if keys[c] >= k:
            break
        keys[i] = keys[c]
        nodes[i] = nodes[c]
        i = c
    keys[i] = k
    nodes[i] = v
    return size


@njit(cache=True)
def bidirectional(indptr, indices, weight, rindptr, rindices, rweight, a, b):  # pragma: no cover - compiled
    """Combined weight of the fastest path a → b (-1 if none): forward and backward heap search.

    ``rindptr, rindices, rweight`` are the reversed graph (edges entering each node).
    """
    if a == b:
        return 0
    n = len(indptr) - 1
    dist_f = np.full(n, INF, np.int64)
    dist_b = np.full(n, INF, np.int64)
    done_f = np.zeros(n, np.bool_)
    done_b = np.zeros(n, np.bool_)
    m = len(indices) + 1
    keys_f = np.empty(m, np.int64)
    nodes_f = np.empty(m, np.int64)
    keys_b = np.empty(m, np.int64)
    nodes_b = np.empty(m, np.int64)
    dist_f[a] = 0
    dist_b[b] = 0
    size_f = _push(keys_f, nodes_f, 0, 0, a)
    size_b = _push(keys_b, nodes_b, 0, 0, b)
    best = INF
    while size_f > 0 and size_b > 0:
        if keys_f[0] + keys_b[0] >= best:
            break
        if keys_f[0] <= keys_b[0]:
            d = keys_f[0]
            u = nodes_f[0]
            size_f = _pop(keys_f, nodes_f, size_f)
            if done_f[u] or d != dist_f[u]:
                continue
            done_f[u] = True
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                nd = d + weight[e]
                if nd < dist_f[v]:
                    dist_f[v] = nd
                    size_f = _push(keys_f, nodes_f, size_f, nd, v)
                    if dist_b[v] != INF and nd + dist_b[v] < best:
                        best = nd + dist_b[v]
        else:
            d = keys_b[0]
            u = nodes_b[0]
            size_b = _pop(keys_b, nodes_b, size_b)
            if done_b[u] or d != dist_b[u]:
                continue
            done_b[u] = True
            for e in range(rindptr[u], rindptr[u + 1]):
                v = rindices[e]
                nd = d + rweight[e]
                if nd < dist_b[v]:
                    dist_b[v] = nd
                    size_b = _push(keys_b, nodes_b, size_b, nd, v)
                    if dist_f[v] != INF and nd + dist_f[v] < best:
                        best = nd + dist_f[v]
    return -1 if best == INF else best


@njit(cache=True)
def alt(indptr, indices, weight, lm_from, lm_to, a, b):  # pragma: no cover - compiled
    """Combined weight of the fastest path a → b (-1 if none): A* with landmark bounds (ALT).

    ``lm_from[v, k]`` is the combined distance from landmark k to v and ``lm_to[v, k]`` from v
    to landmark k, every one finite (a strongly connected graph). By the triangle inequality
    ``d(v, b) ≥ lm_from[b, k] - lm_from[v, k]`` and ``≥ lm_to[v, k] - lm_to[b, k]``: a
    consistent lower bound, so each node is settled once and the search stops at ``b``.
    """
    if a == b:
        return 0
    n = len(indptr) - 1
    n_lm = lm_from.shape[1]
    dist = np.full(n, INF, np.int64)
    bound = np.full(n, -1, np.int64)
    done = np.zeros(n, np.bool_)
    m = len(indices) + 1
    keys = np.empty(m, np.int64)
    nodes = np.empty(m, np.int64)
    dist[a] = 0
    size = _push(keys, nodes, 0, 0, a)
    while size > 0:
        u = nodes[0]
        size = _pop(keys, nodes, size)
        if done[u]:
            continue
        done[u] = True
        d = dist[u]
        if u == b:
            return d
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + weight[e]
            if nd < dist[v]:
                dist[v] = nd
                h = bound[v]
                if h < 0:
                    h = 0
                    for k in range(n_lm):
                        x = lm_from[b, k] - lm_from[v, k]
                        if x > h:
                            h = x
                        y = lm_to[v, k] - lm_to[b, k]
                        if y > h:
                            h = y
                    bound[v] = h
                size = _push(keys, nodes, size, nd + h, v)
    return -1
