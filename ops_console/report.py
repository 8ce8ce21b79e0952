"""The printable monthly report for the city council: HTML (with drawn-in SVG charts) and PDF.

Pure apart from matplotlib rendering into memory: per-day indicators in, bytes/text out.
Japanese glyphs come from the system's Noto Sans CJK font, registered with matplotlib here
(matplotlib does not list .ttc collections by itself); charts are embedded as paths, so the
report prints the same without the font.
"""

from __future__ import annotations

import html
import importlib.util
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from matplotlib import font_manager
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from ops_console.tables import KPI_FIELDS, kpi_help, kpi_label, kpi_text, reasons_frame, use_frame

CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc")

#: Indicators of the report's summary table, in order.
SUMMARY = ("requests", "accepted", "refused", "abandoned", "completed", "riders_carried",
           "shared_ride_rate", "occupancy_mean", "wait_mean_s", "on_time_rate", "ride_mean_s",
           "no_shows", "cancellations", "fare_revenue", "vehicle_hours", "vehicle_km", "empty_km",
           "passenger_km")
#: Columns of the day-by-day table (counts, then the fare revenue).
DAILY = ("requests", "accepted", "refused", "completed", "riders_carried", "no_shows",
         "cancellations", "fare_revenue")
#: Indicators whose definitions the report prints under its summary.
DEFINED = ("requests", "abandoned", "shared_ride_rate", "occupancy_mean", "fare_revenue")


@lru_cache(maxsize=1)
def font_family() -> list[str]:
    """Font families for matplotlib: Noto Sans CJK JP when the system has it, else IPAexGothic
    (shipped by the matplotlib-fontja dependency, IPA Font License), then the default."""
    for path in CJK_FONTS:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            return ["Noto Sans CJK JP", "DejaVu Sans"]
    # located, not imported: importing matplotlib_fontja changes matplotlib's global font
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or spec.origin is None:  # pragma: no cover - a declared dependency
        return ["DejaVu Sans"]
    font_manager.fontManager.addfont(str(Path(spec.origin).parent / "fonts" / "ipaexg.ttf"))
    return ["IPAexGothic", "DejaVu Sans"]


def _title(service_name: str, month: date, lang: str) -> str:
    if lang == "ja":
        return f"{service_name} 運行実績報告（{month.year}年{month.month}月）"
    return f"{service_name}: monthly operations report ({month:%B %Y})"


def _riders_figure(days: Sequence[Mapping[str, Any]], lang: str) -> Figure:
    fig = Figure(figsize=(7.2, 2.8))
    ax = fig.add_subplot()
    # Operating days side by side (no gaps for the days without service).
    xs = list(range(len(days)))
    ax.bar(xs, [d.get("riders_carried", 0) for d in days], color="#3182bd",
           label=kpi_label("riders_carried", lang))
    ax.plot(xs, [d.get("requests", 0) for d in days], "o-", color="#e6550d",
            label=kpi_label("requests", lang))
    ax.set_xlabel("運行日" if lang == "ja" else "Operating day")
    ax.set_xticks(xs, [str(datetime.fromisoformat(d["start"]).day) for d in days])
    ax.tick_params(axis="x", labelsize=7)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _day_label(d: Mapping[str, Any], lang: str) -> str:
    day = date.fromisoformat(str(d["start"]))
    week = "月火水木金土日"[day.weekday()] if lang == "ja" else f"{day:%a}"
    text = f"{day.month}/{day.day}（{week}）" if lang == "ja" else f"{day:%b} {day.day} ({week})"
    if d.get("operating") is False:
        text += "（運休日）" if lang == "ja" else " (not an operating day)"
    return text


def _cell(key: str, value: Any) -> str:
    if key == "fare_revenue":
        return f"{int(value or 0):,}"
    return str(int(value or 0))


def _table(frame: pd.DataFrame) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(
        f"<th>{esc(str(v))}</th>" if i == 0 else f"<td>{esc(str(v))}</td>"
        for i, v in enumerate(row)) + "</tr>" for row in frame.itertuples(index=False))
    return f"<table><tr>{head}</tr>{body or '<tr><td>—</td></tr>'}</table>"


def report_html(service_name: str, month: date, days: Sequence[Mapping[str, Any]],
                total: Mapping[str, Any], lang: str = "ja", *,
                stop_names: Mapping[str, str] | None = None,
                district_names: Mapping[str, str] | None = None) -> str:
    """The monthly report as a self-contained printable HTML page: the month at a glance
    (with the definitions), each operating day, refusals by reason, use per district and per
    stop, and fare revenue.

    Parameters
    ----------
    service_name
        The service's name in ``lang``.
    month
        Any day of the reported month.
    days
        Indicators of each operating day of the month (``/kpis?per_day`` days), in order; a
        day marked ``operating: false`` (records on a day without service) is labelled so.
    total
        Indicators of the whole month.
    lang
        ``ja`` or ``en``.
    stop_names, district_names
        Names by id of every stop and district (unused ones are listed with 0).
    """
    with matplotlib.rc_context({"font.family": font_family(), "svg.fonttype": "path"}):
        chart = _svg(_riders_figure(days, lang))
    esc = html.escape
    ja = lang == "ja"
    summary = "".join(f"<tr><th>{esc(kpi_label(k, lang))}</th><td>{esc(kpi_text(k, float(total.get(k, 0)), lang))}</td></tr>"
                      for k in SUMMARY)
    notes = "".join(f"<li><b>{esc(kpi_label(k, lang))}</b>: {esc(kpi_help(k, lang) or '')}</li>"
                    for k in DEFINED)
    head = "".join(f"<th>{esc(kpi_label(k, lang))}</th>" for k in DAILY)
    body = "".join(
        "<tr><th>" + esc(_day_label(d, lang)) + "</th>"
        + "".join(f"<td>{_cell(k, d.get(k, 0))}</td>" for k in DAILY) + "</tr>"
        for d in days)
    sums = "".join(f"<td><b>{_cell(k, total.get(k, 0))}</b></td>" for k in DAILY)
    title = _title(service_name, month, lang)
    operating = sum(1 for d in days if d.get("operating", True))
    period = (f"{esc(str(days[0]['start']))} – {esc(str(days[-1]['end']))}"
              f"{'　運行日 ' if ja else ' · operating days: '}{operating}"
              f"{'日' if ja else ''}") if days else "—"
    reasons = _table(reasons_frame(total, lang))
    districts = _table(use_frame(total, district_names or {}, lang, by="district"))
    stops = _table(use_frame(total, stop_names or {}, lang, by="stop"))
    revenue = (f"<p>{esc(kpi_label('fare_revenue', lang))}: <b>{esc(kpi_text('fare_revenue', float(total.get('fare_revenue', 0)), lang))}</b>"
               f"　{esc(kpi_label('fare_collected', lang))}: {esc(kpi_text('fare_collected', float(total.get('fare_collected', 0)), lang))}"
               f"　{esc(kpi_label('riders_carried', lang))}: {esc(kpi_text('riders_carried', float(total.get('riders_carried', 0)), lang))}</p>")
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; margin: 2em; color: #222; }}
h1 {{ font-size: 1.4em; border-bottom: 2px solid #333; }}
h2 {{ font-size: 1.1em; margin-top: 1.6em; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }}
th, td {{ border: 1px solid #999; padding: 0.25em 0.6em; }}
td {{ text-align: right; }} th {{ text-align: left; background: #f2f2f2; }}
ul.notes {{ font-size: 0.85em; color: #444; }}
@media print {{ body {{ margin: 0; }} h2 {{ page-break-after: avoid; }} table {{ page-break-inside: avoid; }} }}
</style></head><body>
<h1>{esc(title)}</h1>
<p>{period}</p>
<h2>{"月間の主な指標" if ja else "Month at a glance"}</h2>
<table>{summary}</table>
<ul class="notes">{notes}</ul>
<h2>{"運行日ごとの利用" if ja else "Operating days"}</h2>
<p class="notes">{"運行日（土日・祝日・年末年始を除く）だけを掲載しています。" if ja else "Only the days the service runs are listed (no weekends, public holidays or the year-end break)."}</p>
{chart}
<table><tr><th>{"日付" if ja else "Day"}</th>{head}</tr>{body}<tr><th>{"合計" if ja else "Total"}</th>{sums}</tr></table>
<h2>{"運賃収入" if ja else "Fare revenue"}</h2>
{revenue}
<h2>{"お断り理由" if ja else "Refusals by reason"}</h2>
{reasons}
<h2>{"地区別の利用（人）" if ja else "Use per district (persons)"}</h2>
{districts}
<h2>{"乗り場別の利用（人）" if ja else "Use per stop (persons)"}</h2>
{stops}
</body></html>"""


def _page_table(pdf: PdfPages, title: str, frame: pd.DataFrame, font_size: int = 8) -> None:
    """One A4 page with a title and a table (long tables continue on further pages)."""
    per_page = 40
    rows = frame.astype(str).values.tolist() or [["—"] * len(frame.columns)]
    for start in range(0, len(rows), per_page):
        fig = Figure(figsize=(8.27, 11.69))
        ax = fig.add_axes((0.06, 0.05, 0.88, 0.88))
        ax.axis("off")
        ax.set_title(title, loc="left")
        table = ax.table(cellText=rows[start:start + per_page], colLabels=list(frame.columns),
                         loc="upper center")
        table.auto_set_font_size(False)
        table.set_fontsize(font_size)
        table.scale(1, 1.25)
        pdf.savefig(fig)


def report_pdf(service_name: str, month: date, days: Sequence[Mapping[str, Any]],
               total: Mapping[str, Any], lang: str = "ja", *,
               stop_names: Mapping[str, str] | None = None,
               district_names: Mapping[str, str] | None = None) -> bytes:
    """The monthly report as an A4 PDF: summary and chart, the operating days, refusals by
    reason, use per district and per stop (see :func:`report_html`)."""
    ja = lang == "ja"
    buf = io.BytesIO()
    with matplotlib.rc_context({"font.family": font_family(), "pdf.fonttype": 42}), PdfPages(buf) as pdf:
        fig = Figure(figsize=(8.27, 11.69))
        fig.suptitle(_title(service_name, month, lang), fontsize=14, y=0.97)
        ax = fig.add_axes((0.1, 0.45, 0.8, 0.47))
        ax.axis("off")
        cells = [[kpi_label(k, lang), kpi_text(k, float(total.get(k, 0)), lang)] for k in SUMMARY]
        table = ax.table(cellText=cells, loc="upper center", colWidths=[0.6, 0.3])
        table.scale(1, 1.3)
        chart = fig.add_axes((0.1, 0.08, 0.85, 0.3))
        xs = list(range(len(days)))
        chart.bar(xs, [d.get("riders_carried", 0) for d in days], color="#3182bd",
                  label=kpi_label("riders_carried", lang))
        chart.plot(xs, [d.get("requests", 0) for d in days], "o-", color="#e6550d",
                   label=kpi_label("requests", lang))
        chart.set_xticks(xs, [str(datetime.fromisoformat(d["start"]).day) for d in days])
        chart.tick_params(axis="x", labelsize=7)
        chart.legend(loc="upper left", fontsize=8, frameon=False)
        pdf.savefig(fig)
        daily = pd.DataFrame([[_day_label(d, lang), *[_cell(k, d.get(k, 0)) for k in DAILY]]
                              for d in days],
                             columns=["日付" if ja else "Day", *[kpi_label(k, lang) for k in DAILY]])
        _page_table(pdf, "運行日ごとの利用" if ja else "Operating days", daily, 6)
        _page_table(pdf, "お断り理由" if ja else "Refusals by reason", reasons_frame(total, lang))
        _page_table(pdf, "地区別の利用（人）" if ja else "Use per district (persons)",
                    use_frame(total, district_names or {}, lang, by="district"))
        _page_table(pdf, "乗り場別の利用（人）" if ja else "Use per stop (persons)",
                    use_frame(total, stop_names or {}, lang, by="stop"))
    return buf.getvalue()


__all__ = ["DAILY", "DEFINED", "KPI_FIELDS", "SUMMARY", "font_family", "report_html",
           "report_pdf"]
