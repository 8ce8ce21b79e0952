"""Signing in to the console: the service area, the sign-in form, the session's own API client
for each area, switching area, signing out.

Each browser session holds the :class:`~ops_console.client.ApiClient` of the account that signed
in (under :data:`SESSION_KEY`); nothing is shared between sessions and no password is kept.
Accounts belong to a service area: the operator picks the area at sign-in, the client then talks
to that area's API only (``/a/<area>/...``), and switching to another area is a sign-in there.
Each area's client stays in the session (:data:`CLIENTS_KEY`), so switching back does not ask
again.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ops_console.areas import Area, area_at, area_label, default_area, fetch_areas, find_area
from ops_console.client import ApiClient, ApiConfig, ApiError, sign_in
from ops_console.i18n import tr

#: Where a session keeps the signed-in client of the area it works in.
SESSION_KEY = "api"
#: Where a session keeps the signed-in client of each area it signed in to (area id -> client).
CLIENTS_KEY = "api_by_area"
#: The id of the area the session works in (or signs in to).
AREA_KEY = "area"
#: A message kept across the rerun that follows signing out or a refused token.
NOTICE_KEY = "auth_notice"
#: The area pickers: on the sign-in page and, signed in, in the sidebar.
PICK_KEYS = ("si_area", "area_switch")
#: What switching area keeps; everything else in the session belongs to the area left (a chosen
#: booking, offers, filters) and is forgotten.
KEEP = {"lang", SESSION_KEY, CLIENTS_KEY, AREA_KEY, NOTICE_KEY, *PICK_KEYS}


@st.cache_data(ttl=600, show_spinner=False)
def _areas(base: str) -> list[Area]:
    return fetch_areas(base)


def areas() -> list[Area]:
    """The service areas of the deployment at ``NORIAI_API_URL`` (none when it cannot be
    reached: the sign-in then says so)."""
    try:
        return _areas(ApiConfig.from_env().url)
    except ApiError:
        return []


def chosen_area(known: list[Area]) -> Area | None:
    """The area this session works in: the one picked, else the deployment's first."""
    return find_area(known, st.session_state.get(AREA_KEY)) or default_area(known)


def area_of(api: ApiClient) -> Area | None:
    """The area whose API ``api`` talks to."""
    return area_at(areas(), ApiConfig.from_env().url, api.config.url)


def _clients() -> dict[str, ApiClient]:
    clients: dict[str, ApiClient] = st.session_state.setdefault(CLIENTS_KEY, {})
    return clients


def switch_area(area_id: str) -> None:
    """Work in ``area_id``: with its client if this session signed in there, else at its
    sign-in; what belonged to the area left is forgotten."""
    current = st.session_state.get(SESSION_KEY)
    if isinstance(current, ApiClient):
        here = area_of(current)
        if here is not None:
            if here.id == area_id:
                return
            _clients().setdefault(here.id, current)
    for key in [k for k in st.session_state if k not in KEEP]:
        del st.session_state[key]
    st.session_state[AREA_KEY] = area_id
    client = _clients().get(area_id)
    if client is not None:
        st.session_state[SESSION_KEY] = client
    else:
        st.session_state.pop(SESSION_KEY, None)


def _picked(key: str) -> None:
    switch_area(str(st.session_state[key]))


def area_picker(where: Any, key: str, known: list[Area], lang: str) -> None:
    """A picker of the deployment's areas (Japanese name first, the areas this session is
    signed in to marked); picking one switches to it."""
    area = chosen_area(known)
    if area is None:
        return
    st.session_state[key] = area.id
    signed = _clients()
    mark = f"　✓ {tr('area_signed_in', lang)}" if lang == "ja" else f" ✓ {tr('area_signed_in', lang)}"
    labels = {a.id: area_label(a, lang) + (mark if a.id in signed else "") for a in known}
    where.selectbox(tr("area", lang), list(labels), key=key, format_func=labels.__getitem__,
                    on_change=_picked, args=(key,))


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
    """Forget this session's account in the area it works in, e.g. when the API refused its
    token (and say ``notice`` on the next run); other areas' sign-ins stay."""
    api = st.session_state.pop(SESSION_KEY, None)
    clients = _clients()
    for area_id in [a for a, c in clients.items() if c is api]:
        del clients[area_id]
    if isinstance(api, ApiClient):
        api.close()
    if notice:
        st.session_state[NOTICE_KEY] = notice


def sign_out_everywhere(notice: str | None = None) -> None:
    """Forget this session's accounts in every area (the sign-out button)."""
    clients = _clients()
    for client in clients.values():
        client.close()
    clients.clear()
    sign_out(notice)


def sign_in_form(lang: str) -> None:
    """The sign-in page: the service area (a picker when the deployment has several), login and
    password; on success the session holds its own client for that area and the app runs
    again."""
    st.title(tr("sign_in_title", lang))
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice)
    known = areas()
    area = chosen_area(known)
    if len(known) > 1:
        area_picker(st, PICK_KEYS[0], known, lang)
        st.write(tr("sign_in_area", lang))
    elif area is not None:
        st.caption(f"{tr('area', lang)}: {area_label(area, lang)}")
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
    base = ApiConfig.from_env().url
    try:
        api = sign_in(area.url(base) if area is not None else base, login, password)
    except ApiError as exc:
        st.error(refusal(exc, lang))
        return
    if area is not None:
        st.session_state[AREA_KEY] = area.id
        _clients()[area.id] = api
    st.session_state[SESSION_KEY] = api
    st.rerun()


def sidebar(api: ApiClient, lang: str) -> None:
    """The area (a picker to switch when the deployment has several), who is signed in (name
    and role) and the sign-out button (out of every area)."""
    known = areas()
    if len(known) > 1:
        area_picker(st.sidebar, PICK_KEYS[1], known, lang)
    who = api.account
    st.sidebar.markdown(f"**{tr('signed_in_as', lang)}**: {who.get('name') or who.get('login')}"
                        f"（{role_label(str(who.get('role', '')), lang)}）" if lang == "ja" else
                        f"**{tr('signed_in_as', lang)}**: {who.get('name') or who.get('login')} "
                        f"({role_label(str(who.get('role', '')), lang)})")
    if st.sidebar.button(tr("sign_out", lang), key="sign_out"):
        sign_out_everywhere(tr("signed_out", lang))
        st.rerun()
