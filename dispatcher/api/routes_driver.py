"""Drivers: the vehicle's manifest, reports from the road, position, live plan changes (SSE)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from dispatcher.api.bounds import SaneDay, horizon_day
from dispatcher.api.deps import DriverDep, RuntimeDep
from dispatcher.api.schemas import DriverEventIn, PositionIn
from dispatcher.api.schemas_driver import (
    BreakOut,
    DepotOut,
    DriverReportOut,
    ManifestOut,
    RouteOut,
    UndoNoShowOut,
    manifest_out,
)
from dispatcher.api.views import manifest
from dispatcher.engine import VehicleDay
from dispatcher.errors import NotFound
from dispatcher.statuses import EventType
from dispatcher.store import bookings as booking_store
from dispatcher.store.tables import ClientAction
from driver_app.geometry import route_legs

router = APIRouter(prefix="/api/v1/driver", tags=["driver"])


def _vehicle(principal: DriverDep) -> str:
    if not principal.vehicle_id:
        raise NotFound("担当車両がありません", "no vehicle is assigned to this driver")
    return principal.vehicle_id


def driver_manifest(runtime: RuntimeDep, vehicle_id: str, day: date | None = None) -> dict[str, Any]:
    """The manifest of a vehicle for a day (default today)."""
    engine = runtime.engine
    day = horizon_day(day or engine.today(), engine.today(), runtime.service.booking.max_days_ahead)
    engine.ensure_day(day)
    vd = VehicleDay(vehicle_id, day)
    extra = {"now": engine.clock(), "no_show_grace_s": engine.service.booking.no_show_grace_s,
             "no_show_undo_s": engine.service.booking.no_show_undo_s}
    if engine.view(vd) is None:
        return {"vehicle_id": vehicle_id, "day": day.isoformat(), "stops": [], "revision": 0,
                "onboard": [], "off_shift": True, **extra}
    with Session(runtime.db, expire_on_commit=False) as s:
        rows = {r.id: r for r in booking_store.of_day(s, day, vehicle_id)}
    with engine.lock:
        return {**manifest(engine, vd, rows), **extra}


@router.get("/manifest", response_model_exclude_unset=True)
def get_manifest(principal: DriverDep, runtime: RuntimeDep,
                 day: SaneDay | None = None) -> ManifestOut:
    """My vehicle's ordered stops with times, who boards and alights, and their needs."""
    return manifest_out(driver_manifest(runtime, _vehicle(principal), day))


@router.post("/events", response_model_exclude_unset=True)
def post_event(body: DriverEventIn, principal: DriverDep, runtime: RuntimeDep) -> DriverReportOut:
    """Report arrived / boarded / alighted / no-show / departed. A repeated ``client_id`` applies once."""
    vehicle_id = _vehicle(principal)
    if body.client_id:
        with Session(runtime.db, expire_on_commit=False) as s:
            done = s.get(ClientAction, f"{principal.user_id}:{body.client_id}")
        if done is not None:
            return DriverReportOut.model_validate({**done.result, "duplicate": True})
    engine = runtime.engine
    if body.type == EventType.NO_SHOW:
        if body.booking_id is None:
            from dispatcher.errors import InvalidInput

            raise InvalidInput("予約IDが必要です", "booking_id is required")
        row = engine.no_show(body.booking_id, principal.user_id, vehicle_id=vehicle_id)
        result: dict[str, Any] = {"ok": True, "status": row.status}
    else:
        result = engine.driver_event(vehicle_id, body.type, body.booking_id, principal.user_id,
                                     body.lat, body.lon)
    if body.client_id:
        with Session(runtime.db, expire_on_commit=False) as s, s.begin():
            s.add(ClientAction(client_id=f"{principal.user_id}:{body.client_id}",
                               actor_id=principal.user_id, result=result))
    return DriverReportOut.model_validate(result)


@router.post("/bookings/{booking_id}/no-show/undo",
             responses={404: {"description": "not a booking of my vehicle"},
                        409: {"description": "not a no-show, too late, or the plan cannot "
                                             "keep the promise any more"}})
def undo_no_show(booking_id: Annotated[str, Path(max_length=40)], principal: DriverDep,
                 runtime: RuntimeDep) -> UndoNoShowOut:
    """Undo my no-show of a booking (the rider turned up) within the service's undo time
    (``no_show_undo_s``): the booking is confirmed again with its original promise if my
    plan can still keep it, else 409 with the reason."""
    engine = runtime.engine
    row = engine.undo_no_show(booking_id, principal.user_id, _vehicle(principal),
                              engine.service.booking.no_show_undo_s)
    return UndoNoShowOut(ok=True, booking_id=row.id, status=row.status)


@router.post("/position", status_code=204)
def post_position(body: PositionIn, principal: DriverDep, runtime: RuntimeDep) -> None:
    """Report my vehicle's position."""
    runtime.engine.position(_vehicle(principal), body.lat, body.lon, principal.user_id, body.heading)


@router.post("/break")
def start_break(principal: DriverDep, runtime: RuntimeDep) -> BreakOut:
    """Start my shift's break now: allowed inside its window, with nobody on board, and only if
    every later booking still keeps its promise (else 409 with the reason)."""
    engine = runtime.engine
    out = engine.break_taken(_vehicle(principal), engine.clock(), principal.user_id)
    tz = engine.tz
    return BreakOut.model_validate(
        {**out, "start": datetime.fromtimestamp(out["start_s"], tz).isoformat(),
         "end": datetime.fromtimestamp(out["end_s"], tz).isoformat()})


@router.post("/depot")
def at_depot(principal: DriverDep, runtime: RuntimeDep) -> DepotOut:
    """My vehicle is back at its depot (nobody on board); the plan goes on from there."""
    return DepotOut.model_validate(runtime.engine.back_at_depot(_vehicle(principal),
                                                                principal.user_id))


@router.post("/shift/end")
def end_shift(principal: DriverDep, runtime: RuntimeDep) -> DepotOut:
    """Back at the depot and my shift is over: the vehicle leaves planning for today.

    Refused (409, ja/en) while riders are on board or bookings are still planned on the
    vehicle (the operator moves them to another vehicle first).
    """
    return DepotOut.model_validate(runtime.engine.back_at_depot(_vehicle(principal),
                                                                principal.user_id,
                                                                end_shift=True))


@router.get("/stream")
async def stream(request: Request, principal: DriverDep, runtime: RuntimeDep) -> StreamingResponse:
    """Server-sent events: the manifest (as ``GET /manifest`` answers it) again whenever my
    vehicle's plan changes, and the service's clock every 2 s."""
    vehicle_id = _vehicle(principal)

    async def events() -> AsyncIterator[str]:
        last = None
        beat = 0
        while not await request.is_disconnected():
            data = await asyncio.to_thread(driver_manifest, runtime, vehicle_id)
            sig = (data.get("revision"), tuple((s["booking_id"], s["kind"]) for s in data["stops"]))
            if sig != last:
                last = sig
                body = manifest_out(data).model_dump(mode="json", exclude_unset=True)
                yield f"event: manifest\ndata: {json.dumps(body, ensure_ascii=False)}\n\n"
            beat += 1
            if beat % 4 == 0:  # the service's clock, so the app times no-shows as the server does
                yield f"event: clock\ndata: {json.dumps({'now': runtime.engine.clock()})}\n\n"
            await asyncio.sleep(0.5)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/route")
def route(principal: DriverDep, runtime: RuntimeDep) -> RouteOut:
    """Road geometry of my vehicle's plan today: one leg from where it is to each planned stop.

    ``legs[0]`` is the way to the next stop; all legs together are the whole run. Coordinates
    are [lat, lon]; ``revision`` matches the manifest's.
    """
    vehicle_id = _vehicle(principal)
    engine = runtime.engine
    day = engine.today()
    engine.ensure_day(day)
    with engine.lock:
        view = engine.view(VehicleDay(vehicle_id, day))
        if view is None:
            return RouteOut(vehicle_id=vehicle_id, revision=0, start=None, legs=[])
        plan, state, revision = view.plan, view.state, view.revision
        start = engine.places.node_of(state.node)
        stops = [(engine.places.node_of(st.node),
                  {"index": i, "booking_id": st.booking_id, "kind": st.kind.value})
                 for i, st in enumerate(plan.stops)]
    net = engine.network
    legs = route_legs(start, stops, net.polyline)  # type: ignore[attr-defined]
    lat, lon = net.node_coords(start)
    return RouteOut.model_validate({"vehicle_id": vehicle_id, "revision": revision,
                                    "start": [lat, lon], "legs": legs})
