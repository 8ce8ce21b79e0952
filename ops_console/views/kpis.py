"""KPIs of a day or a range of service days as numbers and plots (with their definitions), use
per district and stop, CSV export, and the monthly report for the town council (printable HTML
and PDF: operating days only, fare revenue, use per stop and district, refusals by reason)."""

from __future__ import annotations

import calendar
from datetime import timedelta

import streamlit as st

from ops_console import ui
from ops_console.charts import counts_chart, daily_chart, daily_frame
from ops_console.client import ApiError
from ops_console.i18n import code_label, tr
from ops_console.report import report_html, report_pdf
from ops_console.tables import (
    HEADLINE,
    kpi_csv,
    kpi_frame,
    kpi_help,
    kpi_label,
    kpi_text,
    reasons_frame,
    use_frame,
)

MAX_RANGE_DAYS = 366

api, lang = ui.page("page_kpis")
try:
    today = ui.today(api)
    svc = ui.service(api.config.url)
    stops = ui.stops(api.config.url)
except ApiError as exc:
    ui.show_error(exc, lang)
    st.stop()
name_key = "name_ja" if lang == "ja" else "name_en"
stop_names = {sid: s[name_key] for sid, s in stops.items()}
district_names = {d["id"]: d[name_key] for d in svc.get("districts", [])}

c1, c2 = st.columns(2)
start = c1.date_input(tr("range_start", lang), value=today, key="kpi_start")
end = c2.date_input(tr("range_end", lang), value=start, key="kpi_end")
if end < start or (end - start).days > MAX_RANGE_DAYS:
    st.error(tr("kpi_bad_range", lang))
    st.stop()

try:
    k = api.kpis(start.isoformat(), end.isoformat(), per_day=end > start)
except ApiError as exc:
    ui.show_error(exc, lang)
    st.stop()
days = k.get("days") or [k]

st.subheader(f"{tr('kpi_numbers', lang)}（{start}〜{end}）" if lang == "ja"
             else f"{tr('kpi_numbers', lang)} ({start} – {end})")
st.caption(tr("kpi_basis", lang))
cols = st.columns(4)
for i, key in enumerate(HEADLINE):
    cols[i % 4].metric(kpi_label(key, lang), kpi_text(key, float(k.get(key, 0)), lang),
                       help=kpi_help(key, lang), border=True)

g1, g2 = st.columns(2)
with g1:
    if k.get("refused_reasons"):
        reasons = {code_label(r, lang): n for r, n in k["refused_reasons"].items()}
        st.altair_chart(counts_chart(reasons, tr("refused_reasons", lang), "#e6550d"),
                        width="stretch", key="chart_reasons")
        st.dataframe(reasons_frame(k, lang), hide_index=True, key="reasons_table")
    else:
        st.caption(f"{tr('refused_reasons', lang)}: —")
with g2:
    if k.get("by_channel"):
        channels = {code_label(c, lang): n for c, n in k["by_channel"].items()}
        st.altair_chart(counts_chart(channels, tr("by_channel", lang)), width="stretch",
                        key="chart_channels")
if len(days) > 1:
    st.subheader(tr("daily", lang))
    st.caption(tr("daily_operating", lang))
    st.altair_chart(daily_chart(daily_frame(days, ("requests", "accepted", "completed",
                                                   "riders_carried"), lang), lang),
                    width="stretch", key="chart_daily")

u1, u2 = st.columns(2)
with u1:
    st.subheader(tr("use_district", lang))
    st.dataframe(use_frame(k, district_names, lang, by="district"), hide_index=True,
                 key="use_district")
with u2:
    st.subheader(tr("use_stop", lang))
    st.dataframe(use_frame(k, stop_names, lang, by="stop"), hide_index=True, key="use_stop",
                 height=300)

st.subheader(tr("kpi_table", lang))
st.dataframe(kpi_frame(k, lang), hide_index=True, key="kpi_table")
st.download_button(tr("download_csv", lang), kpi_csv(days if len(days) > 1 else [], k),
                   file_name=f"noriai-kpis-{start}-{end}.csv", mime="text/csv", key="kpi_csv")

st.subheader(tr("monthly_report", lang))
st.caption(tr("report_contents", lang))
months = []
m = today.replace(day=1)
for _ in range(12):
    months.append(m)
    m = (m - timedelta(days=1)).replace(day=1)
month = st.selectbox(tr("month", lang), months, key="report_month",
                     format_func=lambda d: f"{d.year}年{d.month}月" if lang == "ja" else f"{d:%Y-%m}")
if st.button(tr("make_report", lang), key="report_make"):
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    try:
        whole = api.kpis(month.isoformat(), last.isoformat(), per_day=True)
    except ApiError as exc:
        ui.show_error(exc, lang)
    else:
        name = svc["name_ja"] if lang == "ja" else svc["name_en"]
        names = {"stop_names": stop_names, "district_names": district_names}
        st.session_state["report"] = {
            "month": month.isoformat(), "days": whole["days"],
            "html": report_html(name, month, whole["days"], whole, lang, **names),
            "pdf": report_pdf(name, month, whole["days"], whole, lang, **names)}
report = st.session_state.get("report")
if report:
    r1, r2 = st.columns(2)
    r1.download_button(tr("download_html", lang), report["html"], mime="text/html",
                       file_name=f"noriai-report-{report['month'][:7]}.html", key="report_html")
    r2.download_button(tr("download_pdf", lang), report["pdf"], mime="application/pdf",
                       file_name=f"noriai-report-{report['month'][:7]}.pdf", key="report_pdf")
