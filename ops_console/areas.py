"""The service areas the console can work in (no Streamlit).

One deployment may serve several service areas (``GET /api/v1/areas``). Staff accounts belong to
one area, so the console signs in per area and sends every call of that area to its prefix
(``/a/<area>/api/v1/...``). An API from before areas (no such endpoint) is one area at its root.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ops_console.client import ApiClient, ApiConfig, NotAvailable
from ops_console.i18n import tr


@dataclass(frozen=True, slots=True)
class Area:
    """A service area as ``/api/v1/areas`` lists it."""

    id: str
    name_ja: str
    name_en: str
    prefix: str = ""
    default: bool = False
    example: bool = False

    def url(self, base: str) -> str:
        """The area's API at the deployment's ``base`` URL."""
        return base.rstrip("/") + self.prefix


def parse_areas(rows: Iterable[dict[str, Any]]) -> list[Area]:
    """The areas of an ``/api/v1/areas`` answer, in its order (the deployment's first first)."""
    return [Area(id=str(r["id"]), name_ja=str(r.get("name_ja", "")),
                 name_en=str(r.get("name_en", "")), prefix=str(r.get("prefix", "")),
                 default=bool(r.get("default", False)), example=bool(r.get("example", False)))
            for r in rows]


def area_label(area: Area, lang: str) -> str:
    """The area as the picker and the header show it: its Japanese name first, then its English
    one; an example area says it is one (in ``lang``)."""
    names = " / ".join(n for n in (area.name_ja, area.name_en) if n) or area.id
    if not area.example:
        return names
    return f"{names}（{tr('area_example', lang)}）" if lang == "ja" \
        else f"{names} ({tr('area_example', lang)})"


def default_area(areas: list[Area]) -> Area | None:
    """The deployment's first area (the one at the root), if any."""
    return next((a for a in areas if a.default), areas[0] if areas else None)


def find_area(areas: list[Area], area_id: str | None) -> Area | None:
    """The area ``area_id``, if the deployment has it."""
    return next((a for a in areas if a.id == area_id), None)


def area_at(areas: list[Area], base: str, url: str) -> Area | None:
    """The area whose API is ``url`` (the root of ``base`` being the first area's)."""
    if url.rstrip("/") == base.rstrip("/"):
        return default_area(areas)
    return next((a for a in areas if a.url(base) == url.rstrip("/")), None)


def fetch_areas(base: str, timeout_s: float = 15.0) -> list[Area]:
    """The deployment's areas, read from the API at ``base``; an API without areas is its one
    service at the root.

    Raises
    ------
    ApiError
        The API cannot be reached or refused.
    """
    api = ApiClient(ApiConfig(url=base.rstrip("/")), timeout_s)
    try:
        try:
            return parse_areas(api.get("/api/v1/areas", auth=False, optional=True))
        except NotAvailable:
            svc = api.service()
            return [Area(id=str(svc.get("id", "")), name_ja=str(svc.get("name_ja", "")),
                         name_en=str(svc.get("name_en", "")), default=True)]
    finally:
        api.close()
