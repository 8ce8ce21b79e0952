"""The live state handed to the public feeds (GTFS-Realtime) as plain values.

:func:`live_vehicles` reads the engine's memory under its lock and returns one
:class:`gtfs.live.LiveVehicle` per vehicle of a day: its planned stops with the times riders
see (the schedule, or from a fresh position while it drives to its next stop), riders on board,
whether it stands at its next stop. The feed builders in :mod:`gtfs.live` take it from there.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from dispatcher.engine.state import DayView
from dispatcher.model import StopKind
from gtfs.live import LiveStop, LiveVehicle

if TYPE_CHECKING:
    from dispatcher.engine.core import Engine

#: Per booking (origin lat, lon, destination lat, lon): where a rider's own point is.
Points = dict[str, tuple[float, float, float, float]]


def _stops(eng: Engine, view: DayView, points: Points,
           position: tuple[float, float, int] | None) -> tuple[LiveStop, ...]:
    times, _ = eng.live_times(view.vd, position)
    if not times:
        return ()
    stop_of = {p: sid for sid, p in eng.stop_place.items()}
    out = []
    for st, (arrival, departure) in zip(view.plan.stops, times, strict=True):
        sid = stop_of.get(st.node)
        o_lat, o_lon, d_lat, d_lon = points.get(st.booking_id, (None, None, None, None))
        lat, lon = (o_lat, o_lon) if st.kind == StopKind.PICKUP else (d_lat, d_lon)
        if sid is not None or lat is None or lon is None:
            lat, lon = eng.network_coords(eng.places.node_of(st.node))
        out.append(LiveStop(sid, lat, lon, arrival, departure))
    return tuple(out)


def live_vehicles(eng: Engine, day: date, points: Points,
                  positions: dict[str, tuple[float, float, int]] | None = None
                  ) -> list[LiveVehicle]:
    """Every vehicle of ``day`` as the feeds see it (see the module).

    ``points`` places the stops at riders' own points; ``positions`` (vehicle id → lat, lon,
    at_s) moves the planned times of a vehicle on its way to its next stop.
    """
    names = {v.id: v.name for v in eng.service.fleet}
    out = []
    with eng.lock:
        for vd in eng.vehicle_days(day=day):
            view = eng.view(vd)
            assert view is not None
            state, plan = view.state, view.plan
            onboard = sum(view.bookings[b].request.passengers.seats
                          for b in state.onboard if b in view.bookings)
            at_next = bool(plan.stops) and state.node == plan.stops[0].node and not view.en_route
            out.append(LiveVehicle(vd.vehicle_id, names.get(vd.vehicle_id, ""),
                                   _stops(eng, view, points, (positions or {}).get(vd.vehicle_id)),
                                   onboard, bool(plan.stops), at_next))
    return out
