"""The operations console (Streamlit): `streamlit run ops_console/app.py`.

Reads the API at ``NORIAI_API_URL`` (default http://127.0.0.1:8000) and signs in with
``NORIAI_OPERATOR_LOGIN`` / ``NORIAI_OPERATOR_PASSWORD``. Japanese first, English available.

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

from ops_console.i18n import tr  # noqa: E402

st.set_page_config(page_title="noriai 運行管理", layout="wide")
st.session_state.setdefault("lang", "ja")
st.sidebar.radio(tr("language", "ja"), ["ja", "en"], key="lang",
                 format_func=lambda x: "日本語" if x == "ja" else "English", horizontal=True)
lang = st.session_state["lang"]
HERE = Path(__file__).resolve().parent
#: The pages in navigation order; each is ``views/<name>.py`` at the URL ``/<name>`` (the map at
#: ``/``). A page missing here is unreachable: its URL would show the default page.
PAGES = ("map", "bookings", "fleet", "kpis", "publishing", "whatif")
# No page icons: the browser tab's icon of a page with a Material icon is fetched from the web.
pages = [st.Page(str(HERE / "views" / f"{name}.py"), title=tr(f"page_{name}", lang),
                 url_path=None if name == "map" else name, default=name == "map")
         for name in PAGES]
st.navigation(pages).run()
