"""Signing in to the console: the sign-in form, the session's own API client, signing out.

Each browser session holds the :class:`~ops_console.client.ApiClient` of the account that signed
in (under :data:`SESSION_KEY`); nothing is shared between sessions and no password is kept.
"""

from __future__ import annotations

import streamlit as st

from ops_console.client import ApiClient, ApiConfig, ApiError, sign_in
from ops_console.i18n import tr

#: Where a session keeps its signed-in client.
SESSION_KEY = "api"
#: A message kept across the rerun that follows signing out or a refused token.
NOTICE_KEY = "auth_notice"


def current() -> ApiClient | None:
    """The signed-in client of this session, if any."""
    return st.session_state.get(SESSION_KEY)


def role_label(role: str, lang: str) -> str:
    """An account's role as people read it."""
    return tr(f"role_{role}", lang) if role in ("operator", "supervisor") else role


def refusal(exc: ApiError, lang: str) -> str:
    """Why signing in did not work, in ``lang``: a wrong login or password, a disabled account,
    too many attempts (with the wait when the API says it), or the API's own words."""
    if exc.status == 401 and exc.code in ("unauthorized", ""):
        return tr("sign_in_wrong", lang)
    if exc.status == 429:
        text = tr("sign_in_throttled", lang)
        if exc.retry_after_s:
            text += f"（{tr('retry_after', lang).format(n=exc.retry_after_s)}）" if lang == "ja" \
                else f" ({tr('retry_after', lang).format(n=exc.retry_after_s)})"
        return text
    return exc.message(lang)


def sign_out(notice: str | None = None) -> None:
    """Forget this session's account (and say ``notice`` on the next run)."""
    api = st.session_state.pop(SESSION_KEY, None)
    if isinstance(api, ApiClient):
        api.close()
    if notice:
        st.session_state[NOTICE_KEY] = notice


def sign_in_form(lang: str) -> None:
    """The sign-in page: login and password; on success the session holds its own client and
    the app runs again."""
    st.title(tr("sign_in_title", lang))
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice)
    st.write(tr("sign_in_intro", lang))
    with st.form("sign_in"):
        login = st.text_input(tr("login", lang), key="si_login", max_chars=64)
        password = st.text_input(tr("password", lang), key="si_password", type="password",
                                 max_chars=128)
        submitted = st.form_submit_button(tr("sign_in", lang), type="primary")
    if not submitted:
        return
    if not login.strip() or not password:
        st.error(tr("sign_in_missing", lang))
        return
    try:
        api = sign_in(ApiConfig.from_env().url, login, password)
    except ApiError as exc:
        st.error(refusal(exc, lang))
        return
    st.session_state[SESSION_KEY] = api
    st.rerun()


def sidebar(api: ApiClient, lang: str) -> None:
    """Who is signed in (name and role) and the sign-out button."""
    who = api.account
    st.sidebar.markdown(f"**{tr('signed_in_as', lang)}**: {who.get('name') or who.get('login')}"
                        f"（{role_label(str(who.get('role', '')), lang)}）" if lang == "ja" else
                        f"**{tr('signed_in_as', lang)}**: {who.get('name') or who.get('login')} "
                        f"({role_label(str(who.get('role', '')), lang)})")
    if st.sidebar.button(tr("sign_out", lang), key="sign_out"):
        sign_out(tr("signed_out", lang))
        st.rerun()
