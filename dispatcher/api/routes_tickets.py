"""E-tickets and fares over HTTP: the rider's ticket (JSON, SVG, PNG), the operator's reissue,
the driver's sync, check-in at the door and payment on board."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from dispatcher import tickets
from dispatcher.api.deps import DriverDep, OperatorDep, RiderDep, RuntimeDep
from dispatcher.api.routes_rider import own_booking
from dispatcher.api.schemas import BookingOut
from dispatcher.api.schemas_tickets import (
    CheckinOut,
    CheckinRefusedOut,
    DriverSyncOut,
    KeyringOut,
    TicketOut,
)
from dispatcher.api.views import booking_out
from dispatcher.errors import NotFound
from dispatcher.fares import Recorder
from dispatcher.ticket_service import TicketService, record_booking_payment

router = APIRouter(prefix="/api/v1", tags=["tickets"])


def get_ticketing(runtime: RuntimeDep) -> TicketService:
    """The service area's ticket service (created with its runtime)."""
    return runtime.ticketing


TicketingDep = Annotated[TicketService, Depends(get_ticketing)]


class CheckinIn(BaseModel):
    """A ticket shown at the door: the scanned QR text or the typed short code (one of them)."""

    model_config = ConfigDict(extra="forbid")
    ticket: str | None = Field(default=None, max_length=2000, description="NR1:... QR text")
    code: str | None = Field(default=None, max_length=40, description="short code XXXXX-XXXXX")


class DriverPaymentIn(BaseModel):
    """A payment the driver records on board."""

    model_config = ConfigDict(extra="forbid")
    booking_id: str = Field(max_length=40)
    status: Literal["paid_cash_onboard", "prepaid", "unpaid"]


def _vehicle(principal: DriverDep) -> str:
    if not principal.vehicle_id:
        raise NotFound("担当車両がありません", "no vehicle is assigned to this driver")
    return principal.vehicle_id


# --- riders and operators ---------------------------------------------------------------------


@router.get("/bookings/{booking_id}/ticket")
def get_ticket(booking_id: str, principal: RiderDep, runtime: RuntimeDep,
               ticketing: TicketingDep) -> TicketOut:
    """My booking's e-ticket: QR text and SVG, short code, validity, fare and riders."""
    own_booking(runtime, principal, booking_id)
    issued = ticketing.ticket_for(booking_id, actor_id=principal.user_id)
    return TicketOut.model_validate(ticketing.ticket_json(booking_id, issued))


@router.get("/bookings/{booking_id}/ticket.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}})
def get_ticket_svg(booking_id: str, principal: RiderDep, runtime: RuntimeDep,
                   ticketing: TicketingDep, scale: int = 6) -> Response:
    """My booking's e-ticket QR code as an SVG image."""
    own_booking(runtime, principal, booking_id)
    issued = ticketing.ticket_for(booking_id, actor_id=principal.user_id)
    svg = tickets.qr_svg(issued.text, scale=min(max(scale, 1), 20),
                         title=f"乗車券 Ticket {booking_id}", xmldecl=True)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.get("/bookings/{booking_id}/ticket.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
def get_ticket_png(booking_id: str, principal: RiderDep, runtime: RuntimeDep,
                   ticketing: TicketingDep, scale: int = 6) -> Response:
    """My booking's e-ticket QR code as a PNG image (for printing)."""
    own_booking(runtime, principal, booking_id)
    issued = ticketing.ticket_for(booking_id, actor_id=principal.user_id)
    png = tickets.qr_png(issued.text, scale=min(max(scale, 1), 20))
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/operator/bookings/{booking_id}/ticket/reissue")
def reissue_ticket(booking_id: str, principal: OperatorDep,
                   ticketing: TicketingDep) -> TicketOut:
    """Reissue a booking's ticket (issue + 1); the old one is refused as superseded."""
    issued = ticketing.reissue(booking_id, principal.user_id)
    return TicketOut.model_validate(ticketing.ticket_json(booking_id, issued))


@router.get("/tickets/keyring")
def keyring(ticketing: TicketingDep) -> KeyringOut:
    """The service's public ticket keys (anyone may verify tickets)."""
    return KeyringOut.model_validate(ticketing.keyring_json())


# --- drivers ----------------------------------------------------------------------------------


@router.get("/driver/sync")
def driver_sync(principal: DriverDep, runtime: RuntimeDep,
                ticketing: TicketingDep) -> DriverSyncOut:
    """Everything my app needs to check tickets offline: keys, codes, cancelled, used, issues."""
    vehicle = _vehicle(principal)
    runtime.engine.ensure_day(runtime.engine.today())
    return DriverSyncOut.model_validate(ticketing.sync(vehicle))


@router.post("/driver/checkin", response_model=CheckinOut,
             responses={409: {"model": CheckinRefusedOut, "description": "ticket refused"},
                        422: {"description": "not a ticket"}})
def driver_checkin(body: CheckinIn, principal: DriverDep, runtime: RuntimeDep,
                   ticketing: TicketingDep) -> CheckinOut | JSONResponse:
    """Check a ticket (QR text or short code) in once; boards the rider when it is valid.

    A ticket boards only its own booking, and only at its own stop: the booking must be on my
    vehicle today, waiting for pickup, and board at my vehicle's current stop (the pickups of
    its next visit). Anything else is refused with the reason (``other_stop``,
    ``wrong_vehicle``, ``wrong_day``, ``already_onboard``, ``cancelled``, ...) and, where it
    helps, ``detail_ja``/``detail_en`` (where and when that booking boards, or its day);
    a text that is no ticket at all is refused the same way with 422 (``bad_format``).
    """
    vehicle = _vehicle(principal)
    engine = runtime.engine

    def board(booking_id: str) -> dict[str, Any]:
        return engine.driver_event(vehicle, "boarded", booking_id, principal.user_id)

    # the plan cannot change between the stop check and the boarding
    with engine.writing(engine.today()):
        result = ticketing.checkin(vehicle, principal.user_id, ticket=body.ticket,
                                   code=body.code, board=board,
                                   boarding_here=engine.boarding_here(vehicle))
    if result["ok"]:
        return CheckinOut.model_validate(result)
    status = 422 if result["reason"] == "bad_format" else 409
    refused = CheckinRefusedOut.model_validate({"code": "ticket_refused", **result})
    return JSONResponse(refused.model_dump(exclude_unset=True), status_code=status)


@router.post("/driver/payment")
def driver_payment(body: DriverPaymentIn, principal: DriverDep, runtime: RuntimeDep) -> BookingOut:
    """Record a payment on board (cash) for a booking on my vehicle."""
    row = record_booking_payment(runtime.db, runtime.service, runtime.engine.clock,
                                 body.booking_id, body.status, by=Recorder.DRIVER,
                                 actor_id=principal.user_id, vehicle_id=_vehicle(principal))
    return booking_out(row, runtime.engine.tz)
