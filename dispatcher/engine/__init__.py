"""The real-time dispatch engine (see :mod:`dispatcher.engine.core`)."""

from dispatcher.engine.core import Engine
from dispatcher.engine.planning import POSITION_FRESH_S, Clock
from dispatcher.engine.state import DayView, Live
from dispatcher.engine.vehicle_day import VehicleDay

__all__ = ["POSITION_FRESH_S", "Clock", "DayView", "Engine", "Live", "VehicleDay"]
