"""Pure table builders of the console: API records in, pandas frames and text out (no Streamlit)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from ops_console.i18n import code_label, status_label, tr

#: KPI key -> (ja label, en label, unit kind). Kinds: n (count), pct (rate 0..1 shown as %),
#: min (seconds shown as minutes), h (hours), km, x (ratio), p (persons per vehicle-km).
KPI_FIELDS: dict[str, tuple[str, str, str]] = {
    "requests": ("依頼数", "Requests", "n"),
    "accepted": ("予約数", "Accepted", "n"),
    "refused": ("お断り", "Refused", "n"),
    "completed": ("運行完了", "Completed trips", "n"),
    "riders_carried": ("輸送人員", "Riders carried", "n"),
    "shared_ride_rate": ("相乗り率", "Shared-ride rate", "pct"),
    "wait_mean_s": ("平均待ち時間（約束時刻比）", "Mean wait vs promise", "min"),
    "wait_p95_s": ("待ち時間95%値", "Wait p95", "min"),
    "ride_mean_s": ("平均乗車時間", "Mean ride time", "min"),
    "detour_mean": ("迂回率（直行比）", "Detour (vs direct)", "x"),
    "on_time_rate": ("定時率", "On-time rate", "pct"),
    "no_shows": ("無断不在", "No-shows", "n"),
    "cancellations": ("取消", "Cancellations", "n"),
    "late_cancellations": ("直前取消", "Late cancellations", "n"),
    "vehicle_hours": ("車両走行時間", "Vehicle hours", "h"),
    "vehicle_km": ("走行距離", "Vehicle km", "km"),
    "empty_km": ("空車走行距離", "Empty km", "km"),
    "occupancy_mean": ("平均乗車人数（距離加重）", "Mean occupancy (per km)", "p"),
}

#: The indicators shown as big numbers at the top of the KPI page.
HEADLINE = ("requests", "accepted", "refused", "riders_carried", "shared_ride_rate",
            "wait_mean_s", "wait_p95_s", "on_time_rate", "ride_mean_s", "detour_mean",
            "no_shows", "cancellations", "vehicle_hours", "vehicle_km", "empty_km",
            "occupancy_mean")


def kpi_label(key: str, lang: str = "ja") -> str:
    """Label of an indicator."""
    ja, en, _ = KPI_FIELDS[key]
    return ja if lang == "ja" else en


def kpi_value(key: str, value: float) -> float:
    """An indicator in the unit people read (minutes, %, km, ...), rounded for display."""
    kind = KPI_FIELDS[key][2]
    if kind == "n":
        return float(int(value))
    if kind == "pct":
        return round(100.0 * value, 1)
    if kind == "min":
        return round(value / 60.0, 1)
    if kind in ("h", "km", "x", "p"):
        return round(value, 2 if kind in ("x", "p") else 1)
    return float(value)


def kpi_text(key: str, value: float, lang: str = "ja") -> str:
    """An indicator formatted with its unit."""
    kind = KPI_FIELDS[key][2]
    v = kpi_value(key, value)
    units = {"n": ("件", ""), "pct": ("%", "%"), "min": ("分", " min"), "h": ("時間", " h"),
             "km": (" km", " km"), "x": ("倍", "×"), "p": ("人", "")}
    if key == "riders_carried":
        return f"{int(v)}人" if lang == "ja" else f"{int(v)}"
    unit = units[kind][0 if lang == "ja" else 1]
    if kind == "n":
        return f"{int(v)}{unit}" if lang == "ja" else f"{int(v)}"
    if kind in ("x", "p"):
        return f"{v:.2f}{unit}"
    return f"{v:.1f}{unit}"


def kpi_frame(kpis: Mapping[str, Any], lang: str = "ja") -> pd.DataFrame:
    """Every indicator as rows: key, label, value (display unit), text."""
    rows = [{"key": k, "label": kpi_label(k, lang), "value": kpi_value(k, float(kpis.get(k, 0))),
             "text": kpi_text(k, float(kpis.get(k, 0)), lang)} for k in KPI_FIELDS]
    return pd.DataFrame(rows)


def kpi_csv(days: Sequence[Mapping[str, Any]], total: Mapping[str, Any] | None = None) -> str:
    """CSV of raw indicators (SI units as the API gives them), one row per day, then the total.

    Refusal reasons and channels become ``refused_<reason>`` and ``channel_<name>`` columns.
    """
    rows = []
    for k in [*days, *([total] if total else [])]:
        row: dict[str, Any] = {"start": k.get("start"), "end": k.get("end")}
        row.update({f: k.get(f, 0) for f in KPI_FIELDS})
        row.update({f"refused_{r}": n for r, n in (k.get("refused_reasons") or {}).items()})
        row.update({f"channel_{c}": n for c, n in (k.get("by_channel") or {}).items()})
        rows.append(row)
    frame = pd.DataFrame(rows).fillna(0)
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue()


def hm(iso: str | None) -> str:
    """``HH:MM`` of an ISO time ('' for None)."""
    return datetime.fromisoformat(iso).strftime("%H:%M") if iso else ""


def stop_name(stop_id: str | None, stops: Mapping[str, Mapping[str, Any]], lang: str = "ja") -> str:
    """A stop's name, or the chosen-point label."""
    s = stops.get(stop_id or "")
    if s is None:
        return "指定地点" if lang == "ja" else "Chosen point"
    return str(s["name_ja"] if lang == "ja" else s["name_en"])


def bookings_frame(bookings: Iterable[Mapping[str, Any]], stops: Mapping[str, Mapping[str, Any]],
                   lang: str = "ja") -> pd.DataFrame:
    """The bookings table: one row per booking, newest pickup last."""
    cols = ["id", "status", "pickup", "rider", "from", "to", "persons", "vehicle", "channel",
            "fare"]
    labels = {"ja": ["予約ID", "状態", "お迎え", "利用者", "乗車地", "降車地", "人数", "車両",
                     "経路", "運賃"],
              "en": ["Booking", "Status", "Pickup", "Rider", "From", "To", "Persons", "Vehicle",
                     "Channel", "Fare"]}[lang]
    rows = []
    for b in bookings:
        w = b["pickup_window"]
        rows.append({
            "id": b["id"], "status": status_label(b["status"], lang),
            "pickup": f"{hm(w[0])}–{hm(w[1])}", "rider": b.get("rider_name") or b["rider_id"],
            "from": stop_name(b.get("origin_stop_id"), stops, lang),
            "to": stop_name(b.get("destination_stop_id"), stops, lang),
            "persons": b["adults"] + b["children"] + b["infants"] + b["wheelchairs"],
            "vehicle": b.get("vehicle_id") or "", "channel": code_label(b["channel"], lang),
            "fare": b["fare"]})
    frame = pd.DataFrame(rows, columns=cols)
    frame.columns = labels
    return frame


def events_frame(events: Iterable[Mapping[str, Any]], lang: str = "ja") -> pd.DataFrame:
    """A booking's history: time, event, vehicle, who, details."""
    labels = ["時刻", "出来事", "車両", "操作者", "内容"] if lang == "ja" else [
        "Time", "Event", "Vehicle", "By", "Details"]
    rows = [[datetime.fromisoformat(e["at"]).strftime("%m-%d %H:%M:%S"), e["type"],
             e.get("vehicle_id") or "", e.get("actor_id") or "",
             ", ".join(f"{k}={v}" for k, v in (e.get("data") or {}).items() if v is not None)]
            for e in events]
    return pd.DataFrame(rows, columns=labels)


def offer_label(offer: Mapping[str, Any], lang: str = "ja") -> str:
    """One line describing an offer: pickup window, arrival, fare, vehicle."""
    w = offer["pickup_window"]
    if lang == "ja":
        return (f"お迎え {hm(w[0])}〜{hm(w[1])} ／ 到着予定 {hm(offer['dropoff_expected'])}"
                f"（遅くとも {hm(offer['dropoff_latest'])}）／ {offer['fare']}円 ／ {offer['vehicle_id']}")
    return (f"pickup {hm(w[0])}–{hm(w[1])} / arrive {hm(offer['dropoff_expected'])} "
            f"(latest {hm(offer['dropoff_latest'])}) / ¥{offer['fare']} / {offer['vehicle_id']}")


def persons_on_board(vehicle: Mapping[str, Any], bookings: Mapping[str, Mapping[str, Any]]) -> int:
    """Persons on board a vehicle (its on-board bookings' parties; 1 per unknown booking)."""
    total = 0
    for bid in vehicle.get("onboard") or []:
        b = bookings.get(bid)
        total += (b["adults"] + b["children"] + b["infants"] + b["wheelchairs"]) if b else 1
    return total


def fleet_frame(vehicles: Iterable[Mapping[str, Any]], stops: Mapping[str, Mapping[str, Any]],
                lang: str = "ja") -> pd.DataFrame:
    """The vehicles table."""
    rows = [[v["id"], v["name"], v["seats"], v["wheelchair_spaces"],
             stop_name(v["depot_stop_id"], stops, lang), "✓" if v["active"] else "—"]
            for v in vehicles]
    cols = [tr(k, lang) for k in ("vehicle", "name", "seats", "wheelchair_spaces", "depot",
                                  "active")]
    return pd.DataFrame(rows, columns=cols)


def shifts_frame(shifts: Iterable[Mapping[str, Any]], drivers: Mapping[str, Mapping[str, Any]],
                 lang: str = "ja") -> pd.DataFrame:
    """The shifts table with break windows and drivers."""
    rows = []
    for s in sorted(shifts, key=lambda s: (s["vehicle_id"], s["start"])):
        window = (f"{hm(s['break_earliest'])}–{hm(s['break_latest_end'])}"
                  if s.get("break_earliest") else "")
        d = drivers.get(s.get("driver_id") or "")
        rows.append([s["vehicle_id"], hm(s["start"]), hm(s["end"]), window, s["break_minutes"],
                     d["name"] if d else (s.get("driver_id") or "")])
    cols = [tr(k, lang) for k in ("vehicle", "shift_start", "shift_end", "break_window",
                                  "break_minutes", "driver")]
    return pd.DataFrame(rows, columns=cols)
