"""The operations console (Streamlit): `streamlit run ops_console/app.py`.

Reads the API at ``NORIAI_API_URL`` (default http://127.0.0.1:8000). Each person signs in with
their own account (operator or supervisor) before anything else is shown; the session then
works with that account's token, so the event log records who did what. A deployment of several
service areas is picked from at sign-in (accounts belong to an area); every page then works in
that area only (its API under ``/a/<area>/``) and names it above the title, and the sidebar
switches area (see :mod:`ops_console.auth`). Japanese first, English available.

Every page lives in ``views/`` and is listed in :data:`PAGES` (navigation and URL). There is
no ``pages/`` folder: Streamlit treats one beside the entry script as an old-style multipage app
and then runs a page opened by its URL (``/kpis``) without this entry script, that is without
the navigation and language switch; and a page left out of the navigation is not reachable at
all (its URL shows the map).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts only this folder on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from ops_console import auth  # noqa: E402
from ops_console.client import ApiError  # noqa: E402
from ops_console.i18n import tr  # noqa: E402

HERE = Path(__file__).resolve().parent
#: The pages in navigation order; each is ``views/<name>.py`` at the URL ``/<name>`` (the map at
#: ``/``). A page missing here is unreachable: its URL would show the default page.
PAGES = ("map", "bookings", "fleet", "kpis", "publishing", "whatif")
#: The pages of one's account: every staff member changes their own password; supervisors
#: also manage the accounts.
ACCOUNT_PAGES = {"password": ("operator", "supervisor"), "accounts": ("supervisor",)}


def main() -> None:
    """The console: the sign-in form until someone signs in, then the navigation and pages
    their role may use, with their name, role and the sign-out button in the sidebar."""
    st.set_page_config(page_title="noriai 運行管理", layout="wide")
    st.session_state.setdefault("lang", "ja")
    st.sidebar.radio(tr("language", "ja"), ["ja", "en"], key="lang",
                     format_func=lambda x: "日本語" if x == "ja" else "English", horizontal=True)
    lang = st.session_state["lang"]
    api = auth.current()
    if api is not None:
        try:
            api.me()  # the account as it is now: a changed role shows, a disabled one ends here
        except ApiError as exc:
            if exc.status in (401, 403):  # expired, disabled: sign in again (the reason is said)
                auth.sign_out(exc.message(lang))
                api = None
    role = str(api.account.get("role", "")) if api is not None else ""
    names = [*PAGES, *(n for n, roles in ACCOUNT_PAGES.items() if api is None or role in roles)]
    # No page icons: a page's Material icon is fetched from the web for the browser tab.
    pages = [st.Page(str(HERE / "views" / f"{name}.py"), title=tr(f"page_{name}", lang),
                     url_path=None if name == "map" else name, default=name == "map")
             for name in names]
    # Signed out, the navigation is hidden and only the sign-in form shows, whatever the URL;
    # the URL's page then opens once signed in.
    selected = st.navigation(pages, position="sidebar" if api is not None else "hidden")
    if api is None:
        auth.sign_in_form(lang)
    else:
        auth.sidebar(api, lang)
        selected.run()


if __name__ == "__main__":  # `streamlit run` (and AppTest); importing it only reads PAGES
    main()
