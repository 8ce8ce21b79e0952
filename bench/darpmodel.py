"""Cordeau DARP instances expressed in the dispatcher's model (integer time units).

Times are scaled by ``SCALE`` = 10^6 per minute. Travel times are rounded **up**
(``ceil(distance × SCALE)``) so any schedule that is feasible in integers is feasible in the
floating-point convention of the benchmark; windows, service and ride limits are integral in the
files and scale exactly. Distances for the objective are rounded to the nearest unit; the reported
cost is always recomputed in floating point from the routes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.darpcheck import DarpInstance
from dispatcher.model import Booking, Passengers, Promise, Request, TimeRule, Vehicle
from dispatcher.params import DispatchParams

SCALE = 1_000_000


@dataclass(frozen=True)
class DarpModel:
    """The instance as vehicles, bookings, matrices and parameters of the dispatcher."""

    vehicles: tuple[Vehicle, ...]
    bookings: dict[str, Booking]
    time_s: np.ndarray
    dist_m: np.ndarray
    params: DispatchParams


def booking_id(i: int) -> str:
    """The booking id of request ``i`` (1-based, as in the file)."""
    return f"r{i}"


def request_of(bid: str) -> int:
    """The request number of a booking id."""
    return int(bid[1:])


def to_model(inst: DarpInstance) -> DarpModel:
    """Translate an instance; node ``v`` of the file is matrix index ``v`` (end depot = 0)."""
    n = inst.requests
    xy = np.asarray(inst.xy, dtype=float)
    euclid = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    time_s = np.ceil(euclid * SCALE).astype(np.int64)
    dist_m = np.rint(euclid * SCALE).astype(np.int64)
    serv = inst.service
    if all(serv[i] == abs(inst.load[i]) for i in range(1, 2 * n + 1)):
        dwell = {"dwell_base_s": 0, "dwell_per_passenger_s": SCALE}
    elif len({serv[i] for i in range(1, 2 * n + 1)}) == 1:
        dwell = {"dwell_base_s": round(serv[1] * SCALE), "dwell_per_passenger_s": 0}
    else:
        raise ValueError("service durations neither constant nor equal to the load")
    params = DispatchParams(
        dwell_per_wheelchair_s=0, weight_travel_time=0.0, weight_distance=1.0,
        weight_excess_ride=0.0, ride_factor=1.0, ride_offset_s=round(inst.max_ride * SCALE),
        **dwell,
    )

    def sc(v: float) -> int:
        return round(v * SCALE)

    bookings = {}
    for i in range(1, n + 1):
        j = n + i
        req = Request(booking_id(i), i, j, Passengers(inst.load[i]), TimeRule.PICKUP_AFTER,
                      sc(inst.early[i]))
        promise = Promise(sc(inst.early[i]), sc(inst.late[i]), sc(inst.late[j]),
                          sc(inst.max_ride), dropoff_earliest_s=sc(inst.early[j]))
        bookings[req.id] = Booking(req, promise)
    vehicles = tuple(
        Vehicle(f"k{k}", inst.capacity, 0, 0, sc(inst.early[0]), sc(inst.late[0]))
        for k in range(inst.vehicles)
    )
    if inst.late[0] - inst.early[0] > inst.horizon + 1e-9:
        raise ValueError("depot window longer than the route duration limit is not modelled")
    return DarpModel(vehicles, bookings, time_s, dist_m, params)


def minutes(value: int) -> float:
    """Scaled integer time back to minutes."""
    return value / SCALE


