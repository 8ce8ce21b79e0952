"""Fleet: vehicles, shifts and breaks, drivers; the day per vehicle (by name) as a timeline of
what was driven and what is planned, with the promised pickup windows and a line at now."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from ops_console import ui
from ops_console.charts import gantt_chart, gantt_rows
from ops_console.client import ApiError
from ops_console.i18n import tr
from ops_console.tables import fleet_frame, shifts_frame

api, lang = ui.page("page_fleet")
try:
    _, now = ui.clock(api)
    today = now.date()
    stops = ui.stops(api.config.url)
    tz = ZoneInfo(ui.service(api.config.url)["timezone"])
    chosen = st.date_input(tr("day", lang), value=today, key="fleet_day")
    day = chosen.isoformat()
    vehicles = api.vehicles()
    drivers = api.drivers()
    shifts = api.shifts(day)
    plans = api.plans(day)
    bookings = api.bookings(day=day)
    events = api.events(type="leg,no_show", day=day)
except ApiError as exc:
    ui.show_error(exc, lang)
    st.stop()

names = {v["id"]: v["name"] for v in sorted(vehicles, key=lambda v: v["id"])}
st.subheader(tr("gantt", lang))
rows = gantt_rows(plans, shifts, lang, bookings=bookings, events=events, vehicle_names=names,
                  tz=tz)
if rows.empty:
    st.info(tr("gantt_empty", lang))
else:
    st.altair_chart(gantt_chart(rows, lang, now=now.replace(tzinfo=None) if chosen == today
                                else None, order=list(names.values())),
                    width="stretch", key="gantt")
    st.caption(tr("gantt_legend_note", lang))
c1, c2 = st.columns([3, 2])
with c1:
    st.subheader(tr("fleet_vehicles", lang))
    st.dataframe(fleet_frame(vehicles, stops, lang), hide_index=True, key="fleet_table")
    st.subheader(tr("shifts", lang))
    st.dataframe(shifts_frame(shifts, {d["id"]: d for d in drivers}, lang, names), hide_index=True,
                 key="shift_table")
with c2:
    st.subheader(tr("drivers", lang))
    st.dataframe(pd.DataFrame([[d["name"], d["login"], names.get(d["vehicle_id"] or "", "")]
                               for d in drivers],
                              columns=[tr("name", lang), tr("login", lang), tr("vehicle", lang)]),
                 hide_index=True, key="driver_table")
