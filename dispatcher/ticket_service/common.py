"""What the ticket service's modules share: the clock, the store's time conversions
(:mod:`dispatcher.store.types`) and booking statuses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dispatcher.statuses import BookingStatus

Clock = Callable[[], int]
"""Returns "now" in epoch seconds (the engine's clock)."""

CLOSED_STATUSES = (BookingStatus.CANCELLED, BookingStatus.NO_SHOW, BookingStatus.COMPLETED)
"""A booking in these has no usable ticket any more."""
REFUSED_STATUSES = (BookingStatus.CANCELLED, BookingStatus.NO_SHOW)
"""A ticket of a booking in these is refused as cancelled."""
RIDDEN_STATUSES = (BookingStatus.ONBOARD, BookingStatus.COMPLETED)
"""A ticket of a booking in these has been used."""


def service_days(now_s: int, tz: ZoneInfo) -> tuple[date, date]:
    """Today and tomorrow in the service's time zone (the days a driver's app checks)."""
    today = datetime.fromtimestamp(now_s, tz=tz).date()
    return today, today + timedelta(days=1)
