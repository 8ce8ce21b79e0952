"""Live fleet map: vehicles with occupancy, planned routes, stops and waiting pickups over the
zone's road network; refreshes by itself."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ops_console import ui
from ops_console.client import ApiError
from ops_console.i18n import tr
from ops_console.mapview import fleet_deck, map_data
from ops_console.tables import hm, persons_on_board

api, lang = ui.page("page_map")
every = st.sidebar.number_input(tr("refresh_every", lang), min_value=0, max_value=300, value=10,
                                step=5, key="map_refresh")


@st.fragment(run_every=int(every) or None)
def live() -> None:
    """The map and the vehicles table (re-run every few seconds)."""
    try:
        now_s, now = ui.clock(api)
        day = now.date().isoformat()
        roads = ui.roads(api.config.url)
        stops = ui.stops(api.config.url)
        vehicles = api.vehicles()
        routes = api.routes(day)
        plans = api.plans(day)
        bookings = {b["id"]: b for b in api.bookings(day=day)}
    except ApiError as exc:
        ui.show_error(exc, lang)
        return
    data = map_data(roads["lines"], list(stops.values()), vehicles, routes, plans, bookings,
                    now_s, lang)
    st.caption(f"{tr('now', lang)}: {now:%Y-%m-%d %H:%M:%S}")
    with st.container():
        st.pydeck_chart(fleet_deck(data, width_px=1000, height_px=640), height=640,
                        key="fleet_map")
        legend = [("#969696", "legend_roads"), ("#1f77b4", "legend_route"),
                  ("#3c3c3c", "legend_stop"),
                  ("#e61e1e", "legend_waiting"), ("#ffa500", "legend_upcoming"),
                  ("#2ca02c", "legend_vehicle")]
        st.markdown(" &nbsp; ".join(f'<span style="color:{c}">●</span> {tr(k, lang)}'
                                    for c, k in legend), unsafe_allow_html=True)
        if roads.get("approximate"):
            st.caption(tr("approximate_roads", lang))
    by_plan = {p["vehicle_id"]: p for p in plans}
    rows = []
    name = "name_ja" if lang == "ja" else "name_en"
    for v in vehicles:
        pending = by_plan.get(v["id"], {}).get("stops", [])
        nxt = pending[0] if pending else None
        src = next((r["source"] for r in data.vehicles if r["id"] == v["id"]), "")
        rows.append({tr("vehicle", lang): v["name"],
                     tr("onboard", lang): f"{persons_on_board(v, bookings)}/{v['seats']}",
                     tr("next_stop", lang): nxt[name] if nxt else "—",
                     tr("eta", lang): hm(nxt.get("eta")) if nxt else "",
                     tr("pending_stops", lang): len(pending),
                     tr("position", lang): tr(src, lang) if src else "—"})
    st.table(pd.DataFrame(rows).set_index(tr("vehicle", lang)))


live()
