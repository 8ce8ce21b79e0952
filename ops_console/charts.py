"""Pure chart builders (Altair / Vega-Lite, drawn offline by Streamlit): records in, charts out.

Times are shown as the service's local wall-clock time: they are passed to Vega-Lite as naive
local datetimes, which the browser shows as they are whatever its own time zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import altair as alt
import pandas as pd

from ops_console.tables import kpi_label, kpi_value

FONT = "Noto Sans CJK JP, Noto Sans JP, sans-serif"


def _wall(iso: str) -> datetime:
    """Naive local wall-clock time of an ISO time with offset."""
    return datetime.fromisoformat(iso).replace(tzinfo=None)


def gantt_rows(plans: Iterable[Mapping[str, Any]], shifts: Iterable[Mapping[str, Any]],
               lang: str = "ja") -> pd.DataFrame:
    """Bars and marks of the plan timeline, one row each.

    Columns: ``vehicle``, ``kind`` (shift, break, window, ride, pickup, dropoff, late),
    ``start``, ``end`` (naive local), ``label`` (tooltip), ``late`` (the ETA misses the promise).
    """
    minutes = {s["vehicle_id"]: s.get("break_minutes", 0) for s in shifts}
    kinds = {"ja": {"shift": "勤務", "break": "休憩", "window": "お迎え時間帯", "ride": "乗車",
                    "pickup": "お迎え", "dropoff": "お送り"},
             "en": {"shift": "shift", "break": "break", "window": "pickup window", "ride": "ride",
                    "pickup": "pickup", "dropoff": "drop-off"}}[lang]
    name = "name_ja" if lang == "ja" else "name_en"
    rows: list[dict[str, Any]] = []
    for plan in plans:
        v = plan["vehicle_id"]
        a, b = plan["shift"]
        rows.append({"vehicle": v, "kind": kinds["shift"], "start": _wall(a), "end": _wall(b),
                     "label": f"{kinds['shift']} {a[11:16]}–{b[11:16]}", "late": False})
        for br in plan.get("breaks", []):
            s = _wall(br)
            rows.append({"vehicle": v, "kind": kinds["break"], "start": s,
                         "end": s + timedelta(minutes=int(minutes.get(v, 0) or 0)),
                         "label": f"{kinds['break']} {br[11:16]}", "late": False})
        pickups: dict[str, str] = {}
        for st in plan["stops"]:
            eta = st.get("service_start") or st.get("eta")
            if not eta:
                continue
            who = st.get("rider_name") or st["booking_id"]
            if st["kind"] == "pickup":
                pickups[st["booking_id"]] = eta
                if st.get("window"):
                    w0, w1 = st["window"]
                    rows.append({"vehicle": v, "kind": kinds["window"], "start": _wall(w0),
                                 "end": _wall(w1), "late": _wall(eta) > _wall(w1),
                                 "label": f"{who} {kinds['window']} {w0[11:16]}–{w1[11:16]}"})
                late = bool(st.get("window")) and _wall(eta) > _wall(st["window"][1])
            else:
                late = bool(st.get("latest")) and _wall(eta) > _wall(st["latest"])
                if st["booking_id"] in pickups:
                    rows.append({"vehicle": v, "kind": kinds["ride"],
                                 "start": _wall(pickups[st["booking_id"]]), "end": _wall(eta),
                                 "label": f"{who} {kinds['ride']}", "late": False})
            rows.append({"vehicle": v, "kind": kinds[st["kind"]], "start": _wall(eta),
                         "end": _wall(eta), "late": late,
                         "label": f"{who} {kinds[st['kind']]} {eta[11:16]} {st[name]}"})
    return pd.DataFrame(rows, columns=["vehicle", "kind", "start", "end", "label", "late"])


def gantt_chart(rows: pd.DataFrame, lang: str = "ja") -> alt.Chart:
    """The plan timeline: shift, break, promised pickup windows, rides, stop times."""
    kinds = ({"shift": "勤務", "break": "休憩", "window": "お迎え時間帯", "ride": "乗車",
              "pickup": "お迎え", "dropoff": "お送り"} if lang == "ja" else
             {"shift": "shift", "break": "break", "window": "pickup window", "ride": "ride",
              "pickup": "pickup", "dropoff": "drop-off"})
    y = alt.Y("vehicle:N", title=None, sort="ascending")
    x_title = "時刻" if lang == "ja" else "Time"
    x = alt.X("start:T", title=x_title, axis=alt.Axis(format="%H:%M"))
    tip = [alt.Tooltip("label:N", title="")]
    scale = alt.Scale(domain=list(kinds.values()),
                      range=["#e8e8e8", "#bdbdbd", "#9ecae1", "#3182bd", "#31a354", "#e6550d"])
    colour = alt.Color("kind:N", scale=scale, title=None, legend=alt.Legend(orient="bottom"))
    base = alt.Chart(rows)
    shift = base.transform_filter(alt.datum.kind == kinds["shift"]).mark_bar(
        size=34).encode(x=x, x2="end:T", y=y, color=colour, tooltip=tip)
    brk = base.transform_filter(alt.datum.kind == kinds["break"]).mark_bar(
        size=34).encode(x=x, x2="end:T", y=y, color=colour, tooltip=tip)
    window = base.transform_filter(alt.datum.kind == kinds["window"]).mark_bar(
        size=22, opacity=0.7).encode(x=x, x2="end:T", y=y, color=colour, tooltip=tip,
                                     stroke=alt.condition(alt.datum.late, alt.value("red"),
                                                          alt.value(None)))
    ride = base.transform_filter(alt.datum.kind == kinds["ride"]).mark_bar(
        size=6).encode(x=x, x2="end:T", y=y, color=colour, tooltip=tip)
    marks = base.transform_filter(
        (alt.datum.kind == kinds["pickup"]) | (alt.datum.kind == kinds["dropoff"])).mark_point(
        filled=True, size=90, shape="diamond").encode(x=x, y=y, color=colour, tooltip=tip)
    return (shift + brk + window + ride + marks).properties(height=alt.Step(56)).configure(font=FONT)


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
