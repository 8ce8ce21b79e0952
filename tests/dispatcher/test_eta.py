"""Live arrival times from where the vehicle is (dispatcher.eta.live_times)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatcher.eta import live_times
from dispatcher.feasibility import StopTime


def _plan(gaps: list[tuple[int, int, int]]) -> list[StopTime]:
    """Stops from (leg, wait, dwell) triples, starting at t = 1000."""
    out: list[StopTime] = []
    t = 1000
    for leg, wait, dwell in gaps:
        arrival = t + leg
        start = arrival + wait
        out.append(StopTime(arrival, start, start + dwell, 1, 0))
        t = start + dwell
    return out


def test_on_time_keeps_the_plan() -> None:
    plan = _plan([(0, 0, 30), (300, 60, 30), (200, 0, 30)])
    assert live_times(plan, plan[0].arrival_s) == [(s.arrival_s, s.departure_s) for s in plan]


def test_a_delay_is_absorbed_by_planned_waiting_only() -> None:
    plan = _plan([(0, 0, 30), (300, 60, 30), (200, 0, 30)])
    got = live_times(plan, plan[0].arrival_s + 100)
    assert got[0] == (plan[0].arrival_s + 100, plan[0].departure_s + 100)
    # the 60 s wait at the second stop absorbs 60 of the 100 s
    assert got[1][1] == plan[1].departure_s + 40
    assert got[2] == (plan[2].arrival_s + 40, plan[2].departure_s + 40)


@settings(max_examples=60, deadline=None)
@given(gaps=st.lists(st.tuples(st.integers(0, 900), st.integers(0, 600), st.integers(0, 120)),
                     min_size=1, max_size=8),
       shift=st.integers(-600, 1800))
def test_property_never_before_the_plan_and_delay_never_grows(gaps, shift) -> None:
    """Service never starts before planned (riders were told that time); a delay shrinks or
    stays along the route, never grows; dwell times are kept."""
    plan = _plan(gaps)
    got = live_times(plan, plan[0].arrival_s + shift)
    prev_delay = None
    for (arrival, departure), s in zip(got, plan, strict=True):
        assert departure - (s.departure_s - s.start_s) >= s.start_s
        delay = departure - s.departure_s
        assert delay >= 0
        if prev_delay is not None:
            assert delay <= prev_delay
        prev_delay = delay
        assert arrival <= departure
