"""Finding a caller among the riders and their usual trip (pure: records in, values out).

Operators look a caller up by phone number (with or without hyphens, or its last digits) or
by name, typed in kana or kanji; katakana and hiragana, full- and half-width, spaces and case
do not matter. A rider's usual trip is their most frequent recent trip between two stops, with
the time they most often ask for it, and the party they most often travel with at that time,
so that a phone booking starts pre-filled.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dispatcher.errors import InvalidInput
from dispatcher.statuses import BookingStatus
from dispatcher.textfold import fold

#: Fewest digits of a phone search (fewer would match most riders).
MIN_PHONE_DIGITS = 4
#: Fewest characters of a name search.
MIN_NAME_CHARS = 2
#: Longest search text.
MAX_QUERY_CHARS = 60
#: Bookings a usual trip is drawn from (the rider's most recent ones).
RECENT_TRIPS = 20
_PHONE_MARKS = set("-‐‑–—―ー－()（） +＋.")


@dataclass(frozen=True, slots=True)
class RiderQuery:
    """A search: by phone digits (``phone``) or by folded name (``name``)."""

    kind: str
    needle: str


def parse_query(q: str) -> RiderQuery:
    """Read what the operator typed: digits (hyphens, spaces and brackets allowed) search phone
    numbers, anything else searches names and kana readings.

    Raises
    ------
    InvalidInput
        Empty, too long, or too short to search with.
    """
    text = unicodedata.normalize("NFKC", q).strip()
    if not text:
        raise InvalidInput("電話番号またはお名前（かな）を入力してください",
                           "type a phone number or a name (kana)")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"検索語が長すぎます（{MAX_QUERY_CHARS}文字まで）",
                           f"the search text is too long (at most {MAX_QUERY_CHARS} characters)")
    if all(c.isdigit() or c in _PHONE_MARKS for c in text):
        digits = "".join(c for c in text if c.isdigit())
        if len(digits) < MIN_PHONE_DIGITS:
            raise InvalidInput(f"電話番号は{MIN_PHONE_DIGITS}桁以上で検索してください",
                               f"search with at least {MIN_PHONE_DIGITS} digits of the phone number")
        return RiderQuery("phone", digits)
    needle = fold(text)
    if len(needle) < MIN_NAME_CHARS:
        raise InvalidInput(f"お名前は{MIN_NAME_CHARS}文字以上で検索してください",
                           f"search with at least {MIN_NAME_CHARS} characters of the name")
    return RiderQuery("name", needle)


def matches(query: RiderQuery, rider: Mapping[str, Any]) -> bool:
    """True if a rider (``name``, ``name_kana``, ``phone`` as stored digits) fits the query."""
    if query.kind == "phone":
        phone = "".join(c for c in str(rider.get("phone") or "") if c.isdigit())
        return query.needle in phone
    return any(query.needle in fold(str(rider.get(k) or "")) for k in ("name_kana", "name"))


def rank(query: RiderQuery, rider: Mapping[str, Any]) -> int:
    """0 for an exact match (the whole number, or the whole name or reading), else 1."""
    if query.kind == "phone":
        return 0 if "".join(c for c in str(rider.get("phone") or "") if c.isdigit()) == query.needle else 1
    return 0 if query.needle in (fold(str(rider.get("name_kana") or "")),
                                 fold(str(rider.get("name") or ""))) else 1


@dataclass(frozen=True, slots=True)
class UsualTrip:
    """A rider's usual trip: stops, local clock time (``HH:MM``), time rule and party, and how
    many of the ``recent`` trips looked at went between these stops."""

    origin_stop_id: str
    destination_stop_id: str
    time: str
    rule: str
    adults: int
    children: int
    infants: int
    wheelchairs: int
    trips: int
    recent: int

    def as_dict(self) -> dict[str, Any]:
        """The trip as a plain mapping."""
        return asdict(self)


def _most_common(values: Sequence[Any]) -> Any:
    """The most frequent value; among equals, the one seen first (the most recent)."""
    counts = Counter(values)
    best = max(counts.values())
    return next(v for v in values if counts[v] == best)


def usual_trip(bookings: Iterable[Mapping[str, Any]], tz: ZoneInfo, *,
               recent: int = RECENT_TRIPS) -> UsualTrip | None:
    """The usual trip of a rider from their bookings, or None without a trip between stops.

    Parameters
    ----------
    bookings
        Records with ``status``, ``origin_stop_id``, ``destination_stop_id``, ``requested_s``
        (the asked time, epoch s), ``rule``, ``adults``, ``children``, ``infants``,
        ``wheelchairs``. Cancelled bookings and trips from or to a chosen point do not count.
    tz
        The service's time zone (for the local clock time).
    recent
        How many of the most recent trips to look at.
    """
    trips = sorted((b for b in bookings if b.get("status") != BookingStatus.CANCELLED
                    and b.get("origin_stop_id") and b.get("destination_stop_id")),
                   key=lambda b: -int(b["requested_s"]))[:recent]
    if not trips:
        return None
    pair = _most_common([(b["origin_stop_id"], b["destination_stop_id"]) for b in trips])
    same = [b for b in trips if (b["origin_stop_id"], b["destination_stop_id"]) == pair]
    clock = [datetime.fromtimestamp(int(b["requested_s"]), tz=UTC).astimezone(tz).strftime("%H:%M")
             for b in same]
    at = _most_common(clock)
    usual = [b for b, c in zip(same, clock, strict=True) if c == at]
    party = _most_common([(int(b.get("adults", 1)), int(b.get("children", 0)),
                           int(b.get("infants", 0)), int(b.get("wheelchairs", 0))) for b in usual])
    rule = usual[0]["rule"]
    adults, children, infants, chairs = party
    return UsualTrip(pair[0], pair[1], at, str(rule), adults, children, infants, chairs,
                     trips=len(same), recent=len(trips))
