"""Reading riders' free text in the LINE dialogue: days and times, party sizes, numbers (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dispatcher.textfold import fold

__all__ = ["PartyCounts", "When", "choice", "fold", "parse_party", "parse_when"]

_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
                 "十": 10}


def _digits(text: str) -> str:
    """Kanji numerals one to ten as digits (二人 -> 2人)."""
    return "".join(str(_KANJI_DIGITS[c]) if c in _KANJI_DIGITS else c for c in text)


def choice(text: str, count: int) -> int | None:
    """A numbered choice ``1``..``count`` typed alone (``2``, ``２``, ``2番``), as a 0-based index."""
    m = re.fullmatch(r"(\d{1,2})(番|ばん)?", fold(text))
    if m and 1 <= int(m.group(1)) <= count:
        return int(m.group(1)) - 1
    return None


@dataclass(frozen=True, slots=True)
class When:
    """A time a rider asked for: leave at (``pickup_after``) or arrive by (``dropoff_before``)."""

    rule: str
    at: datetime


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> When | None:
    """Read a day and a clock time: 「明日 10時」「今日の14:30」「1月14日 9時半」「10時に着きたい」.

    No day means today, or tomorrow if that time of today has passed. 「着」「まで」 mean arrive by;
    otherwise leave at. 「午後」 adds twelve hours to 1–11 o'clock.

    Parameters
    ----------
    text
        The rider's message.
    now
        The current moment (aware).
    tz
        The service's time zone (days and clock times are local).

    Returns
    -------
    When | None
        None when no clock time can be read.
    """
    t = _digits(fold(text))
    today = now.astimezone(tz).date()
    day: date | None = None
    if "あさって" in t or "明後日" in t:
        day = today + timedelta(days=2)
    elif "明日" in t or "あした" in t or "あす" in t:
        day = today + timedelta(days=1)
    elif "今日" in t or "きょう" in t:
        day = today
    m = re.search(r"(\d{1,2})月(\d{1,2})日", t) or re.search(r"(\d{1,2})/(\d{1,2})(?!\d*:)", t)
    if m:
        month, dom = int(m.group(1)), int(m.group(2))
        try:
            day = date(today.year, month, dom)
        except ValueError:
            return None
        if day < today - timedelta(days=31):
            day = date(today.year + 1, month, dom)
        t = t[: m.start()] + t[m.end():]
    hm = re.search(r"(\d{1,2}):(\d{2})", t)
    if hm:
        hour, minute = int(hm.group(1)), int(hm.group(2))
    else:
        hj = re.search(r"(\d{1,2})時(?:(\d{1,2})分|(半))?", t)
        if not hj:
            return None
        hour = int(hj.group(1))
        minute = int(hj.group(2)) if hj.group(2) else (30 if hj.group(3) else 0)
    if ("午後" in t or "pm" in t) and 1 <= hour <= 11:
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    rule = "dropoff_before" if ("着" in t or "まで" in t or "到着" in t) else "pickup_after"
    if day is None:
        day = today
        if datetime.combine(day, time(hour, minute), tzinfo=tz) < now:
            day = today + timedelta(days=1)
    return When(rule, datetime.combine(day, time(hour, minute), tzinfo=tz))


@dataclass(frozen=True, slots=True)
class PartyCounts:
    """Who travels, as the dialogue read it."""

    adults: int = 1
    children: int = 0
    wheelchairs: int = 0

    @property
    def total(self) -> int:
        """Everyone travelling."""
        return self.adults + self.children + self.wheelchairs


def parse_party(text: str) -> PartyCounts | None:
    """Read how many travel: 「2人」「大人2 子ども1」「1人 車いす」「ひとり」.

    A wheelchair user counts among the people named by a bare total (「2人 車いす」 = one adult
    and one wheelchair user). Returns None when no count can be read.
    """
    t = _digits(fold(text))
    t = t.replace("ひとり", "1人").replace("一人", "1人").replace("ふたり", "2人")
    wheel = 0
    wm = re.search(r"(車いす|車椅子|くるまいす|wheelchair)(\d)?", t)
    if wm:
        wheel = int(wm.group(2) or 1)
        t = t[: wm.start()] + t[wm.end():]
    cm = re.search(r"(子ども|子供|こども|child(?:ren)?)(\d{1,2})", t)
    children = int(cm.group(2)) if cm else 0
    if cm:
        t = t[: cm.start()] + t[cm.end():]
    am = re.search(r"(大人|おとな|adults?)(\d{1,2})", t)
    if am:
        adults = int(am.group(2))
    else:
        nm = re.search(r"(\d{1,2})(人|名|にん)?", t)
        if nm is None:
            if wheel:
                return PartyCounts(0, children, wheel)
            if cm:
                return PartyCounts(0, children, 0)
            return None
        adults = max(0, int(nm.group(1)) - children - wheel)
    counts = PartyCounts(adults, children, wheel)
    return counts if 1 <= counts.total <= 20 else None
