"""Bounds of the API's numbers and dates: every integer and date a route reads is range-checked
(422 with a message) before it reaches the engine or the database.

- Row ids and cursors fit a signed 64-bit integer (PostgreSQL BIGINT, SQLite INTEGER).
- Dates lie in a sane range (:data:`MIN_DAY` .. :data:`MAX_DAY`).
- Days that make the engine build a schedule (manifests, plans, shifts, routes, re-optimisation)
  lie inside the service's horizon: from :data:`HISTORY_DAYS` ago to the last bookable day, so
  no caller can make the server create shift rows for the year 3000.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from pydantic import AfterValidator

from dispatcher.errors import InvalidInput

INT64_MAX = 2**63 - 1
MIN_DAY = date(2000, 1, 1)
MAX_DAY = date(2099, 12, 31)
#: How far back a day's schedule may be looked at (its shifts exist from when it was served).
HISTORY_DAYS = 31


def _sane_day(value: date) -> date:
    if not MIN_DAY <= value <= MAX_DAY:
        raise ValueError(f"日付は{MIN_DAY}〜{MAX_DAY}の範囲で指定してください "
                         f"(the date must be between {MIN_DAY} and {MAX_DAY})")
    return value


SaneDay = Annotated[date, AfterValidator(_sane_day)]
"""A date within :data:`MIN_DAY` .. :data:`MAX_DAY` (else 422)."""


def horizon_day(day: date, today: date, max_days_ahead: int) -> date:
    """``day`` if a schedule may be built for it: from ``HISTORY_DAYS`` before ``today`` to the
    last bookable day.

    Raises
    ------
    InvalidInput
        Outside that range, saying which days may be asked.
    """
    first, last = today - timedelta(days=HISTORY_DAYS), today + timedelta(days=max_days_ahead)
    if not first <= day <= last:
        raise InvalidInput(
            f"運行表は{first.month}月{first.day}日から{last.month}月{last.day}日までの日について"
            "表示できます",
            f"schedules are shown for days from {first.isoformat()} to {last.isoformat()} "
            f"(up to {max_days_ahead} days ahead, {HISTORY_DAYS} days back)",
            day=day.isoformat(), first=first.isoformat(), last=last.isoformat())
    return day
