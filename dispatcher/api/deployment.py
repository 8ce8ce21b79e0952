"""One deployment, many service areas: a runtime per area, and the ``/a/<area>/`` prefix.

Each service area of a deployment is a :class:`~dispatcher.api.runtime.Runtime` of its own:
its configuration (zone, stops, rules, fares, fleet, calendar), road network, engine, ticket
keys, background work and data. The data of the areas never mix: on PostgreSQL each further
area lives in a schema of its own of the same database, on SQLite in a file of its own
(:func:`dispatcher.store.db.area_url`). An account, a booking or a vehicle therefore exists in
exactly one area, and a signed token names the area it was issued in.

The first area answers at the root (``/api/v1/...``, ``/rider/``, ``/driver/``), as a one-area
install always did; every area, the first included, answers under ``/a/<area>/``
(``/a/kinoshou/api/v1/stops``, ``/a/kinoshou/rider/``). :class:`AreaPrefix` turns that prefix
into the ASGI ``root_path`` so that the routes and the apps are the same for every area.

Every area runs on the deployment's one clock (:attr:`Deployment.clock`). What belongs to the
deployment rather than to an area (the combined feeds) reads the deployment's day and time
(:meth:`Deployment.today`, :meth:`Deployment.now`: no area's runtime is special) and keeps
its records in the deployment's database (:attr:`Deployment.db`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine as DbEngine

from dispatcher.api.runtime import Runtime, default_clock
from dispatcher.engine import Clock
from dispatcher.places import RoadNetwork
from dispatcher.service_area import ServiceArea
from dispatcher.services import load_service
from dispatcher.settings import InsecureSettings, Settings
from dispatcher.store.db import AREA_ID, area_url
from gtfs.publish import deployment_day

#: The path prefix of a service area: ``/a/<area>/...``.
PREFIX = "/a/"
#: The ASGI scope key that carries the area a request was addressed to.
SCOPE_KEY = "noriai.area"


class UnknownArea(LookupError):
    """No service area of this deployment has that id."""


@dataclass
class Deployment:
    """The service areas of one deployment, by id; the first one also answers at the root."""

    areas: dict[str, Runtime]
    default_id: str
    #: The deployment's clock (epoch s), every area's.
    clock: Clock

    @classmethod
    def create(cls, settings: Settings, *, network: RoadNetwork | None = None,
               clock: Clock | None = None, service: ServiceArea | None = None,
               start: Callable[[Runtime], None] | None = None) -> Deployment:
        """Open every area of ``settings.area_names`` (``service`` and ``network`` replace the
        first area's, for tests); ``start(runtime)`` runs for each once it is up. An area
        that fails to open closes the ones already open."""
        areas: dict[str, Runtime] = {}
        clock = clock or default_clock(settings)
        try:
            for i, name in enumerate(settings.area_names):
                svc = service if (i == 0 and service is not None) else load_service(name)
                if not AREA_ID.fullmatch(svc.id):
                    raise ValueError(f"service area id {svc.id!r}: lowercase letters, digits "
                                     "and _ only, starting with a letter")
                if svc.id in areas:
                    raise ValueError(f"service area {svc.id!r} is configured twice")
                url = settings.db_url if i == 0 else area_url(settings.db_url, svc.id)
                own = settings.for_area(svc.id)
                if i > 0 and settings.mode == "production" and (
                        own.ticket_key == settings.ticket_key
                        or own.ticket_code_key == settings.ticket_code_key):
                    raise InsecureSettings(
                        f"NORIAI_{svc.id.upper()}__TICKET_KEY and "
                        f"NORIAI_{svc.id.upper()}__TICKET_CODE_KEY must be set: every service "
                        "area signs its tickets with keys of its own")
                rt = Runtime.create(own, network=network if i == 0 else None,
                                    clock=clock, service=svc, db_url=url)
                areas[svc.id] = rt
                if start is not None:
                    start(rt)
        except BaseException:
            for rt in areas.values():
                rt.stop()
            raise
        return cls(areas, next(iter(areas)), clock)

    @property
    def default(self) -> Runtime:
        """The first area (answers at the root)."""
        return self.areas[self.default_id]

    @property
    def db(self) -> DbEngine:
        """The deployment's database: the configured one (``NORIAI_DB``: its default schema,
        or the SQLite file), where the deployment's own records (the combined feed's export)
        are kept. The first area's data happen to live there too (a one-area install never
        moved); every further area's are in a schema or file of their own."""
        return self.default.db

    def today(self) -> date:
        """The deployment's day: the earliest of the areas' local service days (the same day
        when they share a time zone)."""
        return deployment_day(rt.engine.today() for rt in self.areas.values())

    def now(self) -> datetime:
        """Now, in the time zone every area shares, else in UTC."""
        zones = {rt.service.timezone for rt in self.areas.values()}
        tz = ZoneInfo(zones.pop()) if len(zones) == 1 else UTC
        return datetime.fromtimestamp(self.clock(), tz=tz)

    def area(self, area_id: str | None) -> Runtime:
        """The runtime of ``area_id`` (the first area for None)."""
        if area_id is None:
            return self.default
        try:
            return self.areas[area_id]
        except KeyError:
            raise UnknownArea(area_id) from None

    def stop(self) -> None:
        """Stop every area."""
        for rt in self.areas.values():
            rt.stop()


class AreaPrefix:
    """ASGI middleware: a request to ``/a/<area>/rest`` is served as ``/rest`` of that area.

    The prefix moves into ``root_path`` (so URLs the app builds keep it) and the area id into
    the scope under :data:`SCOPE_KEY`; an unknown area answers 404 in Japanese and English.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        root = scope.get("root_path", "")
        path: str = scope["path"]
        rel = path[len(root):] if root and path.startswith(root) else path
        if not rel.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        area, _, _rest = rel[len(PREFIX):].partition("/")
        deployment: Deployment | None = getattr(scope["app"].state, "deployment", None)
        if deployment is None or area not in deployment.areas:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await _not_found(send, area)
            return
        scope = dict(scope)
        scope["root_path"] = f"{root}{PREFIX}{area}"
        scope[SCOPE_KEY] = area
        if not _rest and not rel.endswith("/"):
            scope["path"] = path + "/"
        await self.app(scope, receive, send)


async def _not_found(send: Any, area: str) -> None:
    body = json.dumps({
        "code": "unknown_area", "message": "この地域のサービスはありません",
        "message_ja": "この地域のサービスはありません",
        "message_en": "This deployment serves no such service area.",
        "details": {"area": area[:40]}}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": 404,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
