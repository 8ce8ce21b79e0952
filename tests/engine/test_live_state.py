"""The live state's indexes of vehicle-days and its change counter."""

from __future__ import annotations

from datetime import date

from dispatcher.engine.state import Live
from dispatcher.engine.vehicle_day import VehicleDay
from dispatcher.model import Vehicle

D1, D2 = date(2027, 1, 12), date(2027, 1, 13)


def _live(keys: list[VehicleDay]) -> Live:
    live = Live()
    for vd in keys:
        live.add_vehicle_day(Vehicle(vd.key, 4, 1, 0, 0, 3600), ended=False)
    return live


def test_vehicle_days_by_day_and_by_vehicle_match_a_scan_of_every_key() -> None:
    keys = [VehicleDay(v, d) for d in (D2, D1) for v in ("b-2", "a-1", "c-10")]
    live = _live(keys)
    live.forget(VehicleDay("a-1", D2).key)
    everything = [VehicleDay.of(k) for k in sorted(live.vehicles)]
    assert live.vehicle_days() == everything
    for vid in (None, "a-1", "b-2", "zz"):
        for day in (None, D1, D2, date(2027, 1, 14)):
            want = [vd for vd in everything
                    if (vid is None or vd.vehicle_id == vid) and (day is None or vd.day == day)]
            assert live.vehicle_days(vid, day) == want, (vid, day)
    assert VehicleDay("a-1", D2).key not in live.plans


def test_changes_count_every_revision() -> None:
    live = _live([VehicleDay("a-1", D1), VehicleDay("b-2", D1)])
    before = live.changes
    live.revise(VehicleDay("a-1", D1).key, VehicleDay("b-2", D1).key)
    live.revise(VehicleDay("a-1", D1).key)
    assert live.changes == before + 3
    assert live.revisions[VehicleDay("a-1", D1).key] == 2
