"""Live arrival times of a vehicle's planned stops from where it is now (pure).

The plan's schedule (dispatcher.feasibility) says when the vehicle reaches each stop if it drives
as planned. Once it is on its way to the next stop and reports its position, the arrival there is
``now + travel time from the position``; the later stops follow: a late vehicle stays late until
waiting planned before a pickup absorbs the delay, an early one still boards at the planned time.
"""

from __future__ import annotations

from collections.abc import Sequence

from dispatcher.feasibility import StopTime


def live_times(stops: Sequence[StopTime], first_arrival_s: int) -> list[tuple[int, int]]:
    """Arrival and departure times (epoch s) of ``stops`` when the vehicle reaches the first at
    ``first_arrival_s``.

    Each stop keeps its planned legs (arrival − previous departure) and dwell (departure −
    start); service starts no earlier than planned (riders are told that time).

    Examples
    --------
    >>> a = StopTime(100, 100, 110, 1, 0); b = StopTime(170, 200, 210, 2, 0)
    >>> live_times([a, b], 150)     # 50 s late: the 30 s wait at b absorbs part of it
    [(150, 160), (220, 230)]
    >>> live_times([a, b], 90)      # early: b is still served when planned
    [(90, 110), (170, 210)]
    """
    out: list[tuple[int, int]] = []
    arrival, departure = first_arrival_s, 0
    for k, st in enumerate(stops):
        if k:
            arrival = departure + (st.arrival_s - stops[k - 1].departure_s)
        departure = max(arrival, st.start_s) + (st.departure_s - st.start_s)
        out.append((arrival, departure))
    return out
