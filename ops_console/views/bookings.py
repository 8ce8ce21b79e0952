"""Bookings: a filtered table, details with the event history, cancel / no-show / move, and
booking on a caller's behalf (phone booking) with the offers and alternatives shown."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from ops_console import ui
from ops_console.client import ApiClient, ApiError
from ops_console.i18n import STATUS, status_label, tr
from ops_console.tables import bookings_frame, events_frame, hm, offer_label, stop_name

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
if "bk_message" in st.session_state:
    st.success(st.session_state.pop("bk_message"))


def act(label_key: str, call: Any) -> None:
    """Run an operator action; on success remember the message and redraw."""
    try:
        call()
    except ApiError as exc:
        ui.show_error(exc, lang)
    else:
        st.session_state["bk_message"] = tr(label_key, lang)
        st.rerun()


def list_tab(api: ApiClient) -> None:
    """Filters, the table, one booking's details, history and actions."""
    c1, c2, c3, c4 = st.columns(4)
    day = c1.date_input(tr("day", lang), value=now.date(), key="f_day")
    status = c2.selectbox(tr("status", lang), ["", *STATUS], key="f_status",
                          format_func=lambda s: status_label(s, lang) if s else tr("all", lang))
    vehicle = c3.selectbox(tr("vehicle", lang), ["", *[v["id"] for v in vehicles]], key="f_vehicle",
                           format_func=lambda s: s or tr("all", lang))
    rider = c4.text_input(tr("rider_search", lang), key="f_rider")
    try:
        rows = api.bookings(day=day.isoformat(), status=status or None, vehicle_id=vehicle or None,
                            rider=rider.strip() or None)
    except ApiError as exc:
        ui.show_error(exc, lang)
        return
    if not rows:
        st.info(tr("no_bookings", lang))
        return
    st.dataframe(bookings_frame(rows, stops, lang), hide_index=True)
    by_id = {b["id"]: b for b in rows}
    chosen = st.selectbox(tr("select_booking", lang), list(by_id), key="sel_booking",
                          format_func=lambda i: (f"{hm(by_id[i]['pickup_window'][0])} "
                                                 f"{by_id[i].get('rider_name') or by_id[i]['rider_id']} "
                                                 f"({status_label(by_id[i]['status'], lang)}) {i}"))
    b = by_id[chosen]
    st.subheader(f"{tr('details', lang)}: {b['id']}")
    w = b["pickup_window"]
    d1, d2, d3, d4 = st.columns(4)
    d1.markdown(f"**{tr('status', lang)}**  \n{status_label(b['status'], lang)}")
    d2.markdown(f"**{tr('pickup_window', lang)}**  \n{hm(w[0])}–{hm(w[1])}")
    d3.markdown(f"**{tr('origin', lang)} → {tr('destination', lang)}**  \n"
                f"{stop_name(b['origin_stop_id'], stops, lang)} → "
                f"{stop_name(b['destination_stop_id'], stops, lang)}")
    d4.markdown(f"**{tr('vehicle', lang)}**  \n{b.get('vehicle_id') or '—'}")
    st.markdown(f"**{tr('history', lang)}**")
    try:
        st.dataframe(events_frame(api.booking_events(b["id"]), lang), hide_index=True,
                     key="booking_history")
    except ApiError as exc:
        ui.show_error(exc, lang)
    if b["status"] not in ("confirmed", "onboard"):
        return
    a1, a2, a3, a4 = st.columns(4)
    if a1.button(tr("cancel", lang), key="act_cancel", disabled=b["status"] != "confirmed"):
        act("done_cancel", lambda: api.cancel(b["id"]))
    if a2.button(tr("no_show", lang), key="act_no_show", disabled=b["status"] != "confirmed"):
        act("done_no_show", lambda: api.no_show(b["id"]))
    others = [v["id"] for v in vehicles if v["id"] != b.get("vehicle_id")]
    target = a3.selectbox(tr("move_to", lang), others, key="act_move_to")
    if a4.button(tr("move", lang), key="act_move", disabled=not others or b["status"] != "confirmed"):
        act("done_move", lambda: api.move(b["id"], target))


def phone_tab(api: ApiClient) -> None:
    """Book on a caller's behalf: ask, show offers and alternatives, choose one, confirm."""
    c1, c2, c3 = st.columns(3)
    name = c1.text_input(tr("caller_name", lang), key="ph_name")
    kana = c2.text_input(tr("caller_kana", lang), key="ph_kana")
    phone = c3.text_input(tr("caller_phone", lang), key="ph_phone")
    ids = list(stops)
    c1, c2 = st.columns(2)
    origin = c1.selectbox(tr("origin", lang), ids, key="ph_origin",
                          format_func=lambda i: stop_name(i, stops, lang))
    dest = c2.selectbox(tr("destination", lang), ids, index=min(1, len(ids) - 1), key="ph_dest",
                        format_func=lambda i: stop_name(i, stops, lang))
    c1, c2, c3 = st.columns(3)
    start = now + timedelta(minutes=90)
    day = c1.date_input(tr("date", lang), value=start.date(), key="ph_date")
    at = c2.time_input(tr("time", lang), value=time(start.hour, start.minute // 10 * 10),
                       step=300, key="ph_time")
    rule = c3.radio(tr("rule", lang), ["pickup_after", "dropoff_before"], key="ph_rule",
                    format_func=lambda r: tr(r, lang), horizontal=True)
    c1, c2, c3, c4 = st.columns(4)
    adults = c1.number_input(tr("adults", lang), 0, 20, 1, key="ph_adults")
    children = c2.number_input(tr("children", lang), 0, 20, 0, key="ph_children")
    wheelchairs = c3.number_input(tr("wheelchairs", lang), 0, 10, 0, key="ph_wheelchairs")
    notes = c4.text_input(tr("notes", lang), key="ph_notes")
    caller = {"name": name.strip(), "phone": phone.strip(), "name_kana": kana.strip()}
    if st.button(tr("find_offers", lang), key="ph_find", type="primary"):
        body = {"origin": {"stop_id": origin}, "destination": {"stop_id": dest},
                "party": {"adults": int(adults), "children": int(children),
                          "wheelchairs": int(wheelchairs)},
                "rule": rule, "time": datetime.combine(day, at, tzinfo=tz).isoformat(),
                "notes": notes, "caller": caller}
        st.session_state.pop("ph_offers", None)
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
                      + offer_label(offers[i], lang))
    if st.button(tr("confirm_booking", lang), key="ph_confirm", type="primary"):
        try:
            booked = api.phone_book(choice, found["caller"], f"{found['key']}:{choice}")
        except ApiError as exc:
            ui.show_error(exc, lang)
            return
        st.session_state.pop("ph_offers", None)
        st.session_state["ph_booked"] = booked
        st.session_state["bk_message"] = (f"{tr('booked', lang)}: {booked['id']} "
                                          f"{hm(booked['pickup_window'][0])}–"
                                          f"{hm(booked['pickup_window'][1])} "
                                          f"({booked['vehicle_id']})")
        st.rerun()


tab_list, tab_phone = st.tabs([tr("tab_list", lang), tr("tab_phone", lang)])
with tab_list:
    list_tab(api)
with tab_phone:
    phone_tab(api)
