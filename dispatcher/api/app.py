"""The FastAPI application: routers, error handling (ja/en messages, never a 500 for bad input)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dispatcher.api import (
    routes_accounts,
    routes_auth,
    routes_combined,
    routes_driver,
    routes_family,
    routes_feeds,
    routes_line,
    routes_map,
    routes_operator,
    routes_public,
    routes_repeat,
    routes_rider,
    routes_standing,
    routes_tickets,
)
from dispatcher.api.deployment import AreaPrefix, Deployment
from dispatcher.api.headers import SecurityHeaders
from dispatcher.api.throttle import TooManyAttempts
from dispatcher.api.webapps import mount_manifests
from dispatcher.errors import NoriaiError
from dispatcher.places import RoadNetwork
from dispatcher.service_area import ServiceArea
from dispatcher.settings import Settings
from driver_app.web import mount_driver_app

log = logging.getLogger("noriai.api")


def _error(status: int, code: str, ja: str, en: str, details: object = None) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={"code": code, "message": ja, "message_ja": ja, "message_en": en,
                 "details": details or {}},
    )


def create_app(settings: Settings | None = None, *, network: RoadNetwork | None = None,
               clock=None, background: bool = True,  # type: ignore[no-untyped-def]
               service: ServiceArea | None = None) -> FastAPI:
    """Build the application; the runtime starts with the app's lifespan."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        deployment = Deployment.create(
            settings, network=network, clock=clock, service=service,
            start=(lambda rt: rt.start_background()) if background else None)
        app.state.deployment = deployment
        # The first area, as a one-area install knows it.
        app.state.runtime = deployment.default
        app.state.ticketing = deployment.default.ticketing
        try:
            yield
        finally:
            deployment.stop()

    docs = settings.docs_enabled
    app = FastAPI(
        title="noriai API",
        version="0.1.0",
        description="乗合 — demand-responsive transit: offers, bookings, driving, operations, feeds.",
        lifespan=lifespan,
        openapi_url="/openapi.json" if docs else None,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
    )
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST", "PUT", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
                           expose_headers=["Retry-After"], allow_credentials=False, max_age=600)
    app.add_middleware(SecurityHeaders, hsts_max_age_s=settings.hsts_max_age_s)
    app.add_middleware(AreaPrefix)

    _install_error_handlers(app)

    for module in (routes_public, routes_auth, routes_rider, routes_operator, routes_driver,
                   routes_tickets, routes_family, routes_line, routes_map, routes_feeds,
                   routes_combined, routes_accounts):
        app.include_router(module.router)
    for module in (routes_repeat, routes_standing):
        app.include_router(module.router)
        app.include_router(module.operator_router)
    mount_manifests(app)  # before the apps' files, which would answer for them
    mount_rider_app(app)
    mount_driver_app(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    """Every error answers as ``{code, message_ja, message_en, details}``: domain errors with
    their status, out-of-range values and invalid input as 422, HTTP errors in both languages,
    anything unexpected as 500 (logged)."""

    @app.exception_handler(NoriaiError)
    async def _domain(_: Request, exc: NoriaiError) -> JSONResponse:
        headers = ({"Retry-After": str(exc.retry_after_s)} if isinstance(exc, TooManyAttempts)
                   else None)
        return JSONResponse(status_code=exc.status, content=exc.as_dict(), headers=headers)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_: Request, exc: Exception) -> JSONResponse:
        # Defence in depth: every route bounds its numbers and dates (dispatcher.api.bounds);
        # a value the database still cannot hold is the caller's input, not a server fault.
        log.warning("value out of range reached the database: %s", exc)
        return _error(422, "invalid_input", "値が大きすぎるか、範囲外です",
                      "A value is too large or out of range.")

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        fields = ", ".join(p["field"] for p in problems[:5])
        first = str(problems[0]["problem"]).removeprefix("Value error, ") if problems else ""
        return _error(422, "invalid_input", f"入力内容に誤りがあります（{fields}）：{first}",
                      f"The request is not valid ({fields}): {first}", {"errors": problems})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        texts = {404: ("見つかりません", "Not found"), 405: ("この方法では使えません", "Method not allowed"),
                 400: ("リクエストを読み取れません", "Bad request")}
        ja, en = texts.get(exc.status_code, ("リクエストを処理できません", str(exc.detail)))
        return _error(exc.status_code, "http_error", ja, en)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return _error(500, "internal", "システムで問題が発生しました。時間をおいてお試しください。",
                      "Something went wrong on our side; please try again later.")


def mount_rider_app(app: FastAPI) -> None:
    """Serve the riders' web app (static files) at ``/rider/``."""
    from fastapi.staticfiles import StaticFiles

    from rider_app import STATIC

    app.mount("/rider", StaticFiles(directory=STATIC, html=True), name="rider")
