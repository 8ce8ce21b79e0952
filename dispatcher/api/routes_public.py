"""Public endpoints: health, the service description, stops (search by name or kana)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from dispatcher.api.deps import RuntimeDep
from dispatcher.riders import fold

router = APIRouter(tags=["public"])


@router.get("/health")
def health(runtime: RuntimeDep) -> dict[str, Any]:
    """Answers 200 when the service is ready."""
    return {"status": "ok", "service": runtime.service.id, "version": runtime.engine.version,
            "now": runtime.engine.clock()}


@router.get("/api/v1/service")
def service_info(runtime: RuntimeDep) -> dict[str, Any]:
    """The service: names, hours, calendar, booking rules, fares, zone."""
    svc = runtime.service
    b = svc.booking
    return {
        "id": svc.id, "name_ja": svc.name_ja, "name_en": svc.name_en, "timezone": svc.timezone,
        "periods": [{"id": p.id, "start_s": p.start_s, "end_s": p.end_s} for p in svc.periods],
        "days": sorted(svc.calendar.days),
        "booking": {"type": b.type, "min_notice_min": b.min_notice_s // 60,
                    "max_days_ahead": b.max_days_ahead, "cancel_notice_min": b.cancel_notice_s // 60,
                    "phone": b.phone, "message_ja": b.message_ja, "message_en": b.message_en,
                    "max_group": b.max_group},
        "fares": {"currency": svc.fares.currency, "adult": svc.fares.adult,
                  "child": svc.fares.child, "infant": svc.fares.infant,
                  "concessions": dict(svc.fares.concessions)},
        "zone": [list(p) for p in svc.zone],
        "transfer_stops": list(svc.transfer_stops),
        "districts": [{"id": d.id, "name_ja": d.name_ja, "name_en": d.name_en,
                       "stops": list(d.stops)} for d in svc.districts],
    }


@router.get("/api/v1/stops")
def stops(runtime: RuntimeDep,
          q: str = Query(default="", max_length=60, description="name, English name or kana")
          ) -> list[dict[str, Any]]:
    """The service's stops, most visited first; ``q`` filters by name or reading."""
    needle = fold(q)
    out = []
    for s in sorted(runtime.service.stops, key=lambda s: -s.weight):
        if needle and not any(needle in fold(x) for x in (s.name_ja, s.name_en, s.name_kana, s.id)):
            continue
        district = runtime.service.district_of(s.id)
        out.append({"id": s.id, "name_ja": s.name_ja, "name_en": s.name_en,
                    "name_kana": s.name_kana, "lat": s.lat, "lon": s.lon, "kind": s.kind,
                    "wheelchair": s.wheelchair, "district": district.id if district else None})
    return out
