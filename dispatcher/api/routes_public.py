"""Public endpoints: health, the service description, stops (search by name, kana or alias)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from dispatcher.api.deployment import PREFIX, Deployment
from dispatcher.api.deps import RuntimeDep
from dispatcher.api.schemas_public import (
    AreaOut,
    BookingRulesOut,
    DistrictOut,
    FaresOut,
    HealthOut,
    PeriodOut,
    ServiceOut,
    StopOut,
)
from dispatcher.stop_search import search_stops

router = APIRouter(tags=["public"])


@router.get("/health")
def health(runtime: RuntimeDep) -> HealthOut:
    """Answers 200 when the service is ready."""
    workers = runtime.engine.workers
    return HealthOut(status="ok", service=runtime.service.id, version=runtime.engine.version,
                     now=runtime.engine.clock(), worker=runtime.worker_id,
                     leader=workers.leader, shared=workers.shared)


@router.get("/api/v1/areas")
def areas(request: Request) -> list[AreaOut]:
    """The service areas this deployment serves (the same answer under every area)."""
    deployment: Deployment = request.app.state.deployment
    return [AreaOut(id=a, name_ja=rt.service.name_ja, name_en=rt.service.name_en,
                    prefix=f"{PREFIX}{a}", default=a == deployment.default_id,
                    example=rt.service.example)
            for a, rt in deployment.areas.items()]


@router.get("/api/v1/service")
def service_info(runtime: RuntimeDep) -> ServiceOut:
    """The service: names, hours, calendar, booking rules, fares, zone, and an example driver
    login (one vehicle id of the area) for the driver app's sign-in form."""
    svc = runtime.service
    b = svc.booking
    return ServiceOut(
        id=svc.id, name_ja=svc.name_ja, name_en=svc.name_en, timezone=svc.timezone,
        periods=[PeriodOut(id=p.id, start_s=p.start_s, end_s=p.end_s) for p in svc.periods],
        days=sorted(svc.calendar.days),
        booking=BookingRulesOut(type=b.type, min_notice_min=b.min_notice_s // 60,
                                max_days_ahead=b.max_days_ahead,
                                cancel_notice_min=b.cancel_notice_s // 60, phone=b.phone,
                                message_ja=b.message_ja, message_en=b.message_en,
                                max_group=b.max_group),
        fares=FaresOut(currency=svc.fares.currency, adult=svc.fares.adult,
                       child=svc.fares.child, infant=svc.fares.infant,
                       concessions=dict(svc.fares.concessions)),
        zone=[list(p) for p in svc.zone],
        transfer_stops=list(svc.transfer_stops),
        districts=[DistrictOut(id=d.id, name_ja=d.name_ja, name_en=d.name_en,
                               stops=list(d.stops)) for d in svc.districts],
        login_example=svc.fleet[0].id if svc.fleet else "",
    )


@router.get("/api/v1/stops")
def stops(runtime: RuntimeDep,
          q: str = Query(default="", max_length=60,
                         description="name, English name, reading or a word people say "
                                     "(「やくば」「みちのえき」); width, kana, spaces and long "
                                     "vowels do not matter")
          ) -> list[StopOut]:
    """The service's stops, most visited first; ``q`` finds stops by name, reading or alias,
    best match first (``matched`` is the alias that found a stop, with its note); each with its
    district."""
    svc = runtime.service
    out = []
    for m in search_stops(svc.stops, svc.aliases, q):
        district = svc.district_of(m.stop.id)
        out.append(StopOut(id=m.stop.id, name_ja=m.stop.name_ja, name_en=m.stop.name_en,
                           name_kana=m.stop.name_kana, lat=m.stop.lat, lon=m.stop.lon,
                           kind=m.stop.kind, wheelchair=m.stop.wheelchair,
                           matched=m.alias or None, note_ja=m.note_ja, note_en=m.note_en,
                           district=district.id if district else None))
    return out
