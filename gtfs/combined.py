"""One feed for a whole deployment: the service areas' GTFS-Flex feeds merged into one (pure).

A deployment serves several service areas, each with its own feed (:func:`gtfs.flex.build_feed`).
A journey planner wants one feed of them all, in which no id of one area can be taken for an
id of another. :func:`merge_feeds` gives it:

- **Scoped ids.** Every id that two areas could both use is written ``<area>:<id>``
  (:func:`scoped`): routes, trips, services (calendar), stops, Flex locations and location
  groups (one id space in GTFS-Flex), booking rules, Fares v1 and v2 ids (fares, rider
  categories, products, leg groups, networks), zones, GTFS-JP offices and parent routes. An
  area id is lowercase letters, digits and ``_`` (never ``:``), so two areas' scoped ids never
  meet and the text before an id's first ``:`` names its area. Every reference follows its id
  (``stop_times``, ``fare_rules``, ``translations.record_id``, the ``locations.geojson``
  Feature ids, ...).
- **Agencies.** An agency that every area publishing it describes identically (the same
  ``agency.txt`` and ``agency_jp.txt`` rows and translations: one municipality running
  several services) stays one row under its own id, the 法人番号 GTFS-JP asks for. Agencies
  that share an id but differ are scoped like the rest.
- **One ``feed_info.txt`` row.** Its window is the days every area's feed covers (the latest
  first day to the earliest last day; the feed is complete only there), its publisher the
  given one, else the first area's (the deployment's first area answers at its root);
  ``feed_lang`` is the areas' common language, else ``mul``; ``feed_version`` the areas'
  common version, else each area's as ``<area>:<version>``.
- **Translations** are kept, their ``record_id`` scoped like the record they translate; the
  shared agency's rows appear once.

The merge refuses (``ValueError``) what it cannot scope safely: a file or an id column it does
not know, translations of an unknown table, windows with no day in common, and any duplicate
key left after scoping. :func:`merge_realtime` scopes GTFS-Realtime messages the same way, so
their ``trip_id``, ``route_id`` and ``stop_id`` match the merged static feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from google.transit import gtfs_realtime_pb2 as rt

from gtfs.realtime import GTFS_RT_VERSION
from gtfs.tables import FlexFeed, Table, gtfs_date

#: Between the area id and the id of its feed: ``mitsugi:honmura``.
SEPARATOR = ":"
#: The id columns of every file the merge knows (all scoped, except ``agency_id``, see above).
ID_COLUMNS: dict[str, frozenset[str]] = {
    name: frozenset(cols) for name, cols in {
        "agency.txt": ("agency_id",),
        "agency_jp.txt": ("agency_id",),
        "office_jp.txt": ("office_id",),
        "routes.txt": ("route_id", "agency_id", "network_id", "jp_parent_route_id"),
        "routes_jp.txt": ("route_id",),
        "stops.txt": ("stop_id", "parent_station", "zone_id", "level_id"),
        "levels.txt": ("level_id",),
        "pathways.txt": ("pathway_id", "from_stop_id", "to_stop_id"),
        "location_groups.txt": ("location_group_id",),
        "location_group_stops.txt": ("location_group_id", "stop_id"),
        "booking_rules.txt": ("booking_rule_id", "prior_notice_service_id"),
        "trips.txt": ("route_id", "service_id", "trip_id", "block_id", "shape_id",
                      "jp_office_id"),
        "stop_times.txt": ("trip_id", "stop_id", "location_group_id", "location_id",
                           "pickup_booking_rule_id", "drop_off_booking_rule_id"),
        "calendar.txt": ("service_id",),
        "calendar_dates.txt": ("service_id",),
        "shapes.txt": ("shape_id",),
        "frequencies.txt": ("trip_id",),
        "transfers.txt": ("from_stop_id", "to_stop_id", "from_route_id", "to_route_id",
                          "from_trip_id", "to_trip_id"),
        "fare_attributes.txt": ("fare_id", "agency_id"),
        "fare_rules.txt": ("fare_id", "route_id", "origin_id", "destination_id", "contains_id"),
        "rider_categories.txt": ("rider_category_id",),
        "fare_media.txt": ("fare_media_id",),
        "fare_products.txt": ("fare_product_id", "rider_category_id", "fare_media_id"),
        "fare_leg_rules.txt": ("leg_group_id", "network_id", "from_area_id", "to_area_id",
                               "from_timeframe_group_id", "to_timeframe_group_id",
                               "fare_product_id"),
        "fare_transfer_rules.txt": ("from_leg_group_id", "to_leg_group_id", "fare_product_id"),
        "networks.txt": ("network_id",),
        "route_networks.txt": ("network_id", "route_id"),
        "areas.txt": ("area_id",),
        "stop_areas.txt": ("area_id", "stop_id"),
        "timeframes.txt": ("timeframe_group_id", "service_id"),
    }.items()
}
#: Columns named ``*_id`` that hold no id.
NOT_IDS = frozenset({"direction_id"})
#: Keys that must stay unique in the merged feed.
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "agency.txt": ("agency_id",),
    "agency_jp.txt": ("agency_id",),
    "office_jp.txt": ("office_id",),
    "routes.txt": ("route_id",),
    "stops.txt": ("stop_id",),
    "location_groups.txt": ("location_group_id",),
    "location_group_stops.txt": ("location_group_id", "stop_id"),
    "booking_rules.txt": ("booking_rule_id",),
    "trips.txt": ("trip_id",),
    "stop_times.txt": ("trip_id", "stop_sequence"),
    "calendar.txt": ("service_id",),
    "calendar_dates.txt": ("service_id", "date"),
    "fare_attributes.txt": ("fare_id",),
    "rider_categories.txt": ("rider_category_id",),
    "fare_products.txt": ("fare_product_id", "rider_category_id", "fare_media_id"),
    "networks.txt": ("network_id",),
    "translations.txt": ("table_name", "field_name", "language", "record_id", "record_sub_id",
                         "field_value"),
}
#: ``translations.table_name`` values whose ``record_id`` is an id the merge scopes.
TRANSLATED = frozenset({"agency", "stops", "routes", "trips", "stop_times", "levels",
                        "pathways", "location_groups", "booking_rules", "rider_categories",
                        "fare_products", "fare_media", "networks", "areas", "office_jp"})
#: Files whose rows repeat when areas share an agency (identical rows appear once).
SHARED_AGENCY_FILES = ("agency.txt", "agency_jp.txt", "translations.txt")
FEED_INFO = "feed_info.txt"
TRANSLATIONS = "translations.txt"
#: Files where ``agency_id`` may be empty in a one-agency feed but not in a merged one.
AGENCY_REFERENCES = ("routes.txt", "fare_attributes.txt")


def scoped(area: str, value: str) -> str:
    """``value`` as an id of ``area`` in the merged feed (empty stays empty)."""
    return f"{area}{SEPARATOR}{value}" if value else ""


@dataclass(frozen=True, slots=True)
class Publisher:
    """Who publishes the merged feed (``feed_info.txt``)."""

    name: str
    url: str
    contact_email: str = ""
    contact_url: str = ""


@dataclass(frozen=True, slots=True)
class _Scope:
    """How one area's ids are written in the merged feed."""

    area: str
    agencies: Mapping[str, str]

    def id(self, column: str, value: str) -> str:
        if column == "agency_id" and value:
            return self.agencies.get(value, scoped(self.area, value))
        return scoped(self.area, value)

    @property
    def only_agency(self) -> str:
        """The area's agency when it has exactly one (fills an omitted ``agency_id``)."""
        return next(iter(self.agencies.values())) if len(self.agencies) == 1 else ""


# --- agencies ----------------------------------------------------------------------------


def _agency_identity(feed: FlexFeed, agency_id: str) -> tuple[Any, ...]:
    """Everything the feed says of one agency (its rows and translations), order-free."""

    def rows(name: str, key: str, value: str) -> tuple[Any, ...]:
        table = feed.tables.get(name)
        if table is None:
            return ()
        return tuple(sorted(tuple(sorted((c, v) for c, v in r.items() if v))
                            for r in table.rows if r.get(key) == value))

    translations = feed.tables.get(TRANSLATIONS)
    own = () if translations is None else tuple(sorted(
        tuple(sorted((c, v) for c, v in r.items() if v)) for r in translations.rows
        if r.get("table_name") == "agency" and r.get("record_id") == agency_id))
    return (rows("agency.txt", "agency_id", agency_id),
            rows("agency_jp.txt", "agency_id", agency_id), own)


def agency_ids(feeds: Mapping[str, FlexFeed]) -> dict[str, dict[str, str]]:
    """Per area, its agency ids in the merged feed: unchanged when every area that has the id
    describes it identically, else scoped by the area."""
    seen: dict[str, set[tuple[Any, ...]]] = {}
    for feed in feeds.values():
        for aid in feed.table("agency.txt").column("agency_id"):
            seen.setdefault(aid, set()).add(_agency_identity(feed, aid))
    return {area: {aid: aid if len(seen[aid]) == 1 else scoped(area, aid)
                   for aid in feed.table("agency.txt").column("agency_id")}
            for area, feed in feeds.items()}


# --- tables ------------------------------------------------------------------------------


def _check_columns(name: str, columns: Iterable[str]) -> None:
    if name in (TRANSLATIONS, FEED_INFO):
        return
    if name not in ID_COLUMNS:
        raise ValueError(f"cannot merge {name}: a file the merge does not know")
    unknown = [c for c in columns
               if c.endswith("_id") and c not in ID_COLUMNS[name] and c not in NOT_IDS]
    if unknown:
        raise ValueError(f"cannot merge {name}: id columns {unknown} the merge does not know")


def _scope_row(name: str, row: Mapping[str, str], scope: _Scope) -> dict[str, str]:
    if name == TRANSLATIONS:
        return _scope_translation(row, scope)
    ids = ID_COLUMNS[name]
    out = {c: scope.id(c, v) if c in ids else v for c, v in row.items()}
    if name in AGENCY_REFERENCES and not out.get("agency_id"):
        out["agency_id"] = scope.only_agency
    return out


def _scope_translation(row: Mapping[str, str], scope: _Scope) -> dict[str, str]:
    out = dict(row)
    table, record = row.get("table_name", ""), row.get("record_id", "")
    if not record:
        return out
    if table not in TRANSLATED:
        raise ValueError(f"cannot merge translations of table {table!r} by record_id")
    out["record_id"] = scope.id("agency_id" if table == "agency" else "record_id", record)
    return out


def _columns(parts: Iterable[Table], extra: Iterable[str] = ()) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for t in parts:
        out.update(dict.fromkeys(t.columns))
    out.update(dict.fromkeys(extra))
    return tuple(out)


def merge_table(name: str, parts: list[tuple[_Scope, Table]]) -> Table:
    """One file of the merged feed: every area's rows, ids scoped, in area order.

    Columns are the union of the areas' (in first-seen order; a row lacking one leaves it
    empty). Identical rows of the shared agency appear once; any other duplicate key raises.
    """
    for _, t in parts:
        _check_columns(name, t.columns)
    extra = ("agency_id",) if name in AGENCY_REFERENCES else ()
    columns = _columns((t for _, t in parts), extra)
    rows: list[dict[str, str]] = []
    seen: set[tuple[str, ...]] = set()
    for scope, table in parts:
        for r in table.rows:
            row = _scope_row(name, {c: r.get(c, "") for c in columns}, scope)
            whole = tuple(row[c] for c in columns)
            if name in SHARED_AGENCY_FILES and whole in seen:
                continue
            seen.add(whole)
            rows.append(row)
    _check_unique(name, rows)
    return Table(columns, tuple(rows))


def _check_unique(name: str, rows: list[dict[str, str]]) -> None:
    key = PRIMARY_KEYS.get(name)
    if key is None:
        return
    seen: set[tuple[str, ...]] = set()
    for r in rows:
        k = tuple(r.get(c, "") for c in key)
        if k in seen:
            raise ValueError(f"merged {name} repeats {dict(zip(key, k, strict=True))}")
        seen.add(k)


# --- feed_info ---------------------------------------------------------------------------


def _day(text: str) -> date:
    return datetime.strptime(text, "%Y%m%d").date()


def _common(values: list[str], otherwise: str) -> str:
    return values[0] if values and all(v == values[0] for v in values) else otherwise


def feed_info(infos: Mapping[str, Mapping[str, str]], publisher: Publisher | None = None) -> Table:
    """The merged ``feed_info.txt``: one row (see the module docstring).

    ``infos`` are the areas' own rows; the window is the days all of them cover.
    """
    if not infos:
        raise ValueError("no feed to merge")
    rows = list(infos.values())
    starts = [_day(r["feed_start_date"]) for r in rows if r.get("feed_start_date")]
    ends = [_day(r["feed_end_date"]) for r in rows if r.get("feed_end_date")]
    first, last = max(starts, default=None), min(ends, default=None)
    if first is not None and last is not None and first > last:
        raise ValueError(f"the areas' feeds have no day in common ({first} > {last})")
    if publisher is None:
        head = rows[0]
        publisher = Publisher(head.get("feed_publisher_name", ""),
                              head.get("feed_publisher_url", ""),
                              head.get("feed_contact_email", ""), head.get("feed_contact_url", ""))
    versions = [r.get("feed_version", "") for r in rows]
    row = {
        "feed_publisher_name": publisher.name,
        "feed_publisher_url": publisher.url,
        "feed_lang": _common([r.get("feed_lang", "") for r in rows], "mul"),
        "default_lang": rows[0].get("default_lang", ""),
        "feed_start_date": gtfs_date(first) if first else "",
        "feed_end_date": gtfs_date(last) if last else "",
        "feed_version": _common(versions, " ".join(
            f"{area}{SEPARATOR}{v}" for area, v in zip(infos, versions, strict=True) if v)),
        "feed_contact_email": publisher.contact_email,
        "feed_contact_url": publisher.contact_url,
    }
    columns = tuple(c for c, v in row.items() if v or c in ("feed_start_date", "feed_end_date"))
    return Table(columns, ({c: row[c] for c in columns},))


# --- the feed ----------------------------------------------------------------------------


def _locations(feeds: Mapping[str, FlexFeed], scopes: Mapping[str, _Scope]) -> dict[str, Any]:
    features = []
    for area, feed in feeds.items():
        for f in feed.locations.get("features", []):
            features.append({**f, "id": scopes[area].id("location_id", str(f["id"]))})
    return {"type": "FeatureCollection", "features": features} if features else {}


def merge_feeds(feeds: Mapping[str, FlexFeed], publisher: Publisher | None = None) -> FlexFeed:
    """One GTFS-Flex feed of every area's feed (``{area id: feed}``, in the areas' order).

    Raises
    ------
    ValueError
        No feed; a file or id column the merge does not know; no day every feed covers; a key
        repeated after scoping.
    """
    if not feeds:
        raise ValueError("no feed to merge")
    agencies = agency_ids(feeds)
    scopes = {area: _Scope(area, agencies[area]) for area in feeds}
    names: dict[str, None] = {}
    for feed in feeds.values():
        names.update(dict.fromkeys(feed.tables))
    tables: dict[str, Table] = {}
    for name in names:
        if name == FEED_INFO:
            infos = {a: f.tables[FEED_INFO].rows[0] for a, f in feeds.items()
                     if FEED_INFO in f.tables and f.tables[FEED_INFO].rows}
            tables[name] = feed_info(infos, publisher)
            continue
        tables[name] = merge_table(name, [(scopes[a], f.tables[name])
                                          for a, f in feeds.items() if name in f.tables])
    locations = _locations(feeds, scopes)
    _check_location_ids(tables, locations)
    return FlexFeed(tables=tables, locations=locations)


def _check_location_ids(tables: Mapping[str, Table], locations: Mapping[str, Any]) -> None:
    """Stop, location and location group ids share one id space (GTFS-Flex)."""
    ids = [*(tables["stops.txt"].column("stop_id") if "stops.txt" in tables else []),
           *(tables["location_groups.txt"].column("location_group_id")
             if "location_groups.txt" in tables else []),
           *(str(f["id"]) for f in locations.get("features", []))]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"merged stop/location/location group ids repeat: {repeated[:5]}")


# --- GTFS-Realtime -----------------------------------------------------------------------


def _scope_trip(trip: rt.TripDescriptor, area: str) -> None:
    if trip.trip_id:
        trip.trip_id = scoped(area, trip.trip_id)
    if trip.route_id:
        trip.route_id = scoped(area, trip.route_id)


def _scope_entity(ent: rt.FeedEntity, area: str) -> None:
    ent.id = scoped(area, ent.id)
    for kind in ("alert", "shape", "stop", "trip_modifications"):
        if ent.HasField(kind):
            raise ValueError(f"cannot merge a {kind} entity ({ent.id})")
    if ent.HasField("trip_update"):
        tu = ent.trip_update
        _scope_trip(tu.trip, area)
        if tu.vehicle.id:
            tu.vehicle.id = scoped(area, tu.vehicle.id)
        for stu in tu.stop_time_update:
            if stu.stop_id:
                stu.stop_id = scoped(area, stu.stop_id)
            props = stu.stop_time_properties
            if props.assigned_stop_id:
                props.assigned_stop_id = scoped(area, props.assigned_stop_id)
    if ent.HasField("vehicle"):
        vp = ent.vehicle
        _scope_trip(vp.trip, area)
        if vp.vehicle.id:
            vp.vehicle.id = scoped(area, vp.vehicle.id)
        if vp.stop_id:
            vp.stop_id = scoped(area, vp.stop_id)


def merge_realtime(messages: Mapping[str, rt.FeedMessage], timestamp: int) -> rt.FeedMessage:
    """One GTFS-Realtime message of every area's (``{area id: message}``), ids scoped as in
    :func:`merge_feeds`: entity, trip, route, stop and vehicle ids become ``<area>:<id>``.

    Every message must be a full dataset; the merged header is version 2.0, full dataset,
    ``timestamp`` (epoch s). Alerts and the experimental shape, stop and trip-modification
    entities are refused (``ValueError``) rather than passed on with unscoped ids.
    """
    out = rt.FeedMessage()
    out.header.gtfs_realtime_version = GTFS_RT_VERSION
    out.header.incrementality = rt.FeedHeader.FULL_DATASET
    out.header.timestamp = int(timestamp)
    for area, msg in messages.items():
        if msg.header.incrementality != rt.FeedHeader.FULL_DATASET:
            raise ValueError(f"area {area}: only full datasets can be merged")
        for ent in msg.entity:
            merged = out.entity.add()
            merged.CopyFrom(ent)
            _scope_entity(merged, area)
    return out
