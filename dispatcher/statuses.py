"""The dispatch vocabulary as enums: booking and offer statuses, driver reports, event types.

Each is a :class:`~enum.StrEnum`, so a member equals (and is stored as) its string value:
``BookingStatus.CONFIRMED == "confirmed"``; rows written before the enums read back the same.
"""

from __future__ import annotations

from enum import StrEnum


class BookingStatus(StrEnum):
    """Where a booking is in its life: confirmed → onboard → completed, or cancelled / no_show."""

    CONFIRMED = "confirmed"
    ONBOARD = "onboard"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


#: Bookings still to be served (in the plans).
OPEN_BOOKING_STATUSES: tuple[BookingStatus, ...] = (BookingStatus.CONFIRMED,
                                                    BookingStatus.ONBOARD)


class OfferStatus(StrEnum):
    """An offer is open until taken (booked) or lost (no longer feasible when accepted)."""

    OPEN = "open"
    TAKEN = "taken"
    LOST = "lost"


class DriverReport(StrEnum):
    """What a driver reports about a stop (:mod:`dispatcher.engine.machine`)."""

    ARRIVED = "arrived"
    BOARDED = "boarded"
    ALIGHTED = "alighted"
    DEPARTED = "departed"


class EventType(StrEnum):
    """Types of the engine's events in the log (others, e.g. accounts', are the shells')."""

    OFFERED = "offered"
    REFUSED = "refused"
    BOOKED = "booked"
    PLANNED = "planned"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    NO_SHOW_UNDONE = "no_show_undone"
    MOVED = "moved"
    ARRIVED = "arrived"
    BOARDED = "boarded"
    ALIGHTED = "alighted"
    DEPARTED = "departed"
    LEG = "leg"
    BREAK = "break"
    POSITION = "position"
    REOPTIMIZED = "reoptimized"
    PROMISE_AT_RISK = "promise_at_risk"
    PROMISE_RECOVERED = "promise_recovered"
    VEHICLE_LATE = "vehicle_late"
    VEHICLE_ON_TIME = "vehicle_on_time"
    AT_DEPOT = "at_depot"
    SHIFT_ENDED = "shift_ended"
