"""Pure builders of what-if results: the side-by-side table and the KPI plots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from dispatcher.statuses import BookingStatus

#: KPIs compared across scenarios: (row key, label ja, label en).
COMPARED = (
    ("served_share", "運んだ割合", "share of requests carried"),
    ("refused", "断った依頼", "requests refused"),
    ("wait_mean_min", "平均待ち（分）", "mean wait from window start (min)"),
    ("ride_mean_min", "平均乗車（分）", "mean ride (min)"),
    ("shared_rate", "相乗り率", "shared-ride rate"),
    ("vehicle_km", "走行距離（km）", "vehicle km"),
    ("empty_km", "空車走行（km）", "empty km"),
    ("occupancy", "平均乗車人数", "mean occupancy (persons)"),
    ("on_time", "時間内の迎車率", "on-time pickups"),
)


def summarise(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean of each numeric column per scenario (over seeds), in first-seen order."""
    order: list[str] = []
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["scenario"] not in groups:
            order.append(r["scenario"])
            groups[r["scenario"]] = []
        groups[r["scenario"]].append(r)
    out = []
    for name in order:
        g = groups[name]
        row: dict[str, Any] = {"scenario": name, "seeds": len(g)}
        for key, value in g[0].items():
            if key in ("scenario", "seed") or not isinstance(value, int | float):
                continue
            row[key] = round(sum(x[key] for x in g) / len(g), 3)
        out.append(row)
    return out


def table_text(summary: Sequence[dict[str, Any]], lang: str = "en") -> str:
    """A fixed-width text table: one column per scenario, one line per KPI."""
    names = [s["scenario"] for s in summary]
    label = 1 if lang == "ja" else 2
    keys = [("requests", "依頼", "requests"), ("booked", "予約", "booked"),
            ("completed", "完了", "completed"), *COMPARED, ("vehicle_h", "運転時間（h）",
                                                            "driving hours"),
            ("no_shows", "不乗車", "no-shows"), ("cancelled", "取消", "cancellations"),
            ("promises_broken", "約束違反", "promises broken"),
            ("pickup_in_window", "時間帯内の迎車", "pickups inside their window"),
            ("dropoff_on_time", "期限内の降車", "drop-offs by their latest"),
            ("ride_in_limit", "乗車時間の上限内", "rides within their limit"),
            ("pickup_late_max_s", "最大の迎車遅れ（秒）", "worst late pickup (s)"),
            ("reopt_failed", "再最適化の失敗", "re-optimisation cycles failed"),
            ("untimed_views", "時刻のない運行表", "manifests without times")]
    width = max(12, *(len(n) + 2 for n in names))
    lines = ["".ljust(34) + "".join(n.rjust(width) for n in names)]
    for k in keys:
        cells = "".join(f"{s.get(k[0], 0):>{width}.2f}" if isinstance(s.get(k[0]), float)
                        else f"{s.get(k[0], 0):>{width}}" for s in summary)
        lines.append(k[label][:34].ljust(34) + cells)
    return "\n".join(lines)


def kpi_figure(rows: Sequence[dict[str, Any]], title: str = "") -> Figure:
    """Bars of the compared KPIs per scenario (mean over seeds) with each seed as a dot."""
    summary = summarise(rows)
    names = [s["scenario"] for s in summary]
    fig, axes = plt.subplots(3, 3, figsize=(13, 9))
    colours = plt.get_cmap("tab10")
    for ax, (key, _ja, en) in zip(axes.flat, COMPARED, strict=True):
        means = [s.get(key, 0) for s in summary]
        ax.bar(range(len(names)), means, color=[colours(i % 10) for i in range(len(names))],
               alpha=0.75)
        for i, n in enumerate(names):
            pts = [r[key] for r in rows if r["scenario"] == n]
            ax.scatter([i] * len(pts), pts, color="black", s=10, zorder=3)
        ax.set_title(en, fontsize=10)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=20, fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title or "What-if: KPIs per scenario (bars: mean over seeds, dots: seeds)")
    fig.tight_layout()
    return fig


def timeline_figure(bookings: Sequence[dict[str, Any]], tz_offset_s: int = 9 * 3600,
                    title: str = "") -> Figure:
    """Pickups per hour of the day (completed, no-show, cancelled) of one run."""
    fig, ax = plt.subplots(figsize=(9, 3.5))
    hours = list(range(6, 20))
    bottom = [0] * len(hours)
    for status, colour in ((BookingStatus.COMPLETED, "tab:green"),
                           (BookingStatus.NO_SHOW, "tab:red"),
                           (BookingStatus.CANCELLED, "tab:grey")):
        counts = [0] * len(hours)
        for b in bookings:
            if b["status"] != status or b.get("pickup_earliest_s") is None:
                continue
            h = (b["pickup_earliest_s"] + tz_offset_s) // 3600 % 24
            if h in hours:
                counts[hours.index(h)] += 1
        ax.bar([h + 0.5 for h in hours], counts, width=0.8, label=status, color=colour,
               bottom=bottom, alpha=0.7)
        bottom = [a + b for a, b in zip(bottom, counts, strict=True)]
    ax.set_xlabel("hour of pickup window (local)")
    ax.set_ylabel("bookings")
    ax.legend()
    ax.set_title(title or "Bookings by hour")
    fig.tight_layout()
    return fig
