"""Pure table builders of the console: API records in, pandas frames and text out (no Streamlit)."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from ops_console.i18n import EVENTS, PAYMENT, code_label, pair_label, status_label, tr

#: KPI key -> (ja label, en label, unit kind). Kinds: n (count), pct (rate 0..1 shown as %),
#: min (seconds shown as minutes), h (hours), km, x (ratio), p (persons), yen.
KPI_FIELDS: dict[str, tuple[str, str, str]] = {
    "requests": ("依頼数", "Requests", "n"),
    "accepted": ("予約数", "Bookings", "n"),
    "refused": ("お断り", "Refused", "n"),
    "abandoned": ("検索のみ（予約せず）", "Searched, not booked", "n"),
    "completed": ("運行完了", "Completed trips", "n"),
    "riders_carried": ("輸送人員", "Riders carried", "n"),
    "shared_ride_rate": ("相乗り率", "Shared-ride share", "pct"),
    "occupancy_mean": ("平均乗車人数（乗車中）", "Mean occupancy (while carrying)", "p"),
    "wait_mean_s": ("平均待ち時間（約束時刻比）", "Mean wait vs promise", "min"),
    "wait_p95_s": ("待ち時間95%値", "Wait p95", "min"),
    "ride_mean_s": ("平均乗車時間", "Mean ride time", "min"),
    "detour_mean": ("迂回率（直行比）", "Detour (vs direct)", "x"),
    "on_time_rate": ("定時率", "On-time rate", "pct"),
    "no_shows": ("無断不在", "No-shows", "n"),
    "cancellations": ("取消", "Cancellations", "n"),
    "late_cancellations": ("直前取消", "Late cancellations", "n"),
    "fare_revenue": ("運賃収入（運行完了分）", "Fare revenue (completed trips)", "yen"),
    "fare_collected": ("収受済み運賃", "Fares collected", "yen"),
    "vehicle_hours": ("車両走行時間", "Vehicle hours", "h"),
    "vehicle_km": ("走行距離", "Vehicle km", "km"),
    "empty_km": ("空車走行距離", "Empty km", "km"),
    "passenger_km": ("人キロ", "Passenger km", "km"),
}

#: How each indicator is defined, for the page's help and the report's notes (ja, en).
KPI_HELP: dict[str, tuple[str, str]] = {
    "requests": ("運行日ごとの依頼の数＝予約数＋お断り＋検索のみ。1回の検索（空き状況の問い合わせ）を1件と数えます。",
                 "Requests per service day = bookings + refused + searched, not booked; one "
                 "search for a trip is one request."),
    "accepted": ("その運行日に予約された乗車（後で取消・無断不在になったものを含む）。",
                 "Trips booked for the service day (including those later cancelled or no-shows)."),
    "refused": ("空車がない・予約の条件外などで、ご案内できなかった依頼。予約確定の直前に満席になったものを含みます。",
                "Requests that could not be served (no vehicle, against a booking rule), "
                "including offers taken just before booking."),
    "abandoned": ("空き状況をご案内したが、予約に至らなかった検索。",
                  "Searches answered with offers of which none was booked."),
    "shared_ride_rate": ("運行を完了した乗車のうち、乗車中に別の予約のお客様が同乗していた時間があった割合。",
                         "Share of completed rides during which another booking's party was on "
                         "board at some time."),
    "occupancy_mean": ("お客様を乗せて走っている間の平均乗車人数（時間加重、完了した乗車から）。"
                       "相乗りがなければ1組あたりの人数に等しく、相乗りがあるほど大きくなります。",
                       "Mean persons on board while carrying anyone (time-weighted, from the "
                       "completed rides). Without shared rides it equals the mean party size; it "
                       "rises above it exactly as rides are shared."),
    "riders_carried": ("運行を完了した乗車の人数（大人・小児・乳幼児・車いす）。",
                       "Persons of the completed trips (adults, children, infants, wheelchair "
                       "users)."),
    "fare_revenue": ("運行を完了した乗車の運賃の合計。", "Fares of the completed trips."),
    "fare_collected": ("運行完了分のうち、支払いが記録された運賃。",
                       "Fares of completed trips with a payment recorded."),
    "empty_km": ("お客様を乗せずに走った距離。", "Distance driven with nobody on board."),
    "passenger_km": ("乗車人数×走行距離の合計。", "Persons on board times distance driven."),
}


def kpi_help(key: str, lang: str = "ja") -> str | None:
    """The definition of an indicator, if it needs one."""
    pair = KPI_HELP.get(key)
    return None if pair is None else (pair[0] if lang == "ja" else pair[1])


#: The indicators shown as big numbers at the top of the KPI page.
HEADLINE = ("requests", "accepted", "refused", "abandoned", "riders_carried",
            "shared_ride_rate", "occupancy_mean", "on_time_rate", "wait_mean_s", "wait_p95_s",
            "ride_mean_s", "detour_mean", "no_shows", "cancellations", "fare_revenue",
            "vehicle_hours", "vehicle_km", "empty_km")


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
    if kind == "yen":
        return float(int(value))
    return float(value)


def kpi_text(key: str, value: float, lang: str = "ja") -> str:
    """An indicator formatted with its unit."""
    kind = KPI_FIELDS[key][2]
    v = kpi_value(key, value)
    units = {"n": ("件", ""), "pct": ("%", "%"), "min": ("分", " min"), "h": ("時間", " h"),
             "km": (" km", " km"), "x": ("倍", "×"), "p": ("人", "")}
    if key == "riders_carried":
        return f"{int(v)}人" if lang == "ja" else f"{int(v)}"
    if kind == "yen":
        return f"{int(v):,}円" if lang == "ja" else f"¥{int(v):,}"
    unit = units[kind][0 if lang == "ja" else 1]
    if kind == "n":
        return f"{int(v)}{unit}" if lang == "ja" else f"{int(v)}"
    if kind in ("x", "p"):
        return f"{v:.2f}{unit}"
    return f"{v:.1f}{unit}"


def kpi_frame(kpis: Mapping[str, Any], lang: str = "ja") -> pd.DataFrame:
    """Every indicator as rows, indexed by its key: label, value (display unit), text,
    definition (column names in ``lang``)."""
    cols = (["指標", "値", "表示", "定義"] if lang == "ja"
            else ["Indicator", "Value", "Shown", "Definition"])
    rows = [[kpi_label(k, lang), kpi_value(k, float(kpis.get(k, 0))),
             kpi_text(k, float(kpis.get(k, 0)), lang), kpi_help(k, lang) or ""]
            for k in KPI_FIELDS]
    return pd.DataFrame(rows, columns=cols, index=pd.Index(list(KPI_FIELDS), name="key"))


def use_frame(kpis: Mapping[str, Any], names: Mapping[str, str], lang: str = "ja", *,
              by: str = "stop") -> pd.DataFrame:
    """Persons boarding and alighting per stop (``by="stop"``) or per district
    (``by="district"``), every named place listed (unused ones with 0), busiest first; chosen
    points and stops outside any district as their own rows when used."""
    board = dict(kpis.get(f"boardings_by_{by}") or {})
    alight = dict(kpis.get(f"alightings_by_{by}") or {})
    extra = {"_point": ("指定地点", "Chosen points"), "_none": ("地区外", "No district")}
    rows = []
    for key in [*names, *[k for k in extra if k in board or k in alight]]:
        label = names.get(key) or extra.get(key, (key, key))[0 if lang == "ja" else 1]
        b, a = int(board.get(key, 0)), int(alight.get(key, 0))
        rows.append((label, b, a, b + a))
    rows.sort(key=lambda r: -r[3])
    cols = (["地区" if by == "district" else "乗り場", "乗車人数", "降車人数", "計"] if lang == "ja"
            else ["District" if by == "district" else "Stop", "Boarding", "Alighting", "Total"])
    return pd.DataFrame(rows, columns=cols)


def reasons_frame(kpis: Mapping[str, Any], lang: str = "ja") -> pd.DataFrame:
    """Refusals by reason with their share of all refusals, most frequent first."""
    reasons = dict(kpis.get("refused_reasons") or {})
    total = sum(reasons.values())
    rows = sorted(((code_label(str(r), lang), int(n), f"{100 * n / total:.0f}%")
                   for r, n in reasons.items()), key=lambda r: -r[1])
    cols = ["理由", "件数", "割合"] if lang == "ja" else ["Reason", "Count", "Share"]
    return pd.DataFrame(rows, columns=cols)


def kpi_csv(days: Sequence[Mapping[str, Any]], total: Mapping[str, Any] | None = None) -> str:
    """CSV of raw indicators (SI units as the API gives them), one row per day, then the total.

    Refusal reasons and channels become ``refused_<reason>`` and ``channel_<name>`` columns,
    use per district and stop ``boardings_district_<id>``, ``alightings_stop_<id>`` and so on.
    """
    rows = []
    for k in [*days, *([total] if total else [])]:
        row: dict[str, Any] = {"start": k.get("start"), "end": k.get("end")}
        row.update({f: k.get(f, 0) for f in KPI_FIELDS})
        row.update({f"refused_{r}": n for r, n in (k.get("refused_reasons") or {}).items()})
        row.update({f"channel_{c}": n for c, n in (k.get("by_channel") or {}).items()})
        for side in ("boardings", "alightings"):
            for by in ("district", "stop"):
                row.update({f"{side}_{by}_{s}": n
                            for s, n in (k.get(f"{side}_by_{by}") or {}).items()})
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


def stop_label(stop: Mapping[str, Any], lang: str = "ja") -> str:
    """A stop as the pickers show it: the name with its kana reading (English: with the
    Japanese name), so that typing either finds it."""
    if lang == "ja":
        kana = stop.get("name_kana")
        return f"{stop['name_ja']}（{kana}）" if kana else str(stop["name_ja"])
    return f"{stop['name_en']} ({stop['name_ja']})"


def bookings_frame(bookings: Iterable[Mapping[str, Any]], stops: Mapping[str, Mapping[str, Any]],
                   lang: str = "ja",
                   vehicle_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The bookings table: one row per booking, newest pickup last; vehicles by name."""
    names = vehicle_names or {}
    cols = ["status", "pickup", "rider", "from", "to", "persons", "vehicle", "channel", "fare"]
    labels = {"ja": ["状態", "お迎え", "利用者", "乗車地", "降車地", "人数", "車両",
                     "予約経路", "運賃"],
              "en": ["Status", "Pickup", "Rider", "From", "To", "Persons", "Vehicle",
                     "Channel", "Fare"]}[lang]
    rows = []
    for b in bookings:
        w = b["pickup_window"]
        vid = b.get("vehicle_id") or ""
        rows.append({
            "status": status_label(b["status"], lang),
            "pickup": f"{hm(w[0])}–{hm(w[1])}", "rider": b.get("rider_name") or "—",
            "from": stop_name(b.get("origin_stop_id"), stops, lang),
            "to": stop_name(b.get("destination_stop_id"), stops, lang),
            "persons": b["adults"] + b["children"] + b["infants"] + b["wheelchairs"],
            "vehicle": names.get(vid, vid), "channel": code_label(b["channel"], lang),
            "fare": b["fare"]})
    frame = pd.DataFrame(rows, columns=cols)
    frame.columns = labels
    return frame


def local_hm(epoch_s: float | None, tz: ZoneInfo) -> str:
    """``HH:MM`` local of an epoch time ('' for None)."""
    if epoch_s is None:
        return ""
    return datetime.fromtimestamp(float(epoch_s), tz=UTC).astimezone(tz).strftime("%H:%M")


def actor_label(event: Mapping[str, Any], rider_name: str, lang: str = "ja") -> str:
    """Who did an event: the person's name (the rider's for their own actions), "system" for
    the service itself; never an account id."""
    role = event.get("actor_role")
    if role == "rider":
        return (f"{rider_name}（ご本人）" if lang == "ja" else f"{rider_name} (rider)") if rider_name \
            else ("ご本人" if lang == "ja" else "the rider")
    if event.get("actor_name"):
        return str(event["actor_name"])
    if event.get("actor_id") == "optimizer":
        return "自動配車" if lang == "ja" else "dispatch optimiser"
    if event.get("actor_id") in (None, "", "system"):
        return "システム" if lang == "ja" else "system"
    return "—"


def _minutes(seconds: Any, lang: str) -> str:
    m = max(0, round(float(seconds or 0) / 60))
    return f"{m}分" if lang == "ja" else f"{m} min"


def history_frame(events: Iterable[Mapping[str, Any]], booking: Mapping[str, Any],
                  stops: Mapping[str, Mapping[str, Any]], vehicle_names: Mapping[str, str],
                  tz: ZoneInfo, lang: str = "ja") -> pd.DataFrame:
    """A booking's history as people read it: local time, what happened, the vehicle's name,
    who did it, and details with stop names and local times (no ids, epoch seconds or
    coordinates)."""
    labels = ["時刻", "出来事", "車両", "操作者", "内容"] if lang == "ja" else [
        "Time", "Event", "Vehicle", "By", "Details"]
    origin = stop_name(booking.get("origin_stop_id"), stops, lang)
    dest = stop_name(booking.get("destination_stop_id"), stops, lang)
    rider = str(booking.get("rider_name") or "")
    rows = []
    on_board = False
    for e in events:
        kind, data = str(e["type"]), dict(e.get("data") or {})
        vehicle = vehicle_names.get(e.get("vehicle_id") or "", "")
        detail = ""
        if kind == "booked":
            w = data.get("pickup_window") or [None, None]
            detail = (f"お迎え {local_hm(w[0], tz)}〜{local_hm(w[1], tz)}・到着 "
                      f"{local_hm(data.get('dropoff_latest'), tz)}まで・{code_label(str(data.get('channel', 'app')), lang)}"
                      if lang == "ja" else
                      f"pickup {local_hm(w[0], tz)}–{local_hm(w[1], tz)}, arrive by "
                      f"{local_hm(data.get('dropoff_latest'), tz)}, "
                      f"{code_label(str(data.get('channel', 'app')), lang)}")
        elif kind == "cancelled":
            by = {"rider": ("ご本人から", "by the rider"),
                  "operator": ("運行管理から", "by the operator")}.get(str(data.get("by")), ("", ""))
            late = ("直前の取消", "late cancellation") if data.get("late") else ("", "")
            detail = "・".join(x for x in (by[0], late[0]) if x) if lang == "ja" else \
                ", ".join(x for x in (by[1], late[1]) if x)
        elif kind == "moved":
            before = vehicle_names.get(str(data.get("from_vehicle") or ""), "")
            detail = f"{before} → {vehicle}" if before else vehicle
        elif kind in ("arrived", "departed"):
            detail = dest if on_board else origin
        elif kind == "boarded":
            on_board = True
            detail = f"{origin}で乗車" if lang == "ja" else f"at {origin}"
        elif kind == "alighted":
            on_board = False
            detail = f"{dest}で降車" if lang == "ja" else f"at {dest}"
        elif kind == "no_show":
            detail = f"{origin}でお迎えできず" if lang == "ja" else f"not at {origin}"
        elif kind == "payment":
            detail = pair_label(PAYMENT, str(data.get("status", "")), lang)
            if data.get("amount"):
                detail += f" {int(data['amount'])}円" if lang == "ja" else f" ¥{int(data['amount'])}"
        elif kind in ("ticket_issued", "ticket_reissued"):
            issue = (data.get("ticket") or {}).get("issue")
            detail = (f"第{issue}版" if lang == "ja" else f"issue {issue}") if issue else ""
        elif kind == "ticket_checked_in":
            detail = {"qr": ("QRコード", "QR code"), "code": ("番号入力", "typed code")}.get(
                str(data.get("method")), ("", ""))[0 if lang == "ja" else 1]
        elif kind == "promise_at_risk":
            detail = alert_detail(data, tz, lang)
        label = pair_label(EVENTS, kind, lang) if kind in EVENTS else tr("event_other", lang)
        rows.append([datetime.fromisoformat(e["at"]).strftime("%m/%d %H:%M"), label, vehicle,
                     actor_label(e, rider, lang), detail])
    return pd.DataFrame(rows, columns=labels)


def alert_detail(data: Mapping[str, Any], tz: ZoneInfo, lang: str = "ja") -> str:
    """What a promise_at_risk event says: which promise, how late, expected vs promised."""
    what = tr(f"alert_{data.get('what', 'pickup')}", lang)
    level = tr("alert_late" if data.get("level") == "late" else "alert_at_risk", lang)
    late = _minutes(data.get("late_s"), lang)
    expected, promised = local_hm(data.get("expected_at"), tz), local_hm(data.get("promised_by"), tz)
    if lang == "ja":
        return f"{what}：{level} {late}（見込み {expected}／約束 {promised}まで）"
    return f"{what}: {level.lower()} {late} (expected {expected}, promised by {promised})"


def offer_label(offer: Mapping[str, Any], lang: str = "ja",
                vehicle_names: Mapping[str, str] | None = None) -> str:
    """One line describing an offer: pickup window, arrival, fare, vehicle (by name)."""
    w = offer["pickup_window"]
    vehicle = (vehicle_names or {}).get(offer["vehicle_id"], offer["vehicle_id"])
    if lang == "ja":
        return (f"お迎え {hm(w[0])}〜{hm(w[1])} ／ 到着予定 {hm(offer['dropoff_expected'])}"
                f"（遅くとも {hm(offer['dropoff_latest'])}）／ {offer['fare']}円 ／ {vehicle}")
    return (f"pickup {hm(w[0])}–{hm(w[1])} / arrive {hm(offer['dropoff_expected'])} "
            f"(latest {hm(offer['dropoff_latest'])}) / ¥{offer['fare']} / {vehicle}")


def usual_trip_text(usual: Mapping[str, Any] | None, stops: Mapping[str, Mapping[str, Any]],
                    lang: str = "ja") -> str:
    """A rider's usual trip in one line: stops, time, party, how often."""
    if not usual:
        return tr("no_usual_trip", lang)
    party = [(usual.get("adults", 0), "大人", "adult"), (usual.get("children", 0), "小児", "child"),
             (usual.get("infants", 0), "乳幼児", "infant"),
             (usual.get("wheelchairs", 0), "車いす", "wheelchair")]
    if lang == "ja":
        who = "・".join(f"{ja}{n}" for n, ja, _ in party if n)
        rule = "発" if usual.get("rule") == "pickup_after" else "着"
    else:
        who = ", ".join(f"{n} {en}{'s' if n > 1 else ''}" for n, _, en in party if n)
        rule = "leave" if usual.get("rule") == "pickup_after" else "arrive by"
    often = tr("usual_times", lang).format(trips=usual.get("trips", 0),
                                           recent=usual.get("recent", 0))
    route = (f"{stop_name(usual['origin_stop_id'], stops, lang)} → "
             f"{stop_name(usual['destination_stop_id'], stops, lang)}")
    if lang == "ja":
        return f"{route}　{usual['time']}{rule}　{who}（{often}）"
    return f"{route}, {rule} {usual['time']}, {who} ({often})"


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
                 lang: str = "ja", vehicle_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The shifts table with break windows and drivers (vehicles by name)."""
    names = vehicle_names or {}
    rows = []
    for s in sorted(shifts, key=lambda s: (s["vehicle_id"], s["start"])):
        window = (f"{hm(s['break_earliest'])}–{hm(s['break_latest_end'])}"
                  if s.get("break_earliest") else "")
        d = drivers.get(s.get("driver_id") or "")
        rows.append([names.get(s["vehicle_id"], s["vehicle_id"]), hm(s["start"]), hm(s["end"]),
                     window, s["break_minutes"],
                     d["name"] if d else (s.get("driver_id") or "")])
    cols = [tr(k, lang) for k in ("vehicle", "shift_start", "shift_end", "break_window",
                                  "break_minutes", "driver")]
    return pd.DataFrame(rows, columns=cols)


def parse_hours(text: str) -> str | None:
    """Service hours typed as ``HH:MM-HH:MM`` (full-width, ``〜`` or ``~`` also read), as
    ``HH:MM-HH:MM``; None when not such a span with the start before the end (at most 24:00)."""
    flat = unicodedata.normalize("NFKC", text).strip()
    for dash in ("〜", "~", "–", "—", "ー"):
        flat = flat.replace(dash, "-")
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", flat)
    if m is None:
        return None
    h1, m1, h2, m2 = (int(x) for x in m.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 >= 60 or m2 >= 60 or not 0 <= start < end <= 24 * 60:
        return None
    return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"


#: What-if rows shown besides the compared KPIs: (key, ja, en).
WHATIF_COUNTS = (("requests", "依頼", "Requests"), ("booked", "予約", "Booked"),
                 ("completed", "運行完了", "Completed"))


def whatif_value(key: str, value: float) -> str:
    """A what-if figure as people read it (shares in %)."""
    if key in ("served_share", "shared_rate", "on_time"):
        return f"{100 * value:.1f}%"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}" if key == "occupancy" else f"{value:.1f}"
    return f"{int(value)}"


def whatif_frame(summary: Sequence[Mapping[str, Any]],
                 compared: Sequence[tuple[str, str, str]], lang: str = "ja") -> pd.DataFrame:
    """The base and the variant side by side, one row per indicator, labels in ``lang``."""
    names = {"base": tr("wi_base", lang), "variant": tr("wi_variant", lang)}
    rows = []
    for key, ja, en in (*WHATIF_COUNTS, *compared):
        row = {tr("wi_indicator", lang): ja if lang == "ja" else en}
        for s in summary:
            row[names.get(s["scenario"], s["scenario"])] = whatif_value(key, s.get(key, 0))
        rows.append(row)
    return pd.DataFrame(rows)
