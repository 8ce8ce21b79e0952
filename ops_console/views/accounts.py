"""Accounts (supervisors): the staff accounts, a new account, role and name changes, disabling
and enabling, resetting another person's password."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import streamlit as st

from ops_console import ui
from ops_console.accounts import account_label, accounts_frame
from ops_console.client import ApiError
from ops_console.i18n import tr

api, lang = ui.page("page_accounts")
ROLES = ("operator", "supervisor")

if "acc_message" in st.session_state:
    st.success(st.session_state.pop("acc_message"))
try:
    tz = ZoneInfo(ui.service(api.config.url)["timezone"])
    accounts = api.accounts()
except ApiError as exc:
    ui.show_error(exc, lang)
    st.stop()

st.dataframe(accounts_frame(accounts, tz, lang), hide_index=True)


def done(key: str, **fmt: str) -> None:
    """Say what was done on the next run, and run again (the table shows the change)."""
    st.session_state["acc_message"] = tr(key, lang).format(**fmt)
    st.rerun()


st.subheader(tr("account_new", lang))
with st.form("acc_new", clear_on_submit=True):
    c1, c2 = st.columns(2)
    login = c1.text_input(tr("login", lang), key="acc_login", max_chars=32)
    name = c2.text_input(tr("account_name", lang), key="acc_name", max_chars=120)
    role = c1.selectbox(tr("account_role", lang), ROLES, key="acc_role",
                        format_func=lambda r: tr(f"role_{r}", lang))
    password = c2.text_input(tr("initial_password", lang), key="acc_password", type="password",
                             max_chars=128)
    create = st.form_submit_button(tr("create", lang), type="primary")
if create:
    try:
        made = api.create_account(login, name, role, password)
    except ApiError as exc:
        ui.show_error(exc, lang)
    else:
        done("done_create", login=made["login"])

if accounts:
    st.subheader(tr("account_pick", lang))
    by_id = {a["id"]: a for a in accounts}
    chosen = by_id[st.selectbox(tr("account_pick", lang), list(by_id), key="acc_pick",
                                format_func=lambda i: account_label(by_id[i], lang),
                                label_visibility="collapsed")]
    me = chosen["id"] == api.account.get("user_id")
    left, right = st.columns(2)
    with left.form("acc_change"):
        st.markdown(f"**{tr('account_change', lang)}**")
        new_name = st.text_input(tr("account_name", lang), value=chosen["name"],
                                 key=f"acc_edit_name_{chosen['id']}", max_chars=120)
        new_role = st.selectbox(tr("account_role", lang), ROLES, index=ROLES.index(chosen["role"]),
                                key=f"acc_edit_role_{chosen['id']}",
                                format_func=lambda r: tr(f"role_{r}", lang))
        save = st.form_submit_button(tr("save", lang))
    if save:
        try:
            api.update_account(chosen["id"], name=new_name, role=new_role)
        except ApiError as exc:
            ui.show_error(exc, lang)
        else:
            done("done_save")
    with right:
        key = "account_enable" if chosen["disabled"] else "account_disable"
        if st.button(tr(key, lang), key="acc_toggle"):
            try:
                api.update_account(chosen["id"], disabled=not chosen["disabled"])
            except ApiError as exc:
                ui.show_error(exc, lang)
            else:
                done("done_enable" if chosen["disabled"] else "done_disable")
        if me:
            st.info(tr("own_account", lang))
        else:
            with st.form("acc_reset"):
                st.markdown(f"**{tr('account_reset', lang)}**")
                new_password = st.text_input(tr("new_password", lang), type="password",
                                             key="acc_new_password", max_chars=128)
                reset = st.form_submit_button(tr("reset", lang))
            if reset:
                try:
                    api.reset_password(chosen["id"], new_password)
                except ApiError as exc:
                    ui.show_error(exc, lang)
                else:
                    done("done_reset")
