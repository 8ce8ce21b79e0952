"""Repository functions over a SQLModel session: seeding, loading the open state, events.

Callers own the transaction (``with Session(engine) as s, s.begin(): ...``) so that a change
and its events are committed together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from dispatcher.service_area import ServiceArea
from dispatcher.statuses import OPEN_BOOKING_STATUSES
from dispatcher.store.tables import (
    BookingRow,
    Event,
    PlanRow,
    Setting,
    ShiftRow,
    StopRow,
    VehicleRow,
)
from dispatcher.store.types import utcnow


def add_event(
    session: Session,
    type_: str,
    *,
    booking_id: str | None = None,
    vehicle_id: str | None = None,
    actor_id: str | None = None,
    at: datetime | None = None,
    **data: Any,
) -> Event:
    """Append an event to the log (in the caller's transaction)."""
    event = Event(
        type=str(type_), booking_id=booking_id, vehicle_id=vehicle_id, actor_id=actor_id,
        at=at or utcnow(), data=data,
    )
    session.add(event)
    return event


def seed_service(session: Session, service: ServiceArea) -> bool:
    """Load the service's stops and vehicles into an empty database; True if it seeded."""
    if session.exec(select(StopRow).where(StopRow.service_id == service.id)).first() is not None:
        return False
    for s in service.stops:
        session.add(
            StopRow(
                id=s.id, service_id=service.id, name_ja=s.name_ja, name_en=s.name_en,
                name_kana=s.name_kana, lat=s.lat, lon=s.lon, kind=s.kind,
                wheelchair=s.wheelchair, weight=s.weight,
            )
        )
    for v in service.fleet:
        session.add(
            VehicleRow(
                id=v.id, service_id=service.id, name=v.name, seats=v.seats,
                wheelchair_spaces=v.wheelchair_spaces, depot_stop_id=v.depot,
            )
        )
    add_event(session, "service_seeded", service=service.id, stops=len(service.stops),
              vehicles=len(service.fleet))
    return True


def ensure_shifts(session: Session, service: ServiceArea, days: Iterable[date]) -> int:
    """Create the configured shifts of every active vehicle for operating ``days`` that lack them."""
    tz = ZoneInfo(service.timezone)
    specs = {v.id: v for v in service.fleet}
    vehicles = session.exec(select(VehicleRow).where(VehicleRow.active)).all()
    created = 0
    for day in days:
        if not service.calendar.runs_on(day):
            continue
        have = {r.vehicle_id for r in session.exec(select(ShiftRow).where(ShiftRow.day == day))}
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
        for v in vehicles:
            spec = specs.get(v.id)
            if v.id in have or spec is None or not spec.shifts:
                continue
            sh = spec.shifts[0]
            session.add(
                ShiftRow(
                    vehicle_id=v.id, day=day,
                    start_at=midnight + timedelta(seconds=sh.start_s),
                    end_at=midnight + timedelta(seconds=sh.end_s),
                    break_earliest_at=(midnight + timedelta(seconds=sh.break_earliest_s))
                    if sh.break_earliest_s is not None else None,
                    break_latest_end_at=(midnight + timedelta(seconds=sh.break_latest_end_s))
                    if sh.break_latest_end_s is not None else None,
                    break_s=sh.break_s,
                    driver_id=f"driver-{v.id}",
                )
            )
            created += 1
    return created


def open_bookings(session: Session) -> list[BookingRow]:
    """Bookings still to be served (confirmed or on board)."""
    return list(session.exec(select(BookingRow).where(BookingRow.status.in_(OPEN_BOOKING_STATUSES))))  # type: ignore[attr-defined]


def open_booking_ids_of_day(session: Session, day: date) -> set[str]:
    """Ids of the open bookings (confirmed or on board) of one service day."""
    return set(session.exec(select(BookingRow.id).where(
        BookingRow.status.in_(OPEN_BOOKING_STATUSES), BookingRow.service_day == day)))  # type: ignore[attr-defined]


def shifts_from(session: Session, first_day: date) -> list[ShiftRow]:
    """Shifts on or after ``first_day``."""
    return list(session.exec(select(ShiftRow).where(ShiftRow.day >= first_day)))


def plan_rows(session: Session) -> dict[str, PlanRow]:
    """Stored plans by vehicle-day key."""
    return {p.vehicle_id: p for p in session.exec(select(PlanRow))}


def record_export(session: Session, key: str, status: dict[str, Any], *,
                  replace: bool = False) -> dict[str, Any]:
    """Keep a feed's export record under ``key`` of the ``settings`` table; returns the record
    kept.

    Workers export the same bytes independently (the bytes depend only on the configuration
    and the window). The first record of those bytes wins, so every worker serves one export
    time and verdict: a stored record with the same ``sha256`` and ``config_hash`` stays,
    unless ``replace`` (an operator's re-export). The row is inserted if missing (never a
    duplicate-key error when two workers record their first export at once) and then read
    locked for the rest of the caller's transaction.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(Setting).values(key=key, value=status)
                    .on_conflict_do_nothing(index_elements=["key"]))
    row = session.exec(select(Setting).where(Setting.key == key).with_for_update()).one()
    kept = dict(row.value)
    same = all(kept.get(k) == status.get(k) for k in ("sha256", "config_hash"))
    if replace or not same:
        row.value = dict(status)
        session.add(row)
        return dict(status)
    return kept
