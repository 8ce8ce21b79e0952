"""Pure chart builders (Altair / Vega-Lite, drawn offline by Streamlit): records in, charts out.

Times are shown as the service's local wall-clock time: they are passed to Vega-Lite as naive
local datetimes, which the browser shows as they are whatever its own time zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd

from ops_console.tables import kpi_label, kpi_value

FONT = "Noto Sans CJK JP, Noto Sans JP, sans-serif"


def _wall(iso: str) -> datetime:
    """Naive local wall-clock time of an ISO time with offset."""
    return datetime.fromisoformat(iso).replace(tzinfo=None)


#: Kinds of Gantt rows: key -> (ja, en, colour). Done marks are pale, planned ones strong.
GANTT_KINDS: dict[str, tuple[str, str, str]] = {
    "shift": ("勤務", "shift", "#ececec"),
    "break": ("休憩", "break", "#bdbdbd"),
    "driven": ("走行（実績）", "driven", "#c6dbef"),
    "window": ("お迎え時間帯", "pickup window", "#9ecae1"),
    "ride_done": ("乗車（実績）", "ride (done)", "#a1d99b"),
    "ride": ("乗車（予定）", "ride (planned)", "#3182bd"),
    "pickup_done": ("お迎え（実績）", "pickup (done)", "#74c476"),
    "dropoff_done": ("お送り（実績）", "drop-off (done)", "#fdae6b"),
    "pickup": ("お迎え（予定）", "pickup (planned)", "#31a354"),
    "dropoff": ("お送り（予定）", "drop-off (planned)", "#e6550d"),
    "no_show": ("無断不在", "no-show", "#636363"),
}
GANTT_COLUMNS = ["vehicle", "kind", "start", "end", "label", "late"]


def _kind(key: str, lang: str) -> str:
    ja, en, _ = GANTT_KINDS[key]
    return ja if lang == "ja" else en


def gantt_rows(plans: Iterable[Mapping[str, Any]], shifts: Iterable[Mapping[str, Any]],
               lang: str = "ja", *, bookings: Iterable[Mapping[str, Any]] = (),
               events: Iterable[Mapping[str, Any]] = (),
               vehicle_names: Mapping[str, str] | None = None,
               tz: ZoneInfo | None = None) -> pd.DataFrame:
    """Bars and marks of the day's timeline per vehicle (by name), one row each: what was
    driven (legs, rides with their actual pickup and drop-off, no-shows) and what is planned
    (promised pickup windows, rides, stop times).

    Parameters
    ----------
    plans, shifts
        ``/operator/plans`` and ``/operator/shifts`` of the day (pending stops only).
    bookings
        ``/operator/bookings`` of the day: actual pickup and drop-off times.
    events
        ``leg`` and ``no_show`` events of the day (``/operator/events``).
    vehicle_names
        Names by vehicle id (rows are labelled by name).
    tz
        The service's zone (legs carry epoch seconds).

    Returns
    -------
    pandas.DataFrame
        Columns ``vehicle`` (name), ``kind`` (label in ``lang``), ``start``, ``end`` (naive
        local), ``label`` (tooltip), ``late`` (the ETA misses the promise).
    """
    g = _Gantt(lang, vehicle_names or {})
    minutes = {s["vehicle_id"]: s.get("break_minutes", 0) for s in shifts}
    for plan in plans:
        g.shift(plan, minutes)
    for e in events:
        if e["type"] == "leg" and tz is not None:
            g.driven(e, tz)
    done_pickup: dict[str, datetime] = {}
    for bk in bookings:
        g.ride_done(bk, done_pickup)
    riders = {bk["id"]: bk for bk in bookings}
    for e in events:
        if e["type"] == "no_show" and e.get("booking_id"):
            g.no_show(e, riders)
    for plan in plans:
        g.planned(plan, done_pickup)
    return pd.DataFrame(g.rows, columns=GANTT_COLUMNS)


class _Gantt:
    """The Gantt rows being built, in ``lang``, vehicles labelled by name."""

    def __init__(self, lang: str, names: Mapping[str, str]) -> None:
        self.lang = lang
        self.names = names
        self.stop_name = "name_ja" if lang == "ja" else "name_en"
        self.rows: list[dict[str, Any]] = []

    def kind(self, key: str) -> str:
        """The label of a kind of row."""
        return _kind(key, self.lang)

    def add(self, vid: str, key: str, start: datetime, end: datetime, label: str,
            late: bool = False) -> None:
        """One bar (or mark, when ``start == end``)."""
        self.rows.append({"vehicle": self.names.get(vid, vid), "kind": self.kind(key),
                          "start": start, "end": end, "label": label, "late": late})

    def shift(self, plan: Mapping[str, Any], minutes: Mapping[str, Any]) -> None:
        """The vehicle's shift and its breaks."""
        v = plan["vehicle_id"]
        a, b = plan["shift"]
        self.add(v, "shift", _wall(a), _wall(b), f"{self.kind('shift')} {a[11:16]}–{b[11:16]}")
        for br in plan.get("breaks", []):
            s = _wall(br)
            self.add(v, "break", s, s + timedelta(minutes=int(minutes.get(v, 0) or 0)),
                     f"{self.kind('break')} {br[11:16]}")

    def driven(self, e: Mapping[str, Any], tz: ZoneInfo) -> None:
        """A leg driven (``leg`` event: epoch seconds)."""
        v = e.get("vehicle_id") or ""
        data = e.get("data") or {}
        s = datetime.fromtimestamp(int(data["start_s"]), tz=tz).replace(tzinfo=None)
        z = datetime.fromtimestamp(int(data["end_s"]), tz=tz).replace(tzinfo=None)
        km = float(data.get("distance_m", 0)) / 1000
        self.add(v, "driven", s, z, f"{self.kind('driven')} {s:%H:%M}–{z:%H:%M} {km:.1f} km")

    def ride_done(self, bk: Mapping[str, Any], done_pickup: dict[str, datetime]) -> None:
        """A booking's actual pickup, ride and drop-off (the pickup noted in ``done_pickup``)."""
        v, who = bk.get("vehicle_id") or "", bk.get("rider_name") or ""
        if not bk.get("picked_up_at"):
            return
        up = _wall(bk["picked_up_at"])
        done_pickup[bk["id"]] = up
        self.add(v, "pickup_done", up, up, f"{who} {self.kind('pickup_done')} {up:%H:%M}")
        if bk.get("dropped_off_at"):
            down = _wall(bk["dropped_off_at"])
            self.add(v, "ride_done", up, down, f"{who} {self.kind('ride_done')} "
                                               f"{up:%H:%M}–{down:%H:%M}")
            self.add(v, "dropoff_done", down, down,
                     f"{who} {self.kind('dropoff_done')} {down:%H:%M}")

    def no_show(self, e: Mapping[str, Any], riders: Mapping[str, Mapping[str, Any]]) -> None:
        """A no-show (``no_show`` event)."""
        at = _wall(e["at"])
        who = (riders.get(e["booking_id"]) or {}).get("rider_name") or ""
        self.add(e.get("vehicle_id") or "", "no_show", at, at,
                 f"{who} {self.kind('no_show')} {at:%H:%M}")

    def planned(self, plan: Mapping[str, Any], done_pickup: Mapping[str, datetime]) -> None:
        """The vehicle's pending stops: promised pickup windows, planned rides and stop times
        (late when the ETA misses the promise)."""
        v = plan["vehicle_id"]
        pickups: dict[str, datetime] = {}
        for st in plan["stops"]:
            eta = st.get("service_start") or st.get("eta")
            if not eta:
                continue
            who = st.get("rider_name") or ""
            if st["kind"] == "pickup":
                pickups[st["booking_id"]] = _wall(eta)
                if st.get("window"):
                    w0, w1 = st["window"]
                    self.add(v, "window", _wall(w0), _wall(w1),
                             f"{who} {self.kind('window')} {w0[11:16]}–{w1[11:16]}",
                             _wall(eta) > _wall(w1))
                late = bool(st.get("window")) and _wall(eta) > _wall(st["window"][1])
            else:
                late = bool(st.get("latest")) and _wall(eta) > _wall(st["latest"])
                start = pickups.get(st["booking_id"]) or done_pickup.get(st["booking_id"])
                if start is not None:
                    self.add(v, "ride", start, _wall(eta), f"{who} {self.kind('ride')}")
            self.add(v, st["kind"], _wall(eta), _wall(eta),
                     f"{who} {self.kind(st['kind'])} {eta[11:16]} {st[self.stop_name]}", late)


def gantt_chart(rows: pd.DataFrame, lang: str = "ja", now: datetime | None = None,
                order: Sequence[str] = ()) -> alt.Chart:
    """The day's timeline: shifts and breaks, what was driven (pale), promised pickup windows,
    planned rides and stop times (strong), and a red line at ``now`` (naive local)."""
    kinds = {k: _kind(k, lang) for k in GANTT_KINDS}
    y = alt.Y("vehicle:N", title=None, sort=list(order) or "ascending")
    x = alt.X("start:T", title="時刻" if lang == "ja" else "Time", axis=alt.Axis(format="%H:%M"))
    tip = [alt.Tooltip("label:N", title="")]
    scale = alt.Scale(domain=list(kinds.values()), range=[c for _, _, c in GANTT_KINDS.values()])
    colour = alt.Color("kind:N", scale=scale, title=None,
                       legend=alt.Legend(orient="bottom", columns=6))
    base = alt.Chart(rows)

    def only(*keys: str) -> alt.Chart:
        test = alt.datum.kind == kinds[keys[0]]
        for k in keys[1:]:
            test = test | (alt.datum.kind == kinds[k])
        return base.transform_filter(test)

    layers = [
        only("shift", "break").mark_bar(size=34).encode(x=x, x2="end:T", y=y, color=colour,
                                                         tooltip=tip),
        only("driven").mark_bar(size=8, yOffset=12).encode(x=x, x2="end:T", y=y, color=colour,
                                                           tooltip=tip),
        only("window").mark_bar(size=22, opacity=0.7).encode(
            x=x, x2="end:T", y=y, color=colour, tooltip=tip,
            stroke=alt.condition(alt.datum.late, alt.value("red"), alt.value(None))),
        only("ride_done", "ride").mark_bar(size=6).encode(x=x, x2="end:T", y=y, color=colour,
                                                          tooltip=tip),
        only("pickup_done", "dropoff_done", "pickup", "dropoff").mark_point(
            filled=True, size=90, shape="diamond").encode(x=x, y=y, color=colour, tooltip=tip),
        only("no_show").mark_point(shape="cross", size=140, filled=True).encode(
            x=x, y=y, color=colour, tooltip=tip),
    ]
    if now is not None:
        label = "現在" if lang == "ja" else "now"
        frame = pd.DataFrame({"start": [now], "label": [f"{label} {now:%H:%M}"]})
        layers.append(alt.Chart(frame).mark_rule(color="#d62728", strokeWidth=2).encode(
            x=alt.X("start:T"), tooltip=[alt.Tooltip("label:N", title="")]))
    return alt.layer(*layers).properties(height=alt.Step(56)).configure(font=FONT)


def counts_chart(counts: Mapping[str, int], title: str, colour: str = "#3182bd") -> alt.Chart:
    """A horizontal bar chart of named counts."""
    frame = pd.DataFrame({"name": list(counts), "count": [int(v) for v in counts.values()]})
    return alt.Chart(frame, title=title).mark_bar(color=colour).encode(
        x=alt.X("count:Q", title=None, axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("name:N", title=None, sort="-x"),
        tooltip=["name:N", "count:Q"]).properties(height=alt.Step(30)).configure(font=FONT)


def daily_frame(days: Sequence[Mapping[str, Any]], keys: Sequence[str], lang: str = "ja") -> pd.DataFrame:
    """Long frame (day, indicator, value in display units) of per-day indicators."""
    rows = [{"day": datetime.fromisoformat(d["start"]), "indicator": kpi_label(k, lang),
             "value": kpi_value(k, float(d.get(k, 0)))} for d in days for k in keys]
    return pd.DataFrame(rows, columns=["day", "indicator", "value"])


def daily_chart(frame: pd.DataFrame, lang: str = "ja") -> alt.Chart:
    """Per-day indicators as lines with points."""
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("day:T", title="日" if lang == "ja" else "Day", axis=alt.Axis(format="%m/%d")),
        y=alt.Y("value:Q", title=None), color=alt.Color("indicator:N", title=None,
                                                        legend=alt.Legend(orient="bottom")),
        tooltip=["day:T", "indicator:N", "value:Q"]).properties(height=260).configure(font=FONT)


def whatif_chart(summary: Sequence[Mapping[str, Any]],
                 compared: Sequence[tuple[str, str, str]], lang: str = "ja") -> alt.Chart:
    """The compared indicators as small bar charts, base beside the variant."""
    names = {"base": "基準" if lang == "ja" else "base",
             "variant": "変更案" if lang == "ja" else "variant"}
    rows = [{"indicator": ja if lang == "ja" else en, "scenario": names.get(s["scenario"],
                                                                           s["scenario"]),
             "value": float(s.get(key, 0))} for key, ja, en in compared for s in summary]
    return alt.Chart(pd.DataFrame(rows)).mark_bar().encode(
        x=alt.X("scenario:N", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("scenario:N", title=None, legend=None,
                        scale=alt.Scale(range=["#9ecae1", "#3182bd"])),
        tooltip=["indicator:N", "scenario:N", alt.Tooltip("value:Q", format=".2f")],
        facet=alt.Facet("indicator:N", title=None, columns=3,
                        sort=[ja if lang == "ja" else en for _, ja, en in compared]),
    ).properties(width=180, height=120).resolve_scale(y="independent").configure(font=FONT)
