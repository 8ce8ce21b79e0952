"""Units and time at the edges of the core.

Inside the core a time is an ``int`` of seconds since the Unix epoch (UTC), so that bookings
days ahead and runs past midnight need no special case; durations are whole seconds and
distances whole metres. Timestamps that leave the core are timezone-aware; the service's time
zone (Asia/Tokyo for Mitsugi) is used for display and for GTFS service-day times, which count
from "noon minus 12 h" of the service day and may exceed 24:00:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Seconds = int
Metres = int
EpochSeconds = int

TOKYO = ZoneInfo("Asia/Tokyo")
"""The zone the shipped Mitsugi service and the tests use. Shells pass their service's zone
(``ServiceArea.timezone``); the default is only a convenience for tests and scripts."""


def to_epoch(moment: datetime) -> EpochSeconds:
    """Return whole epoch seconds of an aware datetime; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: timestamps must carry a time zone")
    return int(moment.timestamp())


def from_epoch(seconds: EpochSeconds, tz: ZoneInfo = TOKYO) -> datetime:
    """Return the aware datetime in ``tz`` of epoch seconds."""
    return datetime.fromtimestamp(seconds, tz=UTC).astimezone(tz)


def service_day_origin(day: date, tz: ZoneInfo = TOKYO) -> EpochSeconds:
    """Epoch seconds of GTFS time 00:00:00 of ``day``: noon minus 12 hours (DST-safe)."""
    noon = datetime.combine(day, time(12, 0), tzinfo=tz)
    return to_epoch(noon) - 12 * 3600


def at_local(day: date, clock: time, tz: ZoneInfo = TOKYO) -> EpochSeconds:
    """Epoch seconds of local wall-clock ``clock`` on ``day`` in ``tz``."""
    return to_epoch(datetime.combine(day, clock, tzinfo=tz))


def gtfs_time(seconds_of_day: Seconds) -> str:
    """Format seconds since the service-day origin as GTFS ``HH:MM:SS`` (hours may pass 23)."""
    if seconds_of_day < 0:
        raise ValueError("GTFS times cannot be negative")
    h, rem = divmod(int(seconds_of_day), 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{s:02d}"


def parse_gtfs_time(text: str) -> Seconds:
    """Parse GTFS ``H:MM:SS`` / ``HH:MM:SS`` into seconds since the service-day origin."""
    parts = text.strip().split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a GTFS time: {text!r}")
    h, m, s = (int(p) for p in parts)
    if m >= 60 or s >= 60:
        raise ValueError(f"not a GTFS time: {text!r}")
    return h * 3600 + m * 60 + s


def local_day(seconds: EpochSeconds, tz: ZoneInfo = TOKYO) -> date:
    """The local calendar day of an epoch time."""
    return from_epoch(seconds, tz).date()


def minutes(value: float) -> Seconds:
    """Whole seconds of a number of minutes."""
    return round(value * 60)


def clock_hhmm(seconds_of_day: Seconds) -> str:
    """``HH:MM`` of a local clock time given as seconds since midnight (08:30 → ``"08:30"``)."""
    return f"{seconds_of_day // 3600:02d}:{seconds_of_day % 3600 // 60:02d}"


def hhmm(seconds: EpochSeconds, tz: ZoneInfo = TOKYO) -> str:
    """Local ``HH:MM`` of an epoch time, for people."""
    return from_epoch(seconds, tz).strftime("%H:%M")


ONE_DAY = timedelta(days=1)
