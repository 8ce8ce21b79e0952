"""The service's configuration as plain frozen dataclasses (ServiceArea and its parts).

Pure: :func:`service_from_dict` builds a :class:`ServiceArea` from already-parsed data (the
TOML file and the stops table); reading the files is :mod:`dispatcher.services`' job. Local
clock times are kept as seconds since local midnight; the calendar answers which days run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import holidays

from dispatcher.errors import InvalidInput
from dispatcher.params import DispatchParams

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BOOKING_TYPES = ("real_time", "same_day", "prior_day")


@lru_cache(maxsize=64)
def public_holidays(country: str, year: int, lang: str = "ja") -> dict[date, str]:
    """Public holidays of ``country`` (ISO code) in ``year`` with their names (``holidays``
    package: computed, no download)."""
    try:
        found = holidays.country_holidays(country, years=year, language=lang)
    except NotImplementedError as exc:
        raise InvalidInput(f"祝日の国コードが不明です: {country}",
                           f"unknown holiday country code: {country}") from exc
    return dict(found.items())


def clock_s(text: str) -> int:
    """Seconds since local midnight of ``HH:MM`` (or ``HH:MM:SS``); hours may pass 23."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise InvalidInput(f"時刻の形式が正しくありません: {text!r}", f"not a clock time: {text!r}")
    h, m = int(parts[0]), int(parts[1])
    s = int(parts[2]) if len(parts) == 3 else 0
    if m >= 60 or s >= 60:
        raise InvalidInput(f"時刻の形式が正しくありません: {text!r}", f"not a clock time: {text!r}")
    return h * 3600 + m * 60 + s


@dataclass(frozen=True, slots=True)
class StopPoint:
    """A pickup/drop-off point of the service (names in Japanese, English and kana)."""

    id: str
    name_ja: str
    name_en: str
    name_kana: str
    lat: float
    lon: float
    kind: str = "bus_stop"
    wheelchair: bool = True
    weight: float = 1.0
    gtfs_stop_id: str = ""

    def name(self, lang: str = "ja") -> str:
        """The name in ``lang`` ("ja" or "en")."""
        return self.name_en if lang == "en" else self.name_ja


@dataclass(frozen=True, slots=True)
class StopAlias:
    """Words people say for a place (「やくば」「みちのえき」) and the stop(s) they mean.

    A word that means more than one stop (「えき」: every stop with buses to the station) lists
    them in the order they are offered; ``note_ja``/``note_en`` say why, for the rider.
    """

    words: tuple[str, ...]
    stop_ids: tuple[str, ...]
    note_ja: str = ""
    note_en: str = ""


@dataclass(frozen=True, slots=True)
class OperatingPeriod:
    """A daily period during which pickups and drop-offs happen (seconds since local midnight)."""

    id: str
    start_s: int
    end_s: int


@dataclass(frozen=True, slots=True)
class OperatingCalendar:
    """Which local days the service runs: weekdays, yearly closed ranges, extra closed dates."""

    days: frozenset[str]
    closed_ranges: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()
    closed_dates: frozenset[date] = frozenset()
    #: ISO country code whose public holidays close the service ("JP": 国民の祝日, substitute
    #: holidays and 国民の休日 included), "" for none.
    closed_on_holidays: str = ""
    #: Days the service runs although a holiday or closed range would close them.
    open_dates: frozenset[date] = frozenset()

    def holiday(self, day: date, lang: str = "ja") -> str | None:
        """The name of the public holiday that closes ``day``, or None."""
        if not self.closed_on_holidays:
            return None
        return public_holidays(self.closed_on_holidays, day.year, lang).get(day)

    def runs_on(self, day: date) -> bool:
        """True if the service operates on local ``day``."""
        if WEEKDAYS[day.weekday()] not in self.days or day in self.closed_dates:
            return False
        if day in self.open_dates:
            return True
        md = (day.month, day.day)
        for lo, hi in self.closed_ranges:
            inside = lo <= md <= hi if lo <= hi else (md >= lo or md <= hi)
            if inside:
                return False
        return self.holiday(day) is None

    def describe(self) -> tuple[str, str]:
        """When the service runs, in Japanese and English, from the calendar's data (e.g.
        「運行日: 月〜金。祝日運休。12/29〜1/3 運休」)."""
        ja_names = dict(zip(WEEKDAYS, "月火水木金土日", strict=True))
        en_names = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
                            strict=True))
        runs = [d for d in WEEKDAYS if d in self.days]
        idx = [WEEKDAYS.index(d) for d in runs]
        if len(runs) > 2 and idx == list(range(idx[0], idx[0] + len(idx))):
            ja = f"{ja_names[runs[0]]}〜{ja_names[runs[-1]]}"
            en = f"{en_names[runs[0]]}–{en_names[runs[-1]]}"
        else:
            ja = "・".join(ja_names[d] for d in runs)
            en = ", ".join(en_names[d] for d in runs)
        parts_ja, parts_en = [f"運行日: {ja}"], [f"it runs {en}"]
        if self.closed_on_holidays:
            parts_ja.append("祝日運休")
            parts_en.append("not on public holidays")
        for (m1, d1), (m2, d2) in self.closed_ranges:
            parts_ja.append(f"{m1}/{d1}〜{m2}/{d2} 運休")
            parts_en.append(f"closed {m1}/{d1}–{m2}/{d2}")
        return "。".join(parts_ja), "; ".join(parts_en)

    def service_days(self, start: date, end: date) -> list[date]:
        """The operating days from ``start`` to ``end`` inclusive."""
        out, day = [], start
        while day <= end:
            if self.runs_on(day):
                out.append(day)
            day += timedelta(days=1)
        return out


@dataclass(frozen=True, slots=True)
class BookingRules:
    """How early and how late one may book and cancel, and what riders are told."""

    type: str = "same_day"
    min_notice_s: int = 3600
    max_days_ahead: int = 7
    prior_day_deadline_s: int = 17 * 3600
    cancel_notice_s: int = 1800
    phone: str = ""
    message_ja: str = ""
    message_en: str = ""
    pickup_message_ja: str = ""
    pickup_message_en: str = ""
    max_group: int = 6
    offer_ttl_s: int = 300
    no_show_grace_s: int = 180
    no_show_undo_s: int = 120
    transfer_buffer_s: int = 300


@dataclass(frozen=True, slots=True)
class FareRules:
    """Flat fares per rider category, in whole yen (or the currency's minor unit)."""

    currency: str = "JPY"
    adult: int = 300
    child: int = 150
    infant: int = 0
    concessions: tuple[tuple[str, int], ...] = ()
    payment: tuple[str, ...] = ("cash_onboard",)

    def concession(self, category: str) -> int | None:
        """The fare of a concession category, or None if the service has no such category."""
        return dict(self.concessions).get(category)


@dataclass(frozen=True, slots=True)
class ShiftSpec:
    """A daily shift of a vehicle (local seconds) with an optional break."""

    start_s: int
    end_s: int
    break_earliest_s: int | None = None
    break_latest_end_s: int | None = None
    break_s: int = 0


@dataclass(frozen=True, slots=True)
class VehicleSpec:
    """A vehicle of the fleet: capacity, depot stop and daily shifts."""

    id: str
    name: str
    seats: int
    wheelchair_spaces: int
    depot: str
    shifts: tuple[ShiftSpec, ...]


@dataclass(frozen=True, slots=True)
class Agency:
    """Who runs and publishes the service (GTFS agency and GTFS-JP agency_jp fields)."""

    id: str
    name: str
    name_en: str = ""
    official_name: str = ""
    zip: str = ""
    address: str = ""
    president_pos: str = ""
    president_name: str = ""
    phone: str = ""
    url: str = ""
    email: str = ""
    name_kana: str = ""


@dataclass(frozen=True, slots=True)
class District:
    """A group of stops reported together (a 地区 of the monthly report), defined in the
    service's data: each stop belongs to at most one district."""

    id: str
    name_ja: str
    name_en: str
    stops: tuple[str, ...]

    def name(self, lang: str = "ja") -> str:
        """The name in ``lang`` ("ja" or "en")."""
        return self.name_en if lang == "en" else self.name_ja


@dataclass(frozen=True, slots=True)
class ServiceArea:
    """One on-demand service: zone, stops, calendar and hours, booking rules, fares, fleet."""

    id: str
    name_ja: str
    name_en: str
    short_name: str
    timezone: str
    url: str
    agency: Agency
    office_id: str
    office_name: str
    office_phone: str
    zone_name_ja: str
    zone_name_en: str
    zone: tuple[tuple[float, float], ...]
    stops: tuple[StopPoint, ...]
    calendar: OperatingCalendar
    periods: tuple[OperatingPeriod, ...]
    booking: BookingRules
    fares: FareRules
    fleet: tuple[VehicleSpec, ...]
    transfer_stops: tuple[str, ...] = ()
    connection_stop_ids: tuple[tuple[str, tuple[str, ...]], ...] = ()
    dispatch: dict[str, Any] = field(default_factory=dict)
    #: ``[routing]``: ``table_stops`` (stop ids of ``noriai routing``'s minutes table) and
    #: ``outside_places`` (name_ja, name_en, lat, lon of places outside the zone, e.g. stations).
    routing: dict[str, Any] = field(default_factory=dict)
    to_confirm: tuple[str, ...] = ()
    name_kana: str = ""
    zone_name_kana: str = ""
    short_name_kana: str = ""
    #: Words people say for places (``aliases.toml`` of the service folder).
    aliases: tuple[StopAlias, ...] = ()
    districts: tuple[District, ...] = ()
    #: An example area shipped to try the product, not a real service (its names say so too).
    example: bool = False

    def district_of(self, stop_id: str | None) -> District | None:
        """The district holding a stop, or None (no district, or a chosen point)."""
        return next((d for d in self.districts if stop_id in d.stops), None)

    def stop(self, stop_id: str) -> StopPoint:
        """The stop with ``stop_id``; raises NotFound-style InvalidInput if unknown."""
        for s in self.stops:
            if s.id == stop_id:
                return s
        raise InvalidInput(f"不明な乗り場です: {stop_id}", f"unknown stop: {stop_id}", stop_id=stop_id)

    def stop_ids(self) -> tuple[str, ...]:
        """Ids of all stops, in registry order."""
        return tuple(s.id for s in self.stops)

    def dispatch_params(self) -> DispatchParams:
        """The dispatch parameters of the service, with the booking rules' no-show grace (the
        planner reserves that wait at every pickup)."""
        return DispatchParams.from_dict(
            {**self.dispatch, "no_show_grace_s": self.booking.no_show_grace_s})

    def in_service_hours(self, seconds_of_day: int) -> bool:
        """True if a local time of day falls inside an operating period."""
        return any(p.start_s <= seconds_of_day <= p.end_s for p in self.periods)


def _shift(d: dict[str, Any]) -> ShiftSpec:
    return ShiftSpec(
        start_s=clock_s(d["start"]),
        end_s=clock_s(d["end"]),
        break_earliest_s=clock_s(d["break_earliest"]) if d.get("break_earliest") else None,
        break_latest_end_s=clock_s(d["break_latest_end"]) if d.get("break_latest_end") else None,
        break_s=int(d.get("break_min", 0)) * 60,
    )


def _month_day(text: str) -> tuple[int, int]:
    m, d = text.split("-")
    return int(m), int(d)


def stops_from_rows(rows: list[dict[str, str]]) -> tuple[StopPoint, ...]:
    """Stop points from the rows of a stops table (stops.csv columns)."""
    return tuple(
        StopPoint(
            id=r["stop_id"],
            name_ja=r["name_ja"],
            name_en=r["name_en"],
            name_kana=r.get("name_kana", ""),
            lat=float(r["lat"]),
            lon=float(r["lon"]),
            kind=r.get("kind") or "bus_stop",
            wheelchair=str(r.get("wheelchair", "1")) not in ("0", "false", "False", ""),
            weight=float(r.get("weight") or 1.0),
            gtfs_stop_id=r.get("gtfs_stop_id", "") or "",
        )
        for r in rows
    )


def aliases_from_dict(conf: dict[str, Any], stops: tuple[StopPoint, ...]) -> tuple[StopAlias, ...]:
    """Stop aliases from a parsed ``aliases.toml`` (``[[aliases]]`` tables of ``words``,
    ``stops`` and optional ``note_ja``/``note_en``), checked against the service's stops.

    Raises
    ------
    InvalidInput
        An entry without words or stops, or naming a stop the service does not have.
    """
    known = {s.id for s in stops}
    out = []
    for i, entry in enumerate(conf.get("aliases", [])):
        words = tuple(str(w).strip() for w in entry.get("words", []) if str(w).strip())
        stop_ids = tuple(str(x) for x in entry.get("stops", []))
        if not words or not stop_ids:
            raise InvalidInput(f"別名 {i + 1} 件目に言葉か乗り場がありません",
                               f"alias entry {i + 1} needs words and stops")
        unknown = [x for x in stop_ids if x not in known]
        if unknown:
            raise InvalidInput(f"別名「{words[0]}」の乗り場が不明です: {', '.join(unknown)}",
                               f"alias {words[0]!r} names unknown stops: {', '.join(unknown)}")
        out.append(StopAlias(words, stop_ids, str(entry.get("note_ja", "")),
                             str(entry.get("note_en", ""))))
    return tuple(out)


def _districts(items: list[dict[str, Any]], stop_ids: set[str]) -> tuple[District, ...]:
    """The ``[[districts]]`` tables, checked: known stops, each stop in one district at most."""
    out: list[District] = []
    seen: dict[str, str] = {}
    for d in items:
        district = District(id=str(d["id"]), name_ja=str(d["name_ja"]),
                            name_en=str(d.get("name_en", d["name_ja"])),
                            stops=tuple(str(s) for s in d.get("stops", [])))
        for sid in district.stops:
            if sid not in stop_ids:
                raise InvalidInput(f"地区 {district.id} の乗り場が不明です: {sid}",
                                   f"district {district.id} names an unknown stop: {sid}")
            if sid in seen:
                raise InvalidInput(f"乗り場 {sid} が2つの地区（{seen[sid]}, {district.id}）にあります",
                                   f"stop {sid} is in two districts ({seen[sid]}, {district.id})")
            seen[sid] = district.id
        out.append(district)
    return tuple(out)


def _fleet(vehicles: list[dict[str, Any]], stop_ids: set[str]) -> tuple[VehicleSpec, ...]:
    """The vehicles and their shifts; each depot must be a stop."""
    fleet = tuple(
        VehicleSpec(
            id=v["id"],
            name=v.get("name", v["id"]),
            seats=int(v["seats"]),
            wheelchair_spaces=int(v.get("wheelchair_spaces", 0)),
            depot=v["depot"],
            shifts=tuple(_shift(s) for s in v.get("shifts", [])),
        )
        for v in vehicles
    )
    for v in fleet:
        if v.depot not in stop_ids:
            raise InvalidInput(f"車両 {v.id} の車庫が乗り場にありません", f"depot of {v.id} is not a stop")
    return fleet


def _booking_rules(bk: dict[str, Any], ag: dict[str, Any]) -> BookingRules:
    """The booking rules (``[booking]``; the phone defaults to the agency's)."""
    return BookingRules(
        type=bk.get("type", "same_day"),
        min_notice_s=int(bk.get("min_notice_min", 60)) * 60,
        max_days_ahead=int(bk.get("max_days_ahead", 7)),
        prior_day_deadline_s=clock_s(bk.get("prior_day_deadline", "17:00")),
        cancel_notice_s=int(bk.get("cancel_notice_min", 30)) * 60,
        phone=bk.get("phone", ag.get("phone", "")),
        message_ja=bk.get("message_ja", ""),
        message_en=bk.get("message_en", ""),
        pickup_message_ja=bk.get("pickup_message_ja", ""),
        pickup_message_en=bk.get("pickup_message_en", ""),
        max_group=int(bk.get("max_group", 6)),
        offer_ttl_s=int(bk.get("offer_ttl_s", 300)),
        no_show_grace_s=int(bk.get("no_show_grace_s", 180)),
        no_show_undo_s=int(bk.get("no_show_undo_s", 120)),
        transfer_buffer_s=int(bk.get("transfer_buffer_min", 5)) * 60,
    )


def service_from_dict(conf: dict[str, Any], stops: tuple[StopPoint, ...],
                      aliases: tuple[StopAlias, ...] = ()) -> ServiceArea:
    """Build a :class:`ServiceArea` from the parsed service.toml, its stop points and the
    words people say for them."""
    ag = conf["agency"]
    bk = conf.get("booking", {})
    fr = conf.get("fares", {})
    cal = conf.get("calendar", {})
    if bk.get("type", "same_day") not in BOOKING_TYPES:
        raise InvalidInput("予約種別が不正です", f"booking type must be one of {BOOKING_TYPES}")
    if not 0 <= int(bk.get("no_show_undo_s", 120)) <= 3600:
        raise InvalidInput("不乗車を取り消せる時間は0〜3600秒です", "no_show_undo_s must be 0..3600")
    stop_ids = {s.id for s in stops}
    fleet = _fleet(conf.get("fleet", []), stop_ids)
    districts = _districts(conf.get("districts", []), stop_ids)
    return ServiceArea(
        id=conf["id"],
        name_ja=conf["name_ja"],
        name_en=conf["name_en"],
        short_name=conf.get("short_name", conf["name_ja"]),
        timezone=conf.get("timezone", "Asia/Tokyo"),
        url=conf.get("url", ag.get("url", "")),
        agency=Agency(**{k: str(v) for k, v in ag.items()}),
        office_id=conf.get("office", {}).get("id", "office"),
        office_name=conf.get("office", {}).get("name", ag["name"]),
        office_phone=conf.get("office", {}).get("phone", ""),
        zone_name_ja=conf["zone"].get("name_ja", "運行区域"),
        zone_name_en=conf["zone"].get("name_en", "service zone"),
        zone=tuple((float(a), float(b)) for a, b in conf["zone"]["polygon"]),
        stops=stops,
        calendar=OperatingCalendar(
            days=frozenset(cal.get("days", WEEKDAYS[:5])),
            closed_ranges=tuple(
                (_month_day(lo), _month_day(hi)) for lo, hi in cal.get("closed_ranges", [])
            ),
            closed_dates=frozenset(date.fromisoformat(d) for d in cal.get("closed_dates", [])),
            closed_on_holidays=str(cal.get("closed_on_holidays", "")),
            open_dates=frozenset(date.fromisoformat(d) for d in cal.get("open_dates", [])),
        ),
        periods=tuple(
            OperatingPeriod(p["id"], clock_s(p["start"]), clock_s(p["end"]))
            for p in conf.get("periods", [])
        ),
        booking=_booking_rules(bk, ag),
        fares=FareRules(
            currency=fr.get("currency", "JPY"),
            adult=int(fr.get("adult", 0)),
            child=int(fr.get("child", 0)),
            infant=int(fr.get("infant", 0)),
            concessions=tuple((k, int(v)) for k, v in fr.get("concessions", {}).items()),
            payment=tuple(fr.get("payment", ["cash_onboard"])),
        ),
        fleet=fleet,
        transfer_stops=tuple(conf.get("transfer_stops", ())),
        connection_stop_ids=tuple(
            (k, tuple(v)) for k, v in conf.get("connection_stop_ids", {}).items()
        ),
        dispatch=dict(conf.get("dispatch", {})),
        routing=dict(conf.get("routing", {})),
        to_confirm=tuple(conf.get("to_confirm", ())),
        name_kana=conf.get("name_kana", ""),
        zone_name_kana=conf["zone"].get("name_kana", ""),
        short_name_kana=conf.get("short_name_kana", ""),
        aliases=aliases,
        districts=districts,
        example=bool(conf.get("example", False)),
    )
