"""A vehicle on one service day: the unit the engine plans.

Advance bookings live in their own day's plans, so the core's vehicle id of vehicle ``V`` on
day ``D`` is the key ``"V@D"`` (:attr:`VehicleDay.key`); the shells speak of the vehicle and the
day separately (:meth:`VehicleDay.of`).
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple


class VehicleDay(NamedTuple):
    """A vehicle's service day."""

    vehicle_id: str
    day: date

    @property
    def key(self) -> str:
        """The core vehicle id of this vehicle-day (``"V@YYYY-MM-DD"``)."""
        return f"{self.vehicle_id}@{self.day.isoformat()}"

    @classmethod
    def of(cls, key: str) -> VehicleDay:
        """The vehicle-day of a core vehicle id."""
        vid, _, day = key.rpartition("@")
        return cls(vid, date.fromisoformat(day))


def vd_key(vehicle_id: str, day: date) -> str:
    """Core vehicle id of a vehicle on a service day."""
    return VehicleDay(vehicle_id, day).key


def split_vd(key: str) -> tuple[str, date]:
    """Vehicle id and service day of a core vehicle id."""
    return VehicleDay.of(key)
