"""Response bodies of the feed routes (:mod:`dispatcher.api.routes_feeds`) and the LINE
webhook."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class FeedStatusOut(BaseModel):
    """The last export of the static GTFS-Flex feed (:meth:`gtfs.publish.PublishedFeed.status`)
    and where to fetch it; ``validation`` is the validator's verdict with its notices."""

    url: str
    sha256: str
    etag: str
    config_hash: str
    start: str
    end: str
    days: int
    bytes: int
    exported_at: str
    validation: dict[str, Any]


class CombinedFeedStatusOut(FeedStatusOut):
    """The last export of the deployment's combined feed (:func:`gtfs.publish.publish_combined`)
    and the service areas it holds, in order (their ids scope the feed's ids)."""

    areas: list[str]


class ConnectionsOut(BaseModel):
    """Next bus departures at a transfer stop, each a connection record with its
    ``connection_id`` (:func:`gtfs.transfer.connection_record`)."""

    stop_id: str
    after: str
    transfer_buffer_min: int
    departures: list[dict[str, Any]]
    unknown_services: list[str]
    notes: list[str]


class WebhookOut(BaseModel):
    """The webhook's answer to LINE: how many events were handled."""

    ok: bool
    handled: int
