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
from matplotlib import font_manager
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from ops_console.i18n import code_label
from ops_console.tables import KPI_FIELDS, kpi_label, kpi_text

CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
             "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc")

#: Indicators of the report's summary table, in order.
SUMMARY = ("requests", "accepted", "refused", "completed", "riders_carried", "shared_ride_rate",
           "wait_mean_s", "on_time_rate", "ride_mean_s", "no_shows", "cancellations",
           "vehicle_hours", "vehicle_km", "empty_km", "occupancy_mean")
DAILY = ("requests", "accepted", "refused", "completed", "riders_carried", "no_shows",
         "cancellations")


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
    xs = [datetime.fromisoformat(d["start"]).day for d in days]
    ax.bar(xs, [d.get("riders_carried", 0) for d in days], color="#3182bd",
           label=kpi_label("riders_carried", lang))
    ax.plot(xs, [d.get("requests", 0) for d in days], "o-", color="#e6550d",
            label=kpi_label("requests", lang))
    ax.set_xlabel("日" if lang == "ja" else "Day of month")
    ax.set_xticks(xs)
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


def report_html(service_name: str, month: date, days: Sequence[Mapping[str, Any]],
                total: Mapping[str, Any], lang: str = "ja") -> str:
    """The monthly report as a self-contained printable HTML page.

    Parameters
    ----------
    service_name
        The service's name in ``lang``.
    month
        Any day of the reported month.
    days
        Indicators of each service day of the month (``/kpis`` answers), in order.
    total
        Indicators of the whole month.
    lang
        ``ja`` or ``en``.
    """
    with matplotlib.rc_context({"font.family": font_family(), "svg.fonttype": "path"}):
        chart = _svg(_riders_figure(days, lang))
    esc = html.escape
    summary = "".join(f"<tr><th>{esc(kpi_label(k, lang))}</th><td>{esc(kpi_text(k, float(total.get(k, 0)), lang))}</td></tr>"
                      for k in SUMMARY)
    head = "".join(f"<th>{esc(kpi_label(k, lang))}</th>" for k in DAILY)
    body = "".join(
        "<tr><td>" + esc(d["start"]) + "</td>" + "".join(f"<td>{int(d.get(k, 0))}</td>" for k in DAILY)
        + "</tr>" for d in days)
    reasons = total.get("refused_reasons") or {}
    reason_rows = "".join(f"<tr><th>{esc(code_label(str(r), lang))}</th><td>{int(n)}</td></tr>" for r, n in reasons.items())
    title = _title(service_name, month, lang)
    day_label = "日付" if lang == "ja" else "Day"
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; margin: 2em; color: #222; }}
h1 {{ font-size: 1.4em; border-bottom: 2px solid #333; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }}
th, td {{ border: 1px solid #999; padding: 0.25em 0.6em; }}
td {{ text-align: right; }} th {{ text-align: left; background: #f2f2f2; }}
@media print {{ body {{ margin: 0; }} h2 {{ page-break-before: auto; }} }}
</style></head><body>
<h1>{esc(title)}</h1>
<p>{esc(days[0]["start"] if days else "")} – {esc(days[-1]["end"] if days else "")}</p>
<h2>{"月間の主な指標" if lang == "ja" else "Month at a glance"}</h2>
<table>{summary}</table>
<h2>{"日別の利用" if lang == "ja" else "Day by day"}</h2>
{chart}
<table><tr><th>{day_label}</th>{head}</tr>{body}</table>
<h2>{"お断り理由" if lang == "ja" else "Refusal reasons"}</h2>
<table>{reason_rows or "<tr><td>—</td></tr>"}</table>
</body></html>"""


def report_pdf(service_name: str, month: date, days: Sequence[Mapping[str, Any]],
               total: Mapping[str, Any], lang: str = "ja") -> bytes:
    """The monthly report as an A4 PDF (summary and chart, then the daily table)."""
    buf = io.BytesIO()
    with matplotlib.rc_context({"font.family": font_family(), "pdf.fonttype": 42}), PdfPages(buf) as pdf:
        fig = Figure(figsize=(8.27, 11.69))
        fig.suptitle(_title(service_name, month, lang), fontsize=14, y=0.97)
        ax = fig.add_axes((0.1, 0.45, 0.8, 0.47))
        ax.axis("off")
        cells = [[kpi_label(k, lang), kpi_text(k, float(total.get(k, 0)), lang)] for k in SUMMARY]
        table = ax.table(cellText=cells, loc="upper center", colWidths=[0.6, 0.3])
        table.scale(1, 1.4)
        chart = fig.add_axes((0.1, 0.08, 0.85, 0.3))
        xs = [datetime.fromisoformat(d["start"]).day for d in days]
        chart.bar(xs, [d.get("riders_carried", 0) for d in days], color="#3182bd",
                  label=kpi_label("riders_carried", lang))
        chart.plot(xs, [d.get("requests", 0) for d in days], "o-", color="#e6550d",
                   label=kpi_label("requests", lang))
        chart.set_xticks(xs)
        chart.tick_params(axis="x", labelsize=7)
        chart.legend(loc="upper left", fontsize=8, frameon=False)
        pdf.savefig(fig)
        fig = Figure(figsize=(8.27, 11.69))
        ax = fig.add_axes((0.05, 0.05, 0.9, 0.88))
        ax.axis("off")
        ax.set_title("日別の利用" if lang == "ja" else "Day by day")
        rows = [[d["start"], *[str(int(d.get(k, 0))) for k in DAILY]] for d in days] or [["—"] * (len(DAILY) + 1)]
        t = ax.table(cellText=rows, colLabels=["日付" if lang == "ja" else "Day",
                                               *[kpi_label(k, lang) for k in DAILY]],
                     loc="upper center")
        t.auto_set_font_size(False)
        t.set_fontsize(7)
        t.scale(1, 1.2)
        pdf.savefig(fig)
    return buf.getvalue()


__all__ = ["DAILY", "KPI_FIELDS", "SUMMARY", "font_family", "report_html", "report_pdf"]
