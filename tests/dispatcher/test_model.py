"""Model and parameters: validation with ja/en messages, seats, dwell, ride limits, round trips."""

from __future__ import annotations

import pytest

from dispatcher.errors import InvalidInput
from dispatcher.model import (
    Break,
    Fleet,
    Passengers,
    Plan,
    PlannedStop,
    Promise,
    StopKind,
    Vehicle,
    VehicleState,
)
from dispatcher.params import DispatchParams


@pytest.mark.parametrize("counts", [(-1, 0, 0), (0, 0, 0), (1, -2, 0), (0, 0, -1)])
def test_impossible_passenger_counts_refused(counts):
    """Negative or empty parties raise InvalidInput carrying Japanese and English messages."""
    with pytest.raises(InvalidInput) as err:
        Passengers(*counts)
    assert err.value.message_ja and err.value.message_en
    assert err.value.as_dict()["code"] == "invalid_input"


def test_seats_and_wheelchairs():
    """Adults and children take seats; wheelchair users take wheelchair spaces only."""
    p = Passengers(2, 1, 1)
    assert (p.seats, p.wheelchairs, p.persons) == (3, 1, 4)


def test_params_dwell_and_ride_limit():
    """Dwell is base + per person + per wheelchair; max ride is factor × direct + offset."""
    params = DispatchParams()
    assert params.dwell_s(Passengers(2, 0, 1)) == 30 + 15 * 3 + 90
    assert params.max_ride_s(1000) == 1500 + 600


def test_params_round_trip_and_unknown_keys():
    """from_dict(to_dict()) is the identity; unknown or out-of-range values are refused."""
    params = DispatchParams(pickup_window_s=900, weight_excess_ride=0.5)
    assert DispatchParams.from_dict(params.to_dict()) == params
    with pytest.raises(InvalidInput):
        DispatchParams.from_dict({"pickup_window": 600})
    with pytest.raises(InvalidInput):
        DispatchParams(ride_factor=0.9)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Promise(100, 50, 200, 60),
        lambda: Break(0, 100, 200),
        lambda: Vehicle("v", -1, 0, 0, 0, 10),
        lambda: Vehicle("v", 4, 0, 0, 10, 0),
        lambda: Plan("v", (PlannedStop("a", StopKind.PICKUP, 1),), locked=2),
        lambda: VehicleState("v", 0, 0, ("a", "b"), (1,)),
    ],
    ids=["promise-window", "break-window", "seats", "shift", "locked", "onboard-times"],
)
def test_invalid_values_refused(build):
    """Inconsistent promises, breaks, vehicles, plans and states raise InvalidInput."""
    with pytest.raises(InvalidInput):
        build()


def test_fleet_defaults():
    """A vehicle without state starts at its depot at shift start; without plan it has no stops."""
    v = Vehicle("v", 4, 1, 7, 1000, 5000)
    fleet = Fleet((v,))
    assert fleet.state_of(v) == VehicleState("v", 7, 1000)
    assert fleet.plan_of(v) == Plan("v")
