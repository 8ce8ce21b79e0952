"""Live fleet map: vehicles with occupancy, planned routes, stops and waiting pickups over the
zone's road network; refreshes by itself."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from ops_console import ui
from ops_console.alerts import ALERT_EVENTS, Alert, current_alerts
from ops_console.client import ApiError
from ops_console.i18n import tr
from ops_console.mapview import (
    ROAD,
    STOP,
    UPCOMING,
    WAITING,
    fleet_deck,
    hex_colour,
    legend_items,
    map_data,
)
from ops_console.tables import hm, persons_on_board

#: Badge colour of each kind of alert.
BADGE = {"late": "red", "at_risk": "orange", "vehicle_late": "violet", "no_show": "gray"}

api, lang = ui.page("page_map")
every = st.sidebar.number_input(tr("refresh_every", lang), min_value=0, max_value=300, value=10,
                                step=5, key="map_refresh")


def alerts_panel(alerts: list[Alert]) -> None:
    """Promises at risk, late vehicles and no-shows standing now, newest first."""
    with st.container(border=True, key="alerts_panel"):
        st.markdown(f"**{tr('alerts', lang)}（{len(alerts)}）**" if lang == "ja"
                    else f"**{tr('alerts', lang)} ({len(alerts)})**")
        if not alerts:
            st.caption(tr("alerts_none", lang))
            return
        for a in alerts:
            where = f"（{a.where}）" if a.where and lang == "ja" else (f" ({a.where})" if a.where else "")
            vehicle = f"　{a.vehicle}" if a.vehicle and a.level != "vehicle_late" else ""
            st.markdown(f":{BADGE[a.level]}-badge[{a.label(lang)}] {a.at}　**{a.who}**{where}"
                        f"{'　' + a.text if a.text else ''}{vehicle}")


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
        events = api.events(type=",".join(ALERT_EVENTS), day=day)
        tz = ZoneInfo(ui.service(api.config.url)["timezone"])
    except ApiError as exc:
        ui.show_error(exc, lang)
        return
    data = map_data(roads["lines"], list(stops.values()), vehicles, routes, plans, bookings,
                    now_s, lang)
    names = {v["id"]: v["name"] for v in vehicles}
    st.caption(f"{tr('now', lang)}: {now:%Y-%m-%d %H:%M:%S}")
    alerts_panel(current_alerts(events, bookings, names, stops, tz, lang))
    with st.container():
        st.pydeck_chart(fleet_deck(data, width_px=1000, height_px=640), height=640,
                        key="fleet_map")
        legend = [(hex_colour(ROAD), tr("legend_roads", lang)),
                  (hex_colour(STOP), tr("legend_stop", lang)),
                  (hex_colour(WAITING), tr("legend_waiting", lang)),
                  (hex_colour(UPCOMING), tr("legend_upcoming", lang))]
        st.markdown(" &nbsp; ".join(f'<span style="color:{c}">●</span> {text}'
                                    for c, text in legend), unsafe_allow_html=True)
        st.markdown(f"{tr('legend_vehicles', lang)}: " + " &nbsp; ".join(
            f'<span style="color:{c}">■</span> {name}' for c, name in legend_items(vehicles)),
            unsafe_allow_html=True)
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
