"""Change password: every signed-in person changes their own (the current one is asked)."""

from __future__ import annotations

import streamlit as st

from ops_console import auth, ui
from ops_console.client import ApiError, NotAvailable
from ops_console.i18n import tr

api, lang = ui.page("page_password")

with st.form("pw_change", clear_on_submit=True):
    current = st.text_input(tr("current_password", lang), type="password", key="pw_current",
                            max_chars=128)
    new = st.text_input(tr("new_password", lang), type="password", key="pw_new", max_chars=128)
    again = st.text_input(tr("new_password_again", lang), type="password", key="pw_again",
                          max_chars=128)
    submitted = st.form_submit_button(tr("change", lang), type="primary")
if submitted:
    if not (current and new and again):
        st.error(tr("password_fields", lang))
    elif new != again:
        st.error(tr("password_mismatch", lang))
    else:
        try:
            api.change_password(current, new)
        except NotAvailable:
            st.error(tr("password_unavailable", lang))
        except ApiError as exc:
            ui.show_error(exc, lang)
        else:  # every session of the account ends with the old password: sign in again
            auth.sign_out(tr("done_password", lang))
            st.rerun()
