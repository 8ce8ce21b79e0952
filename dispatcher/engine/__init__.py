"""The real-time dispatch engine (see :mod:`dispatcher.engine.core`)."""

from dispatcher.engine.core import Engine
from dispatcher.engine.planning import POSITION_FRESH_S, Clock
from dispatcher.engine.state import Live
from dispatcher.engine.vehicle_day import VehicleDay, split_vd, vd_key

__all__ = ["POSITION_FRESH_S", "Clock", "Engine", "Live", "VehicleDay", "split_vd", "vd_key"]
