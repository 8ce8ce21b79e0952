"""Alerts from timetables (dispatcher.engine.alerts): what is found, and what is told only once."""

from __future__ import annotations

from dispatcher.engine.alerts import LATE_REPORT_STEP_S, AlertMemory, Findings, findings
from dispatcher.feasibility import Late, PromisePart, RouteCheck, StopTime
from dispatcher.statuses import EventType


def _check(vid: str, late: tuple[Late, ...] = (), at_risk: tuple[Late, ...] = ()) -> RouteCheck:
    stops = (StopTime(1_000, 1_000, 1_060, 1, 0), StopTime(2_000, 2_000, 2_060, 0, 0))
    return RouteCheck(vid, (), stops=stops, late=late, at_risk=at_risk)


def test_findings_name_each_broken_part_and_the_vehicles_worst_lateness() -> None:
    found = findings([
        ("v1@2026-12-07", _check("v1", late=(Late("a", PromisePart.PICKUP, 90, 0),
                                             Late("a", PromisePart.DROPOFF, 200, 1)))),
        ("v2@2026-12-07", _check("v2", at_risk=(Late("b", PromisePart.RIDE, 30, 1),))),
        ("v3@2026-12-07", RouteCheck("v3", ())),  # nothing planned: not looked at
    ])
    assert found.vehicle_late == {"v1": 200, "v2": 0}
    assert set(found.at_risk["a"]) == {("pickup", "late"), ("dropoff", "late")}
    pickup = found.at_risk["a"][("pickup", "late")]
    assert pickup == {"vehicle_id": "v1", "what": "pickup", "level": "late", "late_s": 90,
                      "expected_at": 1_000, "promised_by": 910}
    assert found.at_risk["b"][("ride", "at_risk")]["promised_by"] == 1_970


def _types(alerts: list) -> list[tuple[EventType, str | None, str | None]]:
    return [(a.type, a.booking_id, a.vehicle_id) for a in alerts]


KEY = "v1@2026-12-07"


def _at_risk(late_s: int = 60) -> Findings:
    return Findings({"a": {("pickup", "late"): {"vehicle_id": "v1", "what": "pickup",
                                                "level": "late", "late_s": late_s}}},
                    {"v1": late_s})


def test_a_promise_at_risk_is_told_once_then_recovered_once() -> None:
    memory = AlertMemory()
    where = {"a": KEY}.get
    first = memory.changes(_at_risk(), {KEY}, where, lambda b: False)
    assert _types(first) == [(EventType.PROMISE_AT_RISK, "a", "v1"),
                             (EventType.VEHICLE_LATE, None, "v1")]
    assert first[0].data == {"what": "pickup", "level": "late", "late_s": 60}
    # the same finding again: nothing new (lateness moved less than the step)
    assert memory.changes(_at_risk(60 + LATE_REPORT_STEP_S - 1), {KEY}, where,
                          lambda b: False) == []
    # lateness grows by the step: the vehicle is reported again
    again = memory.changes(_at_risk(60 + LATE_REPORT_STEP_S), {KEY}, where, lambda b: False)
    assert _types(again) == [(EventType.VEHICLE_LATE, None, "v1")]
    # on time again
    back = memory.changes(Findings({}, {"v1": 0}), {KEY}, where, lambda b: False)
    assert _types(back) == [(EventType.PROMISE_RECOVERED, "a", "v1"),
                            (EventType.VEHICLE_ON_TIME, None, "v1")]
    assert back[0].data == {"reason": "kept"}
    assert memory.changes(Findings({}, {"v1": 0}), {KEY}, where, lambda b: False) == []


def test_a_booking_on_a_vehicle_not_looked_at_stays_remembered() -> None:
    memory = AlertMemory()
    memory.changes(_at_risk(), {KEY}, {"a": KEY}.get, lambda b: False)
    other = "v2@2026-12-07"
    assert memory.changes(Findings({}, {}), {other}, {"a": KEY}.get, lambda b: False) == []
    assert "a" in memory.at_risk


def test_a_booking_that_left_the_plans_is_recovered_as_done() -> None:
    memory = AlertMemory()
    memory.changes(_at_risk(), {KEY}, {"a": KEY}.get, lambda b: False)
    out = memory.changes(Findings({}, {}), set(), lambda b: None, lambda b: True)
    assert _types(out) == [(EventType.PROMISE_RECOVERED, "a", None)]
    assert out[0].data == {"reason": "done"}
    assert memory.at_risk == {}
