"""The candidate filter of insertion: the one set of necessary conditions that prunes
(pickup leg, drop-off leg) position pairs before the exact check.

Every position pair of a route is priced at once with numpy (added driving cost) and kept only
when capacity holds along the ride and the earliest schedule fits the latest feasible times of the
route (windows, the next element's latest start, the ride limit). The single-booking path
(:func:`pair_candidates`), the batched one (:func:`candidates_many`) and the offers' flat legs all
go through :func:`leg_filter`, :func:`ride_ok` and :func:`allowed_pairs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dispatcher.model import Booking
from dispatcher.params import DispatchParams
from dispatcher.route_index import RouteIndex

Candidates = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Allowed pickup positions, drop-off positions (route stop indices) and their added cost."""


@dataclass(frozen=True, slots=True)
class LegFilter:
    """Necessary conditions for inserting one booking on route legs (arrays over legs; for many
    bookings at once, one row per booking). Leg k goes from route element k to k + 1.

    ``pickup_ok``: the pickup fits its window on the leg and the leg's next element can still be
    reached in time after it; ``dropoff_ok`` the same for the drop-off; ``both_ok``: pickup and
    drop-off both on the leg. ``dropoff_from`` is the earliest drop-off start on a leg and
    ``pickup_until`` the latest pickup start, which bound the ride (:func:`ride_ok`).
    """

    pickup_ok: np.ndarray
    dropoff_ok: np.ndarray
    both_ok: np.ndarray
    dropoff_from: np.ndarray
    pickup_until: np.ndarray


def leg_filter(dep: np.ndarray, late_next: np.ndarray, t_ao: np.ndarray, t_ob: np.ndarray,
               t_ad: np.ndarray, t_db: np.ndarray, t_od: np.ndarray | int, pickup_from: Any,
               pickup_latest: Any, dropoff_earliest: Any, dropoff_latest: Any,
               dwell: Any) -> LegFilter:
    """The one candidate filter of insertion (offers, single and batched insertions).

    ``dep`` is the departure from each leg's first element, ``late_next`` the latest feasible
    start of its next one; ``t_ao``/``t_ob`` travel from the leg's start to the origin and from
    the origin to the leg's end (``t_ad``/``t_db`` the same for the destination), ``t_od`` origin
    to destination. The promise bounds and the dwell broadcast against the legs (scalars for one
    booking, column vectors for many).
    """
    b_o, ok_o, pickup_ok = _pickup(dep, late_next, t_ao, t_ob, pickup_from, pickup_latest, dwell)
    b_d = np.maximum(dep + t_ad, dropoff_earliest)
    dropoff_ok = (b_d <= dropoff_latest) & (b_d + dwell + t_db <= late_next)
    b_d2 = np.maximum(b_o + dwell + t_od, dropoff_earliest)
    both_ok = ok_o & (b_d2 <= dropoff_latest) & (b_d2 + dwell + t_db <= late_next)
    pickup_until = np.minimum(pickup_latest, late_next - dwell - t_ob)
    return LegFilter(pickup_ok, dropoff_ok, both_ok, b_d, pickup_until)


def _pickup(dep: np.ndarray, late_next: np.ndarray, t_ao: np.ndarray, t_ob: np.ndarray,
            pickup_from: Any, pickup_latest: Any, dwell: Any
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pickup part of :func:`leg_filter`: its earliest start on each leg, whether that is in
    its window, and whether the leg's next element is still reached in time after it."""
    b_o = np.maximum(dep + t_ao, pickup_from)
    ok_o = b_o <= pickup_latest
    return b_o, ok_o, ok_o & (b_o + dwell + t_ob <= late_next)


def ride_ok(dropoff_from: np.ndarray, pickup_until: np.ndarray, dwell: Any,
            max_ride: Any) -> np.ndarray:
    """Ride-limit prune of (pickup leg, drop-off leg) pairs on different legs: the earliest
    drop-off after leg j minus the latest departure from a pickup on leg i must not exceed the
    limit (a necessary condition; ``[..., i, j]``)."""
    ride = np.asarray(max_ride)[..., None]
    ok: np.ndarray = (dropoff_from[..., None, :] - (pickup_until + dwell)[..., :, None]) <= ride
    return ok


def pickup_from(params: DispatchParams, earliest: Any, latest: Any, dwell: Any) -> Any:
    """:meth:`DispatchParams.pickup_from_s` over numpy arrays (per booking)."""
    return np.minimum(earliest + np.maximum(params.no_show_grace_s - dwell, 0), latest)


def pair_candidates(
    ri: RouteIndex, new: Booking, dwell: int, time_s: np.ndarray, cmat: np.ndarray,
    params: DispatchParams,
) -> Candidates:
    """Positions (pickup, drop-off) passing the necessary conditions, and their added cost."""
    req, pr = new.request, new.promise
    pax = req.passengers
    veh = ri.vehicle
    if pax.seats > veh.seats or pax.wheelchairs > veh.wheelchair_spaces:
        return _EMPTY
    o, d = req.origin, req.destination
    legs = ri.open
    a, b = legs.a, legs.b
    f = leg_filter(legs.dep, legs.late_next, time_s[a, o], time_s[o, b], time_s[a, d],
                   time_s[d, b], int(time_s[o, d]),
                   params.pickup_from_s(pr.pickup_earliest_s, pr.pickup_latest_s, dwell),
                   pr.pickup_latest_s, pr.dropoff_earliest_s, pr.dropoff_latest_s, dwell)
    if not (f.pickup_ok.any() or f.both_ok.any()):
        return _EMPTY
    cap = ((legs.seats + pax.seats <= veh.seats)
           & (legs.chairs + pax.wheelchairs <= veh.wheelchair_spaces))
    base = cmat[a, b]
    return allowed_pairs(f.pickup_ok, f.dropoff_ok, f.both_ok, cap,
                         cmat[a, o] + cmat[o, b] - base, cmat[a, d] + cmat[d, b] - base,
                         cmat[a, o] + cmat[o, d] + cmat[d, b] - base, ri.locked,
                         ride_ok(f.dropoff_from, f.pickup_until, dwell, pr.max_ride_s))


_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))


def allowed_pairs(ok_o: np.ndarray, ok_d: np.ndarray, ok_both: np.ndarray, cap: np.ndarray,
                  add_o: np.ndarray, add_d: np.ndarray, add_both: np.ndarray,
                  offset: int, extra: np.ndarray | None = None) -> Candidates:
    """Allowed (pickup leg, drop-off leg) pairs of one route and their added cost."""
    n = len(ok_o)
    allowed = ok_o[:, None] & ok_d[None, :]
    if extra is not None:
        allowed &= extra
    allowed &= _UPPER[:n, :n] if n <= _UPPER.shape[0] else np.triu(np.ones((n, n), bool), 1)
    allowed[np.diag_indices(n)] = ok_both
    blocked = np.cumsum(~cap)
    allowed &= (blocked[None, :] - blocked[:, None] + (~cap)[:, None]) == 0
    ci, cj = np.nonzero(allowed)
    if ci.size == 0:
        return _EMPTY
    delta = np.where(ci == cj, add_both[ci], add_o[ci] + add_d[cj])
    return ci + offset, cj + offset, delta


_UPPER = np.triu(np.ones((64, 64), dtype=bool), 1)


def candidates_many(
    ri: RouteIndex, news: Sequence[Booking], params: DispatchParams, time_s: np.ndarray,
    cmat: np.ndarray,
) -> list[Candidates]:
    """:func:`pair_candidates` for many bookings into one route at once (one numpy pass).

    Returns, per booking, the allowed (pickup, drop-off) positions and their added driving cost.
    """
    q = len(news)
    if q == 0:
        return []
    veh = ri.vehicle
    m = len(ri.stops)
    idx = np.arange(ri.locked, m + 1)
    n = len(idx)
    a, b = ri.nodes[idx], ri.nodes[idx + 1]
    dep = ri.dep[idx][None, :]
    late_next = ri.late[idx + 1][None, :]
    reqs = [bk.request for bk in news]
    prs = [bk.promise for bk in news]
    o = np.fromiter((r.origin for r in reqs), np.intp, q)
    d = np.fromiter((r.destination for r in reqs), np.intp, q)

    def col(values: object) -> np.ndarray:
        out: np.ndarray = np.fromiter(values, np.int64, q)[:, None]  # type: ignore[call-overload]
        return out

    pe = col(p.pickup_earliest_s for p in prs)
    pl = col(p.pickup_latest_s for p in prs)
    de = col(p.dropoff_earliest_s for p in prs)
    dl = col(p.dropoff_latest_s for p in prs)
    ride = col(p.max_ride_s for p in prs)
    dw = col(params.dwell_s(r.passengers) for r in reqs)
    ps = col(r.passengers.seats for r in reqs)
    pw = col(r.passengers.wheelchairs for r in reqs)
    t_ob = time_s[np.ix_(o, b)]
    f = leg_filter(dep, late_next, time_s[np.ix_(a, o)].T, t_ob, time_s[np.ix_(a, d)].T,
                   time_s[np.ix_(d, b)], time_s[o, d][:, None], pickup_from(params, pe, pl, dw),
                   pl, de, dl, dw)
    cap = (ri.seats[idx][None, :] + ps <= veh.seats) & (
        ri.chairs[idx][None, :] + pw <= veh.wheelchair_spaces)
    upper = _UPPER[:n, :n] if n <= _UPPER.shape[0] else np.triu(np.ones((n, n), bool), 1)
    allowed = f.pickup_ok[:, :, None] & f.dropoff_ok[:, None, :] & upper[None, :, :]
    allowed &= ride_ok(f.dropoff_from, f.pickup_until, dw, ride)
    ok_both = f.both_ok
    diag = np.arange(n)
    allowed[:, diag, diag] = ok_both
    blocked = np.cumsum(~cap, axis=1)
    allowed &= (blocked[:, None, :] - blocked[:, :, None] + (~cap)[:, :, None]) == 0
    kk, ci, cj = np.nonzero(allowed)
    out: list[Candidates] = [_EMPTY] * q
    if kk.size == 0:
        return out
    base = cmat[a, b][None, :]
    c_ao = cmat[np.ix_(a, o)].T
    c_ob = cmat[np.ix_(o, b)]
    c_ad = cmat[np.ix_(a, d)].T
    c_db = cmat[np.ix_(d, b)]
    add_o = c_ao + c_ob - base
    add_d = c_ad + c_db - base
    add_both = c_ao + cmat[o, d][:, None] + c_db - base
    delta = np.where(ci == cj, add_both[kk, ci], add_o[kk, ci] + add_d[kk, cj])
    cut = np.searchsorted(kk, np.arange(q + 1))
    for k in range(q):
        lo, hi = cut[k], cut[k + 1]
        if hi > lo:
            out[k] = (ci[lo:hi] + ri.locked, cj[lo:hi] + ri.locked, delta[lo:hi])
    return out
