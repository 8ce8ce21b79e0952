"""Service configuration -> GTFS-Flex tables with GTFS-JP fields (pure).

One on-demand route; for every operating period two trips, both with pickup/drop-off windows:
a zone trip (two ``stop_times`` rows on the zone of ``locations.geojson``: board anywhere in
the zone, alight anywhere in it) and a stop trip (two rows on the location group of the
pickup points). Calendar, booking rules, Fares v1 (GTFS-JP v2 requires them) plus Fares v2
rider categories for the child and concession fares, feed_info, translations (English and
ja-Hrkt readings) and the GTFS-JP tables complete the feed. Values in, values out: the feed's
first day and length are arguments, never read from a clock.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shapely.geometry import Polygon, mapping
from shapely.geometry.polygon import orient

from dispatcher.errors import InvalidInput
from dispatcher.service_area import WEEKDAYS, ServiceArea
from dispatcher.units import gtfs_time
from gtfs import jp
from gtfs.fares import CATEGORY_NAMES_EN, CONCESSION_NAMES_EN, categories, fare_tables
from gtfs.tables import FeedIds, FlexFeed, Table, gtfs_date, make_table

GTFS_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: Extended route type "Demand and Response Bus Service".
ROUTE_TYPE_DRT = "715"
BOOKING_TYPE_CODES = {"real_time": "0", "same_day": "1", "prior_day": "2"}
PICKUP_NONE, PICKUP_PHONE = "1", "2"


def feed_window(start: date, days: int) -> tuple[date, date]:
    """First and last day (inclusive) of a feed starting ``start`` and lasting ``days`` days."""
    if days < 1:
        raise InvalidInput("有効期間は1日以上です", f"feed length must be at least 1 day: {days}")
    return start, start + timedelta(days=days - 1)


# --- geometry ----------------------------------------------------------------------------


def zone_polygon(service: ServiceArea) -> Polygon:
    """The service zone as a valid shapely polygon in (lon, lat), exterior counter-clockwise."""
    ring = [(lon, lat) for lat, lon in service.zone]
    if len(ring) < 4:
        raise InvalidInput("運行区域の多角形が不正です", "zone polygon needs at least 3 corners")
    poly = Polygon(ring)
    if not poly.is_valid or poly.is_empty:
        raise InvalidInput("運行区域の多角形が不正です", "zone polygon is not a valid polygon")
    return orient(poly, sign=1.0)


def locations_geojson(service: ServiceArea) -> dict[str, Any]:
    """``locations.geojson``: the zone as one Polygon Feature (RFC 7946 lon/lat, right-hand)."""
    ids = FeedIds.of(service)
    geom = mapping(zone_polygon(service))
    coords = [[[round(x, 7), round(y, 7)] for x, y in ring] for ring in geom["coordinates"]]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": ids.zone,
                "properties": {
                    "stop_name": service.zone_name_ja,
                    "stop_desc": service.zone_name_en,
                },
                "geometry": {"type": "Polygon", "coordinates": coords},
            }
        ],
    }


# --- the tables ----------------------------------------------------------------------------


def agency_table(service: ServiceArea) -> Table:
    """``agency.txt``: one agency whose id is its 法人番号 (GTFS-JP)."""
    ag = service.agency
    row = {
        "agency_id": jp.require_corporate_number(ag.id),
        "agency_name": ag.name,
        "agency_url": ag.url or service.url,
        "agency_timezone": service.timezone,
        "agency_lang": "ja",
        "agency_phone": ag.phone,
        "agency_email": ag.email,
    }
    cols: tuple[str, ...] = ("agency_id", "agency_name", "agency_url", "agency_timezone",
                             "agency_lang")
    cols += tuple(c for c in ("agency_phone", "agency_email") if row[c])
    return make_table(cols, [{c: row[c] for c in cols}])


def routes_table(service: ServiceArea) -> Table:
    """``routes.txt``: the single on-demand route (extended type 715, demand-responsive bus)."""
    ids = FeedIds.of(service)
    cols = (
        "route_id",
        "agency_id",
        "route_short_name",
        "route_long_name",
        "route_desc",
        "route_type",
        "route_url",
        "network_id",
        "jp_parent_route_id",
    )
    row = {
        "route_id": ids.route,
        "agency_id": service.agency.id,
        "route_short_name": service.short_name,
        "route_long_name": service.name_ja,
        "route_desc": service.booking.message_ja,
        "route_type": ROUTE_TYPE_DRT,
        "route_url": service.url,
        "network_id": ids.network,
        "jp_parent_route_id": "",
    }
    return make_table(cols, [row])


def stops_table(service: ServiceArea) -> Table:
    """``stops.txt``: the pickup points (location_type 0, wheelchair boarding 1 or 2)."""
    cols = (
        "stop_id",
        "stop_name",
        "stop_desc",
        "stop_lat",
        "stop_lon",
        "location_type",
        "wheelchair_boarding",
        "platform_code",
    )
    rows = [
        {
            "stop_id": s.id,
            "stop_name": s.name_ja,
            "stop_desc": "",
            "stop_lat": f"{s.lat:.6f}",
            "stop_lon": f"{s.lon:.6f}",
            "location_type": "0",
            "wheelchair_boarding": "1" if s.wheelchair else "2",
            "platform_code": "",
        }
        for s in service.stops
    ]
    return make_table(cols, rows)


def location_group_tables(service: ServiceArea) -> tuple[Table, Table]:
    """``location_groups.txt`` and ``location_group_stops.txt``: one group of all pickup points."""
    ids = FeedIds.of(service)
    groups = make_table(
        ("location_group_id", "location_group_name"),
        [
            {
                "location_group_id": ids.stop_group,
                "location_group_name": f"{service.short_name} 乗り場",
            }
        ],
    )
    members = make_table(
        ("location_group_id", "stop_id"),
        [{"location_group_id": ids.stop_group, "stop_id": s.id} for s in service.stops],
    )
    return groups, members


BOOKING_COLUMNS = (
    "booking_rule_id",
    "booking_type",
    "prior_notice_duration_min",
    "prior_notice_duration_max",
    "prior_notice_last_day",
    "prior_notice_last_time",
    "prior_notice_start_day",
    "prior_notice_start_time",
    "message",
    "pickup_message",
    "phone_number",
    "info_url",
)


def booking_rule_row(service: ServiceArea) -> dict[str, str]:
    """The one ``booking_rules.txt`` row of the service's booking rules.

    ``same_day`` -> type 1 with ``prior_notice_duration_min`` (minutes) and, when booking opens
    days ahead, ``prior_notice_duration_max`` (minutes); ``prior_day`` -> type 2 with the
    deadline on the previous day (and the opening day when it is more than one day ahead);
    ``real_time`` -> type 0.
    """
    b = service.booking
    if b.type not in BOOKING_TYPE_CODES:
        raise InvalidInput("予約種別が不正です", f"unknown booking type {b.type!r}")
    row = dict.fromkeys(BOOKING_COLUMNS, "")
    row.update(
        booking_rule_id=FeedIds.of(service).booking_rule,
        booking_type=BOOKING_TYPE_CODES[b.type],
        message=b.message_ja,
        pickup_message=b.pickup_message_ja,
        phone_number=b.phone or service.agency.phone,
        info_url=service.url,
    )
    if b.type == "same_day":
        row["prior_notice_duration_min"] = str(b.min_notice_s // 60)
        if b.max_days_ahead > 0:
            row["prior_notice_duration_max"] = str(b.max_days_ahead * 24 * 60)
    elif b.type == "prior_day":
        row["prior_notice_last_day"] = "1"
        row["prior_notice_last_time"] = gtfs_time(b.prior_day_deadline_s)
        if b.max_days_ahead > 1:
            row["prior_notice_start_day"] = str(b.max_days_ahead)
            row["prior_notice_start_time"] = "00:00:00"
    return row


def booking_rules_table(service: ServiceArea) -> Table:
    """``booking_rules.txt`` (only the columns the rule uses, in a fixed order)."""
    row = booking_rule_row(service)
    always = {"booking_rule_id", "booking_type"}
    cols = tuple(c for c in BOOKING_COLUMNS if c in always or row[c])
    return make_table(cols, [{c: row[c] for c in cols}])


TRIP_COLUMNS = (
    "route_id",
    "service_id",
    "trip_id",
    "trip_headsign",
    "wheelchair_accessible",
    "jp_office_id",
    "safe_duration_factor",
    "safe_duration_offset",
)
STOP_TIME_COLUMNS = (
    "trip_id",
    "stop_sequence",
    "location_id",
    "location_group_id",
    "start_pickup_drop_off_window",
    "end_pickup_drop_off_window",
    "pickup_type",
    "drop_off_type",
    "pickup_booking_rule_id",
    "drop_off_booking_rule_id",
    "timepoint",
)


def trip_ids(service: ServiceArea) -> list[tuple[str, str, str]]:
    """``(trip_id, kind, period_id)`` of every trip, kind ``"zone"`` or ``"stops"``."""
    return [
        (f"{service.id}_{kind}_{p.id}", kind, p.id)
        for p in service.periods
        for kind in ("zone", "stops")
    ]


def trips_and_stop_times(service: ServiceArea) -> tuple[Table, Table]:
    """``trips.txt`` and ``stop_times.txt``: per period a zone trip and a pickup-point trip.

    Each trip has two rows on the same location (zone) or location group: the first allows
    pickups only (pickup_type 2, phone/book ahead; drop_off_type 1), the second drop-offs only,
    both with the period's window. ``safe_duration_factor``/``_offset`` come from the dispatch
    parameters' maximum ride time (factor x direct driving time + offset seconds).
    """
    ids = FeedIds.of(service)
    if not service.periods:
        raise InvalidInput("運行時間がありません", "the service has no operating period")
    periods = {p.id: p for p in service.periods}
    wheelchair = "1" if any(v.wheelchair_spaces > 0 for v in service.fleet) else "2"
    factor = service.dispatch.get("ride_factor")
    offset = service.dispatch.get("ride_offset_s")
    trips, stop_times = [], []
    for trip_id, kind, period_id in trip_ids(service):
        p = periods[period_id]
        if p.end_s <= p.start_s:
            raise InvalidInput("運行時間が不正です", f"period {p.id} ends before it starts")
        trips.append(
            {
                "route_id": ids.route,
                "service_id": ids.service,
                "trip_id": trip_id,
                "trip_headsign": service.zone_name_ja
                if kind == "zone"
                else f"{service.short_name} 乗り場",
                "wheelchair_accessible": wheelchair,
                "jp_office_id": service.office_id,
                "safe_duration_factor": f"{float(factor):g}" if factor else "",
                "safe_duration_offset": str(int(offset)) if offset is not None and factor else "",
            }
        )
        where = (
            {"location_id": ids.zone} if kind == "zone" else {"location_group_id": ids.stop_group}
        )
        window = {
            "start_pickup_drop_off_window": gtfs_time(p.start_s),
            "end_pickup_drop_off_window": gtfs_time(p.end_s),
        }
        stop_times.append(
            {
                "trip_id": trip_id,
                "stop_sequence": "1",
                **where,
                **window,
                "pickup_type": PICKUP_PHONE,
                "drop_off_type": PICKUP_NONE,
                "pickup_booking_rule_id": ids.booking_rule,
                "timepoint": "0",
            }
        )
        stop_times.append(
            {
                "trip_id": trip_id,
                "stop_sequence": "2",
                **where,
                **window,
                "pickup_type": PICKUP_NONE,
                "drop_off_type": PICKUP_PHONE,
                "drop_off_booking_rule_id": ids.booking_rule,
                "timepoint": "0",
            }
        )
    return make_table(TRIP_COLUMNS, trips), make_table(STOP_TIME_COLUMNS, stop_times)


def calendar_tables(service: ServiceArea, start: date, end: date) -> tuple[Table, Table]:
    """``calendar.txt`` (weekdays over the window) and ``calendar_dates.txt`` (closures).

    Every day of the window that the weekday pattern would run but the service's calendar
    closes (closed ranges such as the year-end break, and closed dates) is removed with
    ``exception_type`` 2.
    """
    sid = FeedIds.of(service).service
    row = {"service_id": sid}
    row.update(
        {
            g: "1" if w in service.calendar.days else "0"
            for g, w in zip(GTFS_WEEKDAYS, WEEKDAYS, strict=True)
        }
    )
    row.update(start_date=gtfs_date(start), end_date=gtfs_date(end))
    calendar = make_table(("service_id", *GTFS_WEEKDAYS, "start_date", "end_date"), [row])
    removed = []
    day = start
    while day <= end:
        if WEEKDAYS[day.weekday()] in service.calendar.days and not service.calendar.runs_on(day):
            removed.append({"service_id": sid, "date": gtfs_date(day), "exception_type": "2"})
        day += timedelta(days=1)
    return calendar, make_table(("service_id", "date", "exception_type"), removed)


def feed_info_table(service: ServiceArea, start: date, end: date, version: str) -> Table:
    """``feed_info.txt``: publisher, ``feed_lang`` ja, validity window and version."""
    ag = service.agency
    row = {
        "feed_publisher_name": ag.name,
        "feed_publisher_url": ag.url or service.url,
        "feed_lang": "ja",
        "default_lang": "ja",
        "feed_start_date": gtfs_date(start),
        "feed_end_date": gtfs_date(end),
        "feed_version": version,
        "feed_contact_email": ag.email,
        "feed_contact_url": service.url,
    }
    cols = tuple(c for c in row if row[c] or c != "feed_contact_email")
    return make_table(cols, [{c: row[c] for c in cols}])


TRANSLATION_COLUMNS = (
    "table_name",
    "field_name",
    "language",
    "translation",
    "record_id",
    "record_sub_id",
    "field_value",
)


def translations_table(service: ServiceArea) -> Table:
    """``translations.txt``: English names and ja-Hrkt readings (GTFS-JP v2 requires readings).

    Stops, agency, route, location group and trip headsigns get English and (where the
    configuration has one) kana; booking messages and fare names get English.
    """
    ids = FeedIds.of(service)
    b = service.booking
    rows: list[dict[str, str]] = []

    def add(table: str, fld: str, record: str, en: str, kana: str = "", sub: str = "") -> None:
        for lang, text in (("en", en), ("ja-Hrkt", kana)):
            if text:
                rows.append(
                    {
                        "table_name": table,
                        "field_name": fld,
                        "language": lang,
                        "translation": text,
                        "record_id": record,
                        "record_sub_id": sub,
                    }
                )

    add(
        "agency", "agency_name", service.agency.id, service.agency.name_en, service.agency.name_kana
    )
    add("routes", "route_short_name", ids.route, service.name_en, service.short_name_kana)
    add("routes", "route_long_name", ids.route, service.name_en, service.name_kana)
    add("routes", "route_desc", ids.route, b.message_en)
    for s in service.stops:
        add("stops", "stop_name", s.id, s.name_en, s.name_kana)
    add("location_groups", "location_group_name", ids.stop_group, f"{service.name_en}: stops")
    for trip_id, kind, _ in trip_ids(service):
        if kind == "zone":
            add("trips", "trip_headsign", trip_id, service.zone_name_en, service.zone_name_kana)
        else:
            kana = f"{service.short_name_kana} のりば" if service.short_name_kana else ""
            add("trips", "trip_headsign", trip_id, f"{service.name_en}: stops", kana)
    add("booking_rules", "message", ids.booking_rule, b.message_en)
    add("booking_rules", "pickup_message", ids.booking_rule, b.pickup_message_en)
    for cid, _, _ in categories(service):
        name_en = CATEGORY_NAMES_EN.get(cid) or CONCESSION_NAMES_EN.get(cid, cid)
        add("rider_categories", "rider_category_name", f"{service.id}_{cid}", name_en)
    return make_table(TRANSLATION_COLUMNS, rows)


def build_feed(service: ServiceArea, start: date, days: int = 365, version: str = "") -> FlexFeed:
    """The whole GTFS-Flex + GTFS-JP feed of ``service``, valid ``days`` days from ``start``.

    Parameters
    ----------
    service
        The service configuration.
    start
        First local day of the feed's validity (and of calendar.txt).
    days
        Length of the validity window in days (inclusive of ``start``).
    version
        ``feed_version``; defaults to the first day as ``YYYYMMDD``.
    """
    first, last = feed_window(start, days)
    trips, stop_times = trips_and_stop_times(service)
    groups, members = location_group_tables(service)
    calendar, calendar_dates = calendar_tables(service, first, last)
    tables = {
        "agency.txt": agency_table(service),
        "agency_jp.txt": make_table(jp.AGENCY_JP_COLUMNS, jp.agency_jp_rows(service)),
        "office_jp.txt": make_table(jp.OFFICE_JP_COLUMNS, jp.office_jp_rows(service)),
        "routes.txt": routes_table(service),
        "stops.txt": stops_table(service),
        "location_groups.txt": groups,
        "location_group_stops.txt": members,
        "booking_rules.txt": booking_rules_table(service),
        "trips.txt": trips,
        "stop_times.txt": stop_times,
        "calendar.txt": calendar,
        "feed_info.txt": feed_info_table(service, first, last, version or gtfs_date(first)),
        "translations.txt": translations_table(service),
        **fare_tables(service),
    }
    if len(calendar_dates):
        tables["calendar_dates.txt"] = calendar_dates
    return FlexFeed(tables=tables, locations=locations_geojson(service))


__all__ = [
    "FeedIds", "FlexFeed", "Table", "booking_rules_table", "build_feed", "calendar_tables",
    "fare_tables", "feed_window", "locations_geojson", "stops_table", "trips_and_stop_times",
    "zone_polygon",
]
