"""The service's booking rules applied to a request: operating days and hours, notice, group size.

Pure: the service, the asked time (epoch s) and "now" (epoch s) in; a :class:`RuleViolation` or
:class:`InvalidInput` with a Japanese and an English explanation out.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

from dispatcher.errors import InvalidInput, RuleViolation
from dispatcher.service_area import ServiceArea
from dispatcher.units import at_local, from_epoch, hhmm


def _hm(seconds_of_day: int) -> str:
    return f"{seconds_of_day // 3600:02d}:{seconds_of_day % 3600 // 60:02d}"


def check_request_time(service: ServiceArea, time_s: int, now_s: int) -> None:
    """Refuse a trip time that the service's calendar, hours or booking rules do not allow.

    Parameters
    ----------
    service
        The service and its rules.
    time_s
        The asked time (earliest pickup or latest drop-off), epoch s.
    now_s
        The current time, epoch s.

    Raises
    ------
    InvalidInput
        The time is in the past.
    RuleViolation
        Not an operating day, outside the hours, too little notice, too far ahead, or past the
        prior-day deadline.
    """
    tz = ZoneInfo(service.timezone)
    when = from_epoch(time_s, tz)
    if time_s < now_s:
        raise InvalidInput(
            f"過去の時刻です（{when:%m/%d %H:%M}）。これからの時刻を指定してください。",
            f"That time ({when:%m/%d %H:%M}) is in the past; choose a time from now on.",
            time=when.isoformat(),
        )
    if not service.calendar.runs_on(when.date()):
        _refuse_day(service, when)
    sod = when.hour * 3600 + when.minute * 60 + when.second
    if not service.in_service_hours(sod):
        hours = "、".join(f"{_hm(p.start_s)}〜{_hm(p.end_s)}" for p in service.periods)
        hours_en = ", ".join(f"{_hm(p.start_s)}–{_hm(p.end_s)}" for p in service.periods)
        raise RuleViolation(
            f"{hhmm(time_s, tz)}は運行時間外です（運行時間: {hours}）。",
            f"{hhmm(time_s, tz)} is outside the service hours ({hours_en}).",
            rule="service_hours",
        )
    _check_notice(service, time_s, now_s, tz)


def _refuse_day(service: ServiceArea, when: datetime) -> NoReturn:
    """Refuse a day the service does not run: a public holiday, or not in its calendar."""
    name = service.calendar.holiday(when.date())
    if name is not None:
        raise RuleViolation(
            f"{when:%m月%d日}は祝日（{name}）のため運休です。",
            f"The service does not run on {when:%Y-%m-%d}: public holiday "
            f"({service.calendar.holiday(when.date(), 'en_US')}).",
            rule="operating_day", day=when.date().isoformat(),
        )
    ja, en = service.calendar.describe()
    raise RuleViolation(
        f"{when:%m月%d日}は運行日ではありません（{ja}）。",
        f"The service does not run on {when:%Y-%m-%d} ({en}).",
        rule="operating_day",
        day=when.date().isoformat(),
    )


def _check_notice(service: ServiceArea, time_s: int, now_s: int, tz: ZoneInfo) -> None:
    """Refuse a trip booked too far ahead, past the prior-day deadline or with too little
    notice (the service's booking rules)."""
    when = from_epoch(time_s, tz)
    now = from_epoch(now_s, tz)
    rules = service.booking
    days_ahead = (when.date() - now.date()).days
    if days_ahead > rules.max_days_ahead:
        raise RuleViolation(
            f"予約は{rules.max_days_ahead}日先までです。",
            f"Bookings open {rules.max_days_ahead} days ahead at most.",
            rule="max_days_ahead",
        )
    if rules.type == "prior_day":
        deadline_day = when.date() - timedelta(days=1)
        deadline = from_epoch(time_s, tz).replace(
            year=deadline_day.year, month=deadline_day.month, day=deadline_day.day,
            hour=rules.prior_day_deadline_s // 3600, minute=rules.prior_day_deadline_s % 3600 // 60,
            second=0, microsecond=0,
        )
        if now > deadline:
            raise RuleViolation(
                f"この便の予約は前日{_hm(rules.prior_day_deadline_s)}までです。",
                f"Trips must be booked by {_hm(rules.prior_day_deadline_s)} the day before.",
                rule="prior_day_deadline",
            )
    elif rules.type == "same_day" and time_s - now_s < rules.min_notice_s:
        minutes = rules.min_notice_s // 60
        raise RuleViolation(
            f"乗車の{minutes}分前までにご予約ください。",
            f"Please book at least {minutes} minutes before the trip.",
            rule="min_notice",
            earliest=from_epoch(now_s + rules.min_notice_s, tz).isoformat(),
        )


def check_party(service: ServiceArea, seats: int, wheelchairs: int, infants: int = 0) -> None:
    """Refuse a party that no vehicle could carry or that breaks the group limit.

    Raises
    ------
    RuleViolation
        Too many people, or more wheelchairs or seats than the largest vehicle has.
    """
    total = seats + wheelchairs + infants
    if total > service.booking.max_group:
        raise RuleViolation(
            f"1回の予約は{service.booking.max_group}人までです。",
            f"A booking takes at most {service.booking.max_group} people.",
            rule="max_group",
        )
    if service.fleet:
        max_seats = max(v.seats for v in service.fleet)
        max_wc = max(v.wheelchair_spaces for v in service.fleet)
        fits = any(v.seats >= seats and v.wheelchair_spaces >= wheelchairs for v in service.fleet)
        if not fits:
            raise RuleViolation(
                f"この人数を乗せられる車両がありません（座席最大{max_seats}、車いす最大{max_wc}）。",
                f"No vehicle can carry this party (at most {max_seats} seats and {max_wc} wheelchairs).",
                rule="capacity",
            )


def earliest_bookable(service: ServiceArea, now_s: int, step_s: int = 300) -> int | None:
    """The earliest trip time (epoch s) a booking made now may ask for, on a ``step_s`` grid.

    The first moment, from now on, that :func:`check_request_time` accepts: at least the
    minimum notice ahead, inside the service hours of an operating day, within the booking
    horizon (and after the prior-day deadline for services booked the day before). This is the
    time a rider is offered when the asked one is too soon.

    Parameters
    ----------
    service
        The service and its rules.
    now_s
        The current time, epoch s.
    step_s
        Grid of the answer in seconds (five minutes: what a time picker offers).

    Returns
    -------
    int | None
        Epoch seconds, or None when nothing inside the booking horizon can be booked.
    """
    tz = ZoneInfo(service.timezone)
    today = from_epoch(now_s, tz).date()
    notice = service.booking.min_notice_s if service.booking.type == "same_day" else 0
    soonest = now_s + notice
    for k in range(service.booking.max_days_ahead + 1):
        day = today + timedelta(days=k)
        if not service.calendar.runs_on(day):
            continue
        midnight = at_local(day, time(0), tz)
        for period in sorted(service.periods, key=lambda p: p.start_s):
            start = max(midnight + period.start_s, soonest)
            # Round up onto the grid of local clock times.
            start = midnight + -(-(start - midnight) // step_s) * step_s
            if start > midnight + period.end_s:
                continue
            try:
                check_request_time(service, start, now_s)
            except (RuleViolation, InvalidInput):
                continue
            return start
    return None
