"""Search knobs as one frozen value (dispatcher.search_params): read from service.toml's
``[dispatch.search]``, range-checked, and the ones the search actually uses."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bench.synthetic import scenario
from dispatcher.errors import InvalidInput
from dispatcher.lns import Search, relatedness
from dispatcher.optimize import _problem, reoptimize
from dispatcher.params import DispatchParams
from dispatcher.search_params import SearchParams
from dispatcher.services import load_service_from

MITSUGI = Path(__file__).resolve().parents[2] / "dispatcher" / "services" / "mitsugi"


def test_round_trip_through_a_mapping() -> None:
    p = DispatchParams(search=SearchParams(max_checks=10, ruin_cap=6))
    assert DispatchParams.from_dict(p.to_dict()) == p
    assert DispatchParams.from_dict({}).search == SearchParams()


@pytest.mark.parametrize("bad", [{"ruin_share": 1.5}, {"ruin_cap": 1}, {"max_fails": 0},
                                 {"elimination_before": 0.6, "elimination_share": 0.6},
                                 {"max_checks": -1}, {"start_temperature": 0.0}])
def test_out_of_range_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(InvalidInput):
        SearchParams.from_dict(bad)


def test_unknown_knob_is_refused_with_its_name() -> None:
    with pytest.raises(InvalidInput) as err:
        DispatchParams.from_dict({"search": {"ruin_size": 3}})
    assert "ruin_size" in str(err.value.as_dict())


def test_service_toml_sets_the_knobs(tmp_path: Path) -> None:
    folder = tmp_path / "svc"
    shutil.copytree(MITSUGI, folder)
    conf = folder / "service.toml"
    conf.write_text(conf.read_text(encoding="utf-8").replace(
        "[dispatch]\n", "[dispatch.search]\nmax_checks = 7\nregret_share = 0.25\n\n[dispatch]\n", 1),
        encoding="utf-8")
    params = load_service_from(folder).dispatch_params()
    assert params.search.max_checks == 7
    assert params.search.regret_share == 0.25
    assert params.search.ruin_cap == SearchParams().ruin_cap


def test_the_search_uses_its_knobs() -> None:
    sc = scenario(4, 3, seed=2, nodes=40, params=DispatchParams())
    pb = _problem(sc.fleet, (), sc.time_s, None, replace(sc.params, search=SearchParams(max_checks=5)))
    assert Search(pb, 0).max_checks == 5
    pb = _problem(sc.fleet, (), sc.time_s, None, replace(sc.params, search=SearchParams(max_checks=0)))
    assert Search(pb, 0).max_checks is None


def test_knobs_change_the_search_but_never_its_guarantees() -> None:
    sc = scenario(5, 3, seed=4, nodes=50, params=DispatchParams())
    runs = {}
    for name, knobs in {"default": SearchParams(),
                        "greedy": SearchParams(regret_share=0.0, start_temperature=0.001,
                                               ruin_cap=2)}.items():
        params = replace(sc.params, search=knobs)
        res = reoptimize(sc.fleet, sc.time_s, params, seed=1, iteration_limit=40,
                         use_ortools=False)
        assert all(c.feasible for c in res.checks.values())
        runs[name] = res
    assert {s.booking_id for p in runs["default"].plans.values() for s in p.stops} == \
        {s.booking_id for p in runs["greedy"].plans.values() for s in p.stops}


def test_relatedness_is_symmetric_and_least_for_itself() -> None:
    sc = scenario(4, 3, seed=5, nodes=40, params=DispatchParams())
    pb = _problem(sc.fleet, (), sc.time_s, None, sc.params)
    ids = sorted(pb.bookings)[:6]
    for a in ids:
        assert relatedness(pb, a, a) == 0.0
        for b in ids:
            assert relatedness(pb, a, b) == relatedness(pb, b, a)
            assert relatedness(pb, a, b) >= 0.0
