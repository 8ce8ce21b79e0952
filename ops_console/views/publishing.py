"""Publishing: the state of the GTFS feed (last export, validation) and a re-export button."""

from __future__ import annotations

import streamlit as st

from ops_console import ui
from ops_console.client import ApiError, NotAvailable
from ops_console.feed import feed_view
from ops_console.i18n import tr

api, lang = ui.page("page_publishing")

try:
    svc = ui.service(api.config.url)
    stops = ui.stops(api.config.url)
except ApiError as exc:
    ui.show_error(exc, lang)
    st.stop()
st.subheader(tr("service_summary", lang))
hours = ", ".join(f"{p['start_s'] // 3600:02d}:{p['start_s'] % 3600 // 60:02d}–"
                  f"{p['end_s'] // 3600:02d}:{p['end_s'] % 3600 // 60:02d}" for p in svc["periods"])
c1, c2, c3 = st.columns(3)
c1.metric(tr("name", lang), svc["name_ja"] if lang == "ja" else svc["name_en"])
c2.metric(tr("stops_count", lang), len(stops))
c3.metric(tr("hours", lang), hours)

st.subheader(tr("feed_state", lang))
if "feed_message" in st.session_state:
    st.success(st.session_state.pop("feed_message"))
connected = True
try:
    view = feed_view(api.feed_status())
except NotAvailable:
    connected = False
    st.info(tr("not_connected", lang))
except ApiError as exc:
    connected = False
    ui.show_error(exc, lang)
if connected:
    c1, c2 = st.columns(2)
    c1.metric(tr("last_export", lang), view.exported_at or "—")
    c2.metric(tr("validation", lang), tr("valid" if view.valid else "invalid", lang))
    st.code(f"sha256: {view.sha256 or '—'}", language=None)
    if view.errors:
        st.error(f"{tr('errors', lang)} ({len(view.errors)})")
        st.dataframe({tr("errors", lang): view.errors}, hide_index=True)
    if view.warnings:
        st.warning(f"{tr('warnings', lang)} ({len(view.warnings)})")
        st.dataframe({tr("warnings", lang): view.warnings}, hide_index=True)
if st.button(tr("reexport", lang), key="feed_export", disabled=not connected, type="primary"):
    try:
        api.export_feed()
    except NotAvailable:
        st.info(tr("not_connected", lang))
    except ApiError as exc:
        ui.show_error(exc, lang)
    else:
        st.session_state["feed_message"] = tr("exported", lang)
        st.rerun()
