"""Outside GTFS feeds (buses, trains): the next departures where the service meets them.

Pure functions over the feed's DataFrames (:class:`Timetable`) plus one loader
(:func:`load_timetable`, gtfs-kit). Works on partial feeds: trips without stop times simply
give no departures, and trips whose ``service_id`` is in neither ``calendar.txt`` nor
``calendar_dates.txt`` run on unknown days — they are skipped and named in the answer.
Times: GTFS times count from noon minus 12 h of the service day (``service_day_origin``);
departures are aware datetimes in the feed's time zone (Asia/Tokyo by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from dispatcher.errors import InvalidInput, NotFound
from dispatcher.service_area import ServiceArea
from dispatcher.units import from_epoch, parse_gtfs_time, service_day_origin, to_epoch

DEFAULT_TZ = "Asia/Tokyo"
NO_PICKUP = 1
DEFAULT_BUFFER_S = 300


@dataclass(frozen=True)
class Timetable:
    """The parts of an outside GTFS feed that departures need (gtfs-kit DataFrames)."""

    name: str
    stops: pd.DataFrame
    routes: pd.DataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame
    calendar: pd.DataFrame | None = None
    calendar_dates: pd.DataFrame | None = None
    timezone: str = DEFAULT_TZ
    feed_info: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Rows per table (0 for a missing one)."""
        tables = {
            "stops": self.stops,
            "routes": self.routes,
            "trips": self.trips,
            "stop_times": self.stop_times,
            "calendar": self.calendar,
            "calendar_dates": self.calendar_dates,
        }
        return {k: 0 if v is None else len(v) for k, v in tables.items()}


@dataclass(frozen=True, slots=True)
class Departure:
    """One bus (or train) leaving a stop: when, which trip, which route, towards where."""

    feed: str
    stop_id: str
    stop_name: str
    trip_id: str
    route_id: str
    route_name: str
    headsign: str
    departure: datetime
    service_day: date

    def label(self) -> str:
        """Short text for people, e.g. ``08:29 尾道・新尾道・市・甲山線 → 尾道駅前``."""
        return f"{self.departure:%H:%M} {self.route_name} → {self.headsign}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (departure as ISO 8601 with offset)."""
        return {
            "feed": self.feed,
            "stop_id": self.stop_id,
            "stop_name": self.stop_name,
            "trip_id": self.trip_id,
            "route_id": self.route_id,
            "route_name": self.route_name,
            "headsign": self.headsign,
            "departure": self.departure.isoformat(),
            "service_day": self.service_day.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class DepartureBoard:
    """The next departures, and what could not be known (services on unknown days)."""

    departures: tuple[Departure, ...]
    unknown_services: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ArriveBy:
    """An arrive-by target at a service stop so that a rider catches ``departure``."""

    service_stop_id: str
    dropoff_before: datetime
    buffer_s: int
    departure: Departure

    def describe(self, lang: str = "ja") -> str:
        """What an offer says about the connection, in ``lang`` ("ja" or "en")."""
        d = self.departure
        if lang == "en":
            return (
                f"Connects to the {d.departure:%H:%M} {d.route_name} bus to {d.headsign} "
                f"at {d.stop_name} (arrive by {self.dropoff_before:%H:%M})"
            )
        return (
            f"{d.stop_name} {d.departure:%H:%M}発 {d.route_name}（{d.headsign}行き）に接続"
            f"（{self.dropoff_before:%H:%M}までに到着）"
        )


# --- calendar ------------------------------------------------------------------------------

WEEKDAY_COLUMNS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


def known_services(tt: Timetable) -> set[str]:
    """Service ids whose days the feed defines (in calendar.txt or calendar_dates.txt)."""
    known: set[str] = set()
    for table in (tt.calendar, tt.calendar_dates):
        if table is not None and len(table):
            known |= set(table["service_id"].astype(str))
    return known


def active_services(tt: Timetable, day: date) -> set[str]:
    """Service ids running on ``day``: calendar weekday within its dates, then the exceptions."""
    ymd = _ymd(day)
    active: set[str] = set()
    cal = tt.calendar
    if cal is not None and len(cal):
        col = WEEKDAY_COLUMNS[day.weekday()]
        on = (
            (cal[col].astype(int) == 1)
            & (cal["start_date"].astype(str) <= ymd)
            & (cal["end_date"].astype(str) >= ymd)
        )
        active |= set(cal.loc[on, "service_id"].astype(str))
    cd = tt.calendar_dates
    if cd is not None and len(cd):
        today = cd[cd["date"].astype(str) == ymd]
        kind = today["exception_type"].astype(int)
        active |= set(today.loc[kind == 1, "service_id"].astype(str))
        active -= set(today.loc[kind == 2, "service_id"].astype(str))
    return active


# --- departures ----------------------------------------------------------------------------


def _route_names(tt: Timetable) -> dict[str, str]:
    names = {}
    for r in tt.routes.itertuples(index=False):
        short = getattr(r, "route_short_name", None)
        long = getattr(r, "route_long_name", None)
        text = next((str(v) for v in (long, short) if isinstance(v, str) and v.strip()), "")
        names[str(r.route_id)] = text or str(r.route_id)
    return names


def _stop_names(tt: Timetable) -> dict[str, str]:
    return dict(
        zip(tt.stops["stop_id"].astype(str), tt.stops["stop_name"].astype(str), strict=True)
    )


def _clock(row: Any) -> int | None:
    for value in (row.departure_time, row.arrival_time):
        if isinstance(value, str) and value.strip():
            return parse_gtfs_time(value)
    return None


def next_departures(
    tt: Timetable, stop_ids: tuple[str, ...] | list[str], after: datetime, n: int = 5
) -> DepartureBoard:
    """The first ``n`` departures from any of ``stop_ids`` at or after ``after``.

    Parameters
    ----------
    tt
        The outside feed.
    stop_ids
        Stop ids of that feed (e.g. both directions' poles of one bus stop).
    after
        Aware datetime; the search covers the service days of ``after``'s local date and the
        day before (for trips past midnight), so departures later than that day's service are
        not returned.
    n
        How many departures at most.

    Returns
    -------
    DepartureBoard
        Departures sorted by time (then trip id); services on unknown days skipped and named.
        The last stop of a trip and rows with ``pickup_type`` 1 are not departures.
    """
    if after.tzinfo is None:
        raise InvalidInput("時刻にはタイムゾーンが必要です", "'after' must be timezone-aware")
    tz = ZoneInfo(tt.timezone)
    local = after.astimezone(tz)
    st = _departure_rows(tt, {str(s) for s in stop_ids})
    trips = tt.trips.set_index("trip_id")
    unknown = sorted(set(trips.loc[trips.index.intersection(st["trip_id"]), "service_id"])
                     - known_services(tt))
    names = (_route_names(tt), _stop_names(tt))
    after_s = to_epoch(after)
    out: list[Departure] = []
    for service_day in (local.date() - timedelta(days=1), local.date()):
        out += _departures_of_day(tt, st, trips, names, service_day, tz, after_s)
    rank = {s: i for i, s in enumerate(dict.fromkeys(str(s) for s in stop_ids))}
    out = sorted(_dedupe(out, rank), key=lambda d: (d.departure, d.trip_id))
    return DepartureBoard(tuple(out[:n]), tuple(unknown), tuple(_board_notes(tt, unknown)))


def _departure_rows(tt: Timetable, wanted: set[str]) -> Any:
    """The stop_times rows at ``wanted`` stops that are departures: pickup allowed, not the
    trip's last stop."""
    st = tt.stop_times
    st = st[st["stop_id"].astype(str).isin(wanted)]
    if "pickup_type" in st.columns:
        st = st[st["pickup_type"].fillna(0).astype(int) != NO_PICKUP]
    last_seq = tt.stop_times.groupby("trip_id")["stop_sequence"].max()
    return st[st["stop_sequence"].to_numpy() != last_seq.reindex(st["trip_id"]).to_numpy()]


def _departures_of_day(tt: Timetable, st: Any, trips: Any,
                       names: tuple[dict[str, str], dict[str, str]], service_day: date,
                       tz: ZoneInfo, after_s: int) -> list[Departure]:
    """The departures of ``st``'s rows on one service day, at or after ``after_s``
    (``names``: route and stop names)."""
    active = active_services(tt, service_day)
    origin = service_day_origin(service_day, tz)
    routes, stops = names
    out = []
    for row in st.itertuples(index=False):
        trip_id = str(row.trip_id)
        if trip_id not in trips.index:
            continue
        trip = trips.loc[trip_id]
        if str(trip["service_id"]) not in active:
            continue
        secs = _clock(row)
        if secs is None or origin + secs < after_s:
            continue
        headsign = trip.get("trip_headsign")
        if not isinstance(headsign, str) or not headsign:
            headsign = str(getattr(row, "stop_headsign", "") or "")
        out.append(Departure(
            feed=tt.name, stop_id=str(row.stop_id),
            stop_name=stops.get(str(row.stop_id), str(row.stop_id)), trip_id=trip_id,
            route_id=str(trip["route_id"]),
            route_name=routes.get(str(trip["route_id"]), str(trip["route_id"])),
            headsign=headsign, departure=from_epoch(origin + secs, tz),
            service_day=service_day))
    return out


def _board_notes(tt: Timetable, unknown: list[str]) -> list[str]:
    """What the board cannot know: services of unknown days, no exceptions, untimed trips."""
    notes = []
    if unknown:
        notes.append(
            f"{len(unknown)} service(s) not in calendar.txt/calendar_dates.txt: "
            f"days unknown, their trips skipped ({', '.join(unknown)})"
        )
    if tt.calendar_dates is None or not len(tt.calendar_dates):
        notes.append("no calendar_dates.txt: holidays and other exceptions are not applied")
    untimed = len(set(tt.trips["trip_id"]) - set(tt.stop_times["trip_id"]))
    if untimed:
        notes.append(
            f"{untimed} trip(s) have no stop_times (partial feed): their times are unknown"
        )
    return notes


def _dedupe(deps: list[Departure], rank: dict[str, int]) -> list[Departure]:
    """One departure per trip and service day, at the most preferred of the listed stops.

    A trip often passes several listed poles (e.g. 市中 then 市出張所); the stop listed first in
    ``connection_stop_ids`` is the transfer point itself, so its time is the one to catch.
    """
    best: dict[tuple[str, date], Departure] = {}
    for d in deps:
        key = (d.trip_id, d.service_day)
        if key not in best or rank.get(d.stop_id, 1 << 30) < rank.get(best[key].stop_id, 1 << 30):
            best[key] = d
    return list(best.values())


def connection_stops(service: ServiceArea, service_stop_id: str) -> tuple[str, ...]:
    """The outside feeds' stop ids at a service stop (``connection_stop_ids``)."""
    mapping = dict(service.connection_stop_ids)
    if service_stop_id not in mapping:
        raise NotFound(
            f"乗継地点ではありません: {service_stop_id}",
            f"not a transfer point of {service.id}: {service_stop_id}",
            stop_id=service_stop_id,
        )
    return mapping[service_stop_id]


def departures_at(
    timetables: list[Timetable] | tuple[Timetable, ...],
    service: ServiceArea,
    service_stop_id: str,
    after: datetime,
    n: int = 5,
) -> DepartureBoard:
    """Next departures, over all outside feeds, at a transfer point of the service."""
    stop_ids = connection_stops(service, service_stop_id)
    boards = [next_departures(tt, stop_ids, after, n) for tt in timetables]
    deps = sorted((d for b in boards for d in b.departures), key=lambda d: (d.departure, d.trip_id))
    unknown = tuple(sorted({s for b in boards for s in b.unknown_services}))
    notes = tuple(dict.fromkeys(note for b in boards for note in b.notes))
    return DepartureBoard(tuple(deps[:n]), unknown, notes)


def latest_dropoff(departure: Departure, buffer_s: int = DEFAULT_BUFFER_S) -> datetime:
    """Latest drop-off (aware datetime) at the transfer stop to catch ``departure``.

    ``buffer_s`` seconds (walking to the pole, waiting margin) before the departure.
    """
    if buffer_s < 0:
        raise InvalidInput("乗継時間は0以上です", f"transfer buffer must be >= 0 s: {buffer_s}")
    return departure.departure - timedelta(seconds=buffer_s)


def arrive_by(
    departure: Departure, service_stop_id: str, buffer_s: int = DEFAULT_BUFFER_S
) -> ArriveBy:
    """The arrive-by target a booking request uses to connect to ``departure``."""
    return ArriveBy(service_stop_id, latest_dropoff(departure, buffer_s), buffer_s, departure)


# --- loading -------------------------------------------------------------------------------


def load_timetable(path: Path, name: str | None = None) -> Timetable:
    """Read an outside GTFS feed (zip or folder) with gtfs-kit into a :class:`Timetable`.

    Partial feeds are accepted: missing routes/trips/stop_times become empty tables.
    """
    import gtfs_kit

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    feed = gtfs_kit.read_feed(path, dist_units="km")
    tz = DEFAULT_TZ
    if feed.agency is not None and len(feed.agency) and "agency_timezone" in feed.agency:
        tz = str(feed.agency["agency_timezone"].iloc[0]) or DEFAULT_TZ
    if feed.stops is None:
        raise InvalidInput("stops.txt がありません", f"{path} has no stops.txt")

    def frame(df: pd.DataFrame | None, columns: list[str]) -> pd.DataFrame:
        return (
            df if df is not None else pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
        )

    stop_times = frame(
        feed.stop_times, ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"]
    )
    info = {}
    if feed.feed_info is not None and len(feed.feed_info):
        info = {k: str(v) for k, v in feed.feed_info.iloc[0].items() if pd.notna(v)}
    return Timetable(
        name=name or (path.stem if path.is_file() else path.name),
        stops=feed.stops,
        routes=frame(feed.routes, ["route_id", "route_short_name", "route_long_name"]),
        trips=frame(feed.trips, ["route_id", "service_id", "trip_id", "trip_headsign"]),
        stop_times=stop_times,
        calendar=feed.calendar,
        calendar_dates=feed.calendar_dates,
        timezone=tz,
        feed_info=info,
    )
