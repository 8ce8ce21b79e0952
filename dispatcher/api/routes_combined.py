"""The deployment's combined feeds: every service area in one GTFS-Flex feed and one
GTFS-Realtime feed of each kind.

- ``GET /gtfs/combined/feed.zip``: one static GTFS-Flex feed (GTFS-JP fields) of all the
  deployment's areas, ids scoped ``<area>:<id>`` (:mod:`gtfs.combined`); deterministic bytes,
  ETag = their SHA-256, ``If-None-Match`` answers 304. Rebuilt when any area's configuration
  or the window changes, validated like an area's feed; the export record (time, verdict) is
  kept in the deployment's database (:attr:`Deployment.db`, ``settings`` key
  ``gtfs_feed_combined``).
- ``GET /gtfs/combined/status``: that record, and the areas it holds.
- ``GET /gtfs-rt/combined/vehicle-positions`` and ``GET /gtfs-rt/combined/trip-updates``:
  every area's GTFS-Realtime entities with the combined feed's ids (trip, route, stop,
  vehicle, entity ``<area>:<id>``); protobuf, or JSON with ``?format=json``.

These are the deployment's, not an area's: they answer the same at the root and under any
``/a/<area>/`` prefix; the root paths above are the ones to publish. Each area's own feeds
(``/a/<area>/gtfs/feed.zip``, ``/a/<area>/gtfs-rt/...``) are unchanged, with unscoped ids.

Who publishes: every worker, on demand, from every area's configuration — no area's runtime
and no leader. The bytes depend only on the areas' configurations (in the deployment's order)
and the window, which the deployment's day chooses (the earliest of the areas' local days,
:meth:`Deployment.today`), so every worker builds the same bytes. The first worker to record
an export of those bytes wins (:func:`dispatcher.store.repo.record_export`): the others
serve its export time and verdict.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, Request, Response

from dispatcher.api.deployment import Deployment
from dispatcher.api.routes_feeds import (
    RT_RESPONSES,
    Format,
    feed_state,
    record_export,
    rt_response,
    stored_export,
    trip_updates_message,
    vehicle_positions_message,
)
from dispatcher.api.schemas_feeds import CombinedFeedStatusOut
from gtfs.combined import merge_realtime
from gtfs.publish import (
    COMBINED_SETTING_KEY,
    PublishedFeed,
    combined_hash,
    publish_combined,
    publish_window,
)

router = APIRouter(tags=["feeds"])

#: The combined feed's URL (at the deployment's root).
FEED_URL = "/gtfs/combined/feed.zip"
#: The key of the combined feed's state among the areas' (never an area id: those start with
#: a letter).
STATE_KEY = "*"


def _deployment(request: Request) -> Deployment:
    deployment: Deployment = request.app.state.deployment
    return deployment


def combined_feed(app: FastAPI, deployment: Deployment) -> PublishedFeed:
    """The published combined feed, rebuilt when an area's configuration or the window
    changed. The deployment's day chooses the window (every area's feed covers it); a
    rebuild giving the bytes of the recorded export keeps its export time and verdict, and
    a worker that exported the bytes another worker recorded first serves that record."""
    services = [rt.service for rt in deployment.areas.values()]
    today = deployment.today()
    start, days = publish_window(today)
    key = (combined_hash(services), start.isoformat(), days)
    state = feed_state(app, STATE_KEY)
    with state.lock:
        if state.published is not None and state.published.key == key:
            return state.published
        previous = stored_export(deployment.db, COMBINED_SETTING_KEY)
        pub = publish_combined(services, today, deployment.now(), days, previous=previous)
        if previous != pub.status():
            pub = pub.as_recorded(record_export(deployment.db, pub.status(),
                                                COMBINED_SETTING_KEY))
        state.published = pub
        return pub


@router.get(FEED_URL, response_class=Response,
            responses={200: {"content": {"application/zip": {}}}, 304: {}})
def combined_feed_zip(request: Request,
                      if_none_match: Annotated[str | None, Header(max_length=200)] = None
                      ) -> Response:
    """One static GTFS-Flex feed (GTFS-JP fields) of every service area of the deployment,
    ids scoped ``<area>:<id>``; ETag is the zip's SHA-256."""
    pub = combined_feed(request.app, _deployment(request))
    etag = f'"{pub.sha256}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if if_none_match and etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = 'attachment; filename="combined-gtfs.zip"'
    return Response(pub.data, media_type="application/zip", headers=headers)


@router.get("/gtfs/combined/status")
def combined_feed_status(request: Request) -> CombinedFeedStatusOut:
    """The combined feed's last export (time, SHA-256, window, the validator's verdict) and
    the areas it holds, in order."""
    deployment = _deployment(request)
    status = combined_feed(request.app, deployment).status()
    return CombinedFeedStatusOut.model_validate(
        {"url": FEED_URL, "areas": list(deployment.areas), **status})


@router.get("/gtfs-rt/combined/vehicle-positions", response_class=Response,
            responses=RT_RESPONSES)
def combined_vehicle_positions(request: Request, format: Format = "pb") -> Response:
    """GTFS-Realtime VehiclePositions of every area's fleet, with the combined feed's ids."""
    deployment = _deployment(request)
    messages = {a: vehicle_positions_message(rt) for a, rt in deployment.areas.items()}
    return rt_response(merge_realtime(messages, deployment.clock()), format)


@router.get("/gtfs-rt/combined/trip-updates", response_class=Response, responses=RT_RESPONSES)
def combined_trip_updates(request: Request, format: Format = "pb") -> Response:
    """GTFS-Realtime TripUpdates of every area (each vehicle's run today, a NEW trip of its
    area's Flex route), with the combined feed's ids."""
    deployment = _deployment(request)
    messages = {a: trip_updates_message(rt) for a, rt in deployment.areas.items()}
    return rt_response(merge_realtime(messages, deployment.clock()), format)
