"""A vehicle on one service day: the unit the engine plans.

Advance bookings live in their own day's plans, so the core's vehicle id of vehicle ``V`` on
day ``D`` is the key ``"V@D"`` (:attr:`VehicleDay.key`) inside the engine; the shells speak of
a :class:`VehicleDay` and never see the key.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
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
        """The vehicle-day of a core vehicle id (parsed once per key: a day of a large fleet
        asks this of every key for every offer)."""
        return _parse(key)


@lru_cache(maxsize=1 << 16)
def _parse(key: str) -> VehicleDay:
    vid, _, day = key.rpartition("@")
    return VehicleDay(vid, date.fromisoformat(day))

