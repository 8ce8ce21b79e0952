"""Publishing: the state of the area's GTFS feed (last export, validation) and a re-export
button; then the deployment's combined feed of every area (areas, last export, validation, size,
window, link)."""

from __future__ import annotations

import streamlit as st

from ops_console import auth, ui
from ops_console.areas import area_label
from ops_console.client import ApiConfig, ApiError, NotAvailable
from ops_console.feed import FeedView, combined_view, feed_view, size_text
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


def findings(feed: FeedView) -> None:
    """The digest and the validator's errors and warnings of a feed."""
    st.code(f"sha256: {feed.sha256 or '—'}", language=None)
    if feed.errors:
        st.error(f"{tr('errors', lang)} ({len(feed.errors)})")
        st.dataframe({tr("errors", lang): feed.errors}, hide_index=True)
    if feed.warnings:
        st.warning(f"{tr('warnings', lang)} ({len(feed.warnings)})")
        st.dataframe({tr("warnings", lang): feed.warnings}, hide_index=True)


if connected:
    c1, c2 = st.columns(2)
    c1.metric(tr("last_export", lang), view.exported_at or "—")
    c2.metric(tr("validation", lang), tr("valid" if view.valid else "invalid", lang))
    findings(view)
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

st.subheader(tr("combined_feed", lang))
st.caption(tr("combined_note", lang))
try:
    labels = {a.id: area_label(a, lang) for a in auth.areas()}
    combined = combined_view(api.combined_feed_status(), ApiConfig.from_env().url, labels)
except NotAvailable:
    st.info(tr("combined_missing", lang))
except ApiError as exc:
    ui.show_error(exc, lang)
else:
    sep, count = ("、", f"（{len(combined.areas)}）") if lang == "ja" \
        else (", ", f" ({len(combined.areas)})")
    st.markdown(f"**{tr('combined_areas', lang)}**{count}: {sep.join(combined.areas)}")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(tr("last_export", lang), combined.feed.exported_at or "—")
    c2.metric(tr("validation", lang), tr("valid" if combined.feed.valid else "invalid", lang))
    c3.metric(tr("feed_size", lang), size_text(combined.size_bytes))
    c4.metric(tr("feed_window", lang), f"{combined.start or '—'} – {combined.end or '—'}")
    findings(combined.feed)
    st.markdown(f"[{tr('combined_link', lang)}]({combined.url}) `{combined.url}`")
