"""Open data and connections: the static GTFS-Flex feed, GTFS-Realtime, bus departures.

- ``GET /gtfs/feed.zip``: the static feed of the configured service (deterministic bytes;
  ETag = their SHA-256; ``If-None-Match`` answers 304). It is rebuilt whenever the service
  configuration or the feed window (:func:`gtfs.publish.publish_window`) changes, kept in
  memory, and each export is recorded in the ``settings`` table (key ``gtfs_feed``) with its
  export time and the validator's verdict.
- ``GET /gtfs/status`` and ``POST /api/v1/operator/gtfs/export`` (re-export now).
- ``GET /gtfs-rt/vehicle-positions`` and ``GET /gtfs-rt/trip-updates``: protobuf
  (``application/x-protobuf``), or JSON with ``?format=json``; see :mod:`gtfs.live`.
- ``GET /api/v1/connections``: next bus departures at a transfer point, each with the
  ``connection_id`` a trip request can name (:func:`connecting_trip`).

These are one area's (the first at the root, any under ``/a/<area>/``); the deployment's
combined feeds over every area are in :mod:`dispatcher.api.routes_combined`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Header, Query, Request, Response
from sqlalchemy import Engine as DbEngine
from sqlmodel import Session

from dispatcher.api.deps import OperatorDep, RuntimeDep
from dispatcher.api.runtime import Runtime
from dispatcher.api.schemas import TripIn
from dispatcher.api.schemas_feeds import ConnectionsOut, FeedStatusOut
from dispatcher.errors import InvalidInput
from dispatcher.store import bookings as booking_store
from dispatcher.store import fleet, repo
from dispatcher.store.tables import Setting
from dispatcher.trip import Party, Place, TripInput
from gtfs import connections as cx
from gtfs import live, realtime, transfer
from gtfs.connection_feeds import feed_sources, load_timetables
from gtfs.flex import FeedIds
from gtfs.publish import SETTING_KEY, PublishedFeed, config_hash, publish, publish_window

router = APIRouter(tags=["feeds"])

PROTOBUF = "application/x-protobuf"
#: How far from now (days) one may ask for departures.
MAX_AHEAD_DAYS = 400
Format = Annotated[Literal["pb", "json"], Query(description="pb (protobuf, default) or json")]


# --- the static feed -------------------------------------------------------------------------


@dataclass
class FeedState:
    """The app's published static feed (in memory) and the lock that guards re-exports."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    published: PublishedFeed | None = None


_STATE_LOCK = threading.Lock()


def feed_state(app: FastAPI, area: str) -> FeedState:
    """The :class:`FeedState` of one service area of the app (created on first use)."""
    with _STATE_LOCK:
        states: dict[str, FeedState] | None = getattr(app.state, "gtfs_feeds", None)
        if states is None:
            states = app.state.gtfs_feeds = {}
        return states.setdefault(area, FeedState())


def stored_export(db: DbEngine, key: str = SETTING_KEY) -> dict[str, Any] | None:
    """The export record kept in the ``settings`` table of ``db`` under ``key`` (None if none)."""
    with Session(db) as s:
        row = s.get(Setting, key)
        return dict(row.value) if row is not None else None


def record_export(db: DbEngine, status: dict[str, Any], key: str = SETTING_KEY, *,
                  replace: bool = False) -> dict[str, Any]:
    """Record an export in the ``settings`` table of ``db`` under ``key``; returns the record
    kept (another worker's earlier record of the same bytes wins unless ``replace``:
    :func:`dispatcher.store.repo.record_export`)."""
    with Session(db) as s, s.begin():
        return repo.record_export(s, key, status, replace=replace)


def current_feed(app: FastAPI, runtime: Runtime, *, force: bool = False) -> PublishedFeed:
    """The published feed, rebuilt when the configuration or window changed (or ``force``).

    A rebuild that gives the bytes of the stored export keeps its export time and verdict
    (after a restart, nothing is re-validated); new bytes are validated and recorded, and
    when another worker recorded the same bytes first, its record is the one served.
    """
    service = runtime.service
    state = feed_state(app, service.id)
    today = runtime.engine.today()
    start, days = publish_window(today)
    key = (config_hash(service), start.isoformat(), days)
    with state.lock:
        if not force and state.published is not None and state.published.key == key:
            return state.published
        previous = None if force else stored_export(runtime.db)
        pub = publish(service, today, runtime.engine.now_dt().astimezone(runtime.engine.tz), days,
                      previous=previous)
        if previous != pub.status():
            pub = pub.as_recorded(record_export(runtime.db, pub.status(), replace=force))
        state.published = pub
        return pub


@router.get("/gtfs/feed.zip", response_class=Response,
            responses={200: {"content": {"application/zip": {}}}, 304: {}})
def feed_zip(request: Request, runtime: RuntimeDep,
             if_none_match: Annotated[str | None, Header(max_length=200)] = None) -> Response:
    """The service's static GTFS-Flex feed (GTFS-JP fields); ETag is the zip's SHA-256."""
    pub = current_feed(request.app, runtime)
    etag = f'"{pub.sha256}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if if_none_match and etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{runtime.service.id}-gtfs.zip"'
    return Response(pub.data, media_type="application/zip", headers=headers)


@router.get("/gtfs/status")
def feed_status(request: Request, runtime: RuntimeDep) -> FeedStatusOut:
    """The last export: time, SHA-256, window and the validator's errors and warnings."""
    return FeedStatusOut.model_validate({"url": "/gtfs/feed.zip",
                                         **current_feed(request.app, runtime).status()})


@router.post("/api/v1/operator/gtfs/export")
def export_now(request: Request, principal: OperatorDep, runtime: RuntimeDep) -> FeedStatusOut:
    """Re-export and re-validate the static feed now; returns the new status (the request is
    written to the log with who asked)."""
    status = current_feed(request.app, runtime, force=True).status()
    with Session(runtime.db) as s, s.begin():
        repo.add_event(s, "feed_export_requested", actor_id=principal.user_id,
                       at=runtime.engine.now_dt())
    return FeedStatusOut.model_validate({"url": "/gtfs/feed.zip", **status})


# --- GTFS-Realtime ---------------------------------------------------------------------------


def live_inputs(runtime: Runtime) -> tuple[list[realtime.VehicleRun], list[realtime.VehicleFix]]:
    """The area's runs of today and its vehicles' latest fixes (the realtime builders' inputs)."""
    engine = runtime.engine
    day = engine.today()
    engine.ensure_day(day)
    with Session(runtime.db, expire_on_commit=False) as s:
        rows = booking_store.of_day(s, day)
        vehicles = fleet.vehicles(s, active_only=True)
    served = live.executed_stops(runtime.service, rows)
    points = {r.id: (r.origin_lat, r.origin_lon, r.destination_lat, r.destination_lon)
              for r in rows}
    positions = {v.id: (v.lat, v.lon, int(v.position_at.timestamp())) for v in vehicles
                 if v.lat is not None and v.lon is not None and v.position_at is not None}
    vehicles_now = engine.live_vehicles(day, points, positions)
    runs = live.vehicle_runs(runtime.service, day, vehicles_now, served)
    fixes = live.vehicle_fixes(vehicles, {v.vehicle_id: v for v in vehicles_now},
                               engine.clock(), runs)
    return runs, fixes


def rt_response(msg: Any, fmt: str) -> Response:
    """A GTFS-Realtime message as protobuf, or as JSON for ``fmt`` ``json``."""
    if fmt == "json":
        import json

        body = json.dumps(realtime.to_json(msg), ensure_ascii=False, indent=1)
        return Response(body, media_type="application/json")
    return Response(msg.SerializeToString(), media_type=PROTOBUF)


RT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {PROTOBUF: {}, "application/json": {}}}}


@router.get("/gtfs-rt/vehicle-positions", response_class=Response, responses=RT_RESPONSES)
def vehicle_positions(runtime: RuntimeDep, format: Format = "pb") -> Response:
    """GTFS-Realtime VehiclePositions of the fleet (reported positions, occupancy, run)."""
    return rt_response(vehicle_positions_message(runtime), format)


@router.get("/gtfs-rt/trip-updates", response_class=Response, responses=RT_RESPONSES)
def trip_updates(runtime: RuntimeDep, format: Format = "pb") -> Response:
    """GTFS-Realtime TripUpdates: each vehicle's run today as a NEW trip of the Flex route."""
    return rt_response(trip_updates_message(runtime), format)


def vehicle_positions_message(runtime: Runtime) -> Any:
    """The area's VehiclePositions ``FeedMessage`` (ids of the area's own feed)."""
    _, fixes = live_inputs(runtime)
    route = FeedIds.of(runtime.service).route
    return realtime.vehicle_positions(fixes, runtime.engine.clock(), route)


def trip_updates_message(runtime: Runtime) -> Any:
    """The area's TripUpdates ``FeedMessage`` (ids of the area's own feed)."""
    runs, _ = live_inputs(runtime)
    engine = runtime.engine
    return realtime.trip_updates(runs, FeedIds.of(runtime.service).route, engine.clock(),
                                 engine.tz)


# --- connections -----------------------------------------------------------------------------


def _signature(data_dir: Path) -> tuple[tuple[str, str, int, int], ...]:
    """What the outside feeds' contents depend on: names, paths, sizes and times."""
    out = []
    for name, path in sorted(feed_sources(data_dir).items()):
        files = [path] if path.is_file() else sorted(path.glob("*.txt"))
        stats = [f.stat() for f in files]
        out.append((name, str(path), sum(st.st_size for st in stats),
                    max((st.st_mtime_ns for st in stats), default=0)))
    return tuple(out)


@lru_cache(maxsize=4)
def _load(data_dir: str, signature: tuple[tuple[str, str, int, int], ...]) -> tuple[cx.Timetable, ...]:
    return tuple(load_timetables(Path(data_dir)))


def timetables(runtime: Runtime) -> tuple[cx.Timetable, ...]:
    """The outside feeds (shipped and imported), reloaded when an import changes them."""
    data_dir = Path(runtime.settings.data_dir)
    return _load(str(data_dir), _signature(data_dir))


@router.get("/api/v1/connections")
def connections(
    runtime: RuntimeDep,
    stop_id: Annotated[str, Query(max_length=64, examples=["ichi_office"],
                                  description="a transfer stop of the service")],
    after: Annotated[datetime | None, Query(description="ISO time with offset (default now)")]
    = None,
    n: Annotated[int, Query(ge=1, le=50)] = 5,
) -> ConnectionsOut:
    """Next bus departures at a transfer point, each with its ``connection_id``."""
    engine = runtime.engine
    if after is None:
        after = engine.now_dt()
    elif after.tzinfo is None:
        raise InvalidInput("時刻にはタイムゾーンが必要です（例: 2026-01-14T07:00:00+09:00）",
                           "'after' needs a UTC offset (e.g. 2026-01-14T07:00:00+09:00)")
    if abs((after - engine.now_dt()).days) > MAX_AHEAD_DAYS:
        raise InvalidInput(f"時刻は今日から{MAX_AHEAD_DAYS}日以内で指定してください",
                           f"'after' must be within {MAX_AHEAD_DAYS} days of today")
    tts = list(timetables(runtime))
    board = cx.departures_at(tts, runtime.service, stop_id, after, n)
    buffer_s = runtime.service.booking.transfer_buffer_s
    deps = [transfer.connection_record(
        d, stop_id, buffer_s, engine.tz,
        transfer.walk_time_s(runtime.service, stop_id, d.stop_id, tts)) for d in board.departures]
    for d in deps:
        d.pop("latest_dropoff_s")
    return ConnectionsOut(stop_id=stop_id, after=after.astimezone(engine.tz).isoformat(),
                          transfer_buffer_min=buffer_s // 60, departures=deps,
                          unknown_services=list(board.unknown_services),
                          notes=list(board.notes))


def connecting_trip(runtime: Runtime, body: TripIn) -> TripInput:
    """The arrive-by trip that catches the bus named in ``body.connection``.

    The destination must be the transfer stop serving that bus stop; the latest drop-off is
    the departure minus the service's transfer buffer (or the asked ``time`` if earlier).

    Raises
    ------
    InvalidInput
        Malformed or unknown departure, a destination that is not its transfer stop, or a
        leave-after rule (a connection is always arrive-by).
    """
    c = body.connection
    assert c is not None
    if c.connection_id is not None:
        trip_id, stop_id, day = transfer.parse_connection_id(c.connection_id)
        given = (c.trip_id, c.stop_id, c.date)
        if any(g is not None and g != v for g, v in zip(given, (trip_id, stop_id, day),
                                                          strict=True)):
            raise InvalidInput("接続IDと便の指定が一致しません",
                               "connection_id and trip_id/stop_id/date disagree")
    else:
        if not (c.trip_id and c.stop_id and c.date):
            raise InvalidInput("乗り継ぐ便を connection_id、または trip_id・stop_id・date で指定してください",
                               "name the departure by connection_id, or by trip_id, stop_id and date")
        trip_id, stop_id, day = c.trip_id, c.stop_id, c.date
    if "rule" in body.model_fields_set and body.rule != "dropoff_before":
        raise InvalidInput("バスへの乗継は到着時刻指定（dropoff_before）で予約します",
                           "a trip connecting to a bus is arrive-by (rule dropoff_before)")
    service, engine = runtime.service, runtime.engine
    if abs((day - engine.today()).days) > MAX_AHEAD_DAYS:
        raise InvalidInput(f"便の日付は今日から{MAX_AHEAD_DAYS}日以内で指定してください",
                           f"the departure's date must be within {MAX_AHEAD_DAYS} days of today")
    tts = timetables(runtime)
    departure = transfer.find_departure(tts, trip_id, stop_id, day)
    transfer_stop = transfer.check_destination(service, body.destination.stop_id, departure)
    record = transfer.connection_record(
        departure, transfer_stop, service.booking.transfer_buffer_s, engine.tz,
        transfer.walk_time_s(service, transfer_stop, departure.stop_id, tts))
    latest = int(record["latest_dropoff_s"])
    time_s = latest if body.time is None else min(int(body.time.timestamp()), latest)
    return TripInput(
        origin=Place(body.origin.stop_id, body.origin.lat, body.origin.lon),
        destination=Place(transfer_stop),
        party=Party(body.party.adults, body.party.children, body.party.infants,
                    body.party.wheelchairs, dict(body.party.concessions)),
        rule="dropoff_before", time_s=time_s, notes=body.notes, connection=record,
    )
