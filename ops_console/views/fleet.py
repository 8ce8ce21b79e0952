"""Fleet: vehicles, shifts and breaks, drivers; the day's plan per vehicle as a timeline with
the promised pickup windows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ops_console import ui
from ops_console.charts import gantt_chart, gantt_rows
from ops_console.client import ApiError
from ops_console.i18n import tr
from ops_console.tables import fleet_frame, shifts_frame

api, lang = ui.page("page_fleet")
try:
    today = ui.today(api)
    stops = ui.stops(api.config.url)
    day = st.date_input(tr("day", lang), value=today, key="fleet_day").isoformat()
    vehicles = api.vehicles()
    drivers = api.drivers()
    shifts = api.shifts(day)
    plans = api.plans(day)
except ApiError as exc:
    ui.show_error(exc, lang)
    st.stop()

st.subheader(tr("gantt", lang))
rows = gantt_rows(plans, shifts, lang)
if rows.empty:
    st.info(tr("gantt_empty", lang))
else:
    st.altair_chart(gantt_chart(rows, lang), width="stretch", key="gantt")
c1, c2 = st.columns([3, 2])
with c1:
    st.subheader(tr("fleet_vehicles", lang))
    st.dataframe(fleet_frame(vehicles, stops, lang), hide_index=True, key="fleet_table")
    st.subheader(tr("shifts", lang))
    st.dataframe(shifts_frame(shifts, {d["id"]: d for d in drivers}, lang), hide_index=True,
                 key="shift_table")
with c2:
    st.subheader(tr("drivers", lang))
    st.dataframe(pd.DataFrame([[d["name"], d["login"], d["vehicle_id"] or ""] for d in drivers],
                              columns=[tr("name", lang), tr("login", lang), tr("vehicle", lang)]),
                 hide_index=True, key="driver_table")
