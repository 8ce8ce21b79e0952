"""Response bodies of the vehicle manifests (drivers, and operators' plans) and of drivers'
reports.

Times are ISO 8601 strings in the service's time zone exactly as the views format them
(:mod:`dispatcher.api.views`). Keys a body leaves out when they do not apply (a stop's
``window`` or rider, an off-shift manifest's plan) are optional fields, and the routes answer
with ``response_model_exclude_unset`` so that they stay left out rather than ``null``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

#: A JSON number that stays as it was computed: an ``int`` is not written as ``3.0``.
Number = int | float


class PromiseLateOut(BaseModel):
    """A promise of the vehicle expected late (or at risk): whose, which part, by how much."""

    booking_id: str
    what: str
    by_s: int
    stop_index: int


class ManifestStopOut(BaseModel):
    """A planned stop: where, when, whose, and the rider's needs (riders' fields when the
    booking is known; ``window`` for pickups, ``latest`` for drop-offs, the phone for
    pickups)."""

    index: int
    booking_id: str
    kind: str
    stop_id: str | None
    name_ja: str
    name_en: str
    lat: Number | None
    lon: Number | None
    eta: str | None
    service_start: str | None
    leave_by: str | None
    slack_s: int | None
    late_s: int
    at_risk: bool
    locked: bool
    visit: int
    window: list[str] | None = None
    latest: str | None = None
    rider_name: str | None = None
    adults: int | None = None
    children: int | None = None
    infants: int | None = None
    wheelchairs: int | None = None
    notes: str | None = None
    fare: int | None = None
    payment_status: str | None = None
    status: str | None = None
    rider_phone: str | None = None


class ManifestOut(BaseModel):
    """A vehicle-day's manifest (:func:`dispatcher.api.views.manifest`); a driver's also has
    the service's clock and no-show times, and ``off_shift`` when the vehicle has no shift that
    day (then only the empty plan)."""

    vehicle_id: str
    day: str
    revision: int
    onboard: list[str]
    feasible: bool | None = None
    late_s: int | None = None
    promises_late: list[PromiseLateOut] | None = None
    promises_at_risk: list[PromiseLateOut] | None = None
    shift_overrun_s: int | None = None
    shift_ended: bool | None = None
    stops: list[ManifestStopOut]
    shift: list[str] | None = None
    breaks: list[str] | None = None
    off_shift: bool | None = None
    now: int | None = None
    no_show_grace_s: int | None = None
    no_show_undo_s: int | None = None


class DriverReportOut(BaseModel):
    """What a report did: ``ok``, the booking's new status (boarded, alighted, no-show) and
    ``duplicate`` for a repeated ``client_id``."""

    ok: bool
    status: str | None = None
    duplicate: bool | None = None


class UndoNoShowOut(BaseModel):
    """A no-show undone: the booking is confirmed again."""

    ok: bool
    booking_id: str
    status: str


class BreakOut(BaseModel):
    """A break started now: its start and end (epoch s and local ISO time)."""

    ok: bool
    start_s: int
    end_s: int
    start: str
    end: str


class DepotOut(BaseModel):
    """Back at the depot (epoch s), and whether the shift is over."""

    ok: bool
    at: int
    shift_ended: bool


class RouteLegOut(BaseModel):
    """One leg of the vehicle's road route: to the stop ``index`` of the plan, as [lat, lon]."""

    index: int
    booking_id: str
    kind: str
    coords: list[list[float]]


class RouteOut(BaseModel):
    """Road geometry of the vehicle's plan today; ``start`` is where it is ([lat, lon])."""

    vehicle_id: str
    revision: int
    start: list[Number] | None
    legs: list[RouteLegOut]


def manifest_out(data: dict[str, Any]) -> ManifestOut:
    """The typed body of a manifest built as a mapping (keys it lacks stay unset)."""
    return ManifestOut.model_validate(data)
