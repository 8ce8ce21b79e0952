"""Trips that connect to a bus: connection ids, the chosen departure, the arrive-by target.

A departure at a transfer point is named by its ``connection_id``
``<trip_id>@<outside stop_id>@<service day YYYY-MM-DD>`` (or by those three fields). A trip
request naming one becomes an arrive-by request at the service stop serving that bus stop
(``service.connection_stop_ids``), due ``transfer buffer`` before the departure; the offer and
the booking keep :func:`connection_record` so that the rider sees which bus it connects to.
Pure, over already loaded :class:`~gtfs.connections.Timetable` s.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dispatcher.errors import InvalidInput
from dispatcher.service_area import ServiceArea
from dispatcher.units import service_day_origin, to_epoch
from gtfs import connections as cx
from routing.geo import haversine_m

SEP = "@"


def connection_id(departure: cx.Departure) -> str:
    """The id of a departure: trip id, stop id and service day joined by ``@``."""
    return SEP.join((departure.trip_id, departure.stop_id, departure.service_day.isoformat()))


def parse_connection_id(text: str) -> tuple[str, str, date]:
    """``(trip_id, stop_id, service day)`` of a connection id; InvalidInput if malformed."""
    parts = text.rsplit(SEP, 2)
    try:
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise ValueError(text)
        return parts[0], parts[1], date.fromisoformat(parts[2])
    except ValueError:
        raise InvalidInput(
            f"接続IDの形式が正しくありません: {text}",
            f"malformed connection_id (trip_id@stop_id@YYYY-MM-DD): {text}",
        ) from None


def find_departure(timetables: Sequence[cx.Timetable], trip_id: str, stop_id: str,
                   day: date) -> cx.Departure:
    """The departure of ``trip_id`` from ``stop_id`` on service day ``day``.

    Raises
    ------
    InvalidInput
        No outside feed has that trip leaving that stop on that day (unknown trip or stop,
        not running that day, or the stop is its last one).
    """
    for tt in timetables:
        tz = ZoneInfo(tt.timezone)
        after = datetime.fromtimestamp(service_day_origin(day, tz), tz)
        st = tt.stop_times
        if not ((st["trip_id"].astype(str) == trip_id) & (st["stop_id"].astype(str) == stop_id)
                ).any():
            continue
        board = cx.next_departures(tt, (stop_id,), after, n=1_000_000)
        for d in board.departures:
            if d.trip_id == trip_id and d.service_day == day:
                return d
    raise InvalidInput(
        f"指定の便が見つかりません（{trip_id}、{stop_id}、{day:%Y-%m-%d}）。運行日と乗り場をご確認ください。",
        f"No such departure: trip {trip_id} from stop {stop_id} on {day:%Y-%m-%d} "
        "(check the day and the stop).",
        trip_id=trip_id, stop_id=stop_id, date=day.isoformat(),
    )


def transfer_stop_for(service: ServiceArea, outside_stop_id: str) -> str:
    """The service stop where riders change to buses at ``outside_stop_id``."""
    for service_stop, outside in service.connection_stop_ids:
        if outside_stop_id in outside:
            return service_stop
    raise InvalidInput(
        f"このバス停は乗継地点ではありません: {outside_stop_id}",
        f"bus stop {outside_stop_id} is not served by a transfer point of this service",
        stop_id=outside_stop_id,
    )


def check_destination(service: ServiceArea, destination_stop_id: str | None,
                      departure: cx.Departure) -> str:
    """The transfer stop of ``departure``; InvalidInput unless it is the trip's destination."""
    want = transfer_stop_for(service, departure.stop_id)
    if destination_stop_id != want:
        name = service.stop(want)
        raise InvalidInput(
            f"この便に乗り継ぐには、降りる場所を「{name.name_ja}」にしてください。",
            f"To connect to this bus, the destination must be {name.name_en} ({want}).",
            destination=destination_stop_id, transfer_stop=want,
        )
    return want


#: Walking to a bus pole: straight-line distance × detour factor at an elderly rider's pace.
WALK_DETOUR = 1.3
WALK_SPEED_M_S = 0.8


def walk_time_s(service: ServiceArea, service_stop_id: str, outside_stop_id: str,
           timetables: Iterable[cx.Timetable]) -> int:
    """Walking time (s, rounded up to a minute) from a service stop to an outside feed's pole.

    Several poles are served by one transfer stop (``connection_stop_ids``: both directions,
    poles a few hundred metres away); the rider walks there after the drop-off. 0 when the pole
    has no coordinates in the feeds.
    """
    stop = service.stop(service_stop_id)
    for tt in timetables:
        rows = tt.stops[tt.stops["stop_id"] == outside_stop_id]
        if len(rows) and {"stop_lat", "stop_lon"} <= set(rows.columns):
            lat, lon = float(rows["stop_lat"].iloc[0]), float(rows["stop_lon"].iloc[0])
            metres = haversine_m(stop.lat, stop.lon, lat, lon) * WALK_DETOUR
            return math.ceil(metres / WALK_SPEED_M_S / 60.0) * 60
    return 0


def connection_record(departure: cx.Departure, service_stop_id: str, buffer_s: int,
                      tz: ZoneInfo, walk_s: int = 0) -> dict[str, Any]:
    """What an offer and a booking keep about the bus they connect to (JSON-ready).

    The drop-off is due ``buffer_s`` (the service's transfer margin) plus ``walk_s`` (walking to
    the bus's pole, :func:`walk_time_s`) before the departure.
    """
    target = cx.arrive_by(departure, service_stop_id, buffer_s + walk_s)
    return {
        "connection_id": connection_id(departure),
        "feed": departure.feed,
        "trip_id": departure.trip_id,
        "stop_id": departure.stop_id,
        "stop_name": departure.stop_name,
        "route_id": departure.route_id,
        "route_name": departure.route_name,
        "headsign": departure.headsign,
        "departure": departure.departure.astimezone(tz).isoformat(),
        "service_day": departure.service_day.isoformat(),
        "transfer_stop_id": service_stop_id,
        "buffer_s": buffer_s + walk_s,
        "walk_s": walk_s,
        "latest_dropoff": target.dropoff_before.astimezone(tz).isoformat(),
        "latest_dropoff_s": to_epoch(target.dropoff_before),
        "description_ja": target.describe("ja"),
        "description_en": target.describe("en"),
    }
