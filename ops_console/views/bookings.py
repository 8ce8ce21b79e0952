"""Bookings: a filtered table, details with the event history, cancel / no-show (each asked to
confirm) / move, and booking on a caller's behalf (phone booking): find the caller by phone or
name in kana, start from their usual trip, pick stops by kana, see offers and alternatives."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from ops_console import ui
from ops_console.client import ApiClient, ApiError
from ops_console.i18n import STATUS, status_label, tr
from ops_console.tables import (
    bookings_frame,
    history_frame,
    hm,
    offer_label,
    stop_label,
    stop_name,
    usual_trip_text,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

api, lang = ui.page("page_bookings")
try:
    now_s, now = ui.clock(api)
    stops = ui.stops(api.config.url)
    svc = ui.service(api.config.url)
    vehicles = api.vehicles()
except ApiError as exc:
    ui.show_error(exc, lang)
    st.stop()
tz = ZoneInfo(svc["timezone"])
names = {v["id"]: v["name"] for v in vehicles}
if "bk_message" in st.session_state:
    st.success(st.session_state.pop("bk_message"))


def act(label_key: str, call: Any) -> None:
    """Run an operator action; on success remember the message and redraw."""
    try:
        call()
    except ApiError as exc:
        ui.show_error(exc, lang)
    else:
        st.session_state.pop("bk_confirm", None)
        st.session_state["bk_message"] = tr(label_key, lang)
        st.rerun()


def summary_line(b: dict[str, Any]) -> str:
    """A booking in one line: rider, pickup window, from → to, vehicle."""
    w = b["pickup_window"]
    return (f"{b.get('rider_name') or '—'}　{hm(w[0])}–{hm(w[1])}　"
            f"{stop_name(b.get('origin_stop_id'), stops, lang)} → "
            f"{stop_name(b.get('destination_stop_id'), stops, lang)}　"
            f"{names.get(b.get('vehicle_id') or '', '')}")


def confirm_box(b: dict[str, Any]) -> None:
    """Ask before a cancel or a no-show is recorded: what, for whom, yes or back."""
    action, bid = st.session_state.get("bk_confirm", (None, None))
    if bid != b["id"] or action not in ("cancel", "no_show"):
        return
    with st.container(border=True, key="confirm_box"):
        st.warning(f"**{tr('confirm_' + action, lang)}**  \n{summary_line(b)}  \n"
                   f"{tr('confirm_note', lang)}")
        y, n, _ = st.columns([1, 1, 3])
        if y.button(tr(f"confirm_yes_{action}", lang), key="confirm_yes", type="primary"):
            if action == "cancel":
                act("done_cancel", lambda: api.cancel(b["id"]))
            else:
                act("done_no_show", lambda: api.no_show(b["id"]))
        if n.button(tr("confirm_back", lang), key="confirm_back"):
            st.session_state.pop("bk_confirm", None)
            st.rerun()


def list_tab(api: ApiClient) -> None:
    """Filters, the table, one booking's details, history and actions."""
    c1, c2, c3, c4 = st.columns(4)
    day = c1.date_input(tr("day", lang), value=now.date(), key="f_day")
    status = c2.selectbox(tr("status", lang), ["", *STATUS], key="f_status",
                          format_func=lambda s: status_label(s, lang) if s else tr("all", lang))
    vehicle = c3.selectbox(tr("vehicle", lang), ["", *names], key="f_vehicle",
                           format_func=lambda s: names.get(s, s) or tr("all", lang))
    rider = c4.text_input(tr("rider_search", lang), key="f_rider", max_chars=60)
    try:
        rows = api.bookings(day=day.isoformat(), status=status or None, vehicle_id=vehicle or None,
                            rider=rider.strip() or None)
    except ApiError as exc:
        ui.show_error(exc, lang)
        return
    if not rows:
        st.info(tr("no_bookings", lang))
        return
    st.dataframe(bookings_frame(rows, stops, lang, names), hide_index=True, key="bookings_table")
    by_id = {b["id"]: b for b in rows}
    chosen = st.selectbox(tr("select_booking", lang), list(by_id), key="sel_booking",
                          format_func=lambda i: (f"{hm(by_id[i]['pickup_window'][0])} "
                                                 f"{by_id[i].get('rider_name') or '—'} "
                                                 f"({status_label(by_id[i]['status'], lang)})"))
    b = by_id[chosen]
    st.subheader(f"{tr('details', lang)}: {b.get('rider_name') or '—'}")
    w = b["pickup_window"]
    d1, d2, d3, d4 = st.columns(4)
    d1.markdown(f"**{tr('status', lang)}**  \n{status_label(b['status'], lang)}")
    d2.markdown(f"**{tr('pickup_window', lang)}**  \n{hm(w[0])}–{hm(w[1])}")
    d3.markdown(f"**{tr('origin', lang)} → {tr('destination', lang)}**  \n"
                f"{stop_name(b['origin_stop_id'], stops, lang)} → "
                f"{stop_name(b['destination_stop_id'], stops, lang)}")
    d4.markdown(f"**{tr('vehicle', lang)}**  \n{names.get(b.get('vehicle_id') or '', '—')}")
    st.markdown(f"**{tr('history', lang)}**")
    try:
        st.dataframe(history_frame(api.booking_events(b["id"]), b, stops, names, tz, lang),
                     hide_index=True, key="booking_history")
    except ApiError as exc:
        ui.show_error(exc, lang)
    if b["status"] not in ("confirmed", "onboard"):
        return
    a1, a2, a3, a4 = st.columns(4)
    if a1.button(tr("cancel", lang), key="act_cancel", disabled=b["status"] != "confirmed"):
        st.session_state["bk_confirm"] = ("cancel", b["id"])
    if a2.button(tr("no_show", lang), key="act_no_show", disabled=b["status"] != "confirmed"):
        st.session_state["bk_confirm"] = ("no_show", b["id"])
    others = [v for v in names if v != b.get("vehicle_id")]
    target = a3.selectbox(tr("move_to", lang), others, key="act_move_to",
                          format_func=lambda v: names.get(v, v))
    if a4.button(tr("move", lang), key="act_move", disabled=not others or b["status"] != "confirmed"):
        act("done_move", lambda: api.move(b["id"], target))
    confirm_box(b)


# ------------------------------------------------------------------------ phone booking

def next_day_for(at: time) -> date:
    """The first service weekday on which a trip at ``at`` can still be booked (today if the
    minimum notice allows)."""
    notice = timedelta(minutes=int(svc["booking"].get("min_notice_min", 60)))
    day = now.date()
    if datetime.combine(day, at, tzinfo=tz) < now + notice:
        day += timedelta(days=1)
    for _ in range(7):
        if WEEKDAYS[day.weekday()] in svc["days"]:
            break
        day += timedelta(days=1)
    return day


def use_caller(match: dict[str, Any]) -> None:
    """Fill the form with a found caller and, when known, their usual trip (a button callback,
    so it runs before the form's widgets are drawn)."""
    st.session_state.update(ph_name=match["name"], ph_kana=match.get("name_kana") or "",
                            ph_phone=match.get("phone") or "")
    usual = match.get("usual_trip")
    name = match["name"]
    if usual and usual["origin_stop_id"] in stops and usual["destination_stop_id"] in stops:
        at = time.fromisoformat(usual["time"])
        st.session_state.update(
            ph_origin=usual["origin_stop_id"], ph_dest=usual["destination_stop_id"],
            ph_origin_q="", ph_dest_q="", ph_time=at, ph_date=next_day_for(at),
            ph_rule=usual["rule"], ph_adults=int(usual["adults"]),
            ph_children=int(usual["children"]), ph_infants=int(usual["infants"]),
            ph_wheelchairs=int(usual["wheelchairs"]))
        st.session_state["ph_note"] = tr("prefilled", lang).format(name=name)
    else:
        st.session_state["ph_note"] = tr("caller_set", lang).format(name=name)
    st.session_state.pop("ph_offers", None)


def lookup(api: ApiClient) -> None:
    """Find the caller by phone number or name in kana; each match offers its usual trip."""
    with st.container(border=True, key="lookup_box"):
        c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
        q = c1.text_input(tr("lookup", lang), key="ph_lookup", max_chars=60)
        if c2.button(tr("lookup_button", lang), key="ph_lookup_go"):
            st.session_state.pop("ph_matches", None)
            try:
                st.session_state["ph_matches"] = api.find_riders(q.strip())
            except ApiError as exc:
                ui.show_error(exc, lang)
        found = st.session_state.get("ph_matches")
        if found is None:
            return
        if not found:
            st.info(tr("lookup_none", lang))
            return
        st.caption(f"{len(found)} {tr('lookup_found', lang)}")
        for m in found:
            c1, c2 = st.columns([4, 1], vertical_alignment="center")
            kana = f"（{m['name_kana']}）" if m.get("name_kana") else ""
            c1.markdown(f"**{m['name']}**{kana}　{m.get('phone') or ''}  \n"
                        f"{tr('usual_trip', lang)}: {usual_trip_text(m.get('usual_trip'), stops, lang)}")
            c2.button(tr("use_caller", lang), key=f"ph_use_{m['id']}", on_click=use_caller,
                      args=(m,))


def stop_picker(label_key: str, key: str, default: str) -> str | None:
    """A stop picker with a kana filter above it (the API's stop search, which reads kana,
    kanji and English alike)."""
    q = st.text_input(f"{tr(label_key, lang)}: {tr('stop_search', lang)}", key=f"{key}_q",
                      max_chars=30)
    ids = list(stops)
    if q.strip():
        try:
            hits = ui.stop_search(api.config.url, q.strip())
        except ApiError as exc:
            ui.show_error(exc, lang)
            hits = ids
        if hits:
            ids = hits
        else:
            st.caption(tr("stop_none", lang).format(q=q.strip()))
    if st.session_state.get(key) not in ids:
        st.session_state[key] = default if default in ids else ids[0]
    return st.selectbox(tr(label_key, lang), ids, key=key,
                        format_func=lambda i: stop_label(stops[i], lang))


def caller_problem(caller: dict[str, str], origin: str | None, dest: str | None,
                   persons: int) -> str | None:
    """What is missing or wrong in the form, in the chosen language (None when fine)."""
    if not caller["name"]:
        return tr("need_name", lang)
    digits = [c for c in caller["phone"] if c.isdigit()]
    if len(digits) < 6 or any(not (c.isdigit() or c in "-+() ") for c in caller["phone"]):
        return tr("need_phone", lang)
    if origin is None or origin == dest:
        return tr("same_stops", lang)
    if persons < 1:
        return tr("need_person", lang)
    return None


def phone_tab(api: ApiClient) -> None:
    """Book on a caller's behalf: find them, ask, show offers and alternatives, confirm."""
    lookup(api)
    if "ph_note" in st.session_state:
        st.info(st.session_state.pop("ph_note"))
    start = now + timedelta(minutes=90)
    ids = list(stops)
    for key, value in (("ph_date", start.date()),
                       ("ph_time", time(start.hour, start.minute // 10 * 10)),
                       ("ph_rule", "pickup_after"), ("ph_adults", 1), ("ph_children", 0),
                       ("ph_infants", 0), ("ph_wheelchairs", 0)):
        st.session_state.setdefault(key, value)
    c1, c2, c3 = st.columns(3)
    name = c1.text_input(tr("caller_name", lang), key="ph_name", max_chars=120)
    kana = c2.text_input(tr("caller_kana", lang), key="ph_kana", max_chars=120)
    phone = c3.text_input(tr("caller_phone", lang), key="ph_phone", max_chars=32)
    c1, c2 = st.columns(2)
    with c1:
        origin = stop_picker("origin", "ph_origin", ids[0])
    with c2:
        dest = stop_picker("destination", "ph_dest", ids[min(1, len(ids) - 1)])
    c1, c2, c3 = st.columns(3)
    day = c1.date_input(tr("date", lang), key="ph_date")
    at = c2.time_input(tr("time", lang), step=300, key="ph_time")
    rule = c3.radio(tr("rule", lang), ["pickup_after", "dropoff_before"], key="ph_rule",
                    format_func=lambda r: tr(r, lang), horizontal=True)
    c1, c2, c3, c4, c5 = st.columns(5)
    adults = c1.number_input(tr("adults", lang), 0, 20, key="ph_adults")
    children = c2.number_input(tr("children", lang), 0, 20, key="ph_children")
    infants = c3.number_input(tr("infants", lang), 0, 10, key="ph_infants")
    wheelchairs = c4.number_input(tr("wheelchairs", lang), 0, 10, key="ph_wheelchairs")
    notes = c5.text_input(tr("notes", lang), key="ph_notes", max_chars=500)
    caller = {"name": name.strip(), "name_kana": kana.strip(),
              "phone": unicodedata.normalize("NFKC", phone).strip()}
    if st.button(tr("find_offers", lang), key="ph_find", type="primary"):
        st.session_state.pop("ph_offers", None)
        problem = caller_problem(caller, origin, dest, int(adults + children + wheelchairs))
        if problem:
            st.error(problem)
            return
        body = {"origin": {"stop_id": origin}, "destination": {"stop_id": dest},
                "party": {"adults": int(adults), "children": int(children),
                          "infants": int(infants), "wheelchairs": int(wheelchairs)},
                "rule": rule, "time": datetime.combine(day, at, tzinfo=tz).isoformat(),
                "notes": notes, "caller": caller}
        try:
            st.session_state["ph_offers"] = {"caller": caller, "key": uuid.uuid4().hex,
                                             **api.phone_offers(body)}
        except ApiError as exc:
            ui.show_error(exc, lang)
    found = st.session_state.get("ph_offers")
    if not found:
        return
    offers = {o["id"]: o for o in [*found["offers"], *found["alternatives"]]}
    if not found["offers"]:
        st.warning(tr("no_offers", lang))
    st.markdown(f"**{tr('offers', lang)}**: {len(found['offers'])} ／ "
                f"**{tr('alternatives', lang)}**: {len(found['alternatives'])}")
    kinds = {o["id"]: o["kind"] for o in offers.values()}
    choice = st.radio(tr("choose_offer", lang), list(offers), key="ph_choice",
                      format_func=lambda i: ("★ " if kinds[i] == "asked" else "↔ ")
                      + offer_label(offers[i], lang, names))
    if st.button(tr("confirm_booking", lang), key="ph_confirm", type="primary"):
        try:
            booked = api.phone_book(choice, found["caller"], f"{found['key']}:{choice}")
        except ApiError as exc:
            ui.show_error(exc, lang)
            return
        st.session_state.pop("ph_offers", None)
        st.session_state["ph_booked"] = booked
        w = booked["pickup_window"]
        st.session_state["bk_message"] = tr("booked_line", lang).format(
            rider=booked.get("rider_name") or found["caller"]["name"],
            day=datetime.fromisoformat(w[0]).strftime("%m/%d"), a=hm(w[0]), b=hm(w[1]),
            origin=stop_name(booked.get("origin_stop_id"), stops, lang),
            dest=stop_name(booked.get("destination_stop_id"), stops, lang),
            vehicle=names.get(booked.get("vehicle_id") or "", ""))
        st.rerun()


tab_list, tab_phone = st.tabs([tr("tab_list", lang), tr("tab_phone", lang)])
with tab_list:
    list_tab(api)
with tab_phone:
    phone_tab(api)
