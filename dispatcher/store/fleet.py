"""Vehicles, shifts, stored plans and the driver's reports: the engine's reads and writes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from dispatcher.store.tables import Event, PlanRow, ShiftRow, VehicleRow


def vehicles_by_id(s: Session) -> dict[str, VehicleRow]:
    """All vehicles by id."""
    return {v.id: v for v in s.exec(select(VehicleRow))}


def vehicles(s: Session, active_only: bool = False) -> list[VehicleRow]:
    """The vehicles (only the active ones when asked)."""
    q = select(VehicleRow)
    if active_only:
        q = q.where(col(VehicleRow.active))
    return list(s.exec(q))


def shifts_of_day(s: Session, day: date) -> list[ShiftRow]:
    """The shifts of one service day."""
    return list(s.exec(select(ShiftRow).where(ShiftRow.day == day)))


def end_shift(s: Session, vehicle_id: str, day: date, at: datetime) -> None:
    """Mark a vehicle's shift of ``day`` ended at ``at``."""
    for sh in s.exec(select(ShiftRow).where(ShiftRow.vehicle_id == vehicle_id,
                                            ShiftRow.day == day)):
        sh.ended_at = at


def take_break(s: Session, vehicle_id: str, day: date, at: datetime) -> None:
    """Mark the break of a vehicle's shift of ``day`` taken (started at ``at``)."""
    for sh in s.exec(select(ShiftRow).where(ShiftRow.vehicle_id == vehicle_id,
                                            ShiftRow.day == day)):
        sh.break_taken_at = at


def plan_revisions_of_day(s: Session, day: date) -> dict[str, int]:
    """The stored plan revision of each vehicle-day of one service day (key ``"V@YYYY-MM-DD"``),
    without the plans themselves."""
    q = select(PlanRow.vehicle_id, PlanRow.revision).where(
        col(PlanRow.vehicle_id).endswith(f"@{day.isoformat()}"))
    return {k: int(r) for k, r in s.exec(q)}


def plans_by_keys(s: Session, keys: Iterable[str]) -> dict[str, PlanRow]:
    """Stored plans of the given vehicle-days (those that exist)."""
    wanted = list(keys)
    if not wanted:
        return {}
    return {p.vehicle_id: p for p in s.exec(select(PlanRow).where(col(PlanRow.vehicle_id).in_(wanted)))}


def set_position(s: Session, vehicle_id: str, lat: float, lon: float, heading: float | None,
                 at: datetime) -> bool:
    """Keep a vehicle's reported position on its row; False if there is no such vehicle."""
    v = s.get(VehicleRow, vehicle_id)
    if v is None:
        return False
    v.lat, v.lon, v.heading, v.position_at = lat, lon, heading, at
    return True


@dataclass(frozen=True)
class PlanRecord:
    """What is stored of a vehicle-day's plan and state (see :class:`PlanRow`)."""

    revision: int
    locked: int
    stops: list[dict[str, Any]]
    state_node_stop: str | None
    state_lat: float | None
    state_lon: float | None
    state_at: datetime
    onboard: list[dict[str, Any]]
    updated_at: datetime
    en_route: bool = False


def save_plan(s: Session, key: str, record: PlanRecord) -> None:
    """Store a vehicle-day's plan (insert or update)."""
    prow = s.get(PlanRow, key) or PlanRow(vehicle_id=key)
    prow.revision = record.revision
    prow.locked = record.locked
    prow.stops = record.stops
    prow.state_node_stop = record.state_node_stop
    prow.state_lat, prow.state_lon = record.state_lat, record.state_lon
    prow.state_at = record.state_at
    prow.onboard = record.onboard
    prow.en_route = record.en_route
    prow.updated_at = record.updated_at
    s.add(prow)


def last_stop_report(s: Session, vehicle_id: str, start: datetime, end: datetime
                     ) -> Event | None:
    """The vehicle's latest ``arrived`` or ``departed`` report in [start, end)."""
    return s.exec(select(Event).where(
        Event.vehicle_id == vehicle_id, col(Event.type).in_(("arrived", "departed")),
        col(Event.at) >= start, col(Event.at) < end)
        .order_by(col(Event.id).desc()).limit(1)).first()


def last_event(s: Session, booking_id: str, type_: str) -> Event | None:
    """A booking's latest event of one type."""
    return s.exec(select(Event).where(Event.booking_id == booking_id, Event.type == type_)
                  .order_by(col(Event.id).desc()).limit(1)).first()
